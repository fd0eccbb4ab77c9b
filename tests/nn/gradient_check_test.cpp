// The finite-difference checker (declared in gradient_check.hpp) and its gradient tests for
// every layer kind.
#include "gradient_check.hpp"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nn/activation_layer.hpp"
#include "nn/dense.hpp"
#include "nn/dropout.hpp"
#include "nn/flatten.hpp"
#include "nn/noise.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab::test {

int64_t differing(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  int64_t n = 0;
  for (int64_t i = 0; i < std::min(a.size(), b.size()); ++i) n += a[i] != b[i];
  return n;
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float stddev, float min_abs) {
  Tensor t(shape);
  Rng rng(seed);
  rng.fill_normal(t.span(), 0.0f, stddev);
  for (float& v : t.span())
    if (std::abs(v) < min_abs) v = v < 0 ? v - min_abs : v + min_abs;
  return t;
}

namespace {

double weighted_sum(const Tensor& y, const Tensor& r) {
  double s = 0.0;
  for (int64_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[i];
  return s;
}

void expect_close(double analytic, double numeric, double tol, const std::string& what) {
  const double scale = std::max({1.0, std::abs(analytic), std::abs(numeric)});
  EXPECT_LE(std::abs(analytic - numeric), tol * scale)
      << what << ": analytic " << analytic << " vs numeric " << numeric;
}

}  // namespace

void expect_gradients_match(Model& model, const Tensor& x, const GradCheckOptions& opt) {
  auto loss_at = [&](const Tensor& input) {
    Rng rng(opt.seed);
    Pass pass;
    return model.forward(input, opt.mode, rng, pass);
  };
  const Tensor r = random_tensor(loss_at(x).shape(), opt.seed + 1000);

  // Analytic gradients: L = sum(y * r) so dL/dy = r.
  Pass pass;
  {
    Rng rng(opt.seed);
    model.forward(x, opt.mode, rng, pass);
  }
  model.backward(pass, r, true);
  const Tensor dx = pass.input_gradient();
  const std::vector<float> grads(model.grads().begin(), model.grads().end());

  auto numeric = [&](float& v, const Tensor& input) {
    const float saved = v;
    v = static_cast<float>(saved + opt.eps);
    const double plus = weighted_sum(loss_at(input), r);
    v = static_cast<float>(saved - opt.eps);
    const double minus = weighted_sum(loss_at(input), r);
    v = saved;
    return (plus - minus) / (2.0 * opt.eps);
  };

  if (opt.check_input) {
    Tensor xp = x;
    for (int64_t i = 0; i < xp.size(); ++i)
      expect_close(dx[i], numeric(xp[i], xp), opt.tol, "dL/dx[" + std::to_string(i) + "]");
  }
  const auto values = model.values();
  for (Parameter* p : model.parameters()) {
    const int64_t offset = p->value.data() - values.data();
    for (int64_t i = 0; i < p->value.size(); ++i)
      expect_close(grads[static_cast<size_t>(offset + i)], numeric(p->value[i], x), opt.tol,
                   p->name + "[" + std::to_string(i) + "]");
  }
}

void expect_layer_gradients(LayerPtr layer, const Tensor& x, const GradCheckOptions& opt) {
  Shape sample(x.shape().begin() + 1, x.shape().end());
  std::vector<LayerPtr> layers;
  layers.push_back(std::move(layer));
  Rng init(opt.seed + 7);
  Model model(test::exec(), sample, std::move(layers), Head::none, init);
  expect_gradients_match(model, x, opt);
}

void expect_loss_gradient(const Loss& loss, const Tensor& out, const Targets& t,
                          const GradCheckOptions& opt) {
  Tensor dout;
  loss.compute(out, t, &dout);
  ASSERT_EQ(dout.shape(), out.shape());
  Tensor o = out;
  for (int64_t i = 0; i < o.size(); ++i) {
    const float saved = o[i];
    o[i] = static_cast<float>(saved + opt.eps);
    const double plus = loss.compute(o, t, nullptr);
    o[i] = static_cast<float>(saved - opt.eps);
    const double minus = loss.compute(o, t, nullptr);
    o[i] = saved;
    expect_close(dout[i], (plus - minus) / (2.0 * opt.eps), opt.tol,
                 loss.name() + " dout[" + std::to_string(i) + "]");
  }
}

namespace {

// The checker itself must fail on a wrong gradient: an identity whose backward doubles dy.
class WrongIdentity : public Layer {
 public:
  WrongIdentity() : Layer("wrong1") {}
  std::string kind() const override { return "wrong"; }

