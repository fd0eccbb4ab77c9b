// KernelSvm: the C-support-vector classifier of libsvm (Debian's libsvm 3.24), as scikit-learn's
// SVC trains it: the same SMO solver, the same kernels and "scale" gamma, one-vs-one for more
// than two classes, prediction by libsvm's one-vs-one vote.
//
//   N = training rows, D = features per row (samples flattened), k = classes present in the
//   training labels, P = k (k - 1) / 2 pairs.
//
//   fit      trains the P binary problems of one-vs-one (each on its two classes' rows, in
//            row order, as libsvm's own multi-class training builds them) as separate libsvm
//            problems, in parallel over the caller's OpenMP budget. A pair of up to 4096 rows
//            trains on its precomputed kernel matrix (from float dot products; 256 MiB at 4096
//            rows, per pair in training at a time), a larger one on libsvm's own kernel
//            evaluation (about 2.5x slower than scikit-learn's per thread; see svm.cpp).
//            The result does not depend on the thread count.
//   predict  evaluates each row's kernel against the union of all pairs' support vectors once
//            (dense matrix products, in double, in fixed blocks of rows) and votes as libsvm's
//            svm_predict: pair (a, b), a < b, votes a when its decision value is > 0, else b;
//            the most votes win, ties going to the smallest class index.
//            confidence: the winner's votes over the k - 1 pairs it takes part in (1 when it
//            won all its duels).
//
// Kernels (libsvm's and scikit-learn's definitions): rbf exp(-gamma |x - y|^2), poly
// (gamma x.y + coef0)^degree, linear x.y, sigmoid tanh(gamma x.y + coef0).
// Limits: classes absent from the training labels are never predicted; fewer than two classes
// present is an error (libsvm and scikit-learn refuse it too: a constant answer is no SVM).
// Each pair's solver caches up to cache_mb of kernel rows, so training holds up to
// threads x (cache_mb + the precomputed matrix), plus each class's kernel matrix among itself
// (floats); prediction holds the support vectors densely (S x D doubles) and a block of kernel
// values (16 MiB) per thread. No probability estimates (see svm.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "learn/learner.hpp"

namespace nnlab {

struct SvmOptions {
  enum Kernel { rbf, poly, linear, sigmoid };
  Kernel kernel = rbf;
  double C = 1;             // > 0: the penalty of margin violations
  double gamma = 0;         // >= 0; 0 = scikit-learn's "scale": 1 / (D * variance of all values)
  int degree = 3;           // poly only, in [1, 10]
  double coef0 = 0;         // poly and sigmoid
  double tolerance = 1e-3;  // > 0: libsvm's eps, the stopping criterion of SMO
  double cache_mb = 200;    // > 0: kernel cache of each binary problem's solver
  bool shrinking = true;    // libsvm's shrinking heuristics
};

class KernelSvm : public Learner {
 public:
  /// Checks the options (bad ones throw nnlab::Error).
  explicit KernelSvm(SvmOptions options = {});

  void fit(ExecContext& exec, const Tensor& rows, std::span<const int32_t> labels,
           int classes) override;
  Predictions predict(ExecContext& exec, const Tensor& rows) const override;
  std::string name() const override { return "svm"; }

  /// rows [M, ...] -> [M, P]: the one-vs-one decision values, pairs in libsvm's order
  /// ((c0, c1), (c0, c2), ..., (c1, c2), ... over the present classes ascending); > 0 favours
  /// the pair's first class. scikit-learn's decision_function with decision_function_shape="ovo".
  Tensor decision_values(ExecContext& exec, const Tensor& rows) const;

  const SvmOptions& options() const { return options_; }
  /// The gamma in use ("scale" resolved at fit).
  double gamma() const { return gamma_; }
  /// The classes present in the training labels, ascending.
  const std::vector<int32_t>& classes() const { return present_; }
  /// Training row indices (ascending) that are a support vector of at least one pair: the
  /// support_ of scikit-learn's SVC, as a set.
  const std::vector<int64_t>& support() const { return support_; }
  bool fitted() const { return !present_.empty(); }

 private:
  // One binary problem of one-vs-one: its support vectors (positions in support_) and their
  // coefficients y_i alpha_i, decision = sum coef K(x, sv) - rho.
  struct Pair {
    std::vector<int32_t> sv;
    std::vector<double> coef;
    double rho = 0;
  };
  // The decision values of `count` rows at x (D floats each) into dec [count, P].
  void decide(const float* x, int64_t count, double* dec) const;
  // Runs f(first, count, dec) over fixed blocks of rows (in parallel): dec [count, P].
  template <class F>
  void for_blocks(const Tensor& rows, F&& f) const;

  SvmOptions options_;
  double gamma_ = 0;
  int64_t d_ = 0;
  std::vector<int32_t> present_;
  std::vector<Pair> pairs_;
  std::vector<int64_t> support_;
  std::vector<double> sv_;       // [S, D] the support vectors, row-major
  std::vector<double> sv_norm_;  // [S] their squared norms (rbf)
};

}  // namespace nnlab
