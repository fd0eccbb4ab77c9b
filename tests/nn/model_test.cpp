#include "nn/model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "gradient_check.hpp"
#include "nn/activation_layer.hpp"
#include "nn/dense.hpp"
#include "nn/loss.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

LayerSpec dense(double units, std::string activation = "relu") {
  LayerSpec s;
  s.type = "dense";
  s.numbers["units"] = units;
  s.where = "test";
  if (!activation.empty()) s.strings["activation"] = activation;
  return s;
}

std::unique_ptr<Model> mlp(const Shape& input, const std::vector<double>& units) {
  std::vector<LayerSpec> specs;
  for (double u : units) specs.push_back(dense(u));
  specs.back().strings["activation"] = "softmax";
  Rng rng(1);
  return build_model(test::exec(), input, specs, *make_loss("cross_entropy"), rng);
}

Tensor m_forward(Model& m, const Tensor& x, Pass& pass) {
  Rng rng(0);
  return m.forward(x, Mode::eval, rng, pass);
}

TEST(Model, ParameterCounts) {
  const auto a = mlp({784}, {1024, 512, 10});
  EXPECT_EQ(a->parameter_count(), 1333770);
  EXPECT_NE(a->summary().find("Total parameters: 1,333,770"), std::string::npos) << a->summary();
  EXPECT_EQ(a->head(), Head::softmax);
  EXPECT_EQ(a->layer(a->layer_count() - 1).kind(), "dense");  // softmax became the head
  EXPECT_EQ(mlp({1092}, {80, 70, 50})->parameter_count(), 96660);
}

// Binary cross-entropy takes logits: a final sigmoid becomes the head that predict() applies,
// a final relu or softmax is refused (it would squash twice or not at all).
TEST(Model, BinaryCrossEntropyMovesAFinalSigmoidIntoTheHead) {
  const auto bce = make_loss("binary_cross_entropy");
  Rng rng(1);
  const auto m = build_model(test::exec(), {6}, {dense(5, "relu"), dense(4, "sigmoid")}, *bce, rng);
  EXPECT_EQ(m->head(), Head::sigmoid);
  EXPECT_EQ(m->layer(m->layer_count() - 1).kind(), "dense");
  EXPECT_NE(m->summary().find("sigmoid (in predict)"), std::string::npos);
  const Tensor x = random_tensor({3, 6}, 2);
  Rng draw(1);
  Pass pass;
  const Tensor logits = m->forward(x, Mode::eval, draw, pass);
  Tensor p;
  m->predict(x, p, draw);
  for (int64_t i = 0; i < p.size(); ++i)
    EXPECT_NEAR(p[i], 1.0 / (1.0 + std::exp(-static_cast<double>(logits[i]))), 1e-6) << i;
  for (const char* last : {"relu", "softmax"}) {
    try {
      build_model(test::exec(), {6}, {dense(5, "relu"), dense(4, last)}, *bce, rng);
      ADD_FAILURE() << last << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("end with sigmoid or a linear"), std::string::npos)
          << e.what();
    }
  }
  // A linear last layer is taken as logits, with the head added.
  EXPECT_EQ(build_model(test::exec(), {6}, {dense(4, "linear")}, *bce, rng)->head(), Head::sigmoid);
}

TEST(Model, ArenaIsContiguous) {
  const auto m = mlp({6}, {5, 4, 3});
  float* expect = m->values().data();
  for (const Parameter* p : m->parameters()) {
    EXPECT_EQ(p->value.data(), expect) << p->name;
    EXPECT_EQ(p->grad.data() - m->grads().data(), expect - m->values().data());
    expect += p->value.size();
  }
  EXPECT_EQ(expect, m->values().data() + m->values().size());
  EXPECT_EQ(m->parameters()[0]->name, "dense1.weight");
}

