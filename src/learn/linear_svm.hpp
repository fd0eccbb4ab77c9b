// LinearSvm: the linear support vector classifier of liblinear (Debian's liblinear 2.3), as
// scikit-learn's LinearSVC trains it: L2-regularized hinge or squared-hinge loss, solved by dual
// coordinate descent (or, for the squared hinge with dual = false, liblinear's primal Newton
// method); one-vs-rest for more than two classes, as liblinear does it.
//
//   N = training rows, D = features per row (samples flattened), k = classes present in the
//   training labels; liblinear fits one weight vector for two classes, k for more.
//
//   fit      one liblinear train() call. Dual coordinate descent visits the rows in random
//            orders drawn from the C library's global rand(): fit reseeds it with `seed` and
//            holds a process-wide lock for the whole training (see linear_svm.cpp), so the
//            same data, options and seed give the same weights in any process.
//   predict  w . x + b per class, in double, in parallel over rows; two classes: the first
//            class present when w . x + b > 0, else the second (liblinear's rule); more: the
//            class of the largest value, the first one on ties.
//            confidence: 1 (a linear SVM gives no probability).
//
// bias = true appends a constant feature 1 to every row (LinearSVC's intercept_scaling = 1): the
// intercept is regularized with the weights, as liblinear and LinearSVC do it.
// Limits: Debian's liblinear fixes the solvers' iteration limit at 1000 (scikit-learn's copy
// made it a parameter), so max_iter must be 1000; classes absent from the training labels are
// never predicted; fewer than two classes present is an error, as in LinearSVC.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "learn/learner.hpp"

namespace nnlab {

struct LinearSvmOptions {
  enum Loss { hinge, squared_hinge };
  Loss loss = squared_hinge;
  double C = 1;             // > 0: the penalty of margin violations
  double tolerance = 1e-4;  // > 0: liblinear's eps (LinearSVC's tol)
  bool dual = true;         // false: the primal solver (squared hinge only)
  int max_iter = 1000;      // must be 1000, Debian's liblinear's fixed limit
  bool bias = true;         // learn an intercept (a constant feature 1)
  uint64_t seed = 0;        // the order in which dual coordinate descent visits the rows
};

class LinearSvm : public Learner {
 public:
  /// Checks the options (bad ones throw nnlab::Error).
  explicit LinearSvm(LinearSvmOptions options = {});

  void fit(ExecContext& exec, const Tensor& rows, std::span<const int32_t> labels,
           int classes) override;
  Predictions predict(ExecContext& exec, const Tensor& rows) const override;
  std::string name() const override { return "linear-svm"; }

  /// rows [M, ...] -> [M, W]: w . x + b of each weight vector (W = 1 for two classes: > 0
  /// favours classes()[0]; else W = k, one per class of classes()).
  Tensor decision_values(ExecContext& exec, const Tensor& rows) const;

  const LinearSvmOptions& options() const { return options_; }
  /// The classes present in the training labels, in liblinear's order (first appearance).
  const std::vector<int32_t>& classes() const { return classes_; }
  /// [W, D] row-major: the weight vectors.
  const std::vector<double>& weights() const { return w_; }
  /// [W]: the intercepts (0 without bias).
  const std::vector<double>& intercepts() const { return b_; }
  bool fitted() const { return !classes_.empty(); }

 private:
  // The decision values of one row (D floats) into dec [W].
  void decide(const float* x, double* dec) const;

  LinearSvmOptions options_;
  int64_t d_ = 0;
  std::vector<int32_t> classes_;
  std::vector<double> w_, b_;
};

}  // namespace nnlab
