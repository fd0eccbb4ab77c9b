// Flatten: [N, C, H, W] -> [N, C*H*W]. The values are unchanged (row-major); only the shape
// differs. backward gives dy back in x's shape.
#pragma once

#include <string>

#include "nn/layer.hpp"

namespace nnlab {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name) : Layer(std::move(name)) {}
  std::string kind() const override { return "flatten"; }

 protected:
  Shape build_impl(const Shape& in) override { return {shape_size(in)}; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;
};

}  // namespace nnlab
