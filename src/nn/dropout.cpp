#include "nn/dropout.hpp"

#include <algorithm>

#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

// The keep mask, one byte per element, in the storage of ctx.saved (a float tensor of a
// quarter the elements): four times less memory traffic than a float mask.
unsigned char* mask_bytes(Tensor& saved, int64_t n) {
  saved.resize({(n + 3) / 4});
  return reinterpret_cast<unsigned char*>(saved.data());
}

}  // namespace

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
  unsigned char* mask = mask_bytes(ctx.saved, n);
  const float keep_scale = 1.0f / (1.0f - rate_);
  // Each sample draws its mask from its own generator, forked from one number of the run's:
  // the mask depends only on the seed, never on the thread count, and is drawn in parallel.
  const Rng batch_rng(ctx.rng->next_u64());
  const int64_t rows = x.rows(), cols = x.cols();
  // A 32-bit uniform per unit: two per 64-bit draw.
  const auto threshold = static_cast<uint64_t>(static_cast<double>(rate_) * 4294967296.0);
  const float* a = x.data();
  float* y = ctx.y.data();
  // Rows are drawn kLanes at a time, their generators stepped side by side (RngLanes): the
  // numbers of drawing each row alone, without its serial chain.
  constexpr int kLanes = RngLanes::kLanes;
  const int64_t groups = (rows + kLanes - 1) / kLanes;
#pragma omp parallel for if (n > kRowwiseThreadMin)
  for (int64_t group = 0; group < groups; ++group) {
    const int64_t r0 = group * kLanes;
    const int lanes = static_cast<int>(std::min<int64_t>(kLanes, rows - r0));
    RngLanes gen;
    for (int l = 0; l < lanes; ++l) gen.seed(l, batch_rng.fork(static_cast<uint64_t>(r0 + l)));
    unsigned char* m = mask + r0 * cols;
    for (int64_t c = 0; c < cols; c += 2) {
      uint64_t bits[kLanes];
      gen.next(bits);
      for (int l = 0; l < lanes; ++l) {
        m[l * cols + c] = (bits[l] & 0xffffffffu) >= threshold;
        if (c + 1 < cols) m[l * cols + c + 1] = (bits[l] >> 32) >= threshold;
      }
    }
    for (int64_t r = r0; r < r0 + lanes; ++r) {
      const unsigned char* mr = mask + r * cols;
      const float* ar = a + r * cols;
      float* yr = y + r * cols;
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) yr[c] = pick(mr[c] != 0, ar[c] * keep_scale, 0.0f);
    }
  }
}

void Dropout::backward_impl(LayerContext& ctx, const Tensor& dy) {
  if (ctx.mode == Mode::eval) {
    ctx.dx = dy;
    return;
  }
  ctx.dx.resize(dy.shape());
  const int64_t n = dy.size();
  const auto* mask = reinterpret_cast<const unsigned char*>(ctx.saved.data());
  const float keep_scale = 1.0f / (1.0f - rate_);
  const float* g = dy.data();
  float* d = ctx.dx.data();
  elementwise(n, [=](int64_t i) { d[i] = pick(mask[i] != 0, g[i] * keep_scale, 0.0f); });
}

}  // namespace nnlab
