// The optimizer's one pass over the arena: the penalties' gradients, max-norm per unit (dense
// rows, conv filters, transposed-conv input channels), gradients only read, and the same
// result whatever the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "nn/model_builder.hpp"
#include "optim/optimizer.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

LayerSpec layer(const std::string& type, std::map<std::string, double> numbers) {
  LayerSpec s;
  s.type = type;
  s.numbers = std::move(numbers);
  s.where = "test";
  return s;
}

std::unique_ptr<Model> model_of(ExecContext& exec, const Shape& input,
                                const std::vector<LayerSpec>& specs) {
  Rng rng(1);
  return build_model(exec, input, specs, *make_loss("mse"), rng);
}

std::unique_ptr<Optimizer> sgd(Model& m, float lr) {
  return make_optimizer({.type = "sgd", .lr = lr}, m.values(), m.grads(), m.parameters());
}

// The norm of each row of a parameter [rows, ...].
std::vector<double> row_norms(const Parameter& p) {
  std::vector<double> norms;
  for (int64_t r = 0; r < p.value.rows(); ++r) {
    double sq = 0;
    for (int64_t c = 0; c < p.value.cols(); ++c) sq += p.value.row(r)[c] * p.value.row(r)[c];
    norms.push_back(std::sqrt(sq));
  }
  return norms;
}

TEST(OptimizerPass, PenaltyGradientsMatchFiniteDifferences) {
  const auto m = model_of(
      test::exec(), {5},
      {layer("dense", {{"units", 4}, {"l1", 0.01}}), layer("dense", {{"units", 3}, {"l2", 0.05}})});
  // Keep weights away from 0, where |w| has its kink.
  for (float& v : m->values())
    if (std::abs(v) < 0.05f) v += v < 0 ? -0.05f : 0.05f;
  const std::vector<float> before(m->values().begin(), m->values().end());
  sgd(*m, 1.0f)->step(1.0f);  // zero loss gradient, lr 1: the step is minus the penalty's gradient
  std::vector<float> step(before.size());
  for (size_t i = 0; i < step.size(); ++i) step[i] = before[i] - m->values()[i];
  std::copy(before.begin(), before.end(), m->values().begin());
  const double eps = 1e-3;
  size_t at = 0;
  for (Parameter* p : m->parameters()) {
    for (int64_t i = 0; i < p->value.size(); ++i, ++at) {
      float& v = p->value[i];
      const float saved = v;
      v = static_cast<float>(saved + eps);
      const double plus = m->penalty();
      v = static_cast<float>(saved - eps);
      const double minus = m->penalty();
      v = saved;
      EXPECT_NEAR(step[at], (plus - minus) / (2 * eps), 1e-3) << p->name << "[" << i << "]";
    }
  }
  EXPECT_GT(m->penalty(), 0.0);
}

// L1's gradient is sign(w): 1, -1, and 0 at w = 0 and -0, where |w| has its kink (PyTorch's
// torch.sign), for every element whatever its place in a vector of the loop.
TEST(OptimizerPass, L1PushesEachWeightTowardZeroAndLeavesZeroAlone) {
  const auto m = model_of(test::exec(), {7}, {layer("dense", {{"units", 5}, {"l1", 0.5}})});
  Parameter& w = *m->parameters()[0];
  ASSERT_TRUE(w.is_weight);
  const float pattern[] = {0.0f, 1.0f, -1.0f, -0.0f, 2.0f, -3.0f, 0.25f};
  for (int64_t i = 0; i < w.value.size(); ++i) w.value[i] = pattern[i % 7];
  std::fill(m->grads().begin(), m->grads().end(), 0.0f);
  sgd(*m, 1.0f)->step(1.0f);  // lr 1, no loss gradient: w - 0.5 sign(w)
  const float expected[] = {0.0f, 0.5f, -0.5f, 0.0f, 1.5f, -2.5f, -0.25f};
  for (int64_t i = 0; i < w.value.size(); ++i)
    EXPECT_EQ(w.value[i], expected[i % 7]) << "weight " << i << " from " << pattern[i % 7];
}

