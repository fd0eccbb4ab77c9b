// Code: the marker between an autoencoder's encoder and decoder. It passes its input through
// unchanged; its output is the code. Model::code_layer() finds it, so the encoder is layers
// [0, code] and the decoder the layers after it: `nnlab encode`, `decode` and `generate` run
// them as passes of their own, and the marker travels with the layers in the model file.
//
//   x: [N, code...] -> y: [N, code...]. No copy: ctx.y views x, ctx.dx views dy (as Reshape).
#pragma once

#include <string>

#include "nn/layer.hpp"

namespace nnlab {

class Code : public Layer {
 public:
  explicit Code(std::string name) : Layer(std::move(name)) {}
  std::string kind() const override { return "code"; }

 protected:
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;
};

}  // namespace nnlab
