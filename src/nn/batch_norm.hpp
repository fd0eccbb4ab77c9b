// Batch normalization (Ioffe & Szegedy 2015) with PyTorch's conventions, through oneDNN:
// y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature of a dense input and per channel
// of an image (statistics over N, H and W).
//
//   N = batch, C = features or channels, M = values per channel in a batch (N, or N*H*W).
//   x, y: [N, C] or [N, C, L] or [N, C, H, W]
//   gamma, beta: [C] parameters (init 1 and 0; not weights: no weight decay, no penalties)
//   running_mean, running_var: [C] buffers (init 0 and 1)
//   train: the batch's mean and biased variance normalize x; then
//          running = (1 - momentum) * running + momentum * batch statistic, with the unbiased
//          variance (M / (M - 1) times the biased one). A batch with M = 1 carries no variance
//          (PyTorch refuses it): it leaves running_var as it is.
//   eval:  the running statistics normalize x; nothing is updated.
//   backward ASSIGNS dx and ACCUMULATES dgamma and dbeta (through the batch statistics after a
//   train-mode forward; with the running statistics held fixed after an eval-mode one).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "nn/layer.hpp"
#include "tensor/exec_context.hpp"

namespace nnlab {

class BatchNorm : public Layer {
 public:
  /// momentum in (0, 1], eps > 0 (PyTorch's defaults).
  explicit BatchNorm(std::string name, float momentum = 0.1f, float eps = 1e-5f);

  std::string kind() const override { return "batch_norm"; }
  std::string describe() const override;
  void init(Rng& rng) override;

  Parameter& gamma() { return params_[0]; }
  Parameter& beta() { return params_[1]; }
  Buffer& running_mean() { return buffers_[0]; }
  Buffer& running_var() { return buffers_[1]; }

 protected:
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  /// oneDNN primitives for one batch size and mode; backward is made on first use.
  struct Primitives {
    dnnl::batch_normalization_forward::primitive_desc fwd_pd;
    dnnl::batch_normalization_forward fwd;
    dnnl::batch_normalization_backward bwd;
    dnnl::batch_normalization_backward::primitive_desc bwd_pd;
  };
  Primitives& primitives(int64_t n, Mode mode, int threads);
  void update_running_stats(const float* mean, const float* var, int64_t m);

  float momentum_, eps_;
  int64_t channels_ = 0;
  dnnl::memory::format_tag tag_ = dnnl::memory::format_tag::nc;
  // By batch size (the last batch differs), mode and thread count (oneDNN picks its
  // blocking for the threads it will run on).
  std::map<std::tuple<int64_t, Mode, int>, Primitives> cache_;
  Tensor scratchpad_;
  Tensor dgamma_, dbeta_;  // [C]: oneDNN assigns them, backward adds them to the gradients
};

}  // namespace nnlab
