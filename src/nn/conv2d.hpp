// 2-D convolution (cross-correlation, as in PyTorch) through oneDNN.
//
//   N = batch, C = in-channels, H, W = input height and width, O = filters, k = kernel side,
//   OH, OW = output height and width (conv_shape.hpp's conv_out_size).
//   x: [N, C, H, W]   W: [O, C, k, k] (PyTorch's layout)   b: [O]   y: [N, O, OH, OW]
//   backward ASSIGNS dW and db and, when ctx.input_grad, dx (shaped like x).
//
// Primitives are created once per batch size (training's last batch and evaluation use other
// sizes) and pick their own memory layouts; the layer keeps the buffers those layouts need.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "nn/conv_shape.hpp"
#include "nn/init.hpp"
#include "nn/layer.hpp"

namespace nnlab {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;        // zeros on every side
  bool same_padding = false;  // PyTorch's padding="same" (stride 1 only): replaces `padding`
  InitKind init = InitKind::glorot_uniform;
  Regularizer reg = {};  // attached to the weight; max_norm bounds each filter [C, k, k]
};

class Conv2d : public Layer {
 public:
  Conv2d(std::string name, int64_t filters, int64_t kernel, Conv2dOptions opt = {});
  ~Conv2d() override;

  std::string kind() const override { return "conv2d"; }
  std::string describe() const override;
  void init(Rng& rng) override;

  bool applies_post_op(const PostOp& op) const override;
  Parameter& weight() { return params_[0]; }
  Parameter& bias() { return params_[1]; }

 protected:
  bool takes_blocked() const override { return true; }
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  struct Primitives;
  /// The primitives for a batch of n at the current thread count, with the activation applied
  /// to the output (ctx.post_op), created on first use.
  Primitives& primitives(int64_t n, int threads, const PostOp& post_op);
  void create_backward(Primitives& p);

  int64_t filters_, kernel_;
  Conv2dOptions opt_;
  Pad pad_;
  int64_t channels_ = 0, height_ = 0, width_ = 0, out_height_ = 0, out_width_ = 0;

  // Keyed by (batch size, threads, post-op): oneDNN sizes a primitive's work split by the thread
  // count.
  std::map<std::tuple<int64_t, int, PostOp>, std::unique_ptr<Primitives>> primitives_;
  // Data in a primitive's layout, used within one call: weights or their gradient, the output
  // or the input gradient, dy for the weights pass and for the data pass; and the primitives'
  // scratchpad.
  Tensor weights_buf_, act_buf_, dy_buf_, dy_data_buf_, scratchpad_;
};

}  // namespace nnlab
