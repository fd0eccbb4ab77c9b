#include "nn/conv_transpose2d.hpp"

#include "nn/dnnl_util.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using dnnl::memory;
using tag = memory::format_tag;

namespace {

// oneDNN's deconvolution runs as a convolution's data pass (forward) and forward pass (data
// gradient): with fewer than 16 channels on either side, blocked layouts pad them to a full
// block of 16 and cost many times the plain NCHW path (see Conv2d), so those layers stay plain.
bool few_channels(int64_t c, int64_t o) { return c < 16 || o < 16; }

// Direct, not auto: the Winograd kernels exist only on some CPUs, and auto would make the
// arithmetic (so the results) depend on the machine.
constexpr auto kDeconvolution = dnnl::algorithm::deconvolution_direct;

// The weight as PyTorch stores it, [C, O, k, k], is oneDNN's logical {O, C, k, k} laid out with
// the input channel outermost: format iohw. (dnnl_view would take the shape as the logical dims.)
memory weights_view(const Tensor& w, const memory::dims& dims) {
  return {f32_desc(dims, tag::iohw), cpu_engine(), const_cast<float*>(w.data())};
}

}  // namespace

struct ConvTranspose2d::Primitives {
  memory::dims src, weights, bias, dst, strides, pad_l, pad_r;
  dnnl::deconvolution_forward::primitive_desc fwd_pd;
  dnnl::deconvolution_forward fwd;
  // Created by the first backward pass (evaluation never needs them); the data pass only once a
  // pass asks for dx.
  dnnl::deconvolution_backward_weights::primitive_desc bwd_weights_pd;
  dnnl::deconvolution_backward_weights bwd_weights;
  dnnl::deconvolution_backward_data::primitive_desc bwd_data_pd;
  dnnl::deconvolution_backward_data bwd_data;
};

ConvTranspose2d::ConvTranspose2d(std::string name, int64_t filters, int64_t kernel,
                                 ConvTranspose2dOptions opt)
    : Layer(std::move(name)), filters_(filters), kernel_(kernel), opt_(opt) {
  const std::string& me = this->name();
  NNLAB_CHECK(filters > 0 && filters <= kMaxSide,
              "conv_transpose2d layer '{}': filters must be in [1, {}], got {}", me, kMaxSide,
              filters);
  NNLAB_CHECK(kernel > 0 && kernel <= kMaxWindow,
              "conv_transpose2d layer '{}': kernel must be in [1, {}], got {}", me, kMaxWindow,
              kernel);
  NNLAB_CHECK(opt.stride > 0 && opt.stride <= kMaxWindow,
              "conv_transpose2d layer '{}': stride must be in [1, {}], got {}", me, kMaxWindow,
              opt.stride);
  NNLAB_CHECK(opt.padding >= 0 && opt.padding <= kMaxWindow,
              "conv_transpose2d layer '{}': padding must be in [0, {}], got {}", me, kMaxWindow,
              opt.padding);
  // PyTorch's rule: the extra rows must lie within one stride of the last window.
  NNLAB_CHECK(opt.output_padding >= 0 && opt.output_padding < opt.stride,
              "conv_transpose2d layer '{}': output_padding must be in [0, stride - 1] = [0, {}], "
              "got {}",
              me, opt.stride - 1, opt.output_padding);
}

ConvTranspose2d::~ConvTranspose2d() = default;

std::string ConvTranspose2d::describe() const {
  std::string s = fmt::format("conv_transpose2d({}, {}x{}", filters_, kernel_, kernel_);
  if (opt_.stride != 1) s += fmt::format(", stride {}", opt_.stride);
  if (opt_.padding > 0) s += fmt::format(", pad {}", opt_.padding);
  if (opt_.output_padding > 0) s += fmt::format(", output_pad {}", opt_.output_padding);
  s += ")";
  if (opt_.reg.l1 > 0) s += fmt::format(" l1={}", opt_.reg.l1);
  if (opt_.reg.l2 > 0) s += fmt::format(" l2={}", opt_.reg.l2);
  if (opt_.reg.max_norm > 0) s += fmt::format(" max_norm={}", opt_.reg.max_norm);
  return s;
}

