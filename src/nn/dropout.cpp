#include "nn/dropout.hpp"

#include "tensor/error.hpp"

namespace nnlab {

Dropout::Dropout(std::string name, float rate) : Layer(std::move(name)), rate_(rate) {
  NNLAB_CHECK(rate >= 0.0f && rate < 1.0f, "dropout layer '{}': rate must be in [0, 1), got {}",
              this->name(), rate);
}

std::string Dropout::describe() const { return fmt::format("dropout(p={})", rate_); }

void Dropout::forward_impl(const Tensor& x, LayerContext& ctx) {
  ctx.y.resize(x.shape());
  const int64_t n = x.size();
  if (ctx.mode == Mode::eval) {
    ctx.y = x;
    return;
  }
  NNLAB_CHECK(ctx.rng != nullptr, "dropout layer '{}': train mode needs ctx.rng", name());
  ctx.saved.resize(x.shape());
  const float keep_scale = 1.0f / (1.0f - rate_);
  // Drawn serially: the mask must depend only on the seed, not on the thread count.
  float* mask = ctx.saved.data();
  for (int64_t i = 0; i < n; ++i) mask[i] = ctx.rng->uniform() < rate_ ? 0.0f : keep_scale;
  const float* a = x.data();
  float* y = ctx.y.data();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * mask[i];
}

void Dropout::backward_impl(LayerContext& ctx, const Tensor& dy) {
  if (ctx.mode == Mode::eval) {
    ctx.dx = dy;
    return;
  }
  ctx.dx.resize(dy.shape());
  const int64_t n = dy.size();
  const float* mask = ctx.saved.data();
  const float* g = dy.data();
  float* d = ctx.dx.data();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) d[i] = g[i] * mask[i];
}

}  // namespace nnlab
