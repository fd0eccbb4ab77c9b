#include "optim/optimizer.hpp"

#include <cstdint>
#include <utility>

#include "tensor/error.hpp"

namespace nnlab {

Optimizer::Optimizer(OptimizerConfig config, std::span<float> values, std::span<float> grads,
                     const std::vector<Parameter*>& params)
    : config_(std::move(config)), values_(values), grads_(grads) {
  NNLAB_CHECK(values.size() == grads.size(), "optimizer: {} parameter values but {} gradients",
              values.size(), grads.size());
  const float* begin = values.data();
  const float* end = begin + values.size();
  for (const Parameter* p : params) {
    if (!p->is_weight || p->value.empty()) continue;
    const float* data = p->value.data();
    // Comparing pointers into different arrays is unspecified, so go through integers.
    const auto addr = reinterpret_cast<uintptr_t>(data);
    NNLAB_CHECK(addr >= reinterpret_cast<uintptr_t>(begin) &&
                    addr + static_cast<uintptr_t>(p->value.size()) * sizeof(float) <=
                        reinterpret_cast<uintptr_t>(end),
                "optimizer: parameter {} does not lie inside the parameter arena", p->name);
    const auto offset = static_cast<size_t>(data - begin);
    weights_.push_back(values_.subspan(offset, static_cast<size_t>(p->value.size())));
    weight_grads_.push_back(grads_.subspan(offset, static_cast<size_t>(p->value.size())));
  }
}

void Optimizer::apply_weight_decay(float lr) {
  const float wd = config_.weight_decay;
  if (wd == 0.0f) return;
  if (config_.decay == WeightDecay::coupled) {
    // PyTorch's Adam, SGD, RMSprop: grad = grad.add(param, alpha=wd), before the update.
    for (size_t k = 0; k < weights_.size(); ++k) {
      const float* w = weights_[k].data();
      float* g = weight_grads_[k].data();
      const size_t n = weights_[k].size();
#pragma omp parallel for simd if (n > (1 << 16))
      for (size_t i = 0; i < n; ++i) g[i] += wd * w[i];
    }
    return;
  }
  // PyTorch's AdamW: p.mul_(1 - lr * wd), before the gradient update.
  const float keep = 1.0f - lr * wd;
  for (std::span<float> w : weights_) {
    float* p = w.data();
    const size_t n = w.size();
#pragma omp parallel for simd if (n > (1 << 16))
    for (size_t i = 0; i < n; ++i) p[i] *= keep;
  }
}

}  // namespace nnlab
