#include "optim/optimizer.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <utility>

#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

// Floats per block: four arrays of this (Adam's values, gradients and moments) stay within a
// core's L2 cache while the block is penalized, updated and constrained.
constexpr size_t kBlockFloats = 8192;
// Floats of a block's penalized gradient built at a time, on the stack (in L1).
constexpr size_t kChunkFloats = 1024;
// Below this many parameters a thread team costs more than the pass.
constexpr size_t kParallelMin = size_t{1} << 15;

}  // namespace

Optimizer::Optimizer(OptimizerConfig config, std::span<float> values, std::span<float> grads,
                     const std::vector<Parameter*>& params)
    : config_(std::move(config)), values_(values), grads_(grads) {
  NNLAB_CHECK(values.size() == grads.size(), "optimizer: {} parameter values but {} gradients",
              values.size(), grads.size());
  // The parameters by their place in the arena; floats no parameter claims are updated plainly.
  std::vector<std::pair<size_t, const Parameter*>> placed;
  const auto begin = reinterpret_cast<uintptr_t>(values.data());
  const auto end = begin + values.size() * sizeof(float);
  for (const Parameter* p : params) {
    if (p->value.empty()) continue;
    // Comparing pointers into different arrays is unspecified, so go through integers.
    const auto addr = reinterpret_cast<uintptr_t>(p->value.data());
    NNLAB_CHECK(
        addr >= begin && addr + static_cast<uintptr_t>(p->value.size()) * sizeof(float) <= end,
        "optimizer: parameter {} does not lie inside the parameter arena", p->name);
    placed.emplace_back((addr - begin) / sizeof(float), p);
  }
  std::sort(placed.begin(), placed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto add_rows = [this](size_t offset, size_t rows, size_t cols, const Parameter* p) {
    const size_t per_block = std::max<size_t>(1, kBlockFloats / cols);
    for (size_t r = 0; r < rows; r += per_block)
      blocks_.push_back({.offset = offset + r * cols,
                         .rows = std::min(per_block, rows - r),
                         .cols = cols,
                         .is_weight = p != nullptr && p->is_weight,
                         .reg = p != nullptr ? p->reg : Regularizer{},
                         .param = p});
  };
  size_t at = 0;
  for (const auto& [offset, p] : placed) {
    NNLAB_CHECK(offset >= at, "optimizer: parameter {} overlaps the one before it", p->name);
    if (offset > at) add_rows(at, offset - at, 1, nullptr);
    // A weight [out, in...]: row u is the incoming weight vector of output unit u (max-norm).
    const auto rows = static_cast<size_t>(p->value.rows());
    add_rows(offset, rows, static_cast<size_t>(p->value.size()) / rows, p);
    at = offset + static_cast<size_t>(p->value.size());
  }
  if (at < values.size()) add_rows(at, values.size() - at, 1, nullptr);
  NNLAB_CHECK(config_.average >= 0 && config_.average < 1, "train.ema must be in [0, 1), got {}",
              config_.average);
  if (averages()) {
    average_ = Tensor(Shape{static_cast<int64_t>(values.size())});
    averaged_steps_ = Tensor(Shape{1});
  }
}

std::vector<Tensor*> Optimizer::state() {
  std::vector<Tensor*> s = own_state();
  if (averages()) {
    s.push_back(&average_);
    s.push_back(&averaged_steps_);
  }
  return s;
}

void Optimizer::swap_average() {
  NNLAB_CHECK(has_average(), "optimizer: no average of the weights (train.ema = 0, or no step)");
  std::swap_ranges(values_.begin(), values_.end(), average_.data());
}

StepHealth Optimizer::step(float lr) {
  begin_step(lr);
  float average_decay = 0.0f;
  if (averages()) {
    // The average starts from the values before the first step (a checkpoint restores it with
    // the rest of the state) and at step t decays by d_t = min(d, (1 + t) / (10 + t)), as
    // TensorFlow's ExponentialMovingAverage with num_updates: it spans about the last t / 9
    // steps until that reaches 1 / (1 - d). A fixed d = 0.999 would keep 31% of the start
    // after 1,200 steps and average the first epoch's weights into the last, which ruins short
    // runs such as a search's first rungs. The count is exact up to 2^24 steps, then stays.
    if (averaged_steps_[0] == 0.0f) std::copy(values_.begin(), values_.end(), average_.data());
    averaged_steps_[0] += 1.0f;
    const float t = averaged_steps_[0];
    average_decay = std::min(config_.average, (1.0f + t) / (10.0f + t));
  }
  const auto blocks = static_cast<int64_t>(blocks_.size());
  health_.resize(blocks_.size());
  // Blocks are independent and each element's arithmetic is fixed, so the result does not
  // depend on the thread count.
#pragma omp parallel for schedule(static) if (values_.size() >= kParallelMin)
  for (int64_t i = 0; i < blocks; ++i)
    health_[static_cast<size_t>(i)] =
        step_block(blocks_[static_cast<size_t>(i)], lr, average_decay);

  StepHealth health;
  const auto name = [](const Block& b) {
    return b.param != nullptr ? b.param->name : std::string("a float of no parameter");
  };
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if ((health_[i] & kBadGradient) && health.bad_gradient.empty())
      health.bad_gradient = name(blocks_[i]);
    if ((health_[i] & kBadValue) && health.bad_value.empty()) health.bad_value = name(blocks_[i]);
  }
  return health;
}

