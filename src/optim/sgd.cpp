#include "optim/optimizers.hpp"

namespace nnlab {

Sgd::Sgd(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
         const std::vector<Parameter*>& params)
    : Optimizer(config, values, grads, params),
      velocity_(Shape{config.momentum > 0.0f ? static_cast<int64_t>(values.size()) : 0}),
      steps_(Shape{1}) {}

void Sgd::step(float lr) {
  apply_weight_decay(lr);
  float* w = values_.data();
  const float* g = grads_.data();
  const size_t n = values_.size();
  const float mu = config_.momentum;
  if (mu == 0.0f) {
#pragma omp parallel for simd if (n > (1 << 16))
    for (size_t i = 0; i < n; ++i) w[i] -= lr * g[i];
  } else {
    // PyTorch starts the buffer at g; with a zero buffer mu*0 + g is the same thing.
    float* v = velocity_.data();
    if (config_.nesterov) {
#pragma omp parallel for simd if (n > (1 << 16))
      for (size_t i = 0; i < n; ++i) {
        v[i] = mu * v[i] + g[i];
        w[i] -= lr * (g[i] + mu * v[i]);
      }
    } else {
#pragma omp parallel for simd if (n > (1 << 16))
      for (size_t i = 0; i < n; ++i) {
        v[i] = mu * v[i] + g[i];
        w[i] -= lr * v[i];
      }
    }
  }
  steps_[0] += 1.0f;
}

std::vector<Tensor*> Sgd::state() {
  if (velocity_.empty()) return {&steps_};
  return {&velocity_, &steps_};
}

}  // namespace nnlab
