// Learning-rate schedules: pure functions of the epoch (STYLE.md rule 10).
#pragma once

#include <string>
#include <vector>

namespace nnlab {

struct ScheduleConfig {
  std::string type = "constant";  // constant | step | exponential | cosine
  int step_epochs = 10;           // step: multiply by gamma every step_epochs epochs
  float gamma = 0.1f;             // step, exponential (per epoch)
  float min_lr = 0.0f;            // cosine: the rate reached at the last epoch
  int warmup_epochs = 0;          // any: linear ramp from lr/(warmup+1) over the first epochs
};

/// The learning rate for 0-based `epoch` of `total_epochs`, from the optimizer's base rate.
/// Warmup epoch e < W gives base*(e+1)/(W+1); the decay then counts epochs from the end of the
/// warmup over the total_epochs - W that remain (cosine reaches min_lr at the last epoch).
/// An unknown type throws with the list of known ones.
float learning_rate(const ScheduleConfig& s, float base_lr, int epoch, int total_epochs);
std::vector<std::string> schedule_types();

}  // namespace nnlab
