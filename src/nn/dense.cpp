#include "nn/dense.hpp"

#include <algorithm>
#include <cstring>

#include "tensor/error.hpp"
#include "tensor/gemm.hpp"

namespace nnlab {

Dense::Dense(std::string name, int64_t units, InitKind init, Regularizer reg)
    : Layer(std::move(name)), units_(units), init_(init), reg_(reg) {
  NNLAB_CHECK(units > 0, "dense layer '{}': units must be > 0, got {}", this->name(), units);
}

std::string Dense::describe() const {
  std::string s = fmt::format("dense({})", units_);
  if (reg_.l1 > 0) s += fmt::format(" l1={}", reg_.l1);
  if (reg_.l2 > 0) s += fmt::format(" l2={}", reg_.l2);
  if (reg_.max_norm > 0) s += fmt::format(" max_norm={}", reg_.max_norm);
  return s;
}

Shape Dense::build_impl(const Shape& in) {
  in_features_ = shape_size(in);
  NNLAB_CHECK(!in.empty() && in_features_ > 0, "dense layer '{}': bad input shape {}", name(),
              shape_str(in));
  add_parameter("weight", {units_, in_features_}, true).reg = reg_;
  add_parameter("bias", {units_}, false);
  return {units_};
}

void Dense::init(Rng& rng) {
  init_weight(weight().value, in_features_, units_, init_, rng);
  bias().value.fill(0.0f);
}

void Dense::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize({n, units_});
  if (n == 0) return;
  // Start y at the bias in every row, then let the gemm add x W^T (beta = 1).
  const float* b = params_[1].value.data();
  for (int64_t r = 0; r < n; ++r)
    std::memcpy(ctx.y.row(r), b, static_cast<size_t>(units_) * sizeof(float));
  gemm(false, true, n, units_, in_features_, 1.0f, x.data(), params_[0].value.data(), 1.0f,
       ctx.y.data());
}

void Dense::backward_impl(LayerContext& ctx, const Tensor& dy) {
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  if (ctx.input_grad) ctx.dx.resize(x.shape());
  if (n == 0) return;
  // dW[U, F] += dy^T[U, N] x[N, F]
  gemm(true, false, units_, in_features_, n, 1.0f, dy.data(), x.data(), 1.0f,
       params_[0].grad.data());
  // db[u] += sum over rows of dy[r, u]: threads take bands of units, each summed over the rows
  // in order, so the sums do not depend on the thread count.
  float* db = params_[1].grad.data();
  const float* g = dy.data();
  const int64_t units = units_;
  constexpr int64_t kBand = 64;
#pragma omp parallel for if (n * units > (int64_t{1} << 15))
  for (int64_t u0 = 0; u0 < units; u0 += kBand) {
    const int64_t u1 = std::min(units, u0 + kBand);
    for (int64_t r = 0; r < n; ++r) {
      const float* gr = g + r * units;
#pragma omp simd
      for (int64_t u = u0; u < u1; ++u) db[u] += gr[u];
    }
  }
  if (!ctx.input_grad) return;  // a pass's first layer: nothing reads dx
  // dx[N, F] = dy[N, U] W[U, F]
  gemm(false, false, n, in_features_, units_, 1.0f, dy.data(), params_[0].value.data(), 0.0f,
       ctx.dx.data());
}

}  // namespace nnlab
