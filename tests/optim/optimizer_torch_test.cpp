// Each optimizer against torch.optim: the same two parameters, the same five gradients, the
// same hyper-parameters; the weights after five steps must agree to 1e-5 (relative).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "optim/optimizer.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// Reads argv: dir type lr momentum nesterov rho eps beta1 beta2 weight_decay l1 l2 max_norm
// (the weight's penalties, added to its gradient as autograd would, and max-norm, torch.renorm
// of its rows after the step, as Keras' MaxNorm). dir/init.txt has
// the 15 initial values (weight [3, 4] then bias [3]), dir/grads.txt one line per step; writes
// dir/torch.txt with the values after the steps. Exit 77 when torch is missing.
constexpr const char* kOptimizerTorchScript = R"py(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)
d, kind = sys.argv[1], sys.argv[2]
lr, mom, nest, rho, eps, b1, b2, wd, l1, l2, max_norm = [float(a) for a in sys.argv[3:]]
init = [float(x) for x in open(d + "/init.txt").read().split()]
grads = [[float(x) for x in line.split()] for line in open(d + "/grads.txt") if line.strip()]
w = torch.tensor(init[:12], dtype=torch.float32).reshape(3, 4).requires_grad_()
b = torch.tensor(init[12:], dtype=torch.float32).requires_grad_()
# Decay only the weight, as nnlab does.
groups = [{"params": [w], "weight_decay": wd}, {"params": [b], "weight_decay": 0.0}]
if kind == "sgd":
    opt = torch.optim.SGD(groups, lr=lr, momentum=mom, nesterov=nest > 0)
elif kind == "rmsprop":
    opt = torch.optim.RMSprop(groups, lr=lr, alpha=rho, eps=eps, momentum=mom)
elif kind == "adam":
    opt = torch.optim.Adam(groups, lr=lr, betas=(b1, b2), eps=eps)
else:
    opt = torch.optim.AdamW(groups, lr=lr, betas=(b1, b2), eps=eps)
for g in grads:
    gt = torch.tensor(g, dtype=torch.float32)
    with torch.no_grad():
        w.grad = gt[:12].reshape(3, 4) + l1 * torch.sign(w) + 2 * l2 * w
    b.grad = gt[12:].clone()
    opt.step()
    if max_norm > 0:
        with torch.no_grad():
            w.copy_(torch.renorm(w, 2, 0, max_norm))
out = torch.cat([w.detach().reshape(-1), b.detach()]).tolist()
open(d + "/torch.txt", "w").write(" ".join(repr(v) for v in out))
)py";

constexpr int kSteps = 5;

// Two parameters over one arena of 15 floats, like a Model's.
struct Arena {
  std::vector<float> values = std::vector<float>(15), grads = std::vector<float>(15);
  Parameter weight, bias;
  std::vector<Parameter*> params{&weight, &bias};

  Arena() {
    weight.name = "dense.weight";
    weight.shape = {3, 4};
    weight.value = Tensor::view(values.data(), {3, 4});
    weight.grad = Tensor::view(grads.data(), {3, 4});
    weight.is_weight = true;
    bias.name = "dense.bias";
    bias.shape = {3};
    bias.value = Tensor::view(values.data() + 12, {3});
    bias.grad = Tensor::view(grads.data() + 12, {3});
  }
};

struct Case {
  std::string name;
  OptimizerConfig config;
  Regularizer reg = {};  // the weight's
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> cases() {
  OptimizerConfig sgd{.type = "sgd", .lr = 0.1f};
  OptimizerConfig momentum = sgd;
  momentum.momentum = 0.9f;
  OptimizerConfig nesterov = momentum;
  nesterov.nesterov = true;
  OptimizerConfig rms{.type = "rmsprop", .lr = 0.01f, .rho = 0.9f, .eps = 1e-7f};
  OptimizerConfig rms_momentum = rms;
  rms_momentum.momentum = 0.8f;
  OptimizerConfig adam{.type = "adam", .lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f};
  OptimizerConfig adamw = adam;
  adamw.type = "adamw";
  adamw.weight_decay = 0.5f;
  // Coupled weight decay: PyTorch's Adam(weight_decay), SGD and RMSprop add wd * w to the
  // gradient (S4's grid is in this form).
  OptimizerConfig adam_coupled = adam;
  adam_coupled.weight_decay = 0.1f;
  adam_coupled.decay = WeightDecay::coupled;
  OptimizerConfig sgd_coupled = momentum;
  sgd_coupled.weight_decay = 0.3f;
  sgd_coupled.decay = WeightDecay::coupled;
  OptimizerConfig rms_coupled = rms_momentum;
  rms_coupled.weight_decay = 0.2f;
  rms_coupled.decay = WeightDecay::coupled;
  return {
      {"sgd", sgd},
      {"sgd_momentum", momentum},
      {"sgd_nesterov", nesterov},
      {"rmsprop", rms},
      {"rmsprop_momentum", rms_momentum},
      {"adam", adam},
      {"adamw", adamw},
      {"adam_coupled_weight_decay", adam_coupled},
      {"sgd_coupled_weight_decay", sgd_coupled},
      {"rmsprop_coupled_weight_decay", rms_coupled},
      // Penalties and max-norm, which the optimizer's pass applies around the update.
      {"adamw_penalties_max_norm", adamw, {.l1 = 0.05f, .l2 = 0.1f, .max_norm = 1.5f}},
      {"sgd_momentum_penalties_max_norm", momentum, {.l1 = 0.02f, .l2 = 0.2f, .max_norm = 1.0f}}};
}

class OptimizerVsTorch : public ::testing::TestWithParam<Case> {};

TEST_P(OptimizerVsTorch, FiveStepsMatch) {
  const OptimizerConfig& c = GetParam().config;
  Arena a;
  a.weight.reg = GetParam().reg;
  Rng rng(7);
  rng.fill_normal(a.values, 0.0f, 1.0f);
  const auto dir = test::temp_dir();
  std::ofstream(dir / "init.txt") << fmt::format("{}\n", fmt::join(a.values, " "));

  auto opt = make_optimizer(c, a.values, a.grads, a.params);
  {
    std::ofstream grads(dir / "grads.txt");
    for (int s = 0; s < kSteps; ++s) {
      rng.fill_normal(a.grads, 0.0f, 0.5f);
      grads << fmt::format("{}\n", fmt::join(a.grads, " "));
      opt->step(c.lr);
    }
  }
  // Decoupled decay on Adam is PyTorch's AdamW; coupled decay is each optimizer's own.
  const bool decoupled = c.decay == WeightDecay::decoupled && c.weight_decay > 0;
  const std::string py_type = c.type == "adam" && decoupled ? "adamw" : c.type;
  const Regularizer& r = a.weight.reg;
  const std::string args = fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {}", dir.string(),
                                       py_type, c.lr, c.momentum, c.nesterov ? 1 : 0, c.rho, c.eps,
                                       c.beta1, c.beta2, c.weight_decay, r.l1, r.l2, r.max_norm);
  if (!test::run_oracle(kOptimizerTorchScript, args)) return;

