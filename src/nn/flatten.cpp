#include "nn/flatten.hpp"

namespace nnlab {

// Views, not copies, as Reshape's: the values of a plain batch are already in the row-major
// order flatten gives (a blocked batch is made plain by Layer::forward first, in this layer's
// own context). Tensor::view takes a non-const pointer; the next layer (or the previous one's
// backward) only reads through it.
void Flatten::forward_impl(const Tensor& x, LayerContext& ctx) {
  // The built shape, not x.cols(): an empty batch is [0, 0] by its cols().
  ctx.y = Tensor::view(const_cast<float*>(x.data()), {x.rows(), output_shape()[0]});
}

void Flatten::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx = Tensor::view(const_cast<float*>(dy.data()), ctx.x->shape());
}

}  // namespace nnlab
