#include "eval/evaluate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nn/dense.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

TEST(Histogram, CountsLikeNumpy) {
  const std::vector<float> v{0.0f, 0.1f,  0.5f, 0.99f,
                             1.0f, -0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN()};
  // bins [0, .25) [.25, .5) [.5, .75) [.75, 1]; -0.1, 1.5 and NaN are left out.
  EXPECT_EQ(histogram(v, 4, 0.0f, 1.0f), (std::vector<double>{2, 0, 1, 2}));
  const std::vector<float> zeros(5, 0.0f);
  EXPECT_EQ(histogram(zeros, 3, 0.0f, 0.0f), (std::vector<double>{0, 5, 0}));
  EXPECT_THROW(histogram(v, 0, 0.0f, 1.0f), Error);
  EXPECT_THROW(histogram(v, 4, 1.0f, 0.0f), Error);
}

TEST(InactivePercent, ShareBelowTheThreshold) {
  const std::vector<float> g{0.0f, 1e-6f, -1e-6f, 1e-3f, -2.0f, 1e-5f, 0.5f, 0.0f};
  EXPECT_DOUBLE_EQ(inactive_percent(g, 1e-5f), 50.0);  // 0, 1e-6, -1e-6, 0; 1e-5 is not below
  EXPECT_DOUBLE_EQ(inactive_percent(g, 1.0f), 87.5);
  EXPECT_DOUBLE_EQ(inactive_percent({}, 1.0f), 0.0);
}

// A dense layer with W = I and b = 0 passes the features through, so the logits are the
// features and every number below can be checked by hand.
std::unique_ptr<Model> identity_model(Head head) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Dense>("dense1", 2));
  Rng rng(1);
  auto model = std::make_unique<Model>(test::exec(), Shape{2}, std::move(layers), head, rng);
  std::span<float> w = model->values();
  std::fill(w.begin(), w.end(), 0.0f);
  for (Parameter* p : model->parameters())
    if (p->is_weight) p->value[0] = p->value[3] = 1.0f;
  return model;
}

TEST(Evaluate, ClassifiesInBatchesWithSoftmaxConfidence) {
  Dataset d;
  d.name = "tiny";
  d.sample_shape = {2};
  d.features = {2.0f, 0.0f,   // class 0, predicted 0
                0.0f, 1.0f,   // class 1, predicted 1
                1.0f, 3.0f};  // class 0, predicted 1
  d.labels = {0, 1, 0};
  d.class_names = {"a", "b"};
  auto model = identity_model(Head::softmax);
  auto loss = make_loss("cross_entropy");
  Rng rng(2);
  const std::vector<int64_t> order{2, 0, 1};  // batches {2, 0} and {1}
  const Evaluation ev = evaluate(*model, *loss, d, order, {.batch = 2}, rng);

  auto p_top = [](double gap) { return 1.0 / (1.0 + std::exp(-gap)); };  // two-class softmax
  EXPECT_EQ(ev.count, 3);
  EXPECT_EQ(ev.predicted, (std::vector<int32_t>{1, 0, 1}));
  ASSERT_EQ(ev.confidence.size(), 3u);
  EXPECT_NEAR(ev.confidence[0], p_top(2.0), 1e-6);
  EXPECT_NEAR(ev.confidence[1], p_top(2.0), 1e-6);
  EXPECT_NEAR(ev.confidence[2], p_top(1.0), 1e-6);
  EXPECT_DOUBLE_EQ(ev.accuracy, 2.0 / 3.0);
  const double expected =
      (-std::log(1 - p_top(2.0)) - std::log(p_top(2.0)) - std::log(p_top(1.0))) / 3;
  EXPECT_NEAR(ev.loss, expected, 1e-6);
}

TEST(Evaluate, RegressionScoresAgainstTargets) {
  Dataset d;
  d.name = "tiny-regression";
  d.sample_shape = {2};
  d.features = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
  d.target_dim = 2;
  d.targets = {1.0f, 2.0f, 3.0f, 5.0f, 5.0f, 8.0f};  // squared errors 0, 0, 0, 1, 0, 4
  auto model = identity_model(Head::none);
  auto loss = make_loss("mse");
  Rng rng(2);
  const std::vector<int64_t> all{0, 1, 2};
  const Evaluation ev = evaluate(*model, *loss, d, all, {.task = Task::regress, .batch = 2}, rng);
  EXPECT_EQ(ev.count, 3);
  EXPECT_TRUE(ev.predicted.empty());
  EXPECT_NEAR(ev.loss, 5.0 / 6.0, 1e-6);  // per-batch means 0.25 (x2) and 1.0 (x1), over 3
  EXPECT_NEAR(ev.mse, 5.0 / 6.0, 1e-6);   // the same 5 over 6 values
}

// A reconstruction is scored against the input itself; with binary cross-entropy the MSE is
// that of the probabilities (the sigmoid head applied), not of the logits.
TEST(Evaluate, ReconstructionScoresTheHeadsOutputAgainstTheInput) {
  Dataset d;
  d.name = "tiny-images";
  d.sample_shape = {2};
  d.features = {0.0f, 1.0f, 0.5f, 0.25f};
  auto model = identity_model(Head::sigmoid);  // predictions sigmoid(x)
  auto loss = make_loss("binary_cross_entropy");
  Rng rng(2);
  const std::vector<int64_t> all{0, 1};
  const Evaluation ev =
      evaluate(*model, *loss, d, all, {.task = Task::reconstruct, .batch = 1}, rng);
  double squared = 0, bce = 0;
  for (const float x : d.features) {
    const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    squared += (p - x) * (p - x);
    bce += -x * std::log(p) - (1 - x) * std::log(1 - p);
  }
  EXPECT_NEAR(ev.mse, squared / 4, 1e-6);
  EXPECT_NEAR(ev.loss, bce / 4, 1e-6);
  EXPECT_TRUE(ev.predicted.empty());
}

}  // namespace
}  // namespace nnlab
