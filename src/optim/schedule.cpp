#include "optim/schedule.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tensor/error.hpp"

namespace nnlab {

std::vector<std::string> schedule_types() { return {"constant", "step", "exponential", "cosine"}; }

float learning_rate(const ScheduleConfig& s, float base_lr, int epoch, int total_epochs) {
  const auto known = schedule_types();
  NNLAB_CHECK(std::find(known.begin(), known.end(), s.type) != known.end(),
              "train.schedule.type: unknown schedule \"{}\" (known: {})", s.type,
              fmt::join(known, ", "));
  NNLAB_CHECK(s.warmup_epochs >= 0, "train.schedule.warmup_epochs must be >= 0, got {}",
              s.warmup_epochs);
  if (epoch < s.warmup_epochs)
    return base_lr * static_cast<float>(epoch + 1) / static_cast<float>(s.warmup_epochs + 1);

  // The decay starts where the warmup ends, over the epochs left after it.
  const int e = epoch - s.warmup_epochs;
  const int total = std::max(total_epochs - s.warmup_epochs, 1);
  if (s.type == "step") {
    NNLAB_CHECK(s.step_epochs > 0, "train.schedule.step_epochs must be > 0, got {}", s.step_epochs);
    return base_lr * std::pow(s.gamma, static_cast<float>(e / s.step_epochs));
  }
  if (s.type == "exponential") return base_lr * std::pow(s.gamma, static_cast<float>(e));
  if (s.type == "cosine") {
    if (total <= 1) return base_lr;
    const double progress = std::min(1.0, static_cast<double>(e) / (total - 1));
    const double c = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return static_cast<float>(s.min_lr + (base_lr - s.min_lr) * c);
  }
  return base_lr;  // constant
}

}  // namespace nnlab
