// Noise layers (train mode only; both are the identity in eval mode).
//
//   GaussianNoise(sigma):  y = x + N(0, sigma) in the forward pass; dx = dy.
//   GradientNoise(sigma):  y = x; dx = dy + N(0, sigma) in the backward pass ("noise in the
//                          backward pass"). The noise is drawn from ctx.rng when backward runs.
//   x: [N, ...] -> y: [N, ...]
#pragma once

#include <string>

#include "nn/layer.hpp"

namespace nnlab {

class GaussianNoise : public Layer {
 public:
  /// sigma >= 0.
  GaussianNoise(std::string name, float sigma);
  std::string kind() const override { return "gaussian_noise"; }
  std::string describe() const override;
  float sigma() const { return sigma_; }

 protected:
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  float sigma_;
};

class GradientNoise : public Layer {
 public:
  /// sigma >= 0.
  GradientNoise(std::string name, float sigma);
  std::string kind() const override { return "gradient_noise"; }
  std::string describe() const override;
  float sigma() const { return sigma_; }

 protected:
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  float sigma_;
};

}  // namespace nnlab