namespace {

// Whether x[0, n) holds no NaN or infinity: those are the floats whose exponent bits are all
// ones. One vectorized read of a block already in cache; an integer maximum, as a float sum of
// x * 0 would wait on each addition in turn (about as long as SGD's update took).
bool all_finite(const float* x, size_t n) {
  constexpr uint32_t kExponent = 0x7f800000u;
  uint32_t largest = 0;
#pragma omp simd reduction(max : largest)
  for (size_t i = 0; i < n; ++i)
    largest = std::max(largest, std::bit_cast<uint32_t>(x[i]) & kExponent);
  return largest != kExponent;
}

}  // namespace

uint8_t Optimizer::step_block(const Block& b, float lr, float average_decay) {
  const size_t n = b.rows * b.cols;
  float* w = values_.data() + b.offset;
  const float* g = grads_.data() + b.offset;
  const float wd = b.is_weight ? config_.weight_decay : 0.0f;
  const bool coupled = wd != 0.0f && config_.decay == WeightDecay::coupled;
  const float l1 = b.is_weight ? b.reg.l1 : 0.0f, two_l2 = b.is_weight ? 2.0f * b.reg.l2 : 0.0f;
  // AdamW's decay, p.mul_(1 - lr * wd), comes before the gradient update; the penalties read the
  // values before it.
  const float keep = wd != 0.0f && !coupled ? 1.0f - lr * wd : 1.0f;
  uint8_t health = 0;
  // A chunk at a time, so that its gradients, values and moments stay in L1 from the health
  // check through the update to the check of the values. The penalties' and the coupled decay's
  // terms go into a copy of the chunk's gradients on the stack: the optimizer only reads the
  // gradient arena (the next backward assigns it), so its memory is never written back.
  float penalized[kChunkFloats];
  for (size_t at = 0; at < n; at += kChunkFloats) {
    const size_t m = std::min(kChunkFloats, n - at);
    const float* gc = g + at;
    float* wc = w + at;
    if (!all_finite(gc, m)) health |= kBadGradient;
    const float* grad = gc;
    if (l1 != 0.0f || two_l2 != 0.0f) {
      // d|w|/dw = sign(w), taken as 0 at w = 0 (the subgradient PyTorch uses): l1 sign(w) as
      // bit-mask selects, not a nested ?: which GCC vectorizes only with AVX-512's masks (on an
      // AVX2 build it stayed scalar, a mispredicted branch per weight: S2's optimizer step took
      // 5.3 ms instead of 1.4). The same arithmetic as the ?: form, so the same values.
#pragma omp simd
      for (size_t i = 0; i < m; ++i) {
        const float l1_sign = pick(wc[i] > 0.0f, l1, pick(wc[i] < 0.0f, -l1, 0.0f));
        penalized[i] = gc[i] + (l1_sign + two_l2 * wc[i]);
      }
      grad = penalized;
    }
    if (coupled) {
      // PyTorch's Adam, SGD, RMSprop: grad = grad.add(param, alpha=wd), before the update.
#pragma omp simd
      for (size_t i = 0; i < m; ++i) penalized[i] = grad[i] + wd * wc[i];
      grad = penalized;
    }
    if (keep != 1.0f) {
#pragma omp simd
      for (size_t i = 0; i < m; ++i) wc[i] *= keep;
    }
    update(b.offset + at, m, grad, lr);
    // Max-norm below keeps finite values finite and NaN or infinite ones not finite (a row of
    // norm inf or NaN is scaled by 0 or NaN), so the values can be checked here.
    if (!all_finite(wc, m)) health |= kBadValue;
  }
  if (b.is_weight && b.reg.max_norm > 0.0f) {
    for (size_t r = 0; r < b.rows; ++r) {
      float* row = w + r * b.cols;
      float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
      for (size_t c = 0; c < b.cols; ++c) sq += row[c] * row[c];
      const double norm = std::sqrt(static_cast<double>(sq));
      if (norm <= b.reg.max_norm) continue;
      const auto scale = static_cast<float>(b.reg.max_norm / norm);
#pragma omp simd
      for (size_t c = 0; c < b.cols; ++c) row[c] *= scale;
    }
  }
  if (averages()) {
    const float d = average_decay;
    float* a = average_.data() + b.offset;
#pragma omp simd
    for (size_t i = 0; i < n; ++i) a[i] = d * a[i] + (1.0f - d) * w[i];
  }
  return health;
}

}  // namespace nnlab
