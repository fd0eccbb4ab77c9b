#include "optim/schedule.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string_view>

#include "tensor/error.hpp"

namespace nnlab {

namespace {
// A fixed table, not a vector: learning_rate runs once per batch and must not allocate.
constexpr std::array<std::string_view, 4> kTypes = {"constant", "step", "exponential", "cosine"};
}  // namespace

std::vector<std::string> schedule_types() { return {kTypes.begin(), kTypes.end()}; }

float learning_rate(const ScheduleConfig& s, float base_lr, int64_t step,
                    const SchedulePlan& plan) {
  NNLAB_CHECK(std::find(kTypes.begin(), kTypes.end(), s.type) != kTypes.end(),
              "train.schedule.type: unknown schedule \"{}\" (known: {})", s.type,
              fmt::join(kTypes, ", "));
  NNLAB_CHECK(s.warmup_epochs >= 0 && s.warmup_steps >= 0,
              "train.schedule.warmup_epochs and warmup_steps must be >= 0, got {} and {}",
              s.warmup_epochs, s.warmup_steps);
  NNLAB_CHECK(plan.steps_per_epoch > 0 && plan.total_steps > 0 && step >= 0,
              "learning_rate: step {} of a plan of {} steps ({} per epoch)", step, plan.total_steps,
              plan.steps_per_epoch);
  const int64_t warmup = s.warmup_steps + int64_t{s.warmup_epochs} * plan.steps_per_epoch;
  if (step < warmup)
    return static_cast<float>(static_cast<double>(base_lr) * static_cast<double>(step + 1) /
                              static_cast<double>(warmup + 1));

  // The decay starts where the warmup ends, over the steps left after it.
  const int64_t t = step - warmup;
  const int64_t total = std::max<int64_t>(plan.total_steps - warmup, 1);
  const int64_t epochs_done = t / plan.steps_per_epoch;
  if (s.type == "step") {
    NNLAB_CHECK(s.step_epochs > 0, "train.schedule.step_epochs must be > 0, got {}", s.step_epochs);
    return base_lr * std::pow(s.gamma, static_cast<float>(epochs_done / s.step_epochs));
  }
  if (s.type == "exponential") return base_lr * std::pow(s.gamma, static_cast<float>(epochs_done));
  if (s.type == "cosine") {
    const double progress = std::min(1.0, static_cast<double>(t) / static_cast<double>(total));
    const double c = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return static_cast<float>(s.min_lr + (base_lr - s.min_lr) * c);
  }
  return base_lr;  // constant
}

}  // namespace nnlab
