// Inverted dropout: in train mode each element is zeroed with probability `rate` and the
// survivors are scaled by 1 / (1 - rate), so eval mode is the identity.
//
//   x: [N, ...] -> y: [N, ...]. The keep mask (a byte per element) is drawn from ctx.rng and
//   kept in ctx.saved for backward: dx = dy / (1 - rate) where kept, else 0 (dx = dy after an
//   eval-mode forward).
#pragma once

#include <string>

#include "nn/layer.hpp"

namespace nnlab {

class Dropout : public Layer {
 public:
  /// rate in [0, 1).
  Dropout(std::string name, float rate);
  std::string kind() const override { return "dropout"; }
  std::string describe() const override;
  float rate() const { return rate_; }

 protected:
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  float rate_;
};

}  // namespace nnlab