 protected:
  Shape build_impl(const Shape& in) override { return in; }
  void forward_impl(const Tensor& x, LayerContext& ctx) override { ctx.y = x; }
  void backward_impl(LayerContext& ctx, const Tensor& dy) override {
    ctx.dx = dy;
    for (float& v : ctx.dx.span()) v *= 2.0f;
  }
};

TEST(GradientCheck, CatchesAWrongGradient) {
  EXPECT_NONFATAL_FAILURE(
      expect_layer_gradients(std::make_unique<WrongIdentity>(), random_tensor({1, 1}, 1)),
      "analytic");
}

TEST(GradientCheck, Dense) {
  expect_layer_gradients(std::make_unique<Dense>("dense1", 4), random_tensor({3, 5}, 1));
}

TEST(GradientCheck, DenseOnImageInput) {
  expect_layer_gradients(std::make_unique<Dense>("dense1", 3), random_tensor({2, 2, 3, 2}, 2));
}

TEST(GradientCheck, EveryActivation) {
  for (const std::string& name : activation_names()) {
    SCOPED_TRACE(name);
    expect_layer_gradients(make_activation(name + "1", name),
                           random_tensor({3, 6}, 3, 1.5f, 0.05f));
  }
}

TEST(GradientCheck, ActivationsWithAlpha) {
  expect_layer_gradients(make_activation("leaky_relu1", "leaky_relu", 0.2f),
                         random_tensor({3, 6}, 4, 1.0f, 0.05f));
  expect_layer_gradients(make_activation("elu1", "elu", 0.5f),
                         random_tensor({3, 6}, 5, 1.0f, 0.05f));
}

TEST(GradientCheck, DropoutWithFixedMask) {
  expect_layer_gradients(std::make_unique<Dropout>("dropout1", 0.5f), random_tensor({4, 6}, 6));
}

TEST(GradientCheck, DropoutEvalIsIdentity) {
  expect_layer_gradients(std::make_unique<Dropout>("dropout1", 0.5f), random_tensor({4, 6}, 6),
                         {.mode = Mode::eval});
}

TEST(GradientCheck, GaussianNoiseWithFixedNoise) {
  expect_layer_gradients(std::make_unique<GaussianNoise>("gaussian_noise1", 0.3f),
                         random_tensor({3, 4}, 7));
}

TEST(GradientCheck, Flatten) {
  expect_layer_gradients(std::make_unique<Flatten>("flatten1"), random_tensor({2, 2, 2, 3}, 8));
}

TEST(GradientCheck, StackedModel) {
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Flatten>("flatten1"));
  layers.push_back(std::make_unique<Dense>("dense2", 5));
  layers.push_back(make_activation("tanh2", "tanh"));
  layers.push_back(std::make_unique<Dropout>("dropout3", 0.25f));
  layers.push_back(std::make_unique<Dense>("dense4", 3));
  layers.push_back(make_activation("softmax4", "softmax"));
  Rng init(3);
  Model model(test::exec(), {2, 2, 2}, std::move(layers), Head::none, init);
  expect_gradients_match(model, random_tensor({3, 2, 2, 2}, 9));
}

}  // namespace
}  // namespace nnlab::test
