// Conv2d: finite-difference gradients, forward and gradients against PyTorch
// (torch.nn.functional.conv2d in float64, within 1e-4 relative), bad inputs, the per-batch-size
// primitive cache, max-norm per filter, and a small CNN that learns.
#include "nn/conv2d.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gradient_check.hpp"
#include "nn/activation_layer.hpp"
#include "nn/dense.hpp"
#include "nn/dnnl_util.hpp"
#include "nn/flatten.hpp"
#include "nn/loss.hpp"
#include "nn/pool2d.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

LayerPtr conv(int64_t filters, int64_t kernel, Conv2dOptions opt = {}) {
  return std::make_unique<Conv2d>("conv1", filters, kernel, opt);
}

/// A one-layer model around a Conv2d for a per-sample input shape.
struct ConvModel {
  std::unique_ptr<Model> model;
  Conv2d* layer;
};

ConvModel conv_model(const Shape& sample, int64_t filters, int64_t kernel, Conv2dOptions opt = {}) {
  std::vector<LayerPtr> layers;
  layers.push_back(conv(filters, kernel, opt));
  Rng init(3);
  ConvModel m{std::make_unique<Model>(test::exec(), sample, std::move(layers), Head::none, init),
              nullptr};
  m.layer = &static_cast<Conv2d&>(m.model->layer(0));
  Rng rng(4);
  rng.fill_normal(m.layer->bias().value.span(), 0.0f, 0.5f);  // a nonzero bias tests y and db
  return m;
}

TEST(Conv2dGradients, PaddedNonSquareInput) {
  expect_layer_gradients(conv(3, 3, {.padding = 1}), random_tensor({2, 2, 5, 6}, 1));
}

TEST(Conv2dGradients, StrideTwo) {
  expect_layer_gradients(conv(2, 3, {.stride = 2}), random_tensor({2, 3, 7, 5}, 2));
}

TEST(Conv2dGradients, StrideTwoWithPadding) {
  expect_layer_gradients(conv(2, 2, {.stride = 2, .padding = 1}), random_tensor({1, 2, 5, 4}, 3));
}

TEST(Conv2dGradients, SamePaddingEvenKernel) {
  // A 4x4 kernel pads 1 before and 2 after.
  expect_layer_gradients(conv(2, 4, {.same_padding = true}), random_tensor({2, 1, 5, 4}, 4));
}

TEST(Conv2dGradients, ManyChannels) {
  // 16 input channels: oneDNN's blocked layouts rather than the plain few-channel path.
  expect_layer_gradients(conv(3, 3, {.padding = 1}), random_tensor({2, 16, 4, 3}, 5));
}

// Reads x [N, C, H, W], w [O, C, k, k], b [O] and r (shaped like y); writes y = conv2d(x, w, b)
// and the gradients of sum(y * r): dW, db, dx, each flattened row-major on its own line.
constexpr const char* kConv2dScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, c, h, w, o, k, stride = (int(v) for v in sys.argv[2:9])
padding = sys.argv[9] if sys.argv[9] == "same" else int(sys.argv[9])
def load(name, shape=None):
    t = torch.tensor([float(v) for v in open(f"{d}/{name}").read().split()], dtype=torch.float64)
    return t if shape is None else t.reshape(shape)
x = load("x.txt", (n, c, h, w)).requires_grad_()
wt = load("w.txt", (o, c, k, k)).requires_grad_()
b = load("b.txt", (o,)).requires_grad_()
y = torch.nn.functional.conv2d(x, wt, b, stride=stride, padding=padding)
y.backward(load("r.txt").reshape(y.shape))
with open(f"{d}/out.txt", "w") as out:
    for t in (y, wt.grad, b.grad, x.grad):
        out.write(" ".join(repr(v) for v in t.reshape(-1).tolist()) + "\n")
)";

struct TorchCase {
  Shape x;  // [N, C, H, W]
  int64_t filters, kernel;
  Conv2dOptions opt;
};

