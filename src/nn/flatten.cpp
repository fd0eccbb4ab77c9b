#include "nn/flatten.hpp"

#include <cstring>

namespace nnlab {

// A copy rather than a view of x: ctx.y must own its storage so the next batch can resize it.
void Flatten::forward_impl(const Tensor& x, LayerContext& ctx) {
  ctx.y.resize({x.rows(), x.cols()});
  if (x.size() > 0)
    std::memcpy(ctx.y.data(), x.data(), static_cast<size_t>(x.size()) * sizeof(float));
}

void Flatten::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx.resize(ctx.x->shape());
  if (dy.size() > 0)
    std::memcpy(ctx.dx.data(), dy.data(), static_cast<size_t>(dy.size()) * sizeof(float));
}

}  // namespace nnlab
