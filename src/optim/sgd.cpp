#include "optim/optimizers.hpp"

namespace nnlab {

Sgd::Sgd(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
         const std::vector<Parameter*>& params)
    : Optimizer(config, values, grads, params),
      velocity_(Shape{config.momentum > 0.0f ? static_cast<int64_t>(values.size()) : 0}),
      steps_(Shape{1}) {}

void Sgd::begin_step(float /*lr*/) { steps_[0] += 1.0f; }

void Sgd::update(size_t begin, size_t n, const float* g, float lr) {
  float* w = values_.data() + begin;
  const float mu = config_.momentum;
  if (mu == 0.0f) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) w[i] -= lr * g[i];
    return;
  }
  // PyTorch starts the buffer at g; with a zero buffer mu*0 + g is the same thing.
  float* v = velocity_.data() + begin;
  if (config_.nesterov) {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * (g[i] + mu * v[i]);
    }
  } else {
#pragma omp simd
    for (size_t i = 0; i < n; ++i) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * v[i];
    }
  }
}

std::vector<Tensor*> Sgd::own_state() {
  if (velocity_.empty()) return {&steps_};
  return {&velocity_, &steps_};
}

}  // namespace nnlab
