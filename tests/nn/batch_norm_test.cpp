// Batch norm: finite-difference gradients (train and eval mode), plain-loop statistics, and two
// training steps plus an eval pass against PyTorch's torch.nn.functional.batch_norm in float64
// within 1e-4 relative (STYLE.md rules 6 and 7).
#include "nn/batch_norm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "gradient_check.hpp"
#include "nn/dnnl_util.hpp"
#include "nn/layer_spec.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

/// A one-layer model around a BatchNorm for per-sample `sample`, with gamma, beta and the
/// running statistics away from their initial values so that every term of the gradient shows.
std::unique_ptr<Model> bn_model(const Shape& sample, uint64_t seed) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<BatchNorm>("bn1"));
  Rng rng(seed);
  auto model = std::make_unique<Model>(test::exec(), sample, std::move(layers), Head::none, rng);
  auto& bn = static_cast<BatchNorm&>(model->layer(0));
  rng.fill_normal(bn.gamma().value.span(), 1.0f, 0.5f);
  rng.fill_normal(bn.beta().value.span(), 0.0f, 0.5f);
  rng.fill_normal(bn.running_mean().value.span(), 0.0f, 0.5f);
  for (float& v : bn.running_var().value.span()) v = 0.5f + rng.uniform();
  return model;
}

BatchNorm& bn_of(Model& m) { return static_cast<BatchNorm&>(m.layer(0)); }

TEST(BatchNorm, GradientsThroughTheBatchStatisticsDense) {
  auto m = bn_model({4}, 1);
  expect_gradients_match(*m, random_tensor({6, 4}, 2, 2.0f));
}

TEST(BatchNorm, GradientsThroughTheBatchStatisticsImage) {
  auto m = bn_model({2, 3, 3}, 3);
  expect_gradients_match(*m, random_tensor({3, 2, 3, 3}, 4, 2.0f));
}

TEST(BatchNorm, GradientsWithTheRunningStatisticsInEvalMode) {
  auto m = bn_model({2, 2, 3}, 5);
  expect_gradients_match(*m, random_tensor({2, 2, 2, 3}, 6), {.mode = Mode::eval});
}

// The oneDNN path against plain loops: the train-mode output is normalized per channel over
// N, H, W, and the running statistics move by momentum towards the batch's (unbiased variance).
TEST(BatchNorm, TrainModeNormalizesPerChannelAndUpdatesTheRunningStatistics) {
  const int64_t n = 4, c = 3, hw = 5;
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<BatchNorm>("bn1", 0.25f));
  Rng rng(1);
  Pass pass;
  Model m(test::exec(), {c, 1, hw}, std::move(layers), Head::none, rng);
  EXPECT_EQ(m.parameter_count(), 2 * c);
  EXPECT_EQ(m.buffer_count(), 2 * c);
  EXPECT_EQ(m.buffers()[0]->name, "bn1.running_mean");
  EXPECT_NE(m.summary().find("Buffers (not trained): 6"), std::string::npos) << m.summary();

  Tensor x = random_tensor({n, c, 1, hw}, 7, 3.0f);
  for (int64_t i = 0; i < x.size(); ++i) x[i] += static_cast<float>((i / hw) % c);  // offsets
  const Tensor y = m.forward(x, Mode::train, rng, pass);
  const BatchNorm& bn = bn_of(m);
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0, ysum = 0, ysq = 0;
    for (int64_t s = 0; s < n; ++s)
      for (int64_t k = 0; k < hw; ++k) {
        const int64_t i = (s * c + ch) * hw + k;
        sum += x[i];
        sq += static_cast<double>(x[i]) * x[i];
        ysum += y[i];
        ysq += static_cast<double>(y[i]) * y[i];
      }
    const double count = static_cast<double>(n * hw);
    const double mean = sum / count, var = sq / count - mean * mean;
    EXPECT_NEAR(ysum / count, 0.0, 1e-5) << ch;
    EXPECT_NEAR(ysq / count, var / (var + 1e-5), 1e-4) << ch;
    EXPECT_NEAR(bn.buffers()[0].value[ch], 0.25 * mean, 1e-5) << ch;
    EXPECT_NEAR(bn.buffers()[1].value[ch], 0.75 + 0.25 * var * count / (count - 1), 1e-4) << ch;
  }
}