void expect_matches_torch(const TorchCase& c) {
  const auto dir = temp_dir();
  ConvModel m = conv_model({c.x[1], c.x[2], c.x[3]}, c.filters, c.kernel, c.opt);
  const Tensor x = random_tensor(c.x, 5);
  Rng rng(6);
  Pass pass;
  const Tensor& y = m.model->forward(x, Mode::train, rng, pass);
  const Tensor r = random_tensor(y.shape(), 7);
  write_floats(dir / "x.txt", x.span());
  write_floats(dir / "w.txt", m.layer->weight().value.span());
  write_floats(dir / "b.txt", m.layer->bias().value.span());
  write_floats(dir / "r.txt", r.span());
  const std::string padding = c.opt.same_padding ? "same" : std::to_string(c.opt.padding);
  if (!run_oracle(kConv2dScript, fmt::format("{} {} {} {} {} {}", dir.string(), fmt::join(c.x, " "),
                                             c.filters, c.kernel, c.opt.stride, padding)))
    return;

  m.model->backward(pass, r, true);
  const Tensor& dx = pass.input_gradient();
  std::ifstream in(dir / "out.txt");
  auto next = [&] {
    double v = NAN;
    in >> v;
    return v;
  };
  for (int64_t i = 0; i < y.size(); ++i) expect_near_torch(y[i], next(), "y");
  const Tensor& dw = m.layer->weight().grad;
  for (int64_t i = 0; i < dw.size(); ++i) expect_near_torch(dw[i], next(), "dW");
  for (int64_t i = 0; i < c.filters; ++i) expect_near_torch(m.layer->bias().grad[i], next(), "db");
  for (int64_t i = 0; i < dx.size(); ++i) expect_near_torch(dx[i], next(), "dx");
  ASSERT_TRUE(in.good()) << "short oracle output";
}

TEST(Conv2dTorch, FewChannelsStrideTwoPadded) {
  expect_matches_torch(
      {.x = {3, 3, 9, 7}, .filters = 4, .kernel = 3, .opt = {.stride = 2, .padding = 1}});
}

TEST(Conv2dTorch, ManyChannels5x5) {
  expect_matches_torch({.x = {2, 20, 8, 6}, .filters = 17, .kernel = 5, .opt = {.padding = 2}});
}

TEST(Conv2dTorch, SamePaddingEvenKernel) {
  expect_matches_torch(
      {.x = {2, 2, 6, 5}, .filters = 3, .kernel = 4, .opt = {.same_padding = true}});
}

TEST(Conv2d, RejectsFlatInputNamingTheReshape) {
  std::vector<LayerPtr> layers;
  layers.push_back(conv(4, 3));
  Rng init(1);
  const std::string msg =
      error_of([&] { Model(test::exec(), {784}, std::move(layers), Head::none, init); });
  EXPECT_NE(msg.find("conv2d layer 'conv1' expects a per-sample input [C, H, W], got [784]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("{type=\"reshape\", shape=[1, 28, 28]}"), std::string::npos) << msg;
}

TEST(Conv2d, RejectsAKernelLargerThanTheInput) {
  std::vector<LayerPtr> layers;
  layers.push_back(conv(4, 5, {.padding = 0}));
  Rng init(1);
  EXPECT_EQ(error_of([&] {
              Model(test::exec(), {1, 3, 8}, std::move(layers), Head::none, init);
            }),
            "conv2d layer 'conv1': a 5x5 kernel with padding 0 does not fit the input [1, 3, 8]");
}

TEST(Conv2d, RejectsBadOptions) {
  EXPECT_NE(error_of([] { Conv2d("c", 0, 3); }).find("filters must be > 0, got 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { Conv2d("c", 2, 3, {.stride = 0}); }).find("stride must be > 0"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              Conv2d("c", 2, 3, {.stride = 2, .same_padding = true});
            }).find("padding=\"same\" needs stride 1"),
            std::string::npos);
}

TEST(Conv2d, DescribesItself) {
  EXPECT_EQ(Conv2d("c", 8, 5, {.padding = 2}).describe(), "conv2d(8, 5x5, pad 2)");
  EXPECT_EQ(Conv2d("c", 8, 3, {.stride = 2, .reg = {.l2 = 0.01f}}).describe(),
            "conv2d(8, 3x3, stride 2) l2=0.01");
  EXPECT_EQ(Conv2d("c", 8, 3, {.same_padding = true}).describe(), "conv2d(8, 3x3, same)");
}