Shape ConvTranspose2d::build_impl(const Shape& in) {
  NNLAB_CHECK(in.size() == 3,
              "conv_transpose2d layer '{}' expects a per-sample input [C, H, W], got {}; put a "
              "reshape layer first, e.g. {{type=\"reshape\", shape=[32, 7, 7]}}",
              name(), shape_str(in));
  channels_ = in[0], height_ = in[1], width_ = in[2];
  NNLAB_CHECK(channels_ > 0 && channels_ <= kMaxSide && height_ > 0 && height_ <= kMaxSide &&
                  width_ > 0 && width_ <= kMaxSide,
              "conv_transpose2d layer '{}': input {} is out of range (each size in [1, {}])",
              name(), shape_str(in), kMaxSide);
  // Every term is at most 2^26 here, so the sum cannot overflow.
  const auto out_size = [&](int64_t side) {
    return (side - 1) * opt_.stride - 2 * opt_.padding + kernel_ + opt_.output_padding;
  };
  out_height_ = out_size(height_), out_width_ = out_size(width_);
  NNLAB_CHECK(
      out_height_ > 0 && out_width_ > 0 && out_height_ <= kMaxSide && out_width_ <= kMaxSide,
      "conv_transpose2d layer '{}': a {}x{} kernel with stride {}, padding {} and "
      "output_padding {} gives an output of {}x{} for the input {}; each side must be in "
      "[1, {}]",
      name(), kernel_, kernel_, opt_.stride, opt_.padding, opt_.output_padding, out_height_,
      out_width_, shape_str(in), kMaxSide);
  add_parameter("weight", {channels_, filters_, kernel_, kernel_}, true).reg = opt_.reg;
  add_parameter("bias", {filters_}, false);
  primitives_.clear();
  return {filters_, out_height_, out_width_};
}

void ConvTranspose2d::init(Rng& rng) {
  // The fans of Keras and PyTorch for a transposed convolution: they read the weight as a
  // convolution's from O to C channels, so fan_in = O * k * k and fan_out = C * k * k.
  const int64_t area = kernel_ * kernel_;
  init_weight(weight().value, filters_ * area, channels_ * area, opt_.init, rng);
  bias().value.fill(0.0f);
}

ConvTranspose2d::Primitives& ConvTranspose2d::primitives(int64_t n, int threads) {
  auto& slot = primitives_[{n, threads}];
  if (slot) return *slot;
  slot = std::make_unique<Primitives>();
  Primitives& p = *slot;
  p.src = {n, channels_, height_, width_};
  p.weights = {filters_, channels_, kernel_, kernel_};
  p.bias = {filters_};
  p.dst = {n, filters_, out_height_, out_width_};
  p.strides = {opt_.stride, opt_.stride};
  // oneDNN describes the output by the convolution it inverts: padding p before, and p - q
  // after, so that output_padding's extra rows are part of the image (the bound q < stride is
  // exactly oneDNN's pad_r > -stride).
  p.pad_l = {opt_.padding, opt_.padding};
  p.pad_r = {opt_.padding - opt_.output_padding, opt_.padding - opt_.output_padding};
  const tag act = few_channels(channels_, filters_) ? tag::nchw : tag::any;
  p.fwd_pd = {{dnnl::prop_kind::forward_training, kDeconvolution, f32_desc(p.src, act),
               f32_desc(p.weights, tag::any), f32_desc(p.bias, tag::a), f32_desc(p.dst, act),
               p.strides, p.pad_l, p.pad_r},
              user_scratchpad(),
              cpu_engine()};
  p.fwd = dnnl::deconvolution_forward(p.fwd_pd);
  return p;
}

void ConvTranspose2d::create_backward(Primitives& p) {
  // The weights pass reads x as the forward laid it out (kept in ctx.saved) and picks dy's
  // layout, which the data pass then shares (or plain, for few channels): dy is reordered once.
  p.bwd_weights_pd = {
      {kDeconvolution, p.fwd_pd.src_desc(), f32_desc(p.weights, tag::any), f32_desc(p.bias, tag::a),
       f32_desc(p.dst, tag::any), p.strides, p.pad_l, p.pad_r},
      user_scratchpad(),
      cpu_engine(),
      p.fwd_pd};
  p.bwd_weights = dnnl::deconvolution_backward_weights(p.bwd_weights_pd);
}

