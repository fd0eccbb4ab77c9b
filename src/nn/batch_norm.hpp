// Batch normalization (Ioffe & Szegedy 2015) with PyTorch's conventions:
// y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature of a dense input and per channel
// of an image (statistics over N, H and W).
//
//   N = batch, C = features or channels, M = values per channel in a batch (N, or N*H*W).
//   x, y: [N, C] or [N, C, L] or [N, C, H, W] (an image batch plain or with its channels blocked:
//         y and dx take x's layout); a ReLU, leaky ReLU or linear activation after the layer is
//         applied as y is written (Layer::applies_post_op)
//   gamma, beta: [C] parameters (init 1 and 0; not weights: no weight decay, no penalties)
//   running_mean, running_var: [C] buffers (init 0 and 1)
//   train: the batch's mean and biased variance normalize x; then
//          running = (1 - momentum) * running + momentum * batch statistic, with the unbiased
//          variance (M / (M - 1) times the biased one). A batch with M = 1 carries no variance
//          (PyTorch refuses it): it leaves running_var as it is.
//   eval:  the running statistics normalize x; nothing is updated.
//   backward ASSIGNS dx, dgamma and dbeta (through the batch statistics after a
//   train-mode forward; with the running statistics held fixed after an eval-mode one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/layer.hpp"

namespace nnlab {

class BatchNorm : public Layer {
 public:
  /// momentum in (0, 1], eps > 0 (PyTorch's defaults).
  explicit BatchNorm(std::string name, float momentum = 0.1f, float eps = 1e-5f);

  std::string kind() const override { return "batch_norm"; }
  /// A ReLU, leaky ReLU or linear activation after the layer is applied as it writes y.
  bool applies_post_op(const PostOp& op) const override;
  std::string describe() const override;
  void init(Rng& rng) override;

  Parameter& gamma() { return params_[0]; }
  Parameter& beta() { return params_[1]; }
  Buffer& running_mean() { return buffers_[0]; }
  Buffer& running_var() { return buffers_[1]; }

 protected:
  bool takes_blocked() const override { return true; }
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  void update_running_stats(const float* mean, const float* var, int64_t m);

  float momentum_, eps_;
  int64_t channels_ = 0;
  int64_t length_ = 1;  // values of a channel in one sample: 1, L, or H * W
  // Per-channel work space, reused from batch to batch (no allocation per step).
  struct Work {
    std::vector<double> partial, sums, sums2;
    Tensor a, b, k, inv_std;  // 64-byte aligned: a block of channels' values is one vector load
  } work_;
};

}  // namespace nnlab
