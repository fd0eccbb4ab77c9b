#include "nn/pool2d.hpp"

#include "nn/conv_shape.hpp"
#include "nn/dnnl_util.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using dnnl::memory;

namespace {

dnnl::algorithm algorithm_of(PoolKind pool) {
  // PyTorch's avg_pool2d counts padded zeros in the divisor by default (count_include_pad).
  return pool == PoolKind::max ? dnnl::algorithm::pooling_max
                               : dnnl::algorithm::pooling_avg_include_padding;
}

}  // namespace

// Pooling is bound by memory traffic: the primitives work on x in its own layout, plain or
// blocked, since a reorder would cost as much as the pooling itself.
struct Pool2d::Primitives {
  memory::desc src, dst;
  memory::dims strides, kernel, pad_l, pad_r;
  dnnl::pooling_forward::primitive_desc train_pd;  // keeps the argmax workspace for max
  dnnl::pooling_forward train;
  // Created on first use: evaluation needs no workspace, training needs backward.
  dnnl::pooling_forward::primitive_desc infer_pd;
  dnnl::pooling_forward infer;
  dnnl::pooling_backward::primitive_desc bwd_pd;
  dnnl::pooling_backward bwd;
};

Pool2d::Pool2d(std::string name, PoolKind pool, int64_t size, int64_t stride, int64_t padding)
    : Layer(std::move(name)),
      pool_(pool),
      size_(size),
      stride_(stride == 0 ? size : stride),
      padding_(padding) {
  NNLAB_CHECK(size > 0, "{} layer '{}': size must be > 0, got {}", kind(), this->name(), size);
  NNLAB_CHECK(stride_ > 0, "{} layer '{}': stride must be > 0, got {}", kind(), this->name(),
              stride);
  NNLAB_CHECK(padding >= 0 && padding <= size / 2,
              "{} layer '{}': padding must be in [0, size / 2] = [0, {}], got {}", kind(),
              this->name(), size / 2, padding);
}

Pool2d::~Pool2d() = default;

std::string Pool2d::kind() const { return pool_ == PoolKind::max ? "max_pool" : "avg_pool"; }

std::string Pool2d::describe() const {
  std::string s = fmt::format("{}({}", kind(), size_);
  if (stride_ != size_) s += fmt::format(", stride {}", stride_);
  if (padding_ > 0) s += fmt::format(", pad {}", padding_);
  return s + ")";
}

Shape Pool2d::build_impl(const Shape& in) {
  NNLAB_CHECK(in.size() == 3,
              "{} layer '{}' expects a per-sample input [C, H, W], got {}; put a reshape layer "
              "first, e.g. {{type=\"reshape\", shape=[1, 28, 28]}}",
              kind(), name(), shape_str(in));
  channels_ = in[0], height_ = in[1], width_ = in[2];
  const Pad pad{padding_, padding_};
  out_height_ = conv_out_size(height_, size_, stride_, pad);
  out_width_ = conv_out_size(width_, size_, stride_, pad);
  NNLAB_CHECK(channels_ > 0 && out_height_ > 0 && out_width_ > 0,
              "{} layer '{}': a {}x{} window with padding {} does not fit the input {}", kind(),
              name(), size_, size_, padding_, shape_str(in));
  primitives_.clear();
  return {channels_, out_height_, out_width_};
}

Pool2d::Primitives& Pool2d::primitives(int64_t n, int channel_block, int threads) {
  auto& slot = primitives_[{n, channel_block, threads}];
  if (slot) return *slot;
  slot = std::make_unique<Primitives>();
  Primitives& p = *slot;
  p.src = image_desc({n, channels_, height_, width_}, channel_block);
  p.dst = image_desc({n, channels_, out_height_, out_width_}, channel_block);
  p.strides = {stride_, stride_};
  p.kernel = {size_, size_};
  p.pad_l = p.pad_r = {padding_, padding_};
  p.train_pd = {{dnnl::prop_kind::forward_training, algorithm_of(pool_), p.src, p.dst, p.strides,
                 p.kernel, p.pad_l, p.pad_r},
                user_scratchpad(),
                cpu_engine()};
  p.train = dnnl::pooling_forward(p.train_pd);
  return p;
}

void Pool2d::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize({n, channels_, out_height_, out_width_});
  if (n == 0) return;
  ctx.y.set_channel_block(x.channel_block());
  Primitives& p = primitives(n, x.channel_block(), ctx.exec->threads());
  dnnl::stream& stream = ctx.exec->stream();
  const memory src = dnnl_view(x), dst = dnnl_view(ctx.y);
  if (ctx.mode == Mode::train) {
    execute(stream, p.train, p.train_pd,
            {{DNNL_ARG_SRC, src},
             {DNNL_ARG_DST, dst},
             {DNNL_ARG_WORKSPACE, bind(ctx.saved, p.train_pd.workspace_desc())}},
            scratchpad_);
    return;
  }
  if (!p.infer) {
    p.infer_pd = {{dnnl::prop_kind::forward_inference, algorithm_of(pool_), p.src, p.dst, p.strides,
                   p.kernel, p.pad_l, p.pad_r},
                  user_scratchpad(),
                  cpu_engine()};
    p.infer = dnnl::pooling_forward(p.infer_pd);
  }
  execute(stream, p.infer, p.infer_pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, scratchpad_);
}

void Pool2d::backward_impl(LayerContext& ctx, const Tensor& dy) {
  NNLAB_CHECK(pool_ != PoolKind::max || ctx.mode == Mode::train,
              "{} layer '{}': backward needs a forward pass in training mode", kind(), name());
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  ctx.dx.resize(x.shape());
  ctx.dx.set_channel_block(x.channel_block());
  Primitives& p = primitives(n, x.channel_block(), ctx.exec->threads());
  dnnl::stream& stream = ctx.exec->stream();
  if (!p.bwd) {
    p.bwd_pd = {{algorithm_of(pool_), p.src, p.dst, p.strides, p.kernel, p.pad_l, p.pad_r},
                user_scratchpad(),
                cpu_engine(),
                p.train_pd};
    p.bwd = dnnl::pooling_backward(p.bwd_pd);
  }
  const memory diff_dst = dnnl_view(dy), diff_src = dnnl_view(ctx.dx);
  if (pool_ == PoolKind::max)
    execute(
        stream, p.bwd, p.bwd_pd,
        {{DNNL_ARG_DIFF_DST, diff_dst},
         {DNNL_ARG_DIFF_SRC, diff_src},
         {DNNL_ARG_WORKSPACE, memory(p.train_pd.workspace_desc(), cpu_engine(), ctx.saved.data())}},
        scratchpad_);
  else
    execute(stream, p.bwd, p.bwd_pd, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_SRC, diff_src}},
            scratchpad_);
}

}  // namespace nnlab
