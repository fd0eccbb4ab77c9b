// Optimizers see the model's parameters as flat spans (one arena of values, one of gradients);
// the Parameter list gives the ranges that get weight decay, penalties and constraints
// (weights, not biases).
//
// A step is one pass over the arena, in blocks of whole rows run in parallel: each block gets
// its penalty gradients (L1/L2), weight decay, the optimizer's update, the max-norm constraint
// on the rows just updated, and, with an average, the exponential moving average of the values
// updated. Five sweeps of memory become one, which only reads the gradients (each backward
// assigns them); every element's arithmetic, and each row's norm, is the same whatever the
// thread count.
#pragma once

#include <cstdint>
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
  // train.ema: the decay d of an exponential moving average of the values, a = d_t a +
  // (1 - d_t) w after step t from a = the values before the first step, with d_t = min(d,
  // (1 + t) / (10 + t)) (TensorFlow's ExponentialMovingAverage with num_updates), so a short
  // run averages its own last steps rather than its start; 0: none.
  float average = 0.0f;
};

/// What a step found NaN or infinite, checked within the step's own pass while each block is in
/// cache: the first parameter (in arena order) with such a gradient before its update, and the
/// first with such a value after it; empty names where everything was finite.
struct StepHealth {
  std::string bad_gradient, bad_value;
  bool finite() const { return bad_gradient.empty() && bad_value.empty(); }
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update of the values from the gradients with learning rate `lr` (the schedule's
  /// value), the parameters' penalties and max-norm constraints included; reads the gradients
  /// and leaves them as they were.
  StepHealth step(float lr);
  /// The optimizer's state (moments, step count, the average) as flat tensors, for checkpoints.
  std::vector<Tensor*> state();
  const OptimizerConfig& config() const { return config_; }

  /// Whether the optimizer keeps an average of the values (config().average > 0).
  bool averages() const { return config_.average > 0; }
  /// Whether it has one: it averages and has taken a step.
  bool has_average() const { return averages() && averaged_steps_[0] > 0.0f; }
  /// The average (needs has_average()).
  std::span<const float> average() const { return average_.span(); }
  /// Exchanges the values and their average, element by element (needs has_average()): once to
  /// evaluate or keep the averaged weights, once more to train on.
  void swap_average();

 protected:
  Optimizer(OptimizerConfig config, std::span<float> values, std::span<float> grads,
            const std::vector<Parameter*>& params);
  /// The subclass's own state (moments, step count).
  virtual std::vector<Tensor*> own_state() = 0;
  /// Called once per step before the blocks: advances the step count and computes what every
  /// element's update shares (Adam's bias corrections).
  virtual void begin_step(float lr) = 0;
  /// The update of elements [begin, begin + n) of the arena from their gradients g[0, n)
  /// (penalties and coupled decay already added). Must touch nothing outside that range.
  virtual void update(size_t begin, size_t n, const float* g, float lr) = 0;

  OptimizerConfig config_;
  std::span<float> values_;
  std::span<float> grads_;

 private:
  // Rows [row, row + rows) of one parameter (or of arena floats no parameter claims).
  struct Block {
    size_t offset = 0;  // first element in the arena
    size_t rows = 0, cols = 0;
    bool is_weight = false;
    Regularizer reg;
    const Parameter* param = nullptr;  // null for floats no parameter claims
  };
  // Bits of a block's health: a NaN or infinite gradient (before the update), value (after).
  enum : uint8_t { kBadGradient = 1, kBadValue = 2 };
  /// Updates one block, moves its average by `average_decay` (this step's d_t), and returns its
  /// health bits.
  uint8_t step_block(const Block& b, float lr, float average_decay);

  std::vector<Block> blocks_;
  std::vector<uint8_t> health_;  // per block, written by the thread that steps it
  Tensor average_;               // [P] the values' moving average (config_.average > 0)
  Tensor averaged_steps_;        // [1] steps the average has seen; 0: not started
};

/// Unknown types and out-of-range values throw naming the key ("train.optimizer.lr must be
/// > 0, got -1") and the list of known types.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, std::span<float> values,
                                          std::span<float> grads,
                                          const std::vector<Parameter*>& params);
std::vector<std::string> optimizer_types();

}  // namespace nnlab
