// Element-wise activation functions as stateless structs (mlpack's style, STYLE.md rule 10).
//
//   fn(x)        the activation
//   deriv(x, y)  dfn/dx at x, given y = fn(x) (sigmoid and tanh are cheapest from y)
//
// Structs with a parameter (leaky_relu, elu) take it as a trailing `alpha` argument with the
// Keras/PyTorch default, and say so with `has_alpha`.
//
// The Activation layer runs relu, leaky_relu and linear through these structs; sigmoid, tanh,
// elu, gelu and softplus it computes with oneDNN's vector primitives (activation_layer.cpp), to
// within a few float ulps of the scalar definitions here, which stay for scalar callers.
#pragma once

#include <algorithm>
#include <cmath>

#include "tensor/elementwise.hpp"

namespace nnlab::act {

struct Sigmoid {
  static constexpr bool has_alpha = false;
  static float fn(float x) {
    // Split by sign so exp never overflows.
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
  }
  static float deriv(float /*x*/, float y) { return y * (1.0f - y); }
};

struct Tanh {
  static constexpr bool has_alpha = false;
  static float fn(float x) { return std::tanh(x); }
  // 1 - y^2 rounded once, as oneDNN's tanh backward computes it.
  static float deriv(float /*x*/, float y) { return std::fma(-y, y, 1.0f); }
};

struct Relu {
  static constexpr bool has_alpha = false;
  static float fn(float x) { return x > 0.0f ? x : 0.0f; }
  static float deriv(float x, float /*y*/) { return x > 0.0f ? 1.0f : 0.0f; }
};

struct LeakyRelu {
  static constexpr bool has_alpha = true;
  static constexpr float default_alpha = 0.01f;  // PyTorch's negative_slope
  // Branch-free (equal to x > 0 ? x : alpha x) so that loops over it vectorize: GCC moves the
  // product of the ternary form into a branch.
  static float fn(float x, float alpha = default_alpha) {
    return std::max(x, 0.0f) + alpha * std::min(x, 0.0f);
  }
  static float deriv(float x, float /*y*/, float alpha = default_alpha) {
    return pick(x > 0.0f, 1.0f, alpha);
  }
};

struct Elu {
  static constexpr bool has_alpha = true;
  static constexpr float default_alpha = 1.0f;
  static float fn(float x, float alpha = default_alpha) {
    return x > 0.0f ? x : alpha * std::expm1(x);
  }
  // For x <= 0, d/dx alpha*(e^x - 1) = alpha*e^x = y + alpha.
  static float deriv(float x, float y, float alpha = default_alpha) {
    return x > 0.0f ? 1.0f : y + alpha;
  }
};

/// The exact GELU, x * Phi(x) with the normal CDF via erf (PyTorch's default, not the tanh
/// approximation).
struct Gelu {
  static constexpr bool has_alpha = false;
  static float fn(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }
  static float deriv(float x, float /*y*/) {
    const float cdf = 0.5f * (1.0f + std::erf(x * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * std::exp(-0.5f * x * x);
    return cdf + x * pdf;
  }
};

/// log(1 + e^x); linear above 20 like PyTorch, where e^x would lose all precision anyway.
struct Softplus {
  static constexpr bool has_alpha = false;
  static float fn(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }
  static float deriv(float x, float /*y*/) { return Sigmoid::fn(x); }
};

struct Linear {
  static constexpr bool has_alpha = false;
  static float fn(float x) { return x; }
  static float deriv(float /*x*/, float /*y*/) { return 1.0f; }
};

}  // namespace nnlab::act
