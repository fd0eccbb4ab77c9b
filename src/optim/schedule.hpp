// Learning-rate schedules: pure functions of the global step (STYLE.md rule 10).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab {

struct ScheduleConfig {
  std::string type = "constant";  // constant | step | exponential | cosine
  int step_epochs = 10;           // step: multiply by gamma every step_epochs epochs
  float gamma = 0.1f;             // step, exponential (per epoch)
  float min_lr = 0.0f;            // cosine: the rate the decay approaches at the planned end
  int warmup_epochs = 0;          // any: linear ramp over the first epochs ...
  int64_t warmup_steps = 0;       // ... and/or steps (the two add up)
};

/// The planned course of training the schedule is laid over. It is planned once, before
/// training starts: a run that stops early (early stopping, a refit told to stop at the epoch
/// the validation phase chose) stops on the same curve instead of compressing it.
struct SchedulePlan {
  int64_t steps_per_epoch = 1;  // optimizer steps (batches) in one epoch
  int64_t total_steps = 1;      // planned steps: planned epochs x steps_per_epoch
};

/// The learning rate of 0-based optimizer step `step` of `plan`, from the optimizer's base
/// rate. Warmup step t < W (W = warmup_steps + warmup_epochs x steps_per_epoch) gives
/// base*(t+1)/(W+1). After it, with t' = t - W steps of the T' = total_steps - W that remain:
/// cosine is PyTorch's CosineAnnealingLR with T_max = T' stepped every batch,
/// min + (base - min) (1 + cos(pi t'/T')) / 2, so only the step after the last one would reach
/// min_lr; step and exponential decay once per epoch (base * gamma^(epochs since the warmup,
/// / step_epochs for step)). An unknown type throws with the list of known ones.
float learning_rate(const ScheduleConfig& s, float base_lr, int64_t step, const SchedulePlan& plan);
std::vector<std::string> schedule_types();

}  // namespace nnlab
