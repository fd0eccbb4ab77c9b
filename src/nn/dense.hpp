// Dense (fully connected) layer: y = x W^T + b.
//
//   N = batch, F = in-features (the product of the per-sample input shape, so an image
//   [C, H, W] is read as flattened), U = units.
//   x: [N, F...]   W: [U, F] (PyTorch's layout)   b: [U]   y: [N, U]
//   backward ASSIGNS dW = dy^T x and db = column sums of dy, and, when ctx.input_grad,
//   ASSIGNS dx = dy W (shaped like x).
//
// The forward pass is one oneDNN matmul that adds the bias and applies the activation after the
// layer (ctx.post_op) as it writes y: no pass of its own for either. The backward products are
// oneDNN's sgemm, which beats matmul on those shapes (docs/results.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "nn/init.hpp"
#include "nn/layer.hpp"

namespace nnlab {

class Dense : public Layer {
 public:
  /// `reg` is attached to the weight (parameter 0); the bias (parameter 1) carries none.
  Dense(std::string name, int64_t units, InitKind init = InitKind::glorot_uniform,
        Regularizer reg = {});
  ~Dense() override;

  std::string kind() const override { return "dense"; }
  std::string describe() const override;
  void init(Rng& rng) override;
  bool applies_post_op(const PostOp& /*op*/) const override { return true; }

  int64_t units() const { return units_; }
  int64_t in_features() const { return in_features_; }
  Parameter& weight() { return params_[0]; }
  Parameter& bias() { return params_[1]; }

 protected:
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  int64_t units_;
  InitKind init_;
  Regularizer reg_;
  int64_t in_features_ = 0;

  struct Primitives;
  /// The forward matmul for a batch of n at the current thread count with the given post-op,
  /// created on first use.
  Primitives& primitives(int64_t n, int threads, const PostOp& post_op);
  // Keyed like Conv2d's: oneDNN sizes a primitive's work split by the thread count.
  std::map<std::tuple<int64_t, int, PostOp>, std::unique_ptr<Primitives>> primitives_;
  Tensor scratchpad_;
};

}  // namespace nnlab