// Backward assigns the parameters' gradients: a second batch's replace the first's (nothing
// zeroes them between steps), and an empty batch's are zeros.
TEST(Model, BackwardAssignsTheGradients) {
  const auto m = mlp({6}, {5, 3});
  const Tensor x = random_tensor({4, 6}, 2);
  const Tensor dy = random_tensor({4, 3}, 3);
  Rng rng(1);
  Pass pass;
  m->forward(x, Mode::train, rng, pass);
  m->backward(pass, dy);
  const std::vector<float> once(m->grads().begin(), m->grads().end());
  ASSERT_NE(once, std::vector<float>(once.size(), 0.0f));
  m->forward(x, Mode::train, rng, pass);
  m->backward(pass, dy);
  EXPECT_EQ(std::vector<float>(m->grads().begin(), m->grads().end()), once);
  const Tensor none({0, 6}), none_dy({0, 3});  // x outlives the pass
  m->forward(none, Mode::train, rng, pass);
  m->backward(pass, none_dy);
  for (float g : m->grads()) ASSERT_EQ(g, 0.0f);
}

// Nothing below the first layer with parameters needs a gradient: that layer skips its input
// gradient and the layers before it are not run backward, unless the caller asks for dL/dx.
TEST(Model, BackwardStopsAtTheFirstLayerWithParameters) {
  LayerSpec drop;
  drop.type = "dropout";
  drop.numbers["rate"] = 0.5;
  drop.where = "test";
  Rng rng(1);
  const auto m =
      build_model(test::exec(), {6}, {drop, dense(4), dense(3, "")}, *make_loss("mse"), rng);
  const Tensor x = random_tensor({5, 6}, 2), dy = random_tensor({5, 3}, 3);
  Pass pass;
  m->forward(x, Mode::train, rng, pass);
  m->backward(pass, dy);
  EXPECT_TRUE(pass.context(0).dx.empty()) << "dropout below the first dense ran backward";
  EXPECT_FALSE(pass.context(1).input_grad);
  EXPECT_TRUE(pass.context(2).input_grad);  // relu1 feeds the second dense its gradient
  const std::vector<float> grads(m->grads().begin(), m->grads().end());
  m->backward(pass, dy, true);
  EXPECT_EQ(pass.input_gradient().shape(), x.shape());
  EXPECT_EQ(std::vector<float>(m->grads().begin(), m->grads().end()), grads);
}

TEST(Model, PredictAppliesSoftmaxHead) {
  const auto m = mlp({6}, {5, 3});
  Tensor out;
  Rng rng(1);
  m->predict(random_tensor({4, 6}, 5), out, rng);
  ASSERT_EQ(out.shape(), (Shape{4, 3}));
  for (int64_t r = 0; r < 4; ++r)
    EXPECT_NEAR(out.row(r)[0] + out.row(r)[1] + out.row(r)[2], 1.0f, 1e-5f);
}

