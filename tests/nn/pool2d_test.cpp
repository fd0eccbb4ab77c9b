// Pool2d (max_pool, avg_pool): finite-difference gradients, forward and dx against PyTorch
// (max_pool2d, avg_pool2d with count_include_pad=True, float64, within 1e-4 relative), bad
// inputs and batch-size changes.
#include "nn/pool2d.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gradient_check.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

LayerPtr pool(PoolKind kind, int64_t size, int64_t stride = 0, int64_t padding = 0) {
  return std::make_unique<Pool2d>("pool1", kind, size, stride, padding);
}

std::unique_ptr<Model> pool_model(const Shape& sample, LayerPtr layer) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::move(layer));
  Rng init(1);
  return std::make_unique<Model>(test::exec(), sample, std::move(layers), Head::none, init);
}

// Max pooling's gradient jumps where two values of a window tie; these seeds' random normals
// have no two values of a window within the checker's eps of each other.
TEST(Pool2dGradients, MaxNonSquare) {
  expect_layer_gradients(pool(PoolKind::max, 2), random_tensor({2, 3, 6, 4}, 1));
}

TEST(Pool2dGradients, MaxOverlappingPadded) {
  expect_layer_gradients(pool(PoolKind::max, 3, 2, 1), random_tensor({2, 2, 7, 5}, 2));
}

TEST(Pool2dGradients, AvgOverlappingPadded) {
  expect_layer_gradients(pool(PoolKind::avg, 3, 2, 1), random_tensor({2, 2, 7, 5}, 3));
}

TEST(Pool2dGradients, AvgStrideOneOddSize) {
  expect_layer_gradients(pool(PoolKind::avg, 2, 1), random_tensor({1, 3, 5, 6}, 4));
}

// Reads x [N, C, H, W] and r (shaped like y); writes y and the gradient of sum(y * r) with
// respect to x, flattened row-major, one per line.
constexpr const char* kPool2dScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d, kind = sys.argv[1], sys.argv[2]
n, c, h, w, size, stride, padding = (int(v) for v in sys.argv[3:10])
def load(name):
    return torch.tensor([float(v) for v in open(f"{d}/{name}").read().split()], dtype=torch.float64)
x = load("x.txt").reshape(n, c, h, w).requires_grad_()
f = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
y = f(x, size, stride, padding)
y.backward(load("r.txt").reshape(y.shape))
with open(f"{d}/out.txt", "w") as out:
    for t in (y, x.grad):
        out.write(" ".join(repr(v) for v in t.reshape(-1).tolist()) + "\n")
)";

void expect_matches_torch(PoolKind kind, const Shape& shape, int64_t size, int64_t stride,
                          int64_t padding) {
  const auto dir = temp_dir();
  auto model = pool_model({shape[1], shape[2], shape[3]}, pool(kind, size, stride, padding));
  const Tensor x = random_tensor(shape, 5);
  Rng rng(6);
  Pass pass;
  const Tensor& y = model->forward(x, Mode::train, rng, pass);
  const Tensor r = random_tensor(y.shape(), 7);
  write_floats(dir / "x.txt", x.span());
  write_floats(dir / "r.txt", r.span());
  if (!run_oracle(kPool2dScript, fmt::format("{} {} {} {} {} {}", dir.string(),
                                             kind == PoolKind::max ? "max" : "avg",
                                             fmt::join(shape, " "), size, stride, padding)))
    return;

  model->backward(pass, r, true);

  const Tensor& dx = pass.input_gradient();
  std::ifstream in(dir / "out.txt");
  auto next = [&] {
    double v = NAN;
    in >> v;
    return v;
  };
  for (int64_t i = 0; i < y.size(); ++i) expect_near_torch(y[i], next(), "y");
  for (int64_t i = 0; i < dx.size(); ++i) expect_near_torch(dx[i], next(), "dx");
  ASSERT_TRUE(in.good()) << "short oracle output";
}

