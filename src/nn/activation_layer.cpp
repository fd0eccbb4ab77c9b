#include "nn/activation_layer.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "nn/activations.hpp"
#include "nn/dnnl_util.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"

// Why oneDNN for sigmoid, tanh, elu, gelu and softplus: a loop over std::exp / std::tanh /
// std::erf stays scalar (`omp simd` has no vector libm to call without -ffast-math), 10-40 ns an
// element. oneDNN's eltwise primitives JIT vector exp, tanh and erf for the CPU's ISA (AVX2,
// AVX-512) and thread themselves, within a few float ulps of the scalar code
// (tests/nn/activation_accuracy_test.cpp asserts the bounds). An element's value depends on the
// element alone, never on the batch size or the thread count: oneDNN splits a tensor into
// aligned blocks and runs its tail through the same vector code.
//
// Where oneDNN 2.x loses precision, the layer composes an accurate form out of oneDNN's accurate
// functions and exact float/double arithmetic:
//   elu       oneDNN computes alpha (e^x - 1), with no relative precision near 0-; the layer
//             computes expm1(x) = 2t / (1 - t) with t = tanh(x / 2) from oneDNN's tanh.
//   softplus  oneDNN's soft_relu is off by up to 4e-6 for x < 0 (no log1p); the layer computes
//             max(x, 0) + log1p(e^-|x|) with e^x from oneDNN's exp and log1p summed in double.
// relu, leaky_relu and linear stay plain loops: they vectorize, and beat oneDNN's relu (forward +
// backward: 4 us against 16 us on [64, 500], 100 us against 110 us on [512, 1024], 2 threads).
// So does elu's backward, dy * (x > 0 ? 1 : y + alpha): oneDNN 2.x's from-x elu backward returns
// alpha for 0 < x < 6e-8, and its from-y one refuses alpha < 0.

