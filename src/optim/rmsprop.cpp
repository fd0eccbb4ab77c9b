#include <cmath>

#include "optim/optimizers.hpp"

namespace nnlab {

RmsProp::RmsProp(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
                 const std::vector<Parameter*>& params)
    : Optimizer(config, values, grads, params),
      square_avg_(Shape{static_cast<int64_t>(values.size())}),
      momentum_(Shape{config.momentum > 0.0f ? static_cast<int64_t>(values.size()) : 0}),
      steps_(Shape{1}) {}

void RmsProp::begin_step(float /*lr*/) { steps_[0] += 1.0f; }

void RmsProp::update(size_t begin, size_t n, const float* g, float lr) {
  float* w = values_.data() + begin;
  float* s = square_avg_.data() + begin;
  const float rho = config_.rho, eps = config_.eps, mu = config_.momentum;
  if (mu == 0.0f) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      s[i] = rho * s[i] + (1.0f - rho) * g[i] * g[i];
      w[i] -= lr * g[i] / (std::sqrt(s[i]) + eps);
    }
    return;
  }
  float* b = momentum_.data() + begin;
#pragma omp simd
  for (size_t i = 0; i < n; ++i) {
    s[i] = rho * s[i] + (1.0f - rho) * g[i] * g[i];
    b[i] = mu * b[i] + g[i] / (std::sqrt(s[i]) + eps);
    w[i] -= lr * b[i];
  }
}

std::vector<Tensor*> RmsProp::own_state() {
  if (momentum_.empty()) return {&square_avg_, &steps_};
  return {&square_avg_, &momentum_, &steps_};
}

}  // namespace nnlab
