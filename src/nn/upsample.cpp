#include "nn/upsample.hpp"

#include <algorithm>

#include "nn/dnnl_util.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using dnnl::memory;
using tag = memory::format_tag;

namespace {

// oneDNN's linear resampling maps output pixel centres as PyTorch's align_corners=False does,
// and clamps coordinates before the first pixel to it, as PyTorch does.
dnnl::algorithm algorithm_of(UpsampleMode mode) {
  return mode == UpsampleMode::nearest ? dnnl::algorithm::resampling_nearest
                                       : dnnl::algorithm::resampling_linear;
}

}  // namespace

std::vector<std::string> upsample_mode_names() { return {"nearest", "bilinear"}; }

UpsampleMode upsample_mode(const std::string& name) {
  const auto names = upsample_mode_names();
  const auto it = std::find(names.begin(), names.end(), name);
  NNLAB_CHECK(it != names.end(), "unknown upsample mode '{}'; known modes: {}", name,
              fmt::join(names, ", "));
  return static_cast<UpsampleMode>(it - names.begin());
}

std::string upsample_mode_name(UpsampleMode mode) {
  return upsample_mode_names()[static_cast<size_t>(mode)];
}

// Resampling is bound by memory traffic, like pooling: the primitives work on the plain NCHW
// tensors directly rather than pay for reorders to a blocked layout.
struct Upsample::Primitives {
  memory::desc src, dst;
  dnnl::resampling_forward::primitive_desc fwd_pd;  // no workspace: serves eval and training
  dnnl::resampling_forward fwd;
  dnnl::resampling_backward::primitive_desc bwd_pd;  // created by the first backward pass
  dnnl::resampling_backward bwd;
};

Upsample::Upsample(std::string name, int64_t scale, UpsampleMode mode)
    : Layer(std::move(name)), scale_(scale), mode_(mode) {
  NNLAB_CHECK(scale >= 1 && scale <= kMaxScale,
              "upsample layer '{}': scale must be an integer in [1, {}], got {}", this->name(),
              kMaxScale, scale);
}

Upsample::~Upsample() = default;

std::string Upsample::describe() const {
  return fmt::format("upsample({}, {})", scale_, upsample_mode_name(mode_));
}

Shape Upsample::build_impl(const Shape& in) {
  NNLAB_CHECK(in.size() == 3,
              "upsample layer '{}' expects a per-sample input [C, H, W], got {}; put a reshape "
              "layer first, e.g. {{type=\"reshape\", shape=[32, 7, 7]}}",
              name(), shape_str(in));
  channels_ = in[0], height_ = in[1], width_ = in[2];
  // Divide rather than multiply: the check itself cannot overflow.
  NNLAB_CHECK(channels_ > 0 && channels_ <= kMaxSide && height_ > 0 &&
                  height_ <= kMaxSide / scale_ && width_ > 0 && width_ <= kMaxSide / scale_,
              "upsample layer '{}': scale {} of the input {} gives an output out of range "
              "(channels in [1, {}], each output side in [1, {}])",
              name(), scale_, shape_str(in), kMaxSide, kMaxSide);
  primitives_.clear();
  return {channels_, height_ * scale_, width_ * scale_};
}

Upsample::Primitives& Upsample::primitives(int64_t n, int threads) {
  auto& slot = primitives_[{n, threads}];
  if (slot) return *slot;
  slot = std::make_unique<Primitives>();
  Primitives& p = *slot;
  p.src = f32_desc({n, channels_, height_, width_}, tag::nchw);
  p.dst = f32_desc({n, channels_, height_ * scale_, width_ * scale_}, tag::nchw);
  // The factors follow from the two shapes (exactly s), so none are passed.
  p.fwd_pd = {{dnnl::prop_kind::forward_training, algorithm_of(mode_), p.src, p.dst},
              user_scratchpad(),
              cpu_engine()};
  p.fwd = dnnl::resampling_forward(p.fwd_pd);
  return p;
}

void Upsample::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize({n, channels_, height_ * scale_, width_ * scale_});
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.exec->threads());
  execute(ctx.exec->stream(), p.fwd, p.fwd_pd,
          {{DNNL_ARG_SRC, dnnl_view(x, tag::nchw)}, {DNNL_ARG_DST, dnnl_view(ctx.y, tag::nchw)}},
          scratchpad_);
}

void Upsample::backward_impl(LayerContext& ctx, const Tensor& dy) {
  if (!ctx.input_grad) return;  // no parameters: nothing else to compute
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  ctx.dx.resize(x.shape());
  Primitives& p = primitives(n, ctx.exec->threads());
  if (!p.bwd) {
    p.bwd_pd = {{algorithm_of(mode_), p.src, p.dst}, user_scratchpad(), cpu_engine(), p.fwd_pd};
    p.bwd = dnnl::resampling_backward(p.bwd_pd);
  }
  execute(ctx.exec->stream(), p.bwd, p.bwd_pd,
          {{DNNL_ARG_DIFF_DST, dnnl_view(dy, tag::nchw)},
           {DNNL_ARG_DIFF_SRC, dnnl_view(ctx.dx, tag::nchw)}},
          scratchpad_);
}

}  // namespace nnlab
