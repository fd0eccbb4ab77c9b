#include "nn/loss.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "gradient_check.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

TEST(Loss, CrossEntropyGradient) {
  const auto loss = make_loss("cross_entropy");
  EXPECT_EQ(loss->head(), Head::softmax);
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
  EXPECT_EQ(loss->head(), Head::sigmoid);
  Tensor z({3, 4}), target({3, 4});
  Rng rng(4);
  rng.fill_uniform(z.span(), -4.0f, 4.0f);  // logits
  rng.fill_uniform(target.span(), 0.0f, 1.0f);
  expect_loss_gradient(*loss, z, {.labels = {}, .values = &target}, {.eps = 1e-3});
}

// On logits the loss and its gradient stay exact at saturation: a logit of -40 with target 1
// costs 40 and gets the full gradient -1/M, where a clamped probability gave 1e-10 of it.
TEST(Loss, BinaryCrossEntropyKeepsItsGradientAtSaturation) {
  const auto loss = make_loss("binary_cross_entropy");
  Tensor z({1, 2}), target({1, 2});
  z[0] = -40.0f;
  target[0] = 1.0f;
  z[1] = 60.0f;
  target[1] = 1.0f;
  Tensor dout;
  const double l = loss->compute(z, {.labels = {}, .values = &target}, &dout);
  EXPECT_NEAR(l, (40.0 + std::log1p(std::exp(-40.0)) + std::log1p(std::exp(-60.0))) / 2, 1e-9);
  EXPECT_NEAR(dout[0], -0.5f, 1e-7f);
  EXPECT_NEAR(dout[1], 0.0f, 1e-7f);
  EXPECT_TRUE(std::isfinite(l));
}

// Binary cross-entropy in one pass of float arithmetic, against the same formulas in double:
// every logit a float step apart over [-100, 100] and beyond, soft targets; the gradient of
// each element within a few float ulps, the mean loss within 1e-6 of its value.
TEST(Loss, BinaryCrossEntropyMatchesDoublePrecisionOverEveryRangeOfLogits) {
  const int64_t rows = 400, cols = 1000, m = rows * cols;
  Tensor z({rows, cols}), target({rows, cols});
  for (int64_t i = 0; i < m; ++i) {
    z[i] = -100.0f + 200.0f * static_cast<float>(i) / static_cast<float>(m);
    target[i] = static_cast<float>(i % 11) / 10.0f;  // 0, 0.1, ..., 1: ends included
  }
  z[0] = -1e30f;
  z[1] = 1e30f;
  Tensor dout;
  const double loss =
      make_loss("binary_cross_entropy")->compute(z, {.labels = {}, .values = &target}, &dout);
  double want = 0.0, worst_ulps = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    const double x = z[i], t = target[i];
    const double softplus = std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));
    want += softplus - x * t;
    const double g = (1.0 / (1.0 + std::exp(-x)) - t) / static_cast<double>(m);
    // In float ulps of the gradient's scale, 1 / M (where sigmoid(z) - t cancels to 0, an
    // absolute bound is the meaningful one).
    const double spacing =
        std::max(static_cast<double>(std::nextafter(static_cast<float>(std::abs(g)), 1.0f)) -
                     static_cast<double>(static_cast<float>(std::abs(g))),
                 std::ldexp(1.0, -24) / static_cast<double>(m));
    worst_ulps = std::max(worst_ulps, std::abs(static_cast<double>(dout[i]) - g) / spacing);
  }
  want /= static_cast<double>(m);
  EXPECT_NEAR(loss, want, 1e-6 * want);
  EXPECT_LE(worst_ulps, 4.0);
}

// The loss and its gradient have the same bits for one thread and two (the sum goes in chunks
// of fixed bounds), on a batch large enough to be threaded.
TEST(Loss, LossesGiveTheSameBitsForAnyThreadCount) {
  const Tensor out = random_tensor({256, 1092}, 11, 8.0f);
  Tensor target = random_tensor({256, 1092}, 12, 0.5f);
  for (int64_t i = 0; i < target.size(); ++i) target[i] += 0.5f;
  for (const char* name : {"binary_cross_entropy", "mse"}) {
    const auto loss = make_loss(name);
    Tensor d1, d2;
    const int before = omp_get_max_threads();
    omp_set_num_threads(1);
    const double one = loss->compute(out, {.labels = {}, .values = &target}, &d1);
    omp_set_num_threads(2);
    const double two = loss->compute(out, {.labels = {}, .values = &target}, &d2);
    omp_set_num_threads(before);
    EXPECT_EQ(one, two) << name;
    EXPECT_TRUE(std::equal(d1.span().begin(), d1.span().end(), d2.span().begin())) << name;
    // Without a gradient to write, the same loss.
    EXPECT_EQ(loss->compute(out, {.labels = {}, .values = &target}, nullptr), one) << name;
  }
}

// BCEWithLogitsLoss of PyTorch on logits up to |z| = 50, soft targets included.
constexpr const char* kBceScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d = sys.argv[1]
z = torch.tensor([float(v) for v in open(f"{d}/z.txt").read().split()], dtype=torch.float64)
t = torch.tensor([float(v) for v in open(f"{d}/t.txt").read().split()], dtype=torch.float64)
z.requires_grad_()
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, t)
loss.backward()
with open(f"{d}/out.txt", "w") as out:
    out.write(repr(loss.item()) + "\n" + " ".join(repr(v) for v in z.grad.tolist()) + "\n")
)";

TEST(Loss, BinaryCrossEntropyMatchesTorchWithLogits) {
  const std::vector<float> logits = {-50, -20, -3.5f, -0.25f, 0, 0.5f, 4, 17, 50, -50, 50, 2};
  const std::vector<float> targets = {1, 0, 0.3f, 1, 0.5f, 0, 1, 0.9f, 0, 0, 1, 0.2f};
  const auto dir = temp_dir();
  write_floats(dir / "z.txt", logits);
  write_floats(dir / "t.txt", targets);
  if (!run_oracle(kBceScript, dir.string())) return;
  Tensor z({3, 4}), target({3, 4});
  std::copy(logits.begin(), logits.end(), z.data());
  std::copy(targets.begin(), targets.end(), target.data());
  Tensor dout;
  const double ours =
      make_loss("binary_cross_entropy")->compute(z, {.labels = {}, .values = &target}, &dout);
  std::ifstream in(dir / "out.txt");
  double torch_loss = NAN;
  in >> torch_loss;
  expect_near_torch(ours, torch_loss, "loss");
  for (int64_t i = 0; i < z.size(); ++i) {
    double g = NAN;
    in >> g;
    expect_near_torch(dout[i], g, fmt::format("dz[{}]", i));
  }
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
