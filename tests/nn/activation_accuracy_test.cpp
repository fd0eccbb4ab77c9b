// The element-wise activations (oneDNN primitives for sigmoid, tanh, elu, gelu and softplus)
// against double-precision references over a wide range of inputs, forward and backward, and
// their determinism: bitwise the same for 1 and 2 threads and for a row inside batches of any
// size. (The finite-difference checks of every activation are in gradient_check_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nn/activation_layer.hpp"
#include "nn/activations.hpp"
#include "support/test_support.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// The function and its derivative in double, accurate where the float results are compared
// (1 - y^2 or y (1 - y) would cancel: these use e^-|x| and cosh).
struct Reference {
  double fn, deriv;
};

Reference reference(ActKind kind, double x, double alpha) {
  switch (kind) {
    case ActKind::sigmoid: {
      const double e = std::exp(-std::abs(x));
      return {x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e), e / ((1.0 + e) * (1.0 + e))};
    }
    case ActKind::tanh: {
      const double c = std::cosh(x);
      return {std::tanh(x), 1.0 / (c * c)};
    }
    case ActKind::relu:
      return {x > 0 ? x : 0.0, x > 0 ? 1.0 : 0.0};
    case ActKind::leaky_relu:
      return {x > 0 ? x : alpha * x, x > 0 ? 1.0 : alpha};
    case ActKind::elu:
      return {x > 0 ? x : alpha * std::expm1(x), x > 0 ? 1.0 : alpha * std::exp(x)};
    case ActKind::gelu: {
      const double cdf = 0.5 * std::erfc(-x / std::numbers::sqrt2);
      const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
      return {x * cdf, cdf + x * pdf};
    }
    case ActKind::softplus: {
      const double e = std::exp(-std::abs(x));
      return {std::max(x, 0.0) + std::log1p(e), x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e)};
    }
    case ActKind::linear:
      return {x, 1.0};
  }
  return {0, 0};
}

// The scalar code the layer ran before oneDNN (activations.hpp), for the report.
Reference scalar(ActKind kind, float x, float alpha) {
  auto both = [&]<class A>(A) -> Reference {
    if constexpr (A::has_alpha) {
      const float y = A::fn(x, alpha);
      return {y, A::deriv(x, y, alpha)};
    } else {
      const float y = A::fn(x);
      return {y, A::deriv(x, y)};
    }
  };
  switch (kind) {
    case ActKind::sigmoid:
      return both(act::Sigmoid{});
    case ActKind::tanh:
      return both(act::Tanh{});
    case ActKind::relu:
      return both(act::Relu{});
    case ActKind::leaky_relu:
      return both(act::LeakyRelu{});
    case ActKind::elu:
      return both(act::Elu{});
    case ActKind::gelu:
      return both(act::Gelu{});
    case ActKind::softplus:
      return both(act::Softplus{});
    case ActKind::linear:
      return both(act::Linear{});
  }
  return {0, 0};
}

// 0, +-30 and the other edges, magnitudes from 1e-37 to 100 in steps of 0.2%, and [-12, 12] in
// steps of 1/512: about 90k inputs.
std::vector<float> wide_inputs() {
  std::vector<float> xs = {0.0f,   -0.0f, 30.0f,  -30.0f, 20.0f,   -20.0f, 20.5f,
                           -20.5f, 88.0f, -88.0f, 100.0f, -100.0f, 1e-37f, -1e-37f};
  for (double m = 1e-37; m < 100.0; m *= 1.002) {
    xs.push_back(static_cast<float>(m));
    xs.push_back(static_cast<float>(-m));
  }
  for (int i = -12 * 512; i <= 12 * 512; ++i) xs.push_back(static_cast<float>(i) / 512.0f);
  return xs;
}

struct Outputs {
  Tensor y, dx;
};

// The layer's forward and backward at x ([N, F]) with gradient dy, on `exec`.
Outputs run(ActKind kind, float alpha, const Tensor& x, const Tensor& dy, ExecContext& exec) {
  Activation layer("act", kind, alpha);
  layer.build({x.cols()});
  LayerContext ctx;
  ctx.exec = &exec;
  layer.forward(x, ctx);
  layer.backward(ctx, dy);
  return {ctx.y, ctx.dx};
}

