#include <fmt/ranges.h>

#include <algorithm>

#include "optim/optimizers.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

// Every key is checked whatever the type, so a typo in an unused setting is still caught.
void validate(const OptimizerConfig& c) {
  const auto known = optimizer_types();
  NNLAB_CHECK(std::find(known.begin(), known.end(), c.type) != known.end(),
              "train.optimizer.type: unknown optimizer \"{}\" (known: {})", c.type,
              fmt::join(known, ", "));
  NNLAB_CHECK(c.lr > 0.0f, "train.optimizer.lr must be > 0, got {}", c.lr);
  NNLAB_CHECK(c.momentum >= 0.0f && c.momentum < 1.0f,
              "train.optimizer.momentum must be in [0, 1), got {}", c.momentum);
  NNLAB_CHECK(c.rho > 0.0f && c.rho < 1.0f, "train.optimizer.rho must be in (0, 1), got {}", c.rho);
  NNLAB_CHECK(c.beta1 >= 0.0f && c.beta1 < 1.0f, "train.optimizer.beta1 must be in [0, 1), got {}",
              c.beta1);
  NNLAB_CHECK(c.beta2 >= 0.0f && c.beta2 < 1.0f, "train.optimizer.beta2 must be in [0, 1), got {}",
              c.beta2);
  NNLAB_CHECK(c.eps > 0.0f, "train.optimizer.eps must be > 0, got {}", c.eps);
  NNLAB_CHECK(c.weight_decay >= 0.0f, "train.optimizer.weight_decay must be >= 0, got {}",
              c.weight_decay);
  NNLAB_CHECK(c.type != "adamw" || c.decay == WeightDecay::decoupled,
              "train.optimizer.decay = \"coupled\" contradicts type = \"adamw\" (decoupled by "
              "definition); use type = \"adam\" for PyTorch's Adam(weight_decay)");
  NNLAB_CHECK(!c.nesterov || (c.type == "sgd" && c.momentum > 0.0f),
              "train.optimizer.nesterov needs type = \"sgd\" and momentum > 0");
}

}  // namespace

std::vector<std::string> optimizer_types() { return {"sgd", "rmsprop", "adam", "adamw"}; }

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, std::span<float> values,
                                          std::span<float> grads,
                                          const std::vector<Parameter*>& params) {
  validate(config);
  if (config.type == "sgd") return std::make_unique<Sgd>(config, values, grads, params);
  if (config.type == "rmsprop") return std::make_unique<RmsProp>(config, values, grads, params);
  return std::make_unique<Adam>(config, values, grads, params);  // adam, adamw
}

}  // namespace nnlab