// "batch_norm(momentum=0.1, eps=1e-05)" is wider than most descriptions: the summary's
// columns widen to it, so every row of the table (and its rules) has the same length.
TEST(BatchNorm, SummaryColumnsWidenToTheLongestDescription) {
  const std::string summary = bn_model({4}, 1)->summary();
  std::istringstream lines(summary);
  std::string line;
  std::vector<size_t> widths;
  while (std::getline(lines, line) && line.rfind("Total", 0) != 0) widths.push_back(line.size());
  ASSERT_GE(widths.size(), 5u) << summary;
  for (size_t w : widths) EXPECT_EQ(w, widths[0]) << summary;
  EXPECT_NE(summary.find("batch_norm(momentum=0.1, eps=1e-05)"), std::string::npos) << summary;
}

TEST(BatchNorm, EvalModeUsesTheRunningStatisticsAndChangesNothing) {
  auto m = bn_model({3}, 8);
  BatchNorm& bn = bn_of(*m);
  const std::vector<float> buffers(m->buffer_values().begin(), m->buffer_values().end());
  const Tensor x = random_tensor({5, 3}, 9);
  Rng rng(1);
  Pass pass;
  const Tensor& y = m->forward(x, Mode::eval, rng, pass);
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t ch = i % 3;
    const double want = bn.gamma().value[ch] * (x[i] - bn.running_mean().value[ch]) /
                            std::sqrt(bn.running_var().value[ch] + 1e-5) +
                        bn.beta().value[ch];
    EXPECT_NEAR(y[i], want, 1e-5) << i;
  }
  EXPECT_TRUE(std::equal(buffers.begin(), buffers.end(), m->buffer_values().begin()));
}

TEST(BatchNorm, OneValuePerChannelLeavesTheRunningVarianceAlone) {
  auto m = bn_model({3}, 10);
  const std::vector<float> var(bn_of(*m).running_var().value.span().begin(),
                               bn_of(*m).running_var().value.span().end());
  Rng rng(1);
  Pass pass;
  m->forward(random_tensor({1, 3}, 11), Mode::train, rng, pass);
  for (int64_t ch = 0; ch < 3; ++ch)
    EXPECT_EQ(bn_of(*m).running_var().value[ch], var[static_cast<size_t>(ch)]);
}

// A batch whose channels come blocked, as a convolution writes them, stays blocked through the
// layer (no reorder before and after it) and gets the bits the plain batch gets: the output,
// the input gradient, dgamma, dbeta and the running statistics, in train and eval mode, for
// planes shorter than, equal to and longer than the sums' 16 lanes, and a batch of samples
// that is not a whole number of the sums' chunks.
TEST(BatchNorm, BlockedBatchesKeepTheirLayoutAndGetThePlainBits) {
  const auto same_bits = [](std::span<const float> a, std::span<const float> b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
  };
  for (const int block : {4, 8, 16})
    for (const int64_t side : {3, 4, 5, 28})
      for (const Mode mode : {Mode::train, Mode::eval}) {
        const std::string what = fmt::format("block {}, {}x{} planes, {}", block, side, side,
                                             mode == Mode::train ? "train" : "eval");
        const Shape sample{32, side, side};
        auto plain = bn_model(sample, 12), blocked = bn_model(sample, 12);
        const Tensor x = random_tensor({11, 32, side, side}, 13, 2.0f);
        const Tensor dy = random_tensor({11, 32, side, side}, 14);
        Tensor x_blocked;
        relayout(test::exec().stream(), x, block, x_blocked);
        Rng rng(1);
        Pass pass_plain, pass_blocked;
        const Tensor& y_plain = plain->forward(x, mode, rng, pass_plain);
        const Tensor& y_blocked = blocked->forward(x_blocked, mode, rng, pass_blocked);
        EXPECT_EQ(pass_blocked.context(0).y.channel_block(), block) << what;
        EXPECT_TRUE(same_bits(y_plain.span(), y_blocked.span())) << what << ": the output";
        plain->backward(pass_plain, dy, /*input_grad=*/true);
        blocked->backward(pass_blocked, dy, /*input_grad=*/true);
        EXPECT_TRUE(
            same_bits(pass_plain.input_gradient().span(), pass_blocked.input_gradient().span()))
            << what << ": the input gradient";
        EXPECT_TRUE(same_bits(plain->grads(), blocked->grads())) << what << ": dgamma, dbeta";
        EXPECT_TRUE(same_bits(plain->buffer_values(), blocked->buffer_values()))
            << what << ": the running statistics";
      }
}

