#include "nn/layer.hpp"

#include "nn/dnnl_util.hpp"
#include "tensor/error.hpp"

namespace nnlab {

Shape Layer::build(const Shape& in) {
  in_shape_ = in;
  params_.clear();
  buffers_.clear();
  out_shape_ = build_impl(in);
  return out_shape_;
}

void Layer::forward(const Tensor& x, LayerContext& ctx) {
  NNLAB_CHECK(x.rank() == static_cast<int>(in_shape_.size()) + 1 &&
                  std::equal(in_shape_.begin(), in_shape_.end(), x.shape().begin() + 1),
              "layer '{}' ({}) expects input [N, {}], got {}", name_, describe(),
              fmt::join(in_shape_, ", "), shape_str(x.shape()));
  NNLAB_CHECK(ctx.exec != nullptr, "layer '{}': forward called without an execution context",
              name_);
  const Tensor* in = &x;
  if (!x.plain() && !takes_blocked()) {
    relayout(ctx.exec->stream(), x, 0, ctx.relaid_x);
    in = &ctx.relaid_x;
  }
  ctx.x = in;
  forward_impl(*in, ctx);
}

void Layer::backward(LayerContext& ctx, const Tensor& dy) {
  NNLAB_CHECK(ctx.x != nullptr, "layer '{}': backward called without a forward pass", name_);
  NNLAB_CHECK(dy.shape() == ctx.y.shape(), "layer '{}' ({}) expects a gradient of shape {}, got {}",
              name_, describe(), shape_str(ctx.y.shape()), shape_str(dy.shape()));
  if (dy.rows() == 0) {
    for (Parameter& p : params_) p.grad.fill(0.0f);
    ctx.dx.resize(ctx.x->shape());
    return;
  }
  if (dy.channel_block() == ctx.y.channel_block()) return backward_impl(ctx, dy);
  relayout(ctx.exec->stream(), dy, ctx.y.channel_block(), ctx.relaid_dy);
  backward_impl(ctx, ctx.relaid_dy);
}

Parameter& Layer::add_parameter(const std::string& role, Shape shape, bool is_weight) {
  Parameter p;
  p.name = name_ + "." + role;
  p.shape = std::move(shape);
  p.is_weight = is_weight;
  params_.push_back(std::move(p));
  return params_.back();
}

Buffer& Layer::add_buffer(const std::string& role, Shape shape) {
  buffers_.push_back({.name = name_ + "." + role, .shape = std::move(shape), .value = {}});
  return buffers_.back();
}

}  // namespace nnlab
