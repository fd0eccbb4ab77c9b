// Upsample: finite-difference gradients, forward and dx against PyTorch (interpolate with
// scale_factor, nearest and bilinear with align_corners=False, float64, within 1e-4 relative),
// exact nearest values, bad inputs, batch-size changes and ctx.input_grad = false.
#include "nn/upsample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gradient_check.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

LayerPtr upsample(int64_t scale, UpsampleMode mode = UpsampleMode::nearest) {
  return std::make_unique<Upsample>("upsample1", scale, mode);
}

std::unique_ptr<Model> upsample_model(const Shape& sample, LayerPtr layer) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::move(layer));
  Rng init(1);
  return std::make_unique<Model>(test::exec(), sample, std::move(layers), Head::none, init);
}

TEST(UpsampleGradients, NearestTwo) {
  expect_layer_gradients(upsample(2), random_tensor({2, 3, 4, 5}, 1));
}

TEST(UpsampleGradients, NearestThreeManyChannels) {
  expect_layer_gradients(upsample(3), random_tensor({1, 16, 2, 3}, 2));
}

TEST(UpsampleGradients, BilinearTwo) {
  expect_layer_gradients(upsample(2, UpsampleMode::bilinear), random_tensor({2, 2, 3, 4}, 3));
}

TEST(UpsampleGradients, BilinearThreeManyChannels) {
  expect_layer_gradients(upsample(3, UpsampleMode::bilinear), random_tensor({1, 17, 3, 2}, 4));
}

TEST(UpsampleGradients, ScaleOneIsTheIdentity) {
  expect_layer_gradients(upsample(1, UpsampleMode::bilinear), random_tensor({2, 2, 3, 3}, 5));
}

// Reads x [N, C, H, W] and r (shaped like y); writes y = interpolate(x) and the gradient of
// sum(y * r) with respect to x, flattened row-major, one per line.
constexpr const char* kUpsampleScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d, mode = sys.argv[1], sys.argv[2]
n, c, h, w, scale = (int(v) for v in sys.argv[3:8])
def load(name):
    return torch.tensor([float(v) for v in open(f"{d}/{name}").read().split()], dtype=torch.float64)
x = load("x.txt").reshape(n, c, h, w).requires_grad_()
extra = {} if mode == "nearest" else {"align_corners": False}
y = torch.nn.functional.interpolate(x, scale_factor=scale, mode=mode, **extra)
y.backward(load("r.txt").reshape(y.shape))
with open(f"{d}/out.txt", "w") as out:
    for t in (y, x.grad):
        out.write(" ".join(repr(v) for v in t.reshape(-1).tolist()) + "\n")
)";

void expect_matches_torch(UpsampleMode mode, const Shape& shape, int64_t scale) {
  const auto dir = temp_dir();
  auto model = upsample_model({shape[1], shape[2], shape[3]}, upsample(scale, mode));
  const Tensor x = random_tensor(shape, 5);
  Rng rng(6);
  Pass pass;
  const Tensor& y = model->forward(x, Mode::train, rng, pass);
  const Tensor r = random_tensor(y.shape(), 7);
  write_floats(dir / "x.txt", x.span());
  write_floats(dir / "r.txt", r.span());
  if (!run_oracle(kUpsampleScript,
                  fmt::format("{} {} {} {}", dir.string(), upsample_mode_name(mode),
                              fmt::join(shape, " "), scale)))
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

TEST(UpsampleTorch, NearestTwo) { expect_matches_torch(UpsampleMode::nearest, {2, 3, 4, 5}, 2); }

TEST(UpsampleTorch, NearestThreeManyChannels) {
  expect_matches_torch(UpsampleMode::nearest, {1, 17, 3, 2}, 3);
}

TEST(UpsampleTorch, BilinearTwo) { expect_matches_torch(UpsampleMode::bilinear, {2, 3, 4, 5}, 2); }

TEST(UpsampleTorch, BilinearThreeManyChannels) {
  expect_matches_torch(UpsampleMode::bilinear, {2, 16, 3, 5}, 3);
}

TEST(UpsampleTorch, BilinearFourTinyImage) {
  expect_matches_torch(UpsampleMode::bilinear, {1, 1, 2, 3}, 4);
}

TEST(Upsample, NearestRepeatsEachValue) {
  auto model = upsample_model({1, 2, 2}, upsample(2));
  Tensor x({1, 1, 2, 2});
  for (int64_t i = 0; i < 4; ++i) x[i] = static_cast<float>(i + 1);
  Rng rng(1);
  Pass pass;
  const Tensor& y = model->forward(x, Mode::eval, rng, pass);
  const std::vector<float> want = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  ASSERT_EQ(y.shape(), (Shape{1, 1, 4, 4}));
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(y[i], want[static_cast<size_t>(i)]) << i;
}

TEST(Upsample, ModesAndDescriptions) {
  EXPECT_EQ(Upsample("u", 2).describe(), "upsample(2, nearest)");
  EXPECT_EQ(Upsample("u", 3, UpsampleMode::bilinear).describe(), "upsample(3, bilinear)");
  EXPECT_EQ(upsample_mode("bilinear"), UpsampleMode::bilinear);
  EXPECT_EQ(error_of([] { upsample_mode("bicubic"); }),
            "unknown upsample mode 'bicubic'; known modes: nearest, bilinear");
}

TEST(Upsample, RejectsBadInputs) {
  EXPECT_EQ(error_of([] { upsample_model({16}, upsample(2)); }),
            "upsample layer 'upsample1' expects a per-sample input [C, H, W], got [16]; put a "
            "reshape layer first, e.g. {type=\"reshape\", shape=[32, 7, 7]}");
  EXPECT_EQ(error_of([] {
              upsample_model({1, 40000, 2}, upsample(2));
            }),
            "upsample layer 'upsample1': scale 2 of the input [1, 40000, 2] gives an output out "
            "of range (channels in [1, 65536], each output side in [1, 65536])");
  EXPECT_EQ(error_of([] { Upsample("u", 0); }),
            "upsample layer 'u': scale must be an integer in [1, 64], got 0");
  EXPECT_NE(error_of([] { Upsample("u", 65); }).find("got 65"), std::string::npos);
}

TEST(Upsample, EvalModeMatchesTrainAndBatchSizesMix) {
  auto model = upsample_model({2, 3, 4}, upsample(2, UpsampleMode::bilinear));
  Rng rng(1);
  Pass pass;
  const Tensor x4 = random_tensor({4, 2, 3, 4}, 2), dy4 = random_tensor({4, 2, 6, 8}, 3);
  const Tensor y4 = model->forward(x4, Mode::train, rng, pass);
  model->backward(pass, dy4, true);
  const Tensor dx4 = pass.input_gradient();
  Tensor x3({3, 2, 3, 4}), dy3({3, 2, 6, 8});
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

TEST(Upsample, SkipsTheInputGradientWhenNotAsked) {
  auto model = upsample_model({1, 2, 2}, upsample(2));
  Rng rng(1);
  LayerContext ctx;
  ctx.exec = &test::exec();
  ctx.rng = &rng;
  const Tensor x = random_tensor({1, 1, 2, 2}, 2);
  model->layer(0).forward(x, ctx);
  ctx.input_grad = false;
  model->layer(0).backward(ctx, random_tensor({1, 1, 4, 4}, 3));
  EXPECT_TRUE(ctx.dx.empty());
}

}  // namespace
}  // namespace nnlab::test