namespace nnlab {

namespace {

using dnnl::algorithm;
using tag = dnnl::memory::format_tag;

const ActKind kActKinds[] = {ActKind::sigmoid,    ActKind::tanh,  ActKind::relu,
                             ActKind::leaky_relu, ActKind::elu,   ActKind::gelu,
                             ActKind::softplus,   ActKind::linear};

// The structs' alpha is an optional trailing argument; these call them uniformly.
template <class A>
float apply_fn(float x, float alpha) {
  if constexpr (A::has_alpha) {
    return A::fn(x, alpha);
  } else {
    (void)alpha;
    return A::fn(x);
  }
}
template <class A>
float apply_deriv(float x, float y, float alpha) {
  if constexpr (A::has_alpha) {
    return A::deriv(x, y, alpha);
  } else {
    (void)alpha;
    return A::deriv(x, y);
  }
}

template <class A>
void forward_loop(const float* x, float* y, int64_t n, float alpha) {
  elementwise(n, [=](int64_t i) { y[i] = apply_fn<A>(x[i], alpha); });
}

template <class A>
void backward_loop(const float* x, const float* y, const float* dy, float* dx, int64_t n,
                   float alpha) {
  elementwise(n, [=](int64_t i) { dx[i] = dy[i] * apply_deriv<A>(x[i], y[i], alpha); });
}

// True for the kinds whose forward oneDNN primitives compute.
bool on_dnnl(ActKind kind) {
  return kind != ActKind::relu && kind != ActKind::leaky_relu && kind != ActKind::linear;
}

// True for the kinds whose backward oneDNN primitives compute: sigmoid's and tanh's derivatives
// are functions of y without a transcendental, dy y (1 - y) and dy (1 - y^2), which a plain loop
// computes with the same bits as oneDNN's use_dst_for_bwd kernels (tanh's rounds 1 - y^2 once,
// an FMA, as they do; tests/nn/activation_accuracy_test.cpp) and without a primitive call per
// layer (S1's sigmoid net: 3 calls of 11-22 us a step at batch 64).
bool backward_on_dnnl(ActKind kind) { return kind == ActKind::gelu || kind == ActKind::softplus; }

// Runs f.template operator()<Struct>() for the struct of a plain-loop kind (for sigmoid and
// tanh, the backward's).
template <class F>
void dispatch_loop(ActKind kind, F&& f) {
  switch (kind) {
    case ActKind::sigmoid:
      return f.template operator()<act::Sigmoid>();
    case ActKind::tanh:
      return f.template operator()<act::Tanh>();
    case ActKind::relu:
      return f.template operator()<act::Relu>();
    case ActKind::leaky_relu:
      return f.template operator()<act::LeakyRelu>();
    case ActKind::linear:
      return f.template operator()<act::Linear>();
    default:
      throw Error(fmt::format("activation {} has no plain loop", act_name(kind)));
  }
}

// The forward primitive's algorithm: the function itself, or for elu and softplus their
// transcendental part (see the top of the file). The *_use_dst_for_bwd variants compute the same
// forward values as the plain ones.
algorithm forward_algorithm(ActKind kind) {
  switch (kind) {
    case ActKind::sigmoid:
      return algorithm::eltwise_logistic_use_dst_for_bwd;
    case ActKind::tanh:
    case ActKind::elu:  // of x / 2
      return algorithm::eltwise_tanh_use_dst_for_bwd;
    case ActKind::gelu:
      return algorithm::eltwise_gelu_erf;
    case ActKind::softplus:
      return algorithm::eltwise_exp;
    default:
      throw Error(fmt::format("activation {} has no oneDNN primitive", act_name(kind)));
  }
}

// The backward primitive of gelu and softplus (dy * sigmoid(x)), both from x: its algorithm
// and its alpha.
struct Backward {
  algorithm alg;
  float alpha;
};
Backward backward_of(ActKind kind) {
  switch (kind) {
    case ActKind::gelu:
      return {algorithm::eltwise_gelu_erf, 0.0f};
    case ActKind::softplus:  // alpha: ignored by oneDNN 2.x, the plain softplus in 3.x
      return {algorithm::eltwise_soft_relu, 1.0f};
    default:
      throw Error(fmt::format("activation {} has no oneDNN primitive", act_name(kind)));
  }
}

// A oneDNN memory over floats (no copy; primitives write only their destinations).
dnnl::memory flat(const dnnl::memory::desc& desc, const float* data) {
  return {desc, cpu_engine(), const_cast<float*>(data)};
}

// The element-wise passes around the primitives use exact IEEE operations only (no libm, and
// every multiply-add an explicit fma, so contraction cannot differ between a vector body and its
// remainder): an element's value never depends on its position or the thread count.

// y = x / 2 (exact), the argument of elu's tanh.
void halve(const float* x, float* y, int64_t n) {
  elementwise(n, [=](int64_t i) { y[i] = 0.5f * x[i]; });
}

// elu(x) = x > 0 ? x : alpha expm1(x), given t = tanh(x / 2) in y: expm1(x) = 2t / (1 - t) in
// double (t in (-1, 0] for x <= 0), so the error is oneDNN tanh's, then one rounding to float.
void elu_from_tanh(const float* x, float* y, int64_t n, float alpha) {
  elementwise(n, [=](int64_t i) {
    const double t = y[i], xd = x[i];
    const double neg = static_cast<double>(alpha) * (2.0 * t / (1.0 - t));
    y[i] = static_cast<float>(pick(xd > 0.0, xd, neg));
  });
}

// dx = dy * (x > 0 ? 1 : y + alpha), act::Elu::deriv.
void elu_backward(const float* x, const float* y, const float* dy, float* dx, int64_t n,
                  float alpha) {
  elementwise(n, [=](int64_t i) { dx[i] = dy[i] * pick(x[i] > 0.0f, 1.0f, y[i] + alpha); });
}

// softplus(x) = max(x, 0) + log1p(u), u = e^-|x| in (0, 1], given e^x in y (inf above 88.7, 0
// below -87: then u = 0 and softplus(x) = max(x, 0)). log1p(u) = 2 atanh(s) with
// s = u / (2 + u) <= 1/3, and the series 2s (1 + z/3 + z^2/5 + ...), z = s^2 <= 1/9, is summed
// in double to 11 terms (truncation under 2e-12): the error is oneDNN exp's, then one rounding.
void softplus_from_exp(const float* x, float* y, int64_t n) {
  elementwise(n, [=](int64_t i) {
    const double e = y[i], xd = x[i];
    const bool positive = xd > 0.0;
    const double u = pick(positive, 1.0 / e, e);
    const double s = u / (2.0 + u), z = s * s;
    double p = 1.0 / 21.0;
    for (int k = 9; k >= 0; --k) p = std::fma(p, z, 1.0 / (2 * k + 1));
    y[i] = static_cast<float>(std::fma(2.0 * s, p, pick(positive, xd, 0.0)));
  });
}

}  // namespace

std::string act_name(ActKind kind) {
  switch (kind) {
    case ActKind::sigmoid:
      return "sigmoid";
    case ActKind::tanh:
      return "tanh";
    case ActKind::relu:
      return "relu";
    case ActKind::leaky_relu:
      return "leaky_relu";
    case ActKind::elu:
      return "elu";
    case ActKind::gelu:
      return "gelu";
    case ActKind::softplus:
      return "softplus";
    case ActKind::linear:
      return "linear";
  }
  return "?";
}

bool act_has_alpha(ActKind kind) { return kind == ActKind::leaky_relu || kind == ActKind::elu; }

std::vector<std::string> activation_names() {
  std::vector<std::string> names;
  for (ActKind k : kActKinds) names.push_back(act_name(k));
  names.push_back("softmax");
  return names;
}

ActKind act_kind(const std::string& name) {
  for (ActKind k : kActKinds)
    if (act_name(k) == name) return k;
  throw Error(fmt::format("unknown activation '{}'; known activations: {}", name,
                          fmt::join(activation_names(), ", ")));
}

Activation::Activation(std::string name, ActKind kind, float alpha)
    : Layer(std::move(name)), kind_(kind), alpha_(alpha) {
  if (std::isnan(alpha_)) {
    alpha_ = kind == ActKind::leaky_relu ? act::LeakyRelu::default_alpha
             : kind == ActKind::elu      ? act::Elu::default_alpha
                                         : 0.0f;
  }
}

std::string Activation::describe() const {
  return act_has_alpha(kind_) ? fmt::format("{}(alpha={})", kind(), alpha_) : kind();
}

struct Activation::Primitives {
  dnnl::memory::desc desc;  // n floats, flat: the layer is element-wise
  dnnl::eltwise_forward::primitive_desc fwd_pd;
  dnnl::eltwise_forward fwd;
  // Created on the first backward (evaluation needs none).
  dnnl::eltwise_backward::primitive_desc bwd_pd;
  dnnl::eltwise_backward bwd;
};

Activation::~Activation() = default;

Activation::Primitives& Activation::primitives(int64_t n, int threads) {
  auto& slot = primitives_[{n, threads}];
  if (slot) return *slot;
  slot = std::make_unique<Primitives>();
  Primitives& p = *slot;
  p.desc = f32_desc({n}, tag::a);
  p.fwd_pd = {{dnnl::prop_kind::forward_training, forward_algorithm(kind_), p.desc, 0.0f, 0.0f},
              user_scratchpad(),
              cpu_engine()};
  p.fwd = dnnl::eltwise_forward(p.fwd_pd);
  return p;
}

PostOp Activation::as_post_op() const {
  // The backward passes read y (sigmoid, tanh) or the sign of x (relu, leaky_relu with alpha
  // >= 0, which keeps the sign: y > 0 exactly when x > 0), so they run unchanged on x = y.
  // oneDNN's post-op computes the same values as this layer's forward: the same JIT code for
  // sigmoid and tanh (where the layer before uses it: Layer::applies_post_op), exact arithmetic
  // for the rest (tests/nn/fused_activation_test.cpp). elu and softplus are composed for
  // accuracy, and gelu's backward needs x: not fused.
  switch (kind_) {
    case ActKind::relu:
      return {dnnl::algorithm::eltwise_relu, 0.0f, 0.0f};
    case ActKind::leaky_relu:
      if (alpha_ >= 0.0f) return {dnnl::algorithm::eltwise_relu, alpha_, 0.0f};
      return {};
    case ActKind::sigmoid:
      return {dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f};
    case ActKind::tanh:
      return {dnnl::algorithm::eltwise_tanh, 0.0f, 0.0f};
    case ActKind::linear:
      return {dnnl::algorithm::eltwise_linear, 1.0f, 0.0f};
    default:
      return {};
  }
}

void Activation::backward_at_output(const Tensor& y, const Tensor& dy, Tensor& dx,
                                    ExecContext& exec) {
  NNLAB_CHECK(as_post_op(), "layer '{}': the derivative of {} needs its input, not its output",
              name(), kind());
  // The backward of a pass whose layer before applied this activation: x is y (as_post_op).
  LayerContext ctx;
  ctx.x = &y;
  ctx.y = Tensor::view(const_cast<float*>(y.data()), y.shape());
  ctx.exec = &exec;
  ctx.dx = std::move(dx);  // its storage, reused from batch to batch
  backward_impl(ctx, dy);
  dx = std::move(ctx.dx);
}

void Activation::forward_impl(const Tensor& x, LayerContext& ctx) {
  if (ctx.input_activated) {
    // The layer before applied this activation: y is x (see as_post_op for the backward).
    NNLAB_CHECK(as_post_op(), "layer '{}': {} cannot be applied by the layer before", name(),
                kind());
    ctx.y = Tensor::view(const_cast<float*>(x.data()), x.shape());
    ctx.y.set_channel_block(x.channel_block());
    return;
  }
  if (ctx.y.is_view()) ctx.y = Tensor();  // it was an earlier pass's x
  ctx.y.resize(x.shape());
  ctx.y.set_channel_block(x.channel_block());  // element-wise: any layout will do
  const int64_t n = x.size();
  if (!on_dnnl(kind_)) {
    dispatch_loop(kind_, [&]<class A>() { forward_loop<A>(x.data(), ctx.y.data(), n, alpha_); });
    return;
  }
  if (n == 0) return;
  Primitives& p = primitives(n, ctx.exec->threads());
  dnnl::stream& stream = ctx.exec->stream();
  float* y = ctx.y.data();
  const dnnl::memory dst = flat(p.desc, y);
  if (kind_ == ActKind::elu) {
    halve(x.data(), y, n);
    execute(stream, p.fwd, p.fwd_pd, {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}}, scratchpad_);
    elu_from_tanh(x.data(), y, n, alpha_);
    return;
  }
  execute(stream, p.fwd, p.fwd_pd, {{DNNL_ARG_SRC, flat(p.desc, x.data())}, {DNNL_ARG_DST, dst}},
          scratchpad_);
  if (kind_ == ActKind::softplus) softplus_from_exp(x.data(), y, n);
}

