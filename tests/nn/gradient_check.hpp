// One finite-difference checker for every layer, model and loss test (STYLE.md rule 6).
//
// For L = sum(y * r) with a fixed random r, compares the analytic dL/dx and every parameter
// gradient with double-precision central differences (eps = 1e-3 on the float values), within
// a relative tolerance: |analytic - numeric| <= tol * max(1, |analytic|, |numeric|).
//
// (Implemented in gradient_check_test.cpp: CMake compiles only tests/nn/*_test.cpp.)
#pragma once

#include <cstdint>

#include "nn/layer.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"

namespace nnlab::test {

struct GradCheckOptions {
  double eps = 1e-3;
  double tol = 1e-2;
  uint64_t seed = 1;  // every forward pass runs with a fresh Rng(seed): same dropout mask
  Mode mode = Mode::train;
  bool check_input = true;  // also check dL/dx
};

/// Checks the gradients of a whole model at x ([N, input...]) with GoogleTest expectations.
void expect_gradients_match(Model& model, const Tensor& x, const GradCheckOptions& opt = {});

/// Wraps `layer` in a one-layer Model (per-sample shape taken from x) and checks it at x.
void expect_layer_gradients(LayerPtr layer, const Tensor& x, const GradCheckOptions& opt = {});

/// Checks a loss's dout against central differences of compute() at `out`.
void expect_loss_gradient(const Loss& loss, const Tensor& out, const Targets& t,
                          const GradCheckOptions& opt = {});

/// A tensor of normals; with min_abs > 0, values are pushed at least that far from 0 (away
/// from the kinks of relu, leaky_relu, elu and |w|).
Tensor random_tensor(const Shape& shape, uint64_t seed, float stddev = 1.0f, float min_abs = 0.0f);

/// How many values of a and b differ (-0 equals +0: oneDNN's ReLU may write -0 where another
/// order of the same computation writes +0); a shape mismatch is also a failed expectation.
int64_t differing(const Tensor& a, const Tensor& b);

}  // namespace nnlab::test
