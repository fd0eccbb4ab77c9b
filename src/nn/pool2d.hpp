// 2-D max and average pooling through oneDNN, with PyTorch's semantics (max_pool2d and
// avg_pool2d with count_include_pad=True: padded zeros count in an average's divisor).
//
//   N = batch, C = channels, k = window side, OH, OW = conv_out_size(H or W, k, stride, pad).
//   x: [N, C, H, W]   y: [N, C, OH, OW]   no parameters; backward ASSIGNS dx.
//   Max pooling in training mode keeps the position of each maximum in ctx.saved. y and dx take
//   x's layout (plain or blocked channels).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "nn/layer.hpp"

namespace nnlab {

enum class PoolKind { max, avg };

class Pool2d : public Layer {
 public:
  /// A `size` x `size` window moved by `stride` (0: stride = size) over the input padded with
  /// `padding` on every side (at most size / 2, as PyTorch requires).
  Pool2d(std::string name, PoolKind pool, int64_t size, int64_t stride = 0, int64_t padding = 0);
  ~Pool2d() override;

  /// "max_pool" or "avg_pool".
  std::string kind() const override;
  std::string describe() const override;
  /// Whether the gradient of each output reaches one input alone, its window's maximum: a max
  /// pool whose windows do not overlap (stride >= size).
  bool routes_each_gradient_to_one_input() const {
    return pool_ == PoolKind::max && stride_ >= size_;
  }

 protected:
  bool takes_blocked() const override { return true; }
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  struct Primitives;
  /// The primitives for a batch of n in layout `channel_block` at the current thread count,
  /// created on first use.
  Primitives& primitives(int64_t n, int channel_block, int threads);

  PoolKind pool_;
  int64_t size_, stride_, padding_;
  int64_t channels_ = 0, height_ = 0, width_ = 0, out_height_ = 0, out_width_ = 0;
  std::map<std::tuple<int64_t, int, int>, std::unique_ptr<Primitives>> primitives_;
  Tensor scratchpad_;
};

}  // namespace nnlab
