#include "nn/activation_layer.hpp"

#include <cmath>

#include "nn/activations.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

const ActKind kKinds[] = {ActKind::sigmoid, ActKind::tanh, ActKind::relu,     ActKind::leaky_relu,
                          ActKind::elu,     ActKind::gelu, ActKind::softplus, ActKind::linear};

// Below this many elements a thread team costs more than it saves.
constexpr int64_t kParallelMin = int64_t{1} << 15;

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
#pragma omp parallel for simd if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = apply_fn<A>(x[i], alpha);
}

template <class A>
void backward_loop(const float* x, const float* y, const float* dy, float* dx, int64_t n,
                   float alpha) {
#pragma omp parallel for simd if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * apply_deriv<A>(x[i], y[i], alpha);
}

// Runs f.template operator()<Struct>() for the struct of `kind`: the one runtime switch.
template <class F>
void dispatch(ActKind kind, F&& f) {
  switch (kind) {
    case ActKind::sigmoid:
      return f.template operator()<act::Sigmoid>();
    case ActKind::tanh:
      return f.template operator()<act::Tanh>();
    case ActKind::relu:
      return f.template operator()<act::Relu>();
    case ActKind::leaky_relu:
      return f.template operator()<act::LeakyRelu>();
    case ActKind::elu:
      return f.template operator()<act::Elu>();
    case ActKind::gelu:
      return f.template operator()<act::Gelu>();
    case ActKind::softplus:
      return f.template operator()<act::Softplus>();
    case ActKind::linear:
      return f.template operator()<act::Linear>();
  }
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
  for (ActKind k : kKinds) names.push_back(act_name(k));
  names.push_back("softmax");
  return names;
}

ActKind act_kind(const std::string& name) {
  for (ActKind k : kKinds)
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

void Activation::forward_impl(const Tensor& x, LayerContext& ctx) {
  ctx.y.resize(x.shape());
  dispatch(kind_, [&]<class A>() { forward_loop<A>(x.data(), ctx.y.data(), x.size(), alpha_); });
}

void Activation::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx.resize(dy.shape());
  dispatch(kind_, [&]<class A>() {
    backward_loop<A>(ctx.x->data(), ctx.y.data(), dy.data(), ctx.dx.data(), dy.size(), alpha_);
  });
}

void sigmoid_values(const float* in, float* out, int64_t n) {
  forward_loop<act::Sigmoid>(in, out, n, 0.0f);
}

void softmax_rows(const float* in, float* out, int64_t rows, int64_t cols) {
#pragma omp parallel for if (rows * cols > kParallelMin)
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
#pragma omp parallel for if (rows * cols > kParallelMin)
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