TEST(Model, CrossEntropyAfterSigmoidIsRejected) {
  Rng rng(1);
  try {
    build_model(test::exec(), {6}, {dense(3, "sigmoid")}, *make_loss("cross_entropy"), rng);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("test: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("sigmoid"), std::string::npos) << e.what();
  }
}

TEST(Model, PlanMatchesTheBuiltModelWithoutAllocatingIt) {
  auto spec = [](std::string type, std::map<std::string, double> numbers) {
    LayerSpec s;
    s.type = std::move(type);
    s.numbers = std::move(numbers);
    s.where = "test";
    return s;
  };
  const std::vector<LayerSpec> specs = {
      spec("conv2d", {{"filters", 6}, {"kernel", 5}, {"padding", 2}}), spec("batch_norm", {}),
      spec("max_pool", {{"size", 2}}), spec("flatten", {}), dense(10, "softmax")};
  const auto loss = make_loss("cross_entropy");
  Rng rng(1);
  const auto built = build_model(test::exec(), {1, 28, 28}, specs, *loss, rng);
  const ModelShape plan = plan_model({1, 28, 28}, specs, *loss);
  EXPECT_EQ(plan.parameters, built->parameter_count());
  EXPECT_EQ(plan.output, built->output_shape());
  // 784 -> 10^6 -> 10: 795 million parameters, 6 GB of arenas the plan never allocates.
  const ModelShape big = plan_model({784}, {dense(1e6), dense(10, "softmax")}, *loss);
  EXPECT_EQ(big.parameters, 784LL * 1000000 + 1000000 + 1000000LL * 10 + 10);
  // The same checks as build_model.
  try {
    plan_model({6}, {dense(3, "sigmoid")}, *loss);
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sigmoid"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plan_model({1, 4, 4}, {spec("conv2d", {{"filters", 1}, {"kernel", 5}})}, *loss),
               Error);
}

// Passes belong to their callers: an evaluation pass between a training forward and its
// backward leaves the training pass intact, so the gradients are those of the training batch.
TEST(Model, PassesInFlightDoNotDisturbOneAnother) {
  const auto m = mlp({6}, {5, 4, 3});
  const Tensor x = random_tensor({4, 6}, 2), other = random_tensor({7, 6}, 9);
  const Tensor dy = random_tensor({4, 3}, 3);
  Rng rng(1);
  Pass train;
  m->forward(x, Mode::train, rng, train);
  m->backward(train, dy, true);
  const std::vector<float> alone(m->grads().begin(), m->grads().end());
  const Tensor dx_alone = train.input_gradient();

  m->forward(x, Mode::train, rng, train);
  Pass eval;
  const Tensor y_other = m->forward(other, Mode::eval, rng, eval);
  EXPECT_EQ(y_other.rows(), 7);
  m->backward(train, dy, true);
  for (size_t i = 0; i < alone.size(); ++i) ASSERT_EQ(m->grads()[i], alone[i]) << i;
  for (int64_t i = 0; i < dx_alone.size(); ++i) ASSERT_EQ(train.input_gradient()[i], dx_alone[i]);
}

// The first layer's input gradient is computed only when asked for; the parameter gradients
// are the same either way.
TEST(Model, TheInputGradientIsComputedOnlyWhenAskedFor) {
  const auto m = mlp({6}, {5, 3});
  const Tensor x = random_tensor({4, 6}, 2), dy = random_tensor({4, 3}, 3);
  Rng rng(1);
  Pass pass;
  m->forward(x, Mode::train, rng, pass);
  m->backward(pass, dy, true);
  const std::vector<float> with(m->grads().begin(), m->grads().end());
  EXPECT_EQ(pass.input_gradient().shape(), x.shape());
  m->forward(x, Mode::train, rng, pass);
  m->backward(pass, dy);
  for (size_t i = 0; i < with.size(); ++i) ASSERT_EQ(m->grads()[i], with[i]) << i;
  EXPECT_NE(error_of([&] { (void)pass.input_gradient(); }).find("was not computed"),
            std::string::npos);
  Pass partial;
  m->forward(x, Mode::eval, rng, partial, 0, 1);
  EXPECT_NE(error_of([&] { (void)partial.context(1); }).find("was not run by this pass"),
            std::string::npos);
}

// A code layer splits an autoencoder; a model has at most one.
TEST(Model, TheCodeLayerSplitsEncoderAndDecoder) {
  LayerSpec code;
  code.type = "code";
  code.where = "test";
  Rng rng(1);
  const auto mse = make_loss("mse");
  const auto ae = build_model(test::exec(), {8}, {dense(4), code, dense(8, "linear")}, *mse, rng);
  ASSERT_GE(ae->code_layer(), 0);
  EXPECT_EQ(ae->layer(ae->code_layer()).kind(), "code");
  EXPECT_EQ(ae->layer(ae->code_layer()).output_shape(), (Shape{4}));
  EXPECT_EQ(mlp({6}, {5, 3})->code_layer(), -1);
  // The encoder pass then the decoder pass give the whole model's output.
  const Tensor x = random_tensor({3, 8}, 4);
  Pass whole, enc, dec;
  const Tensor y = m_forward(*ae, x, whole);
  const Tensor& c = ae->forward(x, Mode::eval, rng, enc, 0, ae->code_layer() + 1);
  const Tensor& y2 = ae->forward(c, Mode::eval, rng, dec, ae->code_layer() + 1);
  ASSERT_EQ(y.shape(), y2.shape());
  for (int64_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], y2[i]) << i;
  expect_gradients_match(*ae, x);
  EXPECT_NE(error_of([&] {
              build_model(test::exec(), {8}, {dense(4), code, dense(4), code, dense(8, "linear")},
                          *mse, rng);
            }).find("at most one code layer"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab::test
