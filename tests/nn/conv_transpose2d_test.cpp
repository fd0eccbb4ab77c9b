// ConvTranspose2d: finite-difference gradients, forward and gradients against PyTorch
// (torch.nn.functional.conv_transpose2d in float64, within 1e-4 relative), bad inputs, the
// per-batch-size primitive cache, fans and max-norm, and ctx.input_grad = false, here for
// Conv2d and Dense too (the three layers with a data-gradient product to skip).
#include "nn/conv_transpose2d.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "gradient_check.hpp"
#include "nn/conv2d.hpp"
#include "nn/dense.hpp"
#include "nn/loss.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

LayerPtr deconv(int64_t filters, int64_t kernel, ConvTranspose2dOptions opt = {}) {
  return std::make_unique<ConvTranspose2d>("deconv1", filters, kernel, opt);
}

/// A one-layer model around `layer` for a per-sample input shape, with a nonzero bias (which
/// tests y and db) when the layer has one.
std::unique_ptr<Model> one_layer_model(const Shape& sample, LayerPtr layer) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::move(layer));
  Rng init(3);
  auto model = std::make_unique<Model>(test::exec(), sample, std::move(layers), Head::none, init);
  Rng rng(4);
  for (Parameter* p : model->parameters())
    if (!p->is_weight) rng.fill_normal(p->value.span(), 0.0f, 0.5f);
  return model;
}

TEST(ConvTranspose2dGradients, StrideOneFewChannels) {
  expect_layer_gradients(deconv(3, 3), random_tensor({2, 2, 4, 5}, 1));
}

TEST(ConvTranspose2dGradients, StrideTwoPaddedWithOutputPadding) {
  expect_layer_gradients(deconv(2, 3, {.stride = 2, .padding = 1, .output_padding = 1}),
                         random_tensor({2, 3, 4, 3}, 2));
}

TEST(ConvTranspose2dGradients, OutputPaddingBeyondPadding) {
  // padding 0 with output_padding 2: oneDNN sees a negative padding after (p - q = -2).
  expect_layer_gradients(deconv(2, 2, {.stride = 3, .output_padding = 2}),
                         random_tensor({1, 2, 3, 4}, 3));
}

TEST(ConvTranspose2dGradients, ManyChannelsBlockedLayouts) {
  // 16 channels on both sides: oneDNN's blocked layouts rather than the plain few-channel path.
  expect_layer_gradients(deconv(16, 3, {.stride = 2, .padding = 1, .output_padding = 1}),
                         random_tensor({2, 16, 3, 3}, 4));
}

TEST(ConvTranspose2dGradients, ManyInputChannelsFewFilters) {
  expect_layer_gradients(deconv(1, 4, {.stride = 2, .padding = 1}),
                         random_tensor({2, 16, 3, 2}, 5));
}

// Reads x [N, C, H, W], w [C, O, k, k], b [O] and r (shaped like y); writes
// y = conv_transpose2d(x, w, b) and the gradients of sum(y * r): dW, db, dx, each flattened
// row-major on its own line.
constexpr const char* kConvTranspose2dScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, c, h, w, o, k, stride, padding, output_padding = (int(v) for v in sys.argv[2:11])
def load(name, shape=None):
    t = torch.tensor([float(v) for v in open(f"{d}/{name}").read().split()], dtype=torch.float64)
    return t if shape is None else t.reshape(shape)
x = load("x.txt", (n, c, h, w)).requires_grad_()
wt = load("w.txt", (c, o, k, k)).requires_grad_()
b = load("b.txt", (o,)).requires_grad_()
y = torch.nn.functional.conv_transpose2d(x, wt, b, stride=stride, padding=padding,
                                         output_padding=output_padding)
y.backward(load("r.txt").reshape(y.shape))
with open(f"{d}/out.txt", "w") as out:
    for t in (y, wt.grad, b.grad, x.grad):
        out.write(" ".join(repr(v) for v in t.reshape(-1).tolist()) + "\n")
)";

struct DeconvCase {
  Shape x;  // [N, C, H, W]
  int64_t filters, kernel;
  ConvTranspose2dOptions opt;
};

