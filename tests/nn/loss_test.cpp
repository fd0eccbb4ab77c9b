#include "nn/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_check.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

TEST(Loss, CrossEntropyGradient) {
  const auto loss = make_loss("cross_entropy");
  EXPECT_TRUE(loss->fuses_softmax());
  const std::vector<int32_t> labels = {2, 0, 1, 2};
  expect_loss_gradient(*loss, random_tensor({4, 3}, 1, 2.0f), {.labels = labels});
}

TEST(Loss, CrossEntropyIsStableForHugeLogits) {
  const auto loss = make_loss("cross_entropy");
  Tensor out({1, 3});
  out[0] = 1000.0f;
  out[1] = 0.0f;
  out[2] = -1000.0f;
  const std::vector<int32_t> labels = {1};
  Tensor dout;
  const double l = loss->compute(out, {.labels = labels}, &dout);
  EXPECT_NEAR(l, 1000.0, 1e-3);
  EXPECT_NEAR(dout[0], 1.0f, 1e-6f);
  EXPECT_NEAR(dout[1], -1.0f, 1e-6f);
}

TEST(Loss, CrossEntropyOfUniformLogitsIsLogK) {
  const auto loss = make_loss("cross_entropy");
  Tensor out({2, 10});
  const std::vector<int32_t> labels = {3, 9};
  EXPECT_NEAR(loss->compute(out, {.labels = labels}, nullptr), std::log(10.0), 1e-6);
}

TEST(Loss, SmoothedCrossEntropyGradient) {
  const auto loss = make_loss("cross_entropy", 0.1f);
  const std::vector<int32_t> labels = {2, 0, 1, 2};
  expect_loss_gradient(*loss, random_tensor({4, 3}, 1, 2.0f), {.labels = labels});
}

// With smoothing e the target is (1 - e) onehot + e / K, so the loss is (1 - e) times the
// plain loss of the label plus e times the mean of the plain losses of every class.
TEST(Loss, SmoothedCrossEntropyMixesThePlainLossesOfEveryClass) {
  const float e = 0.2f;
  const auto plain = make_loss("cross_entropy");
  const auto smoothed = make_loss("cross_entropy", e);
  const Tensor out = random_tensor({1, 4}, 6, 3.0f);
  const std::vector<int32_t> label = {1};
  double mean_over_classes = 0;
  for (int32_t c = 0; c < 4; ++c) {
    const std::vector<int32_t> other = {c};
    mean_over_classes += plain->compute(out, {.labels = other}, nullptr) / 4;
  }
  const double expected =
      (1 - e) * plain->compute(out, {.labels = label}, nullptr) + e * mean_over_classes;
  EXPECT_NEAR(smoothed->compute(out, {.labels = label}, nullptr), expected, 1e-6);
}

TEST(Loss, LabelSmoothingIsForCrossEntropyOnly) {
  EXPECT_THROW(make_loss("mse", 0.1f), Error);
  EXPECT_THROW(make_loss("cross_entropy", 1.0f), Error);
}

TEST(Loss, MseGradient) {
  const auto loss = make_loss("mse");
  const Tensor target = random_tensor({3, 4}, 2);
  expect_loss_gradient(*loss, random_tensor({3, 4}, 3), {.labels = {}, .values = &target});
}

TEST(Loss, BinaryCrossEntropyGradient) {
  const auto loss = make_loss("binary_cross_entropy");
  Tensor p({3, 4}), target({3, 4});
  Rng rng(4);
  rng.fill_uniform(p.span(), 0.1f, 0.9f);
  rng.fill_uniform(target.span(), 0.0f, 1.0f);
  expect_loss_gradient(*loss, p, {.labels = {}, .values = &target}, {.eps = 1e-4});
}

TEST(Loss, BadTargetsThrowClearly) {
  const auto ce = make_loss("cross_entropy");
  const std::vector<int32_t> labels = {0, 5};
  try {
    ce->compute(Tensor({2, 3}), {.labels = labels}, nullptr);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 5"), std::string::npos) << e.what();
  }
  const auto mse = make_loss("mse");
  const Tensor wrong({2, 4});
  try {
    mse->compute(Tensor({2, 3}), {.labels = {}, .values = &wrong}, nullptr);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
  }
}

TEST(Loss, UnknownNameListsKnownOnes) {
  try {
    make_loss("hinge");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("binary_cross_entropy"), std::string::npos);
  }
}

}  // namespace
}  // namespace nnlab::test
