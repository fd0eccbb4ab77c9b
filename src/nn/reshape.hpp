// Reshape: gives each sample a new shape with the same values, e.g. [784] -> [1, 28, 28] so that
// convolutions can follow a dense input. One entry of the target may be -1: it takes what the
// others leave.
//
//   x: [N, in...] -> y: [N, shape...]; backward gives dy back in x's shape.
//   No copy: ctx.y views x and ctx.dx views dy (row-major data reads the same in either shape),
//   so y stays valid as long as x, which the Layer contract keeps alive until backward.
#pragma once

#include <string>

#include "nn/layer.hpp"

namespace nnlab {

class Reshape : public Layer {
 public:
  /// `shape`: the per-sample target; positive entries and at most one -1.
  Reshape(std::string name, Shape shape);
  std::string kind() const override { return "reshape"; }
  std::string describe() const override;

 protected:
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  Shape shape_;  // as given, possibly with -1
};

}  // namespace nnlab
