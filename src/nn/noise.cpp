#include "nn/noise.hpp"

#include "tensor/error.hpp"

namespace nnlab {

namespace {

// y = x + N(0, sigma), drawn serially so the noise depends only on the seed.
void add_noise(const Tensor& x, Tensor& y, float sigma, Rng& rng) {
  y.resize(x.shape());
  rng.fill_normal(y.span(), 0.0f, sigma);
  const float* a = x.data();
  float* b = y.data();
  const int64_t n = x.size();
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) b[i] += a[i];
}

}  // namespace

GaussianNoise::GaussianNoise(std::string name, float sigma)
    : Layer(std::move(name)), sigma_(sigma) {
  NNLAB_CHECK(sigma >= 0.0f, "gaussian_noise layer '{}': sigma must be >= 0, got {}", this->name(),
              sigma);
}

std::string GaussianNoise::describe() const {
  return fmt::format("gaussian_noise(sigma={})", sigma_);
}

void GaussianNoise::forward_impl(const Tensor& x, LayerContext& ctx) {
  if (ctx.mode == Mode::eval || sigma_ == 0.0f) {
    ctx.y = x;
    return;
  }
  NNLAB_CHECK(ctx.rng != nullptr, "gaussian_noise layer '{}': train mode needs ctx.rng", name());
  add_noise(x, ctx.y, sigma_, *ctx.rng);
}

void GaussianNoise::backward_impl(LayerContext& ctx, const Tensor& dy) { ctx.dx = dy; }

GradientNoise::GradientNoise(std::string name, float sigma)
    : Layer(std::move(name)), sigma_(sigma) {
  NNLAB_CHECK(sigma >= 0.0f, "gradient_noise layer '{}': sigma must be >= 0, got {}", this->name(),
              sigma);
}

std::string GradientNoise::describe() const {
  return fmt::format("gradient_noise(sigma={})", sigma_);
}

void GradientNoise::forward_impl(const Tensor& x, LayerContext& ctx) { ctx.y = x; }

void GradientNoise::backward_impl(LayerContext& ctx, const Tensor& dy) {
  if (ctx.mode == Mode::eval || sigma_ == 0.0f) {
    ctx.dx = dy;
    return;
  }
  NNLAB_CHECK(ctx.rng != nullptr, "gradient_noise layer '{}': train mode needs ctx.rng", name());
  add_noise(dy, ctx.dx, sigma_, *ctx.rng);
}

}  // namespace nnlab
