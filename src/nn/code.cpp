#include "nn/code.hpp"

namespace nnlab {

// Views, not copies: Tensor::view takes a non-const pointer, but the next layer (or the
// previous one's backward) only reads through it.
void Code::forward_impl(const Tensor& x, LayerContext& ctx) {
  ctx.y = Tensor::view(const_cast<float*>(x.data()), x.shape());
}

void Code::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx = Tensor::view(const_cast<float*>(dy.data()), dy.shape());
}

}  // namespace nnlab
