#include "nn/conv2d.hpp"

#include "nn/dnnl_util.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using dnnl::memory;
using tag = memory::format_tag;

namespace {

// oneDNN's fastest kernels work on blocks of 16 channels. An input with fewer channels (an
// image's 1 or 3) stays plain NCHW: padded to a full block, its data gradient would run many
// times slower than im2col + gemm on plain layouts, so that pass uses them.
bool few_channels(int64_t c) { return c < 16; }

// A layer with one input channel (an image's first) writes an output that fills a block in the
// blocked layout: oneDNN's direct kernel for it runs six times faster than the gemm-based one
// on plain NCHW, the next layer reads it without a reorder, and it sums each output's products
// in im2col + gemm's order, so the values are the same (S3's and the best models' weights are
// byte-identical either way). With 2-15 input channels the two kernels sum in different orders,
// so those layers keep the plain output the earlier figures (S4's encoder) were computed with.
bool blocked_output(int64_t channels, int64_t filters) {
  return !few_channels(channels) || (channels == 1 && !few_channels(filters));
}

// Direct, not auto: oneDNN's Winograd kernels exist only for 3x3 kernels on some CPUs, and
// auto would make the arithmetic (so the results) depend on the machine.
constexpr auto kConvolution = dnnl::algorithm::convolution_direct;

}  // namespace

struct Conv2d::Primitives {
  memory::dims src, weights, bias, dst, strides, pad_l, pad_r;
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  // Created by the first backward pass: evaluation batches never need them.
  dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd;
  dnnl::convolution_backward_weights bwd_weights;
  dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
  dnnl::convolution_backward_data bwd_data;
};

Conv2d::Conv2d(std::string name, int64_t filters, int64_t kernel, Conv2dOptions opt)
    : Layer(std::move(name)), filters_(filters), kernel_(kernel), opt_(opt) {
  NNLAB_CHECK(filters > 0, "conv2d layer '{}': filters must be > 0, got {}", this->name(), filters);
  NNLAB_CHECK(kernel > 0, "conv2d layer '{}': kernel must be > 0, got {}", this->name(), kernel);
  NNLAB_CHECK(opt.stride > 0, "conv2d layer '{}': stride must be > 0, got {}", this->name(),
              opt.stride);
  NNLAB_CHECK(opt.padding >= 0, "conv2d layer '{}': padding must be >= 0, got {}", this->name(),
              opt.padding);
  NNLAB_CHECK(!opt.same_padding || opt.stride == 1,
              "conv2d layer '{}': padding=\"same\" needs stride 1, got stride {}", this->name(),
              opt.stride);
  pad_ = opt.same_padding ? same_padding(kernel) : Pad{opt.padding, opt.padding};
}

Conv2d::~Conv2d() = default;

bool Conv2d::applies_post_op(const PostOp& op) const {
  // With few input channels oneDNN may run a gemm-based convolution (2-15 channels, or a CPU
  // without a direct kernel for them), whose post-ops compute exp and tanh with scalar
  // reference code: values a few ulps from the eltwise primitive's. There only the exact ones
  // (relu, leaky relu, linear) are applied.
  return !few_channels(channels_) || op.algorithm == dnnl::algorithm::eltwise_relu ||
         op.algorithm == dnnl::algorithm::eltwise_linear;
}

std::string Conv2d::describe() const {
  std::string s = fmt::format("conv2d({}, {}x{}", filters_, kernel_, kernel_);
  if (opt_.stride != 1) s += fmt::format(", stride {}", opt_.stride);
  if (opt_.same_padding)
    s += ", same";
  else if (opt_.padding > 0)
    s += fmt::format(", pad {}", opt_.padding);
  s += ")";
  if (opt_.reg.l1 > 0) s += fmt::format(" l1={}", opt_.reg.l1);
  if (opt_.reg.l2 > 0) s += fmt::format(" l2={}", opt_.reg.l2);
  if (opt_.reg.max_norm > 0) s += fmt::format(" max_norm={}", opt_.reg.max_norm);
  return s;
}

Shape Conv2d::build_impl(const Shape& in) {
  NNLAB_CHECK(in.size() == 3,
              "conv2d layer '{}' expects a per-sample input [C, H, W], got {}; put a reshape "
              "layer first, e.g. {{type=\"reshape\", shape=[1, 28, 28]}}",
              name(), shape_str(in));
  channels_ = in[0], height_ = in[1], width_ = in[2];
  out_height_ = conv_out_size(height_, kernel_, opt_.stride, pad_);
  out_width_ = conv_out_size(width_, kernel_, opt_.stride, pad_);
  NNLAB_CHECK(channels_ > 0 && out_height_ > 0 && out_width_ > 0,
              "conv2d layer '{}': a {}x{} kernel with padding {} does not fit the input {}", name(),
              kernel_, kernel_, pad_.before, shape_str(in));
  add_parameter("weight", {filters_, channels_, kernel_, kernel_}, true).reg = opt_.reg;
  add_parameter("bias", {filters_}, false);
  primitives_.clear();
  return {filters_, out_height_, out_width_};
}

void Conv2d::init(Rng& rng) {
  // The fans of Keras and PyTorch: every weight of a filter feeds one output value.
  const int64_t area = kernel_ * kernel_;
  init_weight(weight().value, channels_ * area, filters_ * area, opt_.init, rng);
  bias().value.fill(0.0f);
}

