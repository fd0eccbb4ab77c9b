// Dense (fully connected) layer: y = x W^T + b.
//
//   N = batch, F = in-features (the product of the per-sample input shape, so an image
//   [C, H, W] is read as flattened), U = units.
//   x: [N, F...]   W: [U, F] (PyTorch's layout)   b: [U]   y: [N, U]
//   backward ACCUMULATES dW += dy^T x and db += column sums of dy, and, when ctx.input_grad,
//   ASSIGNS dx = dy W (shaped like x).
#pragma once

#include <cstdint>
#include <string>

#include "nn/init.hpp"
#include "nn/layer.hpp"

namespace nnlab {

class Dense : public Layer {
 public:
  /// `reg` is attached to the weight (parameter 0); the bias (parameter 1) carries none.
  Dense(std::string name, int64_t units, InitKind init = InitKind::glorot_uniform,
        Regularizer reg = {});

  std::string kind() const override { return "dense"; }
  std::string describe() const override;
  void init(Rng& rng) override;

  int64_t units() const { return units_; }
  int64_t in_features() const { return in_features_; }
  Parameter& weight() { return params_[0]; }
  Parameter& bias() { return params_[1]; }

 protected:
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  int64_t units_;
  InitKind init_;
  Regularizer reg_;
  int64_t in_features_ = 0;
};

}  // namespace nnlab
