#include <cmath>

#include "optim/optimizers.hpp"

namespace nnlab {

Adam::Adam(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
           const std::vector<Parameter*>& params)
    : Optimizer(config, values, grads, params),
      m_(Shape{static_cast<int64_t>(values.size())}),
      v_(Shape{static_cast<int64_t>(values.size())}),
      steps_(Shape{1}) {}

void Adam::begin_step(float lr) {
  steps_[0] += 1.0f;
  // The step count lives in a float tensor so checkpoints restore it with the moments; floats
  // count exactly up to 2^24 steps, and by then both corrections are 1.
  const double t = steps_[0];
  // PyTorch's arrangement: w -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps), which equals
  // lr * mhat / (sqrt(vhat) + eps).
  step_size_ = static_cast<float>(lr / (1.0 - std::pow(double{config_.beta1}, t)));
  bc2_sqrt_ = static_cast<float>(std::sqrt(1.0 - std::pow(double{config_.beta2}, t)));
}

void Adam::update(size_t begin, size_t n, const float* g, float /*lr*/) {
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.eps;
  const float step_size = step_size_, bc2_sqrt = bc2_sqrt_;
  float* w = values_.data() + begin;
  float* m = m_.data() + begin;
  float* v = v_.data() + begin;
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    w[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}

std::vector<Tensor*> Adam::own_state() { return {&m_, &v_, &steps_}; }

}  // namespace nnlab
