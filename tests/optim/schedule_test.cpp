#include "optim/schedule.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

constexpr SchedulePlan kTenEpochsOfFour{.steps_per_epoch = 4, .total_steps = 40};

TEST(Schedule, ConstantKeepsTheBaseRate) {
  const ScheduleConfig s;
  EXPECT_FLOAT_EQ(learning_rate(s, 0.1f, 0, kTenEpochsOfFour), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.1f, 39, kTenEpochsOfFour), 0.1f);
}

TEST(Schedule, StepMultipliesByGammaEveryStepEpochs) {
  const ScheduleConfig s{.type = "step", .step_epochs = 3, .gamma = 0.5f};
  // Epoch e covers steps 4e .. 4e+3; the rate is constant within an epoch.
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 0, kTenEpochsOfFour), 0.8f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 11, kTenEpochsOfFour), 0.8f);  // epoch 2, last step
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 12, kTenEpochsOfFour), 0.4f);  // epoch 3
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 24, kTenEpochsOfFour), 0.2f);  // epoch 6
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 39, kTenEpochsOfFour), 0.1f);  // epoch 9
}

TEST(Schedule, ExponentialDecaysEveryEpoch) {
  const ScheduleConfig s{.type = "exponential", .gamma = 0.9f};
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 3, kTenEpochsOfFour), 1.0f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 4, kTenEpochsOfFour), 0.9f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 12, kTenEpochsOfFour), 0.729f);
}

TEST(Schedule, CosineMovesEveryStepAndNeverTrainsAtTheMinimum) {
  const ScheduleConfig s{.type = "cosine", .min_lr = 0.1f};
  const SchedulePlan plan{.steps_per_epoch = 2, .total_steps = 4};
  // T_max = 4: progress 0, 1/4, 1/2, 3/4 at the four steps; cos(pi/4) = 0.70711.
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 0, plan), 1.1f);
  EXPECT_NEAR(learning_rate(s, 1.1f, 1, plan), 0.1 + 0.5 * (1 + 0.7071068), 1e-6);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 2, plan), 0.6f);
  EXPECT_NEAR(learning_rate(s, 1.1f, 3, plan), 0.1 + 0.5 * (1 - 0.7071068), 1e-6);
  // The last step of the last epoch still trains above min_lr (the old per-epoch schedule
  // spent the whole last epoch at min_lr).
  EXPECT_GT(learning_rate(s, 1.1f, 3, plan), 0.1f + 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 0, {.steps_per_epoch = 1, .total_steps = 1}), 1.1f);
}

TEST(Schedule, WarmupRampsLinearlyOverStepsThenTheDecayStarts) {
  const ScheduleConfig s{.type = "cosine", .min_lr = 0.0f, .warmup_steps = 3};
  const SchedulePlan plan{.steps_per_epoch = 2, .total_steps = 7};
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 0, plan), 0.25f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 1, plan), 0.5f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 2, plan), 0.75f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 3, plan), 1.0f);  // cosine over steps 3..6, T' = 4
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 5, plan), 0.5f);
  // Warmup epochs count in steps of the plan and add to warmup_steps.
  const ScheduleConfig epochs{.warmup_epochs = 1, .warmup_steps = 1};
  EXPECT_FLOAT_EQ(learning_rate(epochs, 0.4f, 0, plan), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(epochs, 0.4f, 2, plan), 0.3f);
  EXPECT_FLOAT_EQ(learning_rate(epochs, 0.4f, 3, plan), 0.4f);
}

TEST(Schedule, UnknownTypeListsTheKnownOnes) {
  const ScheduleConfig s{.type = "linear"};
  const std::string m = test::error_of([&] { learning_rate(s, 0.1f, 0, kTenEpochsOfFour); });
  EXPECT_NE(m.find("linear"), std::string::npos);
  EXPECT_NE(m.find("constant, step, exponential, cosine"), std::string::npos);
  EXPECT_EQ(schedule_types().size(), 4u);
}

// PyTorch's CosineAnnealingLR(T_max = total steps, eta_min), stepped once per batch, is the
// oracle: the rate of every step of a 3-epoch, 7-steps-per-epoch plan.
constexpr const char* kCosineScript = R"py(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
out, base, eta_min, total = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=base)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=eta_min)
with open(out, "w") as f:
    for _ in range(total):
        f.write(repr(opt.param_groups[0]["lr"]) + "\n")
        opt.step()
        sched.step()
)py";

TEST(Schedule, CosineMatchesPyTorchsCosineAnnealingLRSteppedEveryBatch) {
  const auto path = test::temp_dir() / "torch_lr.txt";
  const SchedulePlan plan{.steps_per_epoch = 7, .total_steps = 21};
  const ScheduleConfig s{.type = "cosine", .min_lr = 1e-4f};
  if (!test::run_oracle(kCosineScript, fmt::format("{} 0.01 0.0001 21", path.string()))) return;
  std::ifstream in(path);
  std::vector<double> torch_lr;
  for (double v; in >> v;) torch_lr.push_back(v);
  ASSERT_EQ(torch_lr.size(), 21u);
  for (int64_t t = 0; t < 21; ++t)
    EXPECT_NEAR(learning_rate(s, 0.01f, t, plan), torch_lr[static_cast<size_t>(t)], 1e-8)
        << "step " << t;
}

}  // namespace
}  // namespace nnlab