void Activation::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx.resize(dy.shape());
  ctx.dx.set_channel_block(dy.channel_block());
  const int64_t n = dy.size();
  if (kind_ == ActKind::elu) {
    elu_backward(ctx.x->data(), ctx.y.data(), dy.data(), ctx.dx.data(), n, alpha_);
    return;
  }
  if (!backward_on_dnnl(kind_)) {
    dispatch_loop(kind_, [&]<class A>() {
      backward_loop<A>(ctx.x->data(), ctx.y.data(), dy.data(), ctx.dx.data(), n, alpha_);
    });
    return;
  }
  Primitives& p = primitives(n, ctx.exec->threads());
  const Backward b = backward_of(kind_);
  if (!p.bwd) {
    // The hint: a forward primitive descriptor of the backward's own algorithm.
    const dnnl::eltwise_forward::primitive_desc hint(
        {dnnl::prop_kind::forward_training, b.alg, p.desc, b.alpha, 0.0f}, user_scratchpad(),
        cpu_engine());
    p.bwd_pd = {{b.alg, p.desc, p.desc, b.alpha, 0.0f}, user_scratchpad(), cpu_engine(), hint};
    p.bwd = dnnl::eltwise_backward(p.bwd_pd);
  }
  execute(ctx.exec->stream(), p.bwd, p.bwd_pd,
          {{DNNL_ARG_SRC, flat(p.desc, ctx.x->data())},
           {DNNL_ARG_DIFF_DST, flat(p.desc, dy.data())},
           {DNNL_ARG_DIFF_SRC, flat(p.desc, ctx.dx.data())}},
          scratchpad_);
}

