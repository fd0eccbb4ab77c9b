// 2-D transposed convolution (PyTorch's ConvTranspose2d) through oneDNN's deconvolution: the
// adjoint of a convolution, which spreads each input value over a k x k patch of the output
// (the decoder half of a convolutional autoencoder).
//
//   N = batch, C = in-channels, H, W = input height and width, O = filters, k = kernel side,
//   s = stride, p = padding, q = output_padding (extra rows and columns at the end, q < s),
//   OH = (H - 1) * s - 2p + k + q, OW likewise.
//   x: [N, C, H, W]   W: [C, O, k, k] (PyTorch's layout)   b: [O]   y: [N, O, OH, OW]
//   backward ASSIGNS dW and db, and dx (shaped like x) when ctx.input_grad.
//
// Primitives are created once per (batch size, threads) and pick their own memory layouts, as
// in Conv2d; the layer keeps the buffers those layouts need.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "nn/init.hpp"
#include "nn/layer.hpp"

namespace nnlab {

struct ConvTranspose2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;         // removed from every side of the full output
  int64_t output_padding = 0;  // added after the last row and column; < stride
  InitKind init = InitKind::glorot_uniform;
  Regularizer reg = {};  // attached to the weight; max_norm bounds each input channel's [O, k, k]
};

class ConvTranspose2d : public Layer {
 public:
  /// Bounds on kernel, stride and padding, and on every input and output side, that keep the
  /// size arithmetic far from overflow (and far beyond any real image).
  static constexpr int64_t kMaxWindow = 1024;
  static constexpr int64_t kMaxSide = 1 << 16;

  ConvTranspose2d(std::string name, int64_t filters, int64_t kernel,
                  ConvTranspose2dOptions opt = {});
  ~ConvTranspose2d() override;

  std::string kind() const override { return "conv_transpose2d"; }
  std::string describe() const override;
  void init(Rng& rng) override;

  Parameter& weight() { return params_[0]; }
  Parameter& bias() { return params_[1]; }

 protected:
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  struct Primitives;
  /// The primitives for a batch of n at the current thread count, created on first use.
  Primitives& primitives(int64_t n, int threads);
  void create_backward(Primitives& p);

  int64_t filters_, kernel_;
  ConvTranspose2dOptions opt_;
  int64_t channels_ = 0, height_ = 0, width_ = 0, out_height_ = 0, out_width_ = 0;

  // Keyed by (batch size, threads): oneDNN sizes a primitive's work split by the thread count.
  std::map<std::pair<int64_t, int>, std::unique_ptr<Primitives>> primitives_;
  // Data in a primitive's layout, used within one call: weights or their gradient, the output
  // or the input gradient, dy; and the primitives' scratchpad.
  Tensor weights_buf_, act_buf_, dy_buf_, scratchpad_;
};

}  // namespace nnlab
