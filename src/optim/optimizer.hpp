// Optimizers see the model's parameters as flat spans (one arena of values, one of gradients);
// the Parameter list gives the ranges that get weight decay (weights, not biases).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nn/parameter.hpp"

namespace nnlab {

/// How weight decay enters the update, chosen explicitly since the two differ for adaptive
/// optimizers: coupled adds wd * w to the gradient (an L2 term; PyTorch's Adam(weight_decay),
/// SGD and RMSprop), decoupled shrinks the weights apart from the gradient (AdamW; Loshchilov &
/// Hutter 2019: w -= lr * wd * w).
enum class WeightDecay { decoupled, coupled };

struct OptimizerConfig {
  std::string type = "sgd";  // sgd | rmsprop | adam | adamw
  float lr = 0.01f;
  float momentum = 0.0f;      // sgd; rmsprop (PyTorch's momentum)
  bool nesterov = false;      // sgd
  float rho = 0.9f;           // rmsprop decay of the squared-gradient average (Keras' rho)
  float beta1 = 0.9f;         // adam
  float beta2 = 0.999f;       // adam
  float eps = 1e-7f;          // adam, rmsprop (Keras' default; PyTorch uses 1e-8)
  float weight_decay = 0.0f;  // on weights, not biases
  WeightDecay decay = WeightDecay::decoupled;  // adamw: always decoupled
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update of `values` from `grads` with learning rate `lr` (the schedule's value).
  virtual void step(float lr) = 0;
  /// The optimizer's state (moments, step count) as flat tensors, for checkpoints.
  virtual std::vector<Tensor*> state() = 0;
  const OptimizerConfig& config() const { return config_; }

 protected:
  Optimizer(OptimizerConfig config, std::span<float> values, std::span<float> grads,
            const std::vector<Parameter*>& params);
  /// Applies weight decay to the weights (not biases), before the update: decoupled,
  /// w -= lr * wd * w; coupled, g += wd * w.
  void apply_weight_decay(float lr);

  OptimizerConfig config_;
  std::span<float> values_;
  std::span<float> grads_;
  // Views of values_ and of grads_ for the parameters that carry is_weight.
  std::vector<std::span<float>> weights_, weight_grads_;
};

/// Unknown types and out-of-range values throw naming the key ("train.optimizer.lr must be
/// > 0, got -1") and the list of known types.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, std::span<float> values,
                                          std::span<float> grads,
                                          const std::vector<Parameter*>& params);
std::vector<std::string> optimizer_types();

}  // namespace nnlab