TEST(Pool2dTorch, Max2x2) { expect_matches_torch(PoolKind::max, {2, 3, 8, 6}, 2, 2, 0); }

TEST(Pool2dTorch, MaxOverlappingPaddedOddInput) {
  expect_matches_torch(PoolKind::max, {2, 2, 7, 9}, 3, 2, 1);
}

TEST(Pool2dTorch, AvgCountsPaddingLikePyTorch) {
  expect_matches_torch(PoolKind::avg, {2, 2, 7, 9}, 3, 2, 1);
}

TEST(Pool2dTorch, AvgFloorsTheOutputSize) {
  expect_matches_torch(PoolKind::avg, {1, 17, 5, 7}, 2, 2, 0);
}

TEST(Pool2d, KindsAndDescriptions) {
  EXPECT_EQ(Pool2d("p", PoolKind::max, 2).kind(), "max_pool");
  EXPECT_EQ(Pool2d("p", PoolKind::avg, 2).kind(), "avg_pool");
  EXPECT_EQ(Pool2d("p", PoolKind::max, 2).describe(), "max_pool(2)");
  EXPECT_EQ(Pool2d("p", PoolKind::avg, 3, 2, 1).describe(), "avg_pool(3, stride 2, pad 1)");
}

TEST(Pool2d, RejectsBadInputs) {
  EXPECT_EQ(error_of([] { pool_model({16}, pool(PoolKind::max, 2)); }),
            "max_pool layer 'pool1' expects a per-sample input [C, H, W], got [16]; put a "
            "reshape layer first, e.g. {type=\"reshape\", shape=[1, 28, 28]}");
  EXPECT_EQ(error_of([] {
              pool_model({1, 4, 2}, pool(PoolKind::avg, 3));
            }),
            "avg_pool layer 'pool1': a 3x3 window with padding 0 does not fit the input [1, 4, 2]");
  EXPECT_EQ(error_of([] { Pool2d("p", PoolKind::max, 2, 2, 2); }),
            "max_pool layer 'p': padding must be in [0, size / 2] = [0, 1], got 2");
  EXPECT_NE(error_of([] { Pool2d("p", PoolKind::max, 0); }).find("size must be > 0, got 0"),
            std::string::npos);
}

TEST(Pool2d, EvalModeMatchesTrainAndBatchSizesMix) {
  auto model = pool_model({2, 6, 6}, pool(PoolKind::max, 2));
  Rng rng(1);
  Pass pass;
  const Tensor x4 = random_tensor({4, 2, 6, 6}, 2), dy4 = random_tensor({4, 2, 3, 3}, 3);
  const Tensor y4 = model->forward(x4, Mode::train, rng, pass);
  model->backward(pass, dy4, true);
  const Tensor dx4 = pass.input_gradient();
  Tensor x3({3, 2, 6, 6}), dy3({3, 2, 3, 3});
  std::copy_n(x4.data(), x3.size(), x3.data());
  std::copy_n(dy4.data(), dy3.size(), dy3.data());
  for (Mode mode : {Mode::eval, Mode::train}) {
    const Tensor& y3 = model->forward(x3, mode, rng, pass);
    for (int64_t i = 0; i < y3.size(); ++i) ASSERT_EQ(y3[i], y4[i]) << i;
  }
  model->backward(pass, dy3, true);
  const Tensor& dx3 = pass.input_gradient();
  for (int64_t i = 0; i < dx3.size(); ++i) ASSERT_EQ(dx3[i], dx4[i]) << i;
}

TEST(Pool2d, MaxBackwardNeedsATrainingForward) {
  auto model = pool_model({1, 4, 4}, pool(PoolKind::max, 2));
  Rng rng(1);
  Pass pass;
  model->forward(random_tensor({1, 1, 4, 4}, 2), Mode::eval, rng, pass);
  EXPECT_NE(error_of([&] {
              // A pool-only model's backward runs only for the input gradient.
              model->backward(pass, random_tensor({1, 1, 2, 2}, 3), true);
            }).find("backward needs a forward pass in training mode"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab::test