// Primitives are cached per batch size and thread count: changing either between calls must
// give the same per-sample results.
TEST(Conv2d, BatchSizeAndThreadChangesReuseNothingStale) {
  ConvModel m = conv_model({16, 6, 5}, 8, 3, {.padding = 1});
  Rng rng(1);
  Pass pass;
  const Tensor x4 = random_tensor({4, 16, 6, 5}, 2), dy4 = random_tensor({4, 8, 6, 5}, 3);
  const Tensor y4 = m.model->forward(x4, Mode::train, rng, pass);
  m.model->backward(pass, dy4, true);
  const Tensor dx4 = pass.input_gradient();

  // The first 3 samples as a batch of 3, in eval mode too, on the model's context and then,
  // through the same layer, on a one-thread worker's.
  Tensor x3({3, 16, 6, 5}), dy3({3, 8, 6, 5});
  std::copy_n(x4.data(), x3.size(), x3.data());
  std::copy_n(dy4.data(), dy3.size(), dy3.data());
  const auto check = [&](ExecContext& exec) {
    LayerContext ctx;
    ctx.exec = &exec;
    ctx.rng = &rng;
    for (Mode mode : {Mode::eval, Mode::train}) {
      ctx.mode = mode;
      m.layer->forward(x3, ctx);
      EXPECT_EQ(ctx.y.shape(), (Shape{3, 8, 6, 5}));
      Tensor y3;  // plain, whatever layout the layer chose
      relayout(exec.stream(), ctx.y, 0, y3);
      for (int64_t i = 0; i < y3.size(); ++i) EXPECT_NEAR(y3[i], y4[i], 1e-5) << i;
    }
    m.layer->backward(ctx, dy3);
    Tensor dx3;  // the layer may leave dx in oneDNN's blocked layout (nn/layer.hpp)
    relayout(exec.stream(), ctx.dx, 0, dx3);
    for (int64_t i = 0; i < dx3.size(); ++i) EXPECT_NEAR(dx3[i], dx4[i], 1e-5) << i;
    return exec.threads();
  };
  EXPECT_EQ(check(test::exec()), test::exec().threads());
  EXPECT_EQ(test::on_worker(1, check), 1);
}

// Backward assigns the gradients: a second batch's replace the first's.
TEST(Conv2d, BackwardAssignsTheGradients) {
  ConvModel m = conv_model({2, 5, 5}, 3, 3);
  Rng rng(1);
  Pass pass;
  const Tensor x = random_tensor({2, 2, 5, 5}, 2), dy = random_tensor({2, 3, 3, 3}, 3);
  m.model->forward(x, Mode::train, rng, pass);
  m.model->backward(pass, dy);
  const std::vector<float> once(m.model->grads().begin(), m.model->grads().end());
  m.model->forward(x, Mode::train, rng, pass);
  m.model->backward(pass, dy);
  ASSERT_NE(once, std::vector<float>(once.size(), 0.0f));
  EXPECT_EQ(std::vector<float>(m.model->grads().begin(), m.model->grads().end()), once);
}

TEST(Conv2d, GlorotUniformUsesKerasFans) {
  // fan_in = 2 * 3 * 3 = 18, fan_out = 8 * 3 * 3 = 72: the limit is sqrt(6 / 90).
  ConvModel m = conv_model({2, 5, 5}, 8, 3);
  const double limit = std::sqrt(6.0 / 90.0);
  float largest = 0;
  for (float v : m.layer->weight().value.span()) largest = std::max(largest, std::abs(v));
  EXPECT_LE(largest, limit);
  EXPECT_GT(largest, 0.9 * limit);
}

TEST(Conv2d, SmallCnnLearnsRandomLabels) {
  std::vector<LayerPtr> layers;
  layers.push_back(conv(4, 3, {.padding = 1}));
  layers.push_back(std::make_unique<Activation>("relu1", ActKind::relu));
  layers.push_back(std::make_unique<Pool2d>("max_pool1", PoolKind::max, 2));
  layers.push_back(std::make_unique<Flatten>("flatten1"));
  layers.push_back(std::make_unique<Dense>("dense1", 3));
  Rng rng(1);
  Pass pass;
  Model model(test::exec(), {1, 8, 8}, std::move(layers), Head::softmax, rng);
  const Tensor x = random_tensor({16, 1, 8, 8}, 2);
  std::vector<int32_t> labels(16);
  for (auto& l : labels) l = static_cast<int32_t>(rng.below(3));
  const auto loss = make_loss("cross_entropy");
  Tensor dout;
  double first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    last = loss->compute(model.forward(x, Mode::train, rng, pass), {.labels = labels}, &dout);
    if (step == 0) first = last;
    model.backward(pass, dout);
    auto values = model.values();
    auto grads = model.grads();
    for (size_t i = 0; i < values.size(); ++i) values[i] -= 0.1f * grads[i];
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

}  // namespace
}  // namespace nnlab::test
