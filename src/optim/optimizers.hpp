// The concrete optimizers behind make_optimizer. Each follows PyTorch's update formulas
// (torch.optim, single-tensor path) so results can be compared with it directly; weight decay
// is coupled or decoupled as the config says (Optimizer::step_block). Not part of the
// public contract: code outside src/optim builds optimizers through make_optimizer.
#pragma once

#include "optim/optimizer.hpp"

namespace nnlab {

/// SGD with optional (Nesterov) momentum: v = mu*v + g; w -= lr*v (or lr*(g + mu*v)).
class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
      const std::vector<Parameter*>& params);

 private:
  std::vector<Tensor*> own_state() override;
  void begin_step(float lr) override;
  void update(size_t begin, size_t n, const float* g, float lr) override;

  Tensor velocity_;  // [P], only used with momentum
  Tensor steps_;     // [1]
};

/// RMSprop: s = rho*s + (1-rho)*g^2; with momentum b = mu*b + g/(sqrt(s)+eps), w -= lr*b;
/// without, w -= lr*g/(sqrt(s)+eps).
class RmsProp final : public Optimizer {
 public:
  RmsProp(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
          const std::vector<Parameter*>& params);

 private:
  std::vector<Tensor*> own_state() override;
  void begin_step(float lr) override;
  void update(size_t begin, size_t n, const float* g, float lr) override;

  Tensor square_avg_;  // [P]
  Tensor momentum_;    // [P], only used with momentum
  Tensor steps_;       // [1]
};

/// Adam with bias correction: w -= lr * mhat / (sqrt(vhat) + eps). "adamw" is the same class
/// with its weight decay always decoupled.
class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& config, std::span<float> values, std::span<float> grads,
       const std::vector<Parameter*>& params);

 private:
  std::vector<Tensor*> own_state() override;
  void begin_step(float lr) override;
  void update(size_t begin, size_t n, const float* g, float lr) override;

  Tensor m_;                            // [P] first moment
  Tensor v_;                            // [P] second moment
  Tensor steps_;                        // [1] number of steps taken (bias correction)
  float step_size_ = 0, bc2_sqrt_ = 1;  // this step's lr / bc1 and sqrt(bc2)
};

}  // namespace nnlab