void ConvTranspose2d::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize({n, filters_, out_height_, out_width_});
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.exec->threads());
  dnnl::stream& stream = ctx.exec->stream();
  // x in the primitive's layout stays in ctx.saved for the backward pass.
  const memory src = in_layout(stream, dnnl_view(x, tag::nchw), p.fwd_pd.src_desc(), ctx.saved);
  const memory weights = in_layout(stream, weights_view(weight().value, p.weights),
                                   p.fwd_pd.weights_desc(), weights_buf_);
  const memory y = dnnl_view(ctx.y, tag::nchw);
  const memory dst = written_in(p.fwd_pd.dst_desc(), y, act_buf_);
  execute(stream, p.fwd, p.fwd_pd,
          {{DNNL_ARG_SRC, src},
           {DNNL_ARG_WEIGHTS, weights},
           {DNNL_ARG_BIAS, dnnl_view(bias().value, tag::a)},
           {DNNL_ARG_DST, dst}},
          scratchpad_);
  finish_into(stream, dst, y);
}

void ConvTranspose2d::backward_impl(LayerContext& ctx, const Tensor& dy) {
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  if (ctx.input_grad) ctx.dx.resize(x.shape());
  Primitives& p = primitives(n, ctx.exec->threads());
  dnnl::stream& stream = ctx.exec->stream();
  if (!p.bwd_weights) create_backward(p);

  const memory x_plain = dnnl_view(x, tag::nchw);
  const memory src = p.fwd_pd.src_desc() == x_plain.get_desc()
                         ? x_plain
                         : memory(p.fwd_pd.src_desc(), cpu_engine(), ctx.saved.data());
  const memory dy_plain = dnnl_view(dy, tag::nchw);
  const memory diff_dst = in_layout(stream, dy_plain, p.bwd_weights_pd.diff_dst_desc(), dy_buf_);

  // The primitive assigns the gradients, as the contract does: straight into the gradient
  // arena where its layout is plain, else reordered there.
  const memory dw_plain = weights_view(weight().grad, p.weights);
  const memory dw = written_in(p.bwd_weights_pd.diff_weights_desc(), dw_plain, weights_buf_);
  execute(stream, p.bwd_weights, p.bwd_weights_pd,
          {{DNNL_ARG_SRC, src},
           {DNNL_ARG_DIFF_DST, diff_dst},
           {DNNL_ARG_DIFF_WEIGHTS, dw},
           {DNNL_ARG_DIFF_BIAS, dnnl_view(bias().grad, tag::a)}},  // asked for format a
          scratchpad_);
  finish_into(stream, dw, dw_plain);

  if (!ctx.input_grad) return;  // a pass's first layer: nothing reads dx
  const bool few = few_channels(channels_, filters_);
  if (!p.bwd_data) {
    p.bwd_data_pd = {
        {kDeconvolution, f32_desc(p.src, few ? tag::nchw : tag::any), f32_desc(p.weights, tag::any),
         few ? f32_desc(p.dst, tag::nchw) : p.bwd_weights_pd.diff_dst_desc(), p.strides, p.pad_l,
         p.pad_r},
        user_scratchpad(),
        cpu_engine(),
        p.fwd_pd};
    p.bwd_data = dnnl::deconvolution_backward_data(p.bwd_data_pd);
  }
  const memory weights = in_layout(stream, weights_view(weight().value, p.weights),
                                   p.bwd_data_pd.weights_desc(), weights_buf_);
  const memory dx = dnnl_view(ctx.dx, tag::nchw);
  const memory diff_src = written_in(p.bwd_data_pd.diff_src_desc(), dx, act_buf_);
  execute(stream, p.bwd_data, p.bwd_data_pd,
          {{DNNL_ARG_DIFF_DST,
            p.bwd_data_pd.diff_dst_desc() == diff_dst.get_desc() ? diff_dst : dy_plain},
           {DNNL_ARG_WEIGHTS, weights},
           {DNNL_ARG_DIFF_SRC, diff_src}},
          scratchpad_);
  finish_into(stream, diff_src, dx);
}

}  // namespace nnlab