namespace {

// y = f(x) for n values by the forward primitive of `kind`, on a stream of its own (oneDNN's
// primitive cache makes re-creating it cheap): for callers without a layer or a context.
void forward_values(ActKind kind, const float* in, float* out, int64_t n) {
  const dnnl::memory::desc desc = f32_desc({n}, tag::a);
  const dnnl::eltwise_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_training, forward_algorithm(kind), desc, 0.0f, 0.0f}, cpu_engine());
  dnnl::stream stream(cpu_engine());
  dnnl::eltwise_forward(pd).execute(
      stream, {{DNNL_ARG_SRC, flat(desc, in)}, {DNNL_ARG_DST, flat(desc, out)}});
  stream.wait();
}

}  // namespace

void sigmoid_values(const float* in, float* out, int64_t n) {
  if (n > 0) forward_values(ActKind::sigmoid, in, out, n);
}

void softmax_rows(const float* in, float* out, int64_t rows, int64_t cols) {
#pragma omp parallel for if (rows * cols > kRowwiseThreadMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* a = in + r * cols;
    float* b = out + r * cols;
    // Subtracting the row maximum keeps exp from overflowing; the result is unchanged.
    float mx = a[0];
    for (int64_t c = 1; c < cols; ++c) mx = std::max(mx, a[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      b[c] = std::exp(a[c] - mx);
      sum += b[c];
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (int64_t c = 0; c < cols; ++c) b[c] *= inv;
  }
}

void Softmax::forward_impl(const Tensor& x, LayerContext& ctx) {
  ctx.y.resize(x.shape());
  softmax_rows(x.data(), ctx.y.data(), x.rows(), x.cols());
}

void Softmax::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx.resize(dy.shape());
  const int64_t rows = dy.rows(), cols = dy.cols();
#pragma omp parallel for if (rows * cols > kRowwiseThreadMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* y = ctx.y.row(r);
    const float* g = dy.row(r);
    float* d = ctx.dx.row(r);
    double dot = 0.0;
    for (int64_t c = 0; c < cols; ++c) dot += static_cast<double>(g[c]) * y[c];
    for (int64_t c = 0; c < cols; ++c) d[c] = y[c] * (g[c] - static_cast<float>(dot));
  }
}

LayerPtr make_activation(const std::string& layer_name, const std::string& activation,
                         float alpha) {
  if (activation == "softmax") return std::make_unique<Softmax>(layer_name);
  return std::make_unique<Activation>(layer_name, act_kind(activation), alpha);
}

}  // namespace nnlab