void expect_deconv_matches_torch(const DeconvCase& c) {
  const auto dir = temp_dir();
  auto model = one_layer_model({c.x[1], c.x[2], c.x[3]}, deconv(c.filters, c.kernel, c.opt));
  auto& layer = static_cast<ConvTranspose2d&>(model->layer(0));
  const Tensor x = random_tensor(c.x, 5);
  Rng rng(6);
  Pass pass;
  const Tensor& y = model->forward(x, Mode::train, rng, pass);
  const Tensor r = random_tensor(y.shape(), 7);
  write_floats(dir / "x.txt", x.span());
  write_floats(dir / "w.txt", layer.weight().value.span());
  write_floats(dir / "b.txt", layer.bias().value.span());
  write_floats(dir / "r.txt", r.span());
  if (!run_oracle(kConvTranspose2dScript,
                  fmt::format("{} {} {} {} {} {} {}", dir.string(), fmt::join(c.x, " "), c.filters,
                              c.kernel, c.opt.stride, c.opt.padding, c.opt.output_padding)))
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
  const Tensor& dw = layer.weight().grad;
  for (int64_t i = 0; i < dw.size(); ++i) expect_near_torch(dw[i], next(), "dW");
  for (int64_t i = 0; i < c.filters; ++i) expect_near_torch(layer.bias().grad[i], next(), "db");
  for (int64_t i = 0; i < dx.size(); ++i) expect_near_torch(dx[i], next(), "dx");
  ASSERT_TRUE(in.good()) << "short oracle output";
}

TEST(ConvTranspose2dTorch, FewChannelsStrideTwoOutputPadding) {
  expect_deconv_matches_torch({.x = {3, 3, 5, 4},
                               .filters = 4,
                               .kernel = 3,
                               .opt = {.stride = 2, .padding = 1, .output_padding = 1}});
}

TEST(ConvTranspose2dTorch, ManyChannels4x4StrideTwo) {
  // The usual decoder step: a 4x4 kernel, stride 2, padding 1 doubles the size.
  expect_deconv_matches_torch(
      {.x = {2, 20, 4, 5}, .filters = 17, .kernel = 4, .opt = {.stride = 2, .padding = 1}});
}

TEST(ConvTranspose2dTorch, StrideOnePaddedToFewFilters) {
  expect_deconv_matches_torch(
      {.x = {2, 16, 5, 5}, .filters = 3, .kernel = 5, .opt = {.padding = 2}});
}

TEST(ConvTranspose2dTorch, KernelSmallerThanStride) {
  // Gaps between the patches hold only the bias; output_padding 2 with no padding.
  expect_deconv_matches_torch(
      {.x = {2, 2, 3, 3}, .filters = 2, .kernel = 2, .opt = {.stride = 3, .output_padding = 2}});
}

TEST(ConvTranspose2d, OutputShape) {
  // (H - 1) * s - 2p + k + q: the decoder of a 28x28 autoencoder goes 7 -> 14 -> 28.
  auto model =
      one_layer_model({32, 7, 5}, deconv(16, 3, {.stride = 2, .padding = 1, .output_padding = 1}));
  EXPECT_EQ(model->output_shape(), (Shape{16, 14, 10}));
  EXPECT_EQ(model->layer(0).parameters()[0].shape, (Shape{32, 16, 3, 3}));  // PyTorch's layout
  EXPECT_EQ(one_layer_model({1, 3, 4}, deconv(2, 5, {.padding = 1}))->output_shape(),
            (Shape{2, 5, 6}));
}

TEST(ConvTranspose2d, RejectsBadInputs) {
  EXPECT_EQ(error_of([] { one_layer_model({784}, deconv(4, 3)); }),
            "conv_transpose2d layer 'deconv1' expects a per-sample input [C, H, W], got [784]; "
            "put a reshape layer first, e.g. {type=\"reshape\", shape=[32, 7, 7]}");
  EXPECT_EQ(error_of([] {
              one_layer_model({1, 2, 2}, deconv(4, 3, {.padding = 3}));
            }),
            "conv_transpose2d layer 'deconv1': a 3x3 kernel with stride 1, padding 3 and "
            "output_padding 0 gives an output of -2x-2 for the input [1, 2, 2]; each side must "
            "be in [1, 65536]");
  EXPECT_NE(error_of([] {
              one_layer_model({1, 40000, 2}, deconv(1, 2, {.stride = 2}));
            }).find("gives an output of 80000x4"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              one_layer_model({1, 70000, 2}, deconv(1, 2));
            }).find("input [1, 70000, 2] is out of range"),
            std::string::npos);
}