// A bound |got - ref| <= rel |ref| + abs, and what the code measured against it.
struct Bound {
  double rel, abs;
};
struct Worst {
  double ratio = 0;  // max |got - ref| / (rel |ref| + abs): <= 1 passes
  double rel = 0;    // max |got - ref| / |ref| where |ref| >= 1e-3 (the ulp-scale part)
  double abs = 0;    // max |got - ref| where |ref| < 1e-3
  float at = 0;      // the input of the worst ratio
  double got = 0, want = 0;
  void add(double g, double r, float x, Bound b) {
    const double d = std::abs(g - r);
    if (std::abs(r) >= 1e-3)
      rel = std::max(rel, d / std::abs(r));
    else
      abs = std::max(abs, d);
    const double q = d / (b.rel * std::abs(r) + b.abs);
    if (q > ratio) ratio = q, at = x, got = g, want = r;
  }
};

struct Case {
  ActKind kind;
  float alpha;
  Bound fwd, bwd;
};

class Accuracy : public ::testing::TestWithParam<Case> {};

TEST_P(Accuracy, MatchesTheDoubleReferenceOverAWideRange) {
  const Case c = GetParam();
  const std::vector<float> xs = wide_inputs();
  const auto n = static_cast<int64_t>(xs.size());
  Tensor x({n, 1}), dy({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    x[i] = xs[static_cast<size_t>(i)];
    dy[i] = 0.75f + 0.5f * static_cast<float>(i % 7) / 7.0f;  // in [0.75, 1.25)
  }
  // A width of 1 with the batch of all inputs: one flat tensor, as any shape is.
  Activation probe("act", c.kind, c.alpha);
  const float alpha = probe.alpha();
  const Outputs out = run(c.kind, c.alpha, x, dy, test::exec());
  Worst fwd, bwd, old_fwd, old_bwd, vs_old_fwd, vs_old_bwd;
  for (int64_t i = 0; i < n; ++i) {
    const Reference r = reference(c.kind, x[i], alpha);
    const Reference s = scalar(c.kind, x[i], alpha);
    const double g = dy[i];
    fwd.add(out.y[i], r.fn, x[i], c.fwd);
    bwd.add(out.dx[i], g * r.deriv, x[i], c.bwd);
    old_fwd.add(s.fn, r.fn, x[i], c.fwd);
    old_bwd.add(static_cast<float>(dy[i] * static_cast<float>(s.deriv)), g * r.deriv, x[i], c.bwd);
    vs_old_fwd.add(out.y[i], s.fn, x[i], c.fwd);
    vs_old_bwd.add(out.dx[i], static_cast<float>(dy[i] * static_cast<float>(s.deriv)), x[i], c.bwd);
  }
  // Relative error where |ref| >= 1e-3, absolute error where it is smaller, and the share of
  // the bound used; for the scalar code before oneDNN too, and between the two.
  const std::string name = probe.describe();
  for (auto [what, now, old, diff] : {std::tuple{"forward", &fwd, &old_fwd, &vs_old_fwd},
                                      std::tuple{"backward", &bwd, &old_bwd, &vs_old_bwd}})
    std::printf(
        "%-14s %-8s rel %.2e abs %.2e bound %.2f | scalar rel %.2e abs %.2e bound %.2f | "
        "vs scalar rel %.2e abs %.2e\n",
        name.c_str(), what, now->rel, now->abs, now->ratio, old->rel, old->abs, old->ratio,
        diff->rel, diff->abs);
  EXPECT_LE(fwd.ratio, 1.0) << "forward at x = " << fwd.at << ": " << fwd.got << " vs " << fwd.want;
  EXPECT_LE(bwd.ratio, 1.0) << "backward at x = " << bwd.at << ": " << bwd.got << " vs "
                            << bwd.want;
}

constexpr float kDefault = std::numeric_limits<float>::quiet_NaN();

// The bounds (measured maxima in the comments of the test's output, on AVX-512): a relative
// part of about 3 float ulps, and an absolute part where the result is computed from a rounded
// quantity near 1 (the backward from y: 1 - y^2 and y (1 - y); gelu's 1 + erf). The scalar code
// before oneDNN needed the same absolute terms for the backward (7e-8 to 1e-7).
constexpr Bound kFwd{4e-7, 1e-30};
constexpr Bound kFromY{4e-7, 2.5e-7};
constexpr Bound kGelu{4e-7, 4e-7};
constexpr Bound kRounded{6e-8, 1e-45};  // one rounding of alpha * x (or exact)

INSTANTIATE_TEST_SUITE_P(Activations, Accuracy,
                         ::testing::Values(Case{ActKind::sigmoid, kDefault, kFwd, kFromY},
                                           Case{ActKind::tanh, kDefault, kFwd, kFromY},
                                           Case{ActKind::elu, kDefault, kFwd, kFromY},
                                           Case{ActKind::elu, 0.5f, kFwd, kFromY},
                                           Case{ActKind::elu, -0.5f, kFwd, kFromY},
                                           Case{ActKind::gelu, kDefault, kGelu, kGelu},
                                           Case{ActKind::softplus, kDefault, kFwd, kFwd},
                                           Case{ActKind::relu, kDefault, kRounded, kRounded},
                                           Case{ActKind::leaky_relu, kDefault, kRounded, kRounded},
                                           Case{ActKind::leaky_relu, 0.2f, kRounded, kRounded},
                                           Case{ActKind::linear, kDefault, kRounded, kRounded}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return act_name(info.param.kind) + std::to_string(info.index);
                         });

// The kinds computed by oneDNN, and elu with a negative alpha.
struct Kind {
  ActKind kind;
  float alpha;
};
const Kind kOnDnnl[] = {{ActKind::sigmoid, kDefault}, {ActKind::tanh, kDefault},
                        {ActKind::elu, kDefault},     {ActKind::elu, -0.5f},
                        {ActKind::gelu, kDefault},    {ActKind::softplus, kDefault}};

// Normals of stddev 4 with some edges mixed in.
Tensor inputs(const Shape& shape, uint64_t seed) {
  Tensor x(shape);
  Rng rng(seed);
  rng.fill_normal(x.span(), 0.0f, 4.0f);
  const float edges[] = {0.0f, -0.0f, 30.0f, -30.0f, 1e-30f, -1e-30f, 100.0f, -100.0f};
  for (int64_t i = 0; i < x.size(); i += 97) x[i] = edges[(i / 97) % 8];
  return x;
}

bool same_bits(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

TEST(ActivationDeterminism, SameBitsForOneAndTwoThreads) {
  // 77k elements: above every threading threshold, and not a multiple of 16 (a tail).
  const Tensor x = inputs({257, 301}, 1), dy = inputs({257, 301}, 2);
  for (const Kind& k : kOnDnnl) {
    SCOPED_TRACE(act_name(k.kind) + " alpha " + std::to_string(k.alpha));
    const Outputs one =
        test::on_worker(1, [&](ExecContext& e) { return run(k.kind, k.alpha, x, dy, e); });
    const Outputs two =
        test::on_worker(2, [&](ExecContext& e) { return run(k.kind, k.alpha, x, dy, e); });
    EXPECT_TRUE(same_bits(one.y.data(), two.y.data(), x.size()));
    EXPECT_TRUE(same_bits(one.dx.data(), two.dx.data(), x.size()));
  }
}

TEST(ActivationDeterminism, ARowGivesTheSameBitsInAnyBatch) {
  // Rows of 13 values, so a row lands anywhere in oneDNN's 16-float blocks and in the tail.
  constexpr int64_t kWidth = 13, kRows = 6000;
  const Tensor all = inputs({kRows, kWidth}, 3), all_dy = inputs({kRows, kWidth}, 4);
  for (const Kind& k : kOnDnnl) {
    SCOPED_TRACE(act_name(k.kind) + " alpha " + std::to_string(k.alpha));
    // One layer for every batch size, as in training: its primitives are kept per shape.
    Activation layer("act", k.kind, k.alpha);
    layer.build({kWidth});
    auto batch = [&](int64_t first, int64_t rows) {
      Tensor x({rows, kWidth}), dy({rows, kWidth});
      std::memcpy(x.data(), all.row(first), static_cast<size_t>(x.size()) * sizeof(float));
      std::memcpy(dy.data(), all_dy.row(first), static_cast<size_t>(x.size()) * sizeof(float));
      LayerContext ctx;
      ctx.exec = &test::exec();
      layer.forward(x, ctx);
      layer.backward(ctx, dy);
      return Outputs{ctx.y, ctx.dx};
    };
    const Outputs whole = batch(0, kRows);  // 78k values: the threaded loops too
    for (int64_t rows : {1, 2, 3, 5, 8, 16, 17, 33, 64, 129, 2999, 5999}) {
      for (int64_t first : {int64_t{0}, int64_t{1}, kRows - rows}) {
        const Outputs part = batch(first, rows);
        const int64_t offset = first * kWidth;
        ASSERT_TRUE(same_bits(part.y.data(), whole.y.data() + offset, part.y.size()))
            << rows << " rows from " << first;
        ASSERT_TRUE(same_bits(part.dx.data(), whole.dx.data() + offset, part.dx.size()))
            << rows << " rows from " << first;
      }
    }
  }
}

TEST(ActivationDeterminism, SigmoidValuesMatchTheSigmoidLayer) {
  const Tensor x = inputs({100, 37}, 5), dy = inputs({100, 37}, 6);
  const Outputs layer = run(ActKind::sigmoid, kDefault, x, dy, test::exec());
  Tensor values = x;
  sigmoid_values(values.data(), values.data(), values.size());  // in place
  EXPECT_TRUE(same_bits(values.data(), layer.y.data(), x.size()));
}

TEST(ActivationDeterminism, AnEmptyBatch) {
  for (const Kind& k : kOnDnnl) {
    Activation layer("act", k.kind, k.alpha);
    layer.build({5});
    const Tensor x({0, 5});
    LayerContext ctx;
    ctx.exec = &test::exec();
    layer.forward(x, ctx);
    layer.backward(ctx, x);
    EXPECT_EQ(ctx.y.shape(), (Shape{0, 5}));
    EXPECT_EQ(ctx.dx.shape(), (Shape{0, 5}));
  }
}

// Sigmoid's and tanh's backward run as plain loops from y (no primitive call per layer); they
// give the bits oneDNN's use_dst_for_bwd primitives give, on the wide inputs' outputs.
TEST(ActivationDeterminism, SigmoidAndTanhBackwardMatchOneDnnBitForBit) {
  const std::vector<float> xs = wide_inputs();
  const auto n = static_cast<int64_t>(xs.size());
  Tensor x({1, n}), dy({1, n});
  std::copy(xs.begin(), xs.end(), x.data());
  Rng rng(11);
  for (int64_t i = 0; i < n; ++i) dy[i] = rng.uniform(-2.0f, 2.0f);
  for (const auto& [kind, alg] :
       {std::pair{ActKind::sigmoid, dnnl::algorithm::eltwise_logistic_use_dst_for_bwd},
        std::pair{ActKind::tanh, dnnl::algorithm::eltwise_tanh_use_dst_for_bwd}}) {
    const Outputs layer = run(kind, kDefault, x, dy, test::exec());
    const dnnl::memory::desc desc({1, n}, dnnl::memory::data_type::f32,
                                  dnnl::memory::format_tag::ab);
    const dnnl::eltwise_forward::primitive_desc hint(
        {dnnl::prop_kind::forward_training, alg, desc, 0.0f, 0.0f}, cpu_engine());
    const dnnl::eltwise_backward::primitive_desc pd({alg, desc, desc, 0.0f, 0.0f}, cpu_engine(),
                                                    hint);
    Tensor dx({1, n});
    dnnl::stream stream(cpu_engine());
    const auto over = [&](const Tensor& t) {
      return dnnl::memory(desc, cpu_engine(), const_cast<float*>(t.data()));
    };
    dnnl::eltwise_backward(pd).execute(stream, {{DNNL_ARG_DST, over(layer.y)},
                                                {DNNL_ARG_DIFF_DST, over(dy)},
                                                {DNNL_ARG_DIFF_SRC, over(dx)}});
    stream.wait();
    EXPECT_TRUE(same_bits(dx.data(), layer.dx.data(), n)) << act_name(kind);
  }
}

}  // namespace
}  // namespace nnlab
