// 2-D upsampling by an integer factor through oneDNN's resampling, with PyTorch's semantics
// (interpolate with scale_factor = s: mode "nearest", or "bilinear" with align_corners=False).
//
//   N = batch, C = channels, s = scale.
//   x: [N, C, H, W]   y: [N, C, s*H, s*W]   no parameters; backward ASSIGNS dx when
//   ctx.input_grad (each input value's share of the output gradient).
//   nearest:  y[i, j] = x[i / s, j / s]
//   bilinear: output pixel centres map to input coordinates (i + 0.5) / s - 0.5, clamped at 0,
//             and y interpolates the (at most) four nearest values; borders repeat the edge.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/layer.hpp"

namespace nnlab {

enum class UpsampleMode { nearest, bilinear };

/// "nearest" -> UpsampleMode::nearest; unknown names throw nnlab::Error listing the valid ones.
UpsampleMode upsample_mode(const std::string& name);
std::string upsample_mode_name(UpsampleMode mode);
/// Every mode name, in the order of UpsampleMode.
std::vector<std::string> upsample_mode_names();

class Upsample : public Layer {
 public:
  /// Bounds on the scale and on every output side, which keep the sizes far from overflow.
  static constexpr int64_t kMaxScale = 64;
  static constexpr int64_t kMaxSide = 1 << 16;

  Upsample(std::string name, int64_t scale, UpsampleMode mode = UpsampleMode::nearest);
  ~Upsample() override;

  std::string kind() const override { return "upsample"; }
  std::string describe() const override;

 protected:
  Shape build_impl(const Shape& in) override;
  void forward_impl(const Tensor& x, LayerContext& ctx) override;
  void backward_impl(LayerContext& ctx, const Tensor& dy) override;

 private:
  struct Primitives;
  /// The primitives for a batch of n at the current thread count, created on first use.
  Primitives& primitives(int64_t n, int threads);

  int64_t scale_;
  UpsampleMode mode_;
  int64_t channels_ = 0, height_ = 0, width_ = 0;
  std::map<std::pair<int64_t, int>, std::unique_ptr<Primitives>> primitives_;
  Tensor scratchpad_;
};

}  // namespace nnlab