  std::ifstream in(dir / "torch.txt");
  std::vector<double> expected;
  for (double v; in >> v;) expected.push_back(v);
  ASSERT_EQ(expected.size(), a.values.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(a.values[i], expected[i], 1e-5 * std::max(1.0, std::abs(expected[i])))
        << "value " << i;

  const std::vector<Tensor*> state = opt->state();
  ASSERT_FALSE(state.empty());
  EXPECT_EQ((*state.back())[0], static_cast<float>(kSteps)) << "the last state tensor counts steps";
}

INSTANTIATE_TEST_SUITE_P(AllOptimizers, OptimizerVsTorch, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Restoring state() into a fresh optimizer continues exactly where the first left off.
TEST(Optimizer, StateRestoresTheRun) {
  for (const Case& c : cases()) {
    Arena a, b;
    Rng rng(3);
    rng.fill_normal(a.values, 0.0f, 1.0f);
    auto first = make_optimizer(c.config, a.values, a.grads, a.params);
    Rng grads(11);
    for (int s = 0; s < 3; ++s) {
      grads.fill_normal(a.grads, 0.0f, 1.0f);
      first->step(c.config.lr);
    }
    b.values = a.values;
    auto second = make_optimizer(c.config, b.values, b.grads, b.params);
    const auto from = first->state();
    const auto to = second->state();
    ASSERT_EQ(from.size(), to.size()) << c.name;
    for (size_t i = 0; i < from.size(); ++i) *to[i] = *from[i];
    for (int s = 0; s < 2; ++s) {
      grads.fill_normal(a.grads, 0.0f, 1.0f);
      std::copy(a.grads.begin(), a.grads.end(), b.grads.begin());
      first->step(c.config.lr);
      second->step(c.config.lr);
    }
    EXPECT_EQ(a.values, b.values) << c.name;
  }
}

TEST(Optimizer, BadSettingsNameTheKey) {
  Arena a;
  auto message = [&](OptimizerConfig c) {
    try {
      make_optimizer(c, a.values, a.grads, a.params);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({.lr = -1.0f}), "train.optimizer.lr must be > 0, got -1");
  EXPECT_NE(message({.momentum = 1.0f}).find("train.optimizer.momentum"), std::string::npos);
  EXPECT_NE(message({.rho = 0.0f}).find("train.optimizer.rho"), std::string::npos);
  EXPECT_NE(message({.beta1 = 1.0f}).find("train.optimizer.beta1"), std::string::npos);
  EXPECT_NE(message({.beta2 = -0.1f}).find("train.optimizer.beta2"), std::string::npos);
  EXPECT_NE(message({.eps = 0.0f}).find("train.optimizer.eps"), std::string::npos);
  EXPECT_NE(message({.weight_decay = -1.0f}).find("train.optimizer.weight_decay"),
            std::string::npos);
  EXPECT_NE(message({.type = "adamw", .weight_decay = 0.1f, .decay = WeightDecay::coupled})
                .find("contradicts type = \"adamw\""),
            std::string::npos);
  const std::string unknown = message({.type = "adagrad"});
  EXPECT_NE(unknown.find("adagrad"), std::string::npos);
  EXPECT_NE(unknown.find("sgd, rmsprop, adam, adamw"), std::string::npos);
}

TEST(Optimizer, WeightDecaySparesBiases) {
  Arena a;
  std::fill(a.values.begin(), a.values.end(), 1.0f);
  auto opt = make_optimizer({.type = "sgd", .lr = 0.1f, .weight_decay = 0.5f}, a.values, a.grads,
                            a.params);
  opt->step(0.1f);  // zero gradients: only the decay acts
  EXPECT_FLOAT_EQ(a.values[0], 0.95f);
  EXPECT_FLOAT_EQ(a.values[11], 0.95f);
  EXPECT_FLOAT_EQ(a.values[12], 1.0f);
  EXPECT_FLOAT_EQ(a.values[14], 1.0f);
}

}  // namespace
}  // namespace nnlab