// Reads the per-sample shape and batch sizes n1, n2 (training steps) and n3 (eval), gamma, beta,
// x1, dy1, x2, dy2, x3; writes per step y, dx, dgamma, dbeta, then the running mean and
// variance, then the eval output: one line each.
constexpr const char* kBatchNormScript = R"(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
F = torch.nn.functional
d = sys.argv[1]
n1, n2, n3 = (int(v) for v in sys.argv[2:5])
sample = [int(v) for v in sys.argv[5:]]
c = sample[0]
def load(name, shape):
    vals = [float(v) for v in open(f"{d}/{name}").read().split()]
    return torch.tensor(vals, dtype=torch.float64).reshape(shape)
gamma, beta = load("gamma.txt", (c,)), load("beta.txt", (c,))
rm = torch.zeros(c, dtype=torch.float64)
rv = torch.ones(c, dtype=torch.float64)
out = open(f"{d}/out.txt", "w")
def put(t):
    out.write(" ".join(repr(v) for v in t.detach().reshape(-1).tolist()) + "\n")
for step, n in ((1, n1), (2, n2)):
    x = load(f"x{step}.txt", (n, *sample)).requires_grad_()
    g, b = gamma.clone().requires_grad_(), beta.clone().requires_grad_()
    y = F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5)
    y.backward(load(f"dy{step}.txt", (n, *sample)))
    for t in (y, x.grad, g.grad, b.grad):
        put(t)
put(rm)
put(rv)
put(F.batch_norm(load("x3.txt", (n3, *sample)), rm, rv, gamma, beta, training=False, eps=1e-5))
)";

// Two training steps of different batch sizes (two cached primitives), then an eval pass.
void expect_matches_pytorch(const Shape& sample) {
  const int64_t n1 = 8, n2 = 5, n3 = 3;
  auto with_batch = [&](int64_t n) {
    Shape s = {n};
    s.insert(s.end(), sample.begin(), sample.end());
    return s;
  };
  const auto dir = temp_dir();
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<BatchNorm>("bn1"));
  Rng rng(3);
  Pass pass;
  Model m(test::exec(), sample, std::move(layers), Head::none, rng);
  BatchNorm& bn = bn_of(m);
  rng.fill_normal(bn.gamma().value.span(), 1.0f, 0.5f);
  rng.fill_normal(bn.beta().value.span(), 0.0f, 0.5f);
  const Tensor x1 = random_tensor(with_batch(n1), 1, 2.0f), dy1 = random_tensor(x1.shape(), 2);
  const Tensor x2 = random_tensor(with_batch(n2), 3, 0.5f), dy2 = random_tensor(x2.shape(), 4);
  const Tensor x3 = random_tensor(with_batch(n3), 5);
  write_floats(dir / "gamma.txt", bn.gamma().value.span());
  write_floats(dir / "beta.txt", bn.beta().value.span());
  write_floats(dir / "x1.txt", x1.span());
  write_floats(dir / "dy1.txt", dy1.span());
  write_floats(dir / "x2.txt", x2.span());
  write_floats(dir / "dy2.txt", dy2.span());
  write_floats(dir / "x3.txt", x3.span());

  if (!run_oracle(kBatchNormScript,
                  fmt::format("{} {} {} {} {}", dir.string(), n1, n2, n3, fmt::join(sample, " "))))
    return;

  std::ifstream in(dir / "out.txt");
  auto expect_line = [&](std::span<const float> ours, const std::string& what) {
    for (size_t i = 0; i < ours.size(); ++i) {
      double torch = NAN;
      in >> torch;
      ASSERT_LE(std::abs(ours[i] - torch), 1e-4 * std::max(1.0, std::abs(torch)))
          << what << "[" << i << "]: ours " << ours[i] << " vs torch " << torch;
    }
  };
  for (const auto& [x, dy, step] : {std::tuple{&x1, &dy1, "1"}, std::tuple{&x2, &dy2, "2"}}) {
    const Tensor y = m.forward(*x, Mode::train, rng, pass);
    m.backward(pass, *dy, true);
    const Tensor dx = pass.input_gradient();
    expect_line(y.span(), std::string("y") + step);
    expect_line(dx.span(), std::string("dx") + step);
    expect_line(bn.gamma().grad.span(), std::string("dgamma") + step);
    expect_line(bn.beta().grad.span(), std::string("dbeta") + step);
  }
  expect_line(bn.running_mean().value.span(), "running_mean");
  expect_line(bn.running_var().value.span(), "running_var");
  expect_line(m.forward(x3, Mode::eval, rng, pass).span(), "eval y");
  ASSERT_TRUE(in.good()) << "short oracle output";
}

TEST(BatchNormTorch, DenseInputMatchesPyTorch) { expect_matches_pytorch({6}); }