Conv2d::Primitives& Conv2d::primitives(int64_t n, int threads, const PostOp& post_op) {
  auto& slot = primitives_[{n, threads, post_op}];
  if (slot) return *slot;
  slot = std::make_unique<Primitives>();
  Primitives& p = *slot;
  p.src = {n, channels_, height_, width_};
  p.weights = {filters_, channels_, kernel_, kernel_};
  p.bias = {filters_};
  p.dst = {n, filters_, out_height_, out_width_};
  p.strides = {opt_.stride, opt_.stride};
  p.pad_l = {pad_.before, pad_.before};
  p.pad_r = {pad_.after, pad_.after};
  const tag src = few_channels(channels_) ? tag::nchw : tag::any;
  const tag dst = blocked_output(channels_, filters_) ? tag::any : tag::nchw;
  p.fwd_pd = {{dnnl::prop_kind::forward_training, kConvolution, f32_desc(p.src, src),
               f32_desc(p.weights, tag::any), f32_desc(p.bias, tag::a), f32_desc(p.dst, dst),
               p.strides, p.pad_l, p.pad_r},
              with_post_op(user_scratchpad(), post_op),
              cpu_engine()};
  p.fwd = dnnl::convolution_forward(p.fwd_pd);
  return p;
}

void Conv2d::create_backward(Primitives& p) {
  // The weights pass reads x as the forward laid it out (kept in ctx.saved), and the data pass
  // reads dy in the weights pass's layout (or plain, for few channels): dy is reordered once.
  p.bwd_weights_pd = {
      {kConvolution, p.fwd_pd.src_desc(), f32_desc(p.weights, tag::any), f32_desc(p.bias, tag::a),
       f32_desc(p.dst, tag::any), p.strides, p.pad_l, p.pad_r},
      user_scratchpad(),
      cpu_engine(),
      p.fwd_pd};
  p.bwd_weights = dnnl::convolution_backward_weights(p.bwd_weights_pd);
  const bool few = few_channels(channels_);
  p.bwd_data_pd = {
      {kConvolution, f32_desc(p.src, few ? tag::nchw : tag::any), f32_desc(p.weights, tag::any),
       few ? f32_desc(p.dst, tag::nchw) : p.bwd_weights_pd.diff_dst_desc(), p.strides, p.pad_l,
       p.pad_r},
      user_scratchpad(),
      cpu_engine(),
      p.fwd_pd};
  p.bwd_data = dnnl::convolution_backward_data(p.bwd_data_pd);
}

void Conv2d::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize({n, filters_, out_height_, out_width_});
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.exec->threads(), ctx.post_op);
  dnnl::stream& stream = ctx.exec->stream();
  // x in the primitive's layout stays in ctx.saved for the backward pass (when x itself is not).
  const memory src = in_layout(stream, dnnl_view(x), p.fwd_pd.src_desc(), ctx.saved);
  const memory weights = in_layout(stream, dnnl_view(weight().value, tag::oihw),
                                   p.fwd_pd.weights_desc(), weights_buf_);
  const memory dst = output_in(p.fwd_pd.dst_desc(), ctx.y, act_buf_);
  execute(stream, p.fwd, p.fwd_pd,
          {{DNNL_ARG_SRC, src},
           {DNNL_ARG_WEIGHTS, weights},
           {DNNL_ARG_BIAS, dnnl_view(bias().value, tag::a)},
           {DNNL_ARG_DST, dst}},
          scratchpad_);
  finish_output(stream, dst, ctx.y);
}

void Conv2d::backward_impl(LayerContext& ctx, const Tensor& dy) {
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  if (ctx.input_grad) ctx.dx.resize(x.shape());
  Primitives& p = primitives(n, ctx.exec->threads(), ctx.post_op);
  dnnl::stream& stream = ctx.exec->stream();
  if (!p.bwd_data) create_backward(p);

  const memory x_view = dnnl_view(x);
  const memory src = p.fwd_pd.src_desc() == x_view.get_desc()
                         ? x_view
                         : memory(p.fwd_pd.src_desc(), cpu_engine(), ctx.saved.data());
  const memory dy_view = dnnl_view(dy);
  const memory diff_dst = in_layout(stream, dy_view, p.bwd_weights_pd.diff_dst_desc(), dy_buf_);

  // The primitive assigns the gradients, as the contract does: straight into the gradient
  // arena where its layout is plain, else reordered there.
  const memory dw_plain = dnnl_view(weight().grad, tag::oihw);
  const memory dw = written_in(p.bwd_weights_pd.diff_weights_desc(), dw_plain, weights_buf_);
  execute(stream, p.bwd_weights, p.bwd_weights_pd,
          {{DNNL_ARG_SRC, src},
           {DNNL_ARG_DIFF_DST, diff_dst},
           {DNNL_ARG_DIFF_WEIGHTS, dw},
           {DNNL_ARG_DIFF_BIAS, dnnl_view(bias().grad, tag::a)}},  // asked for format a
          scratchpad_);
  finish_into(stream, dw, dw_plain);

  if (!ctx.input_grad) return;  // a pass's first layer: nothing reads dx
  const memory weights = in_layout(stream, dnnl_view(weight().value, tag::oihw),
                                   p.bwd_data_pd.weights_desc(), weights_buf_);
  const memory data_dy =
      p.bwd_data_pd.diff_dst_desc() == diff_dst.get_desc()
          ? diff_dst
          : in_layout(stream, dy_view, p.bwd_data_pd.diff_dst_desc(), dy_data_buf_);
  const memory diff_src = output_in(p.bwd_data_pd.diff_src_desc(), ctx.dx, act_buf_);
  execute(
      stream, p.bwd_data, p.bwd_data_pd,
      {{DNNL_ARG_DIFF_DST, data_dy}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, diff_src}},
      scratchpad_);
  finish_output(stream, diff_src, ctx.dx);
}

}  // namespace nnlab
