#include "nn/batch_norm.hpp"

#include <cmath>

#include "nn/dnnl_util.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

using dnnl::memory;
using dnnl::normalization_flags;

/// A oneDNN memory over `c` floats: gamma, beta, their gradients or the statistics.
memory channel_memory(int64_t c, const float* data) {
  const memory::desc desc({c}, memory::data_type::f32, memory::format_tag::x);
  // oneDNN takes a non-const handle; inputs are only read.
  return {desc, cpu_engine(), const_cast<float*>(data)};
}

}  // namespace

BatchNorm::BatchNorm(std::string name, float momentum, float eps)
    : Layer(std::move(name)), momentum_(momentum), eps_(eps) {
  NNLAB_CHECK(momentum > 0.0f && momentum <= 1.0f && eps > 0.0f && std::isfinite(eps),
              "batch_norm layer '{}': momentum must be in (0, 1] and eps > 0, got {} and {}",
              this->name(), momentum, eps);
}

std::string BatchNorm::describe() const {
  return fmt::format("batch_norm(momentum={}, eps={})", momentum_, eps_);
}

Shape BatchNorm::build_impl(const Shape& in) {
  NNLAB_CHECK(in.size() >= 1 && in.size() <= 3 && shape_size(in) > 0,
              "batch_norm layer '{}': the input must be [features], [channels, length] or "
              "[channels, height, width], got {}",
              name(), shape_str(in));
  channels_ = in[0];
  tag_ = in.size() == 1   ? memory::format_tag::nc
         : in.size() == 2 ? memory::format_tag::ncw
                          : memory::format_tag::nchw;
  cache_.clear();
  add_parameter("gamma", {channels_}, false);
  add_parameter("beta", {channels_}, false);
  add_buffer("running_mean", {channels_});
  add_buffer("running_var", {channels_});
  dgamma_.resize({channels_});
  dbeta_.resize({channels_});
  return in;
}

void BatchNorm::init(Rng& /*rng*/) {
  gamma().value.fill(1.0f);
  beta().value.fill(0.0f);
  running_mean().value.fill(0.0f);
  running_var().value.fill(1.0f);
}

BatchNorm::Primitives& BatchNorm::primitives(int64_t n, Mode mode, int threads) {
  const auto key = std::make_tuple(n, mode, threads);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  memory::dims dims = {n};
  dims.insert(dims.end(), input_shape().begin(), input_shape().end());
  const memory::desc data(dims, memory::data_type::f32, tag_);
  auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
  if (mode == Mode::eval) flags |= normalization_flags::use_global_stats;
  const auto prop =
      mode == Mode::train ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  Primitives p;
  p.fwd_pd = {{prop, data, eps_, flags}, user_scratchpad(), cpu_engine()};
  p.fwd = dnnl::batch_normalization_forward(p.fwd_pd);
  return cache_.emplace(key, std::move(p)).first->second;
}

void BatchNorm::update_running_stats(const float* mean, const float* var, int64_t m) {
  float* rm = running_mean().value.data();
  float* rv = running_var().value.data();
  const float keep = 1.0f - momentum_;
  for (int64_t c = 0; c < channels_; ++c) rm[c] = keep * rm[c] + momentum_ * mean[c];
  if (m < 2) return;  // one value per channel carries no variance
  const float unbias = static_cast<float>(m) / static_cast<float>(m - 1);
  for (int64_t c = 0; c < channels_; ++c) rv[c] = keep * rv[c] + momentum_ * unbias * var[c];
}

void BatchNorm::forward_impl(const Tensor& x, LayerContext& ctx) {
  const int64_t n = x.rows();
  ctx.y.resize(x.shape());
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.mode, ctx.exec->threads());
  dnnl::stream& stream = ctx.exec->stream();
  const auto run = [&](const float* mean, const float* var) {
    execute(stream, p.fwd, p.fwd_pd,
            {{DNNL_ARG_SRC, dnnl_view(x, tag_)},
             {DNNL_ARG_DST, dnnl_view(ctx.y, tag_)},
             {DNNL_ARG_SCALE, channel_memory(channels_, gamma().value.data())},
             {DNNL_ARG_SHIFT, channel_memory(channels_, beta().value.data())},
             {DNNL_ARG_MEAN, channel_memory(channels_, mean)},
             {DNNL_ARG_VARIANCE, channel_memory(channels_, var)}},
            scratchpad_);
  };
  if (ctx.mode == Mode::eval) {
    run(running_mean().value.data(), running_var().value.data());
    return;
  }
  // The batch statistics (outputs here): rows 0 (mean) and 1 (biased variance) of ctx.saved,
  // kept for backward.
  ctx.saved.resize({2, channels_});
  run(ctx.saved.row(0), ctx.saved.row(1));
  update_running_stats(ctx.saved.row(0), ctx.saved.row(1), x.size() / channels_);
}

void BatchNorm::backward_impl(LayerContext& ctx, const Tensor& dy) {
  const Tensor& x = *ctx.x;
  const int64_t n = x.rows();
  ctx.dx.resize(x.shape());
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.mode, ctx.exec->threads());
  if (!p.bwd) {
    const memory::desc data = p.fwd_pd.src_desc();
    auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
    if (ctx.mode == Mode::eval) flags |= normalization_flags::use_global_stats;
    p.bwd_pd = {{dnnl::prop_kind::backward, data, data, eps_, flags},
                user_scratchpad(),
                cpu_engine(),
                p.fwd_pd};
    p.bwd = dnnl::batch_normalization_backward(p.bwd_pd);
  }
  const bool train = ctx.mode == Mode::train;
  const float* mean = train ? ctx.saved.row(0) : running_mean().value.data();
  const float* var = train ? ctx.saved.row(1) : running_var().value.data();
  const int64_t c = channels_;
  execute(ctx.exec->stream(), p.bwd, p.bwd_pd,
          {{DNNL_ARG_SRC, dnnl_view(x, tag_)},
           {DNNL_ARG_MEAN, channel_memory(c, mean)},
           {DNNL_ARG_VARIANCE, channel_memory(c, var)},
           {DNNL_ARG_DIFF_DST, dnnl_view(dy, tag_)},
           {DNNL_ARG_SCALE, channel_memory(c, gamma().value.data())},
           // oneDNN 2.6 asks for the shift too, though dx does not use it.
           {DNNL_ARG_SHIFT, channel_memory(c, beta().value.data())},
           {DNNL_ARG_DIFF_SRC, dnnl_view(ctx.dx, tag_)},
           {DNNL_ARG_DIFF_SCALE, channel_memory(c, dgamma_.data())},
           {DNNL_ARG_DIFF_SHIFT, channel_memory(c, dbeta_.data())}},
          scratchpad_);
  float* g = gamma().grad.data();
  float* b = beta().grad.data();
  for (int64_t i = 0; i < channels_; ++i) {
    g[i] += dgamma_[i];
    b[i] += dbeta_[i];
  }
}

}  // namespace nnlab