TEST(BatchNormTorch, ImageInputMatchesPyTorch) { expect_matches_pytorch({3, 4, 5}); }

LayerSpec bn_spec() {
  LayerSpec s;
  s.type = "batch_norm";
  s.where = "s1.toml:9: model.layers[1]";
  return s;
}

TEST(BatchNormSpec, MomentumAndEpsReachTheLayer) {
  LayerSpec s = bn_spec();
  s.numbers["momentum"] = 0.01;
  s.numbers["eps"] = 1e-3;
  const auto layers = make_layers(s, 2);
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(layers[0]->name(), "batch_norm2");
  EXPECT_EQ(layers[0]->describe(), "batch_norm(momentum=0.01, eps=0.001)");
}

TEST(BatchNormSpec, OutOfRangeAndWrongTypesNameTheSpec) {
  LayerSpec m = bn_spec();
  m.numbers["momentum"] = 0;
  EXPECT_EQ(error_of([&] { make_layers(m, 2); }),
            "s1.toml:9: model.layers[1]: batch_norm momentum must be in (0, 1], got 0");
  m.numbers["momentum"] = 1.5;
  EXPECT_NE(error_of([&] { make_layers(m, 2); }).find("momentum must be in (0, 1], got 1.5"),
            std::string::npos);
  LayerSpec e = bn_spec();
  e.numbers["eps"] = -1e-5;
  EXPECT_EQ(error_of([&] { make_layers(e, 2); }),
            "s1.toml:9: model.layers[1]: batch_norm eps must be > 0, got -1e-05");
  LayerSpec t = bn_spec();
  t.lists["eps"] = {1e-5};
  EXPECT_EQ(error_of([&] { make_layers(t, 2); }),
            "s1.toml:9: model.layers[1]: key 'eps' of a batch_norm layer must be a number");
  LayerSpec k = bn_spec();
  k.numbers["momentun"] = 0.1;
  EXPECT_NE(error_of([&] {
              make_layers(k, 2);
            }).find("unknown key 'momentun' for a batch_norm layer; valid keys: momentum, eps"),
            std::string::npos);
}

TEST(BatchNorm, RejectsInputsOfRankFour) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<BatchNorm>("bn1"));
  Rng rng(1);
  EXPECT_NE(error_of([&] {
              Model(test::exec(), {2, 2, 2, 2}, std::move(layers), Head::none, rng);
            }).find("batch_norm layer 'bn1': the input must be"),
            std::string::npos);
}

// Large enough to run in parallel: the sums are formed per fixed chunk of samples, so one
// thread and two give the same bits, forward and backward, dense and image.
TEST(BatchNorm, SameBitsForAnyThreadCount) {
  for (const Shape& sample : {Shape{300}, Shape{16, 12, 12}}) {
    Shape batch{128};
    batch.insert(batch.end(), sample.begin(), sample.end());
    const Tensor x = random_tensor(batch, 7, 2.0f);
    const Tensor dy = random_tensor(x.shape(), 8);
    const auto run = [&](ExecContext& exec) {
      BatchNorm bn("bn");
      bn.build(sample);
      const int64_t c = sample[0];
      Tensor values({4, c}), grads({2, c});
      values.fill(0.5f);
      for (int64_t i = 0; i < c; ++i) values[i] = 1.0f + 0.01f * static_cast<float>(i);
      bn.gamma().value = Tensor::view(values.row(0), {c});
      bn.beta().value = Tensor::view(values.row(1), {c});
      bn.running_mean().value = Tensor::view(values.row(2), {c});
      bn.running_var().value = Tensor::view(values.row(3), {c});
      bn.gamma().grad = Tensor::view(grads.row(0), {c});
      bn.beta().grad = Tensor::view(grads.row(1), {c});
      grads.fill(0.0f);
      LayerContext ctx;
      ctx.exec = &exec;
      bn.forward(x, ctx);
      bn.backward(ctx, dy);
      std::vector<float> out(ctx.y.span().begin(), ctx.y.span().end());
      out.insert(out.end(), ctx.dx.span().begin(), ctx.dx.span().end());
      out.insert(out.end(), grads.span().begin(), grads.span().end());
      out.insert(out.end(), values.span().begin(), values.span().end());  // running statistics
      return out;
    };
    ASSERT_GE(test::exec().threads(), 2) << "the test needs two threads to compare with one";
    EXPECT_EQ(run(test::exec()), test::on_worker(1, run)) << shape_str(sample);
  }
}

}  // namespace
}  // namespace nnlab::test
