#include "optim/schedule.hpp"

#include <gtest/gtest.h>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

TEST(Schedule, ConstantKeepsTheBaseRate) {
  const ScheduleConfig s;
  EXPECT_FLOAT_EQ(learning_rate(s, 0.1f, 0, 10), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.1f, 9, 10), 0.1f);
}

TEST(Schedule, StepMultipliesByGammaEveryStepEpochs) {
  const ScheduleConfig s{.type = "step", .step_epochs = 3, .gamma = 0.5f};
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 0, 10), 0.8f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 2, 10), 0.8f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 3, 10), 0.4f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 6, 10), 0.2f);
  EXPECT_FLOAT_EQ(learning_rate(s, 0.8f, 9, 10), 0.1f);
}

TEST(Schedule, ExponentialDecaysEveryEpoch) {
  const ScheduleConfig s{.type = "exponential", .gamma = 0.9f};
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 0, 10), 1.0f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 1, 10), 0.9f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 3, 10), 0.729f);
}

TEST(Schedule, CosineGoesFromBaseToMinOverTheRun) {
  const ScheduleConfig s{.type = "cosine", .min_lr = 0.1f};
  // 5 epochs: progress 0, 1/4, 1/2, 3/4, 1; cos(pi/4) = 0.70711.
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 0, 5), 1.1f);
  EXPECT_NEAR(learning_rate(s, 1.1f, 1, 5), 0.1 + 0.5 * (1 + 0.7071068), 1e-6);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 2, 5), 0.6f);
  EXPECT_NEAR(learning_rate(s, 1.1f, 3, 5), 0.1 + 0.5 * (1 - 0.7071068), 1e-6);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 4, 5), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.1f, 0, 1), 1.1f);  // a single epoch stays at the base
}

TEST(Schedule, WarmupRampsLinearlyThenTheDecayStarts) {
  const ScheduleConfig s{.type = "cosine", .min_lr = 0.0f, .warmup_epochs = 3};
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 0, 6), 0.25f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 1, 6), 0.5f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 2, 6), 0.75f);
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 3, 6), 1.0f);  // cosine over epochs 3, 4, 5
  EXPECT_FLOAT_EQ(learning_rate(s, 1.0f, 4, 6), 0.5f);
  EXPECT_NEAR(learning_rate(s, 1.0f, 5, 6), 0.0f, 1e-7);
  const ScheduleConfig constant{.warmup_epochs = 1};
  EXPECT_FLOAT_EQ(learning_rate(constant, 0.2f, 0, 6), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(constant, 0.2f, 1, 6), 0.2f);
}

TEST(Schedule, UnknownTypeListsTheKnownOnes) {
  const ScheduleConfig s{.type = "linear"};
  try {
    learning_rate(s, 0.1f, 0, 10);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("linear"), std::string::npos);
    EXPECT_NE(m.find("constant, step, exponential, cosine"), std::string::npos);
  }
  EXPECT_EQ(schedule_types().size(), 4u);
}

}  // namespace
}  // namespace nnlab