TEST(OptimizerPass, MaxNormBoundsEachUnitAndLeavesShortOnesAlone) {
  // dense [8, 20]: rows are units; conv2d [3, 2, 3, 3]: filters; conv_transpose2d [3, 2, 3, 3]
  // ([in, out, k, k], Keras' Conv2DTranspose with MaxNorm(axis=[0, 1, 2])): input channels.
  const auto m =
      model_of(test::exec(), {2, 6, 6},
               {layer("conv2d", {{"filters", 3}, {"kernel", 3}, {"max_norm", 0.5}}),
                layer("conv_transpose2d", {{"filters", 2}, {"kernel", 3}, {"max_norm", 0.5}}),
                layer("dense", {{"units", 8}, {"max_norm", 0.5}})});
  for (Parameter* p : m->parameters()) {
    if (!p->is_weight) continue;
    for (int64_t i = 0; i < p->value.size(); ++i)
      p->value[i] = i < p->value.cols() ? 1.0f : 0.01f;  // only the first unit too long
  }
  sgd(*m, 1e-3f)->step(1e-3f);
  for (const Parameter* p : m->parameters()) {
    if (!p->is_weight) continue;
    const std::vector<double> norms = row_norms(*p);
    EXPECT_NEAR(norms[0], 0.5, 1e-5) << p->name << ": scaled down to the bound, not below";
    for (size_t r = 1; r < norms.size(); ++r)
      EXPECT_NEAR(norms[r], 0.01 * std::sqrt(static_cast<double>(p->value.cols())), 1e-6)
          << p->name << " row " << r;
  }
}

// The step reads the gradients and never writes them (the next backward assigns them), with
// penalties and coupled decay, which it adds apart from the arena.
TEST(OptimizerPass, LeavesTheGradientsAsTheyWere) {
  for (const std::string type : {"sgd", "rmsprop", "adam", "adamw"}) {
    const auto m = model_of(test::exec(), {300}, {layer("dense", {{"units", 200}, {"l1", 1e-3}})});
    Rng rng(2);
    rng.fill_normal(m->grads(), 0.0f, 1.0f);
    const std::vector<float> before(m->grads().begin(), m->grads().end());
    OptimizerConfig config{.type = type, .lr = 0.01f};
    config.weight_decay = 0.1f;
    config.decay = type == "adamw" ? WeightDecay::decoupled : WeightDecay::coupled;
    make_optimizer(config, m->values(), m->grads(), m->parameters())->step(0.01f);
    EXPECT_EQ(std::vector<float>(m->grads().begin(), m->grads().end()), before) << type;
  }
}

// 60,200 parameters, enough for the pass to run in parallel blocks: one thread and two give
// the same bits, penalties, decay and max-norm included.
std::vector<float> three_steps(int threads, const OptimizerConfig& config) {
  return test::on_worker(threads, [&](ExecContext& exec) {
    const auto m =
        model_of(exec, {300},
                 {layer("dense", {{"units", 200}, {"l1", 1e-4}, {"l2", 1e-3}, {"max_norm", 0.3}})});
    const auto opt = make_optimizer(config, m->values(), m->grads(), m->parameters());
    Rng rng(5);
    for (int s = 0; s < 3; ++s) {
      rng.fill_normal(m->grads(), 0.0f, 1.0f);
      opt->step(config.lr);
    }
    return std::vector<float>(m->values().begin(), m->values().end());
  });
}

TEST(OptimizerPass, ThreadCountDoesNotChangeTheResult) {
  for (const OptimizerConfig& c :
       {OptimizerConfig{.type = "adamw", .lr = 0.01f, .weight_decay = 0.1f},
        OptimizerConfig{.type = "sgd",
        .lr = 0.1f,
        .momentum = 0.9f,
        .weight_decay = 0.01f,
        .decay = WeightDecay::coupled},
        OptimizerConfig{.type = "rmsprop", .lr = 0.01f}}) {
    const std::vector<float> one = three_steps(1, c), two = three_steps(2, c);
    EXPECT_EQ(one, two) << c.type;
  }
}

}  // namespace
}  // namespace nnlab