TEST(ConvTranspose2d, RejectsBadOptions) {
  EXPECT_EQ(
      error_of([] { ConvTranspose2d("d", 2, 3, {.stride = 2, .output_padding = 2}); }),
      "conv_transpose2d layer 'd': output_padding must be in [0, stride - 1] = [0, 1], got 2");
  EXPECT_NE(error_of([] { ConvTranspose2d("d", 0, 3); }).find("filters must be in [1, 65536]"),
            std::string::npos);
  EXPECT_NE(error_of([] { ConvTranspose2d("d", 2, 0); }).find("kernel must be in [1, 1024]"),
            std::string::npos);
  EXPECT_NE(error_of([] { ConvTranspose2d("d", 2, 5000); }).find("got 5000"), std::string::npos);
  EXPECT_NE(error_of([] { ConvTranspose2d("d", 2, 3, {.stride = 0}); }).find("stride must be"),
            std::string::npos);
  EXPECT_NE(error_of([] { ConvTranspose2d("d", 2, 3, {.padding = -1}); }).find("padding must be"),
            std::string::npos);
}

TEST(ConvTranspose2d, DescribesItself) {
  EXPECT_EQ(ConvTranspose2d("d", 8, 3).describe(), "conv_transpose2d(8, 3x3)");
  EXPECT_EQ(ConvTranspose2d("d", 16, 3,
                            {.stride = 2, .padding = 1, .output_padding = 1, .reg = {.l2 = 0.01f}})
                .describe(),
            "conv_transpose2d(16, 3x3, stride 2, pad 1, output_pad 1) l2=0.01");
}

// Primitives are cached per batch size and thread count: changing either between calls must
// give the same per-sample results, in eval mode too.
TEST(ConvTranspose2d, BatchSizeAndThreadChangesReuseNothingStale) {
  auto model = one_layer_model({16, 3, 4}, deconv(16, 3, {.stride = 2, .padding = 1}));
  Layer& layer = model->layer(0);
  Rng rng(1);
  Pass pass;
  const Tensor x4 = random_tensor({4, 16, 3, 4}, 2), dy4 = random_tensor({4, 16, 5, 7}, 3);
  const Tensor y4 = model->forward(x4, Mode::train, rng, pass);
  model->backward(pass, dy4, true);
  const Tensor dx4 = pass.input_gradient();

  Tensor x3({3, 16, 3, 4}), dy3({3, 16, 5, 7});
  std::copy_n(x4.data(), x3.size(), x3.data());
  std::copy_n(dy4.data(), dy3.size(), dy3.data());
  const auto check = [&](ExecContext& exec) {
    LayerContext ctx;
    ctx.exec = &exec;
    ctx.rng = &rng;
    for (Mode mode : {Mode::eval, Mode::train}) {
      ctx.mode = mode;
      layer.forward(x3, ctx);
      EXPECT_EQ(ctx.y.shape(), (Shape{3, 16, 5, 7}));
      for (int64_t i = 0; i < ctx.y.size(); ++i) EXPECT_NEAR(ctx.y[i], y4[i], 1e-5) << i;
    }
    layer.backward(ctx, dy3);
    for (int64_t i = 0; i < ctx.dx.size(); ++i) EXPECT_NEAR(ctx.dx[i], dx4[i], 1e-5) << i;
    return exec.threads();
  };
  EXPECT_EQ(check(test::exec()), test::exec().threads());
  EXPECT_EQ(test::on_worker(1, check), 1);
}

// Backward assigns the gradients: a second batch's replace the first's.
TEST(ConvTranspose2d, BackwardAssignsTheGradients) {
  auto model = one_layer_model({2, 3, 3}, deconv(3, 3, {.stride = 2}));
  Rng rng(1);
  Pass pass;
  const Tensor x = random_tensor({2, 2, 3, 3}, 2), dy = random_tensor({2, 3, 7, 7}, 3);
  model->forward(x, Mode::train, rng, pass);
  model->backward(pass, dy);
  const std::vector<float> once(model->grads().begin(), model->grads().end());
  model->forward(x, Mode::train, rng, pass);
  model->backward(pass, dy);
  ASSERT_NE(once, std::vector<float>(once.size(), 0.0f));
  EXPECT_EQ(std::vector<float>(model->grads().begin(), model->grads().end()), once);
}

TEST(ConvTranspose2d, HeUniformUsesKerasFans) {
  // Keras and PyTorch read [C, O, k, k] as a convolution from O channels to C: fan_in = 8*3*3.
  auto model = one_layer_model(
      {2, 5, 5}, std::make_unique<ConvTranspose2d>(
                     "d", 8, 3, ConvTranspose2dOptions{.init = InitKind::he_uniform}));
  const double limit = std::sqrt(6.0 / 72.0);
  float largest = 0;
  for (float v : model->parameters()[0]->value.span()) largest = std::max(largest, std::abs(v));
  EXPECT_LE(largest, limit);
  EXPECT_GT(largest, 0.9 * limit);
}

// With ctx.input_grad = false a parameter layer must give the same parameter gradients and
// leave ctx.dx as it was: the first layer of a pass skips its data-gradient product.
void expect_input_grad_skippable(LayerPtr layer, const Tensor& x) {
  const Shape sample(x.shape().begin() + 1, x.shape().end());
  auto model = one_layer_model(sample, std::move(layer));
  Layer& l = model->layer(0);
  Rng rng(1);
  LayerContext ctx;
  ctx.exec = &test::exec();
  ctx.rng = &rng;
  l.forward(x, ctx);
  const Tensor dy = random_tensor(ctx.y.shape(), 2);

  l.backward(ctx, dy);
  const std::vector<float> with_dx(model->grads().begin(), model->grads().end());
  ASSERT_EQ(ctx.dx.shape(), x.shape());

  Tensor sentinel({1, 2});
  sentinel.fill(7.0f);
  ctx.dx = sentinel;
  ctx.input_grad = false;
  l.backward(ctx, dy);
  for (size_t i = 0; i < with_dx.size(); ++i)
    EXPECT_EQ(model->grads()[i], with_dx[i]) << l.kind() << " gradient " << i;
  EXPECT_EQ(ctx.dx.shape(), sentinel.shape()) << l.kind();
  EXPECT_EQ(ctx.dx[1], 7.0f) << l.kind();
}

TEST(InputGradFalse, ParameterLayersGiveTheSameParameterGradients) {
  expect_input_grad_skippable(deconv(3, 3, {.stride = 2, .padding = 1, .output_padding = 1}),
                              random_tensor({2, 2, 4, 3}, 3));
  expect_input_grad_skippable(deconv(16, 3, {.stride = 2}), random_tensor({2, 16, 3, 3}, 4));
  expect_input_grad_skippable(std::make_unique<Conv2d>("conv1", 4, 3, Conv2dOptions{.padding = 1}),
                              random_tensor({2, 3, 5, 4}, 5));
  expect_input_grad_skippable(std::make_unique<Conv2d>("conv1", 16, 3),
                              random_tensor({2, 16, 5, 5}, 6));
  expect_input_grad_skippable(std::make_unique<Dense>("dense1", 5), random_tensor({3, 7}, 7));
}

TEST(ConvTranspose2d, ConvAutoencoderLearnsToReconstruct) {
  // 1x8x8 -> conv stride 2 -> 4x4x4 -> transposed conv stride 2 -> 1x8x8, trained on MSE.
  std::vector<LayerPtr> layers;
  layers.push_back(
      std::make_unique<Conv2d>("conv1", 4, 3, Conv2dOptions{.stride = 2, .padding = 1}));
  layers.push_back(deconv(1, 3, {.stride = 2, .padding = 1, .output_padding = 1}));
  Rng rng(1);
  Model model(test::exec(), {1, 8, 8}, std::move(layers), Head::none, rng);
  ASSERT_EQ(model.output_shape(), (Shape{1, 8, 8}));
  const Tensor x = random_tensor({8, 1, 8, 8}, 2);
  const auto loss = make_loss("mse");
  Tensor dout;
  Pass pass;
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    last = loss->compute(model.forward(x, Mode::train, rng, pass), {.labels = {}, .values = &x},
                         &dout);
    if (step == 0) first = last;
    model.backward(pass, dout);
    auto values = model.values();
    auto grads = model.grads();
    for (size_t i = 0; i < values.size(); ++i) values[i] -= 0.2f * grads[i];
  }
  EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
}

}  // namespace
}  // namespace nnlab::test
