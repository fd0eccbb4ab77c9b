// Pca: principal component analysis of rows, as scikit-learn's PCA(svd_solver="full") computes
// it (no whitening), for the latent-space projections of S4 and PCA features of pixels or codes.
//
//   N = rows, D = features per row, k = components.
//
//   fit(rows [N, D], k)      centres the rows on their mean and takes the k leading eigenvectors
//                            of their covariance (divisor N - 1), in double precision. Needs
//                            N >= 2, 1 <= k <= min(N, D), D <= kMaxDim, finite values.
//   transform(rows [M, D])   -> [M, k]: (x - mean) projected on the components.
//   inverse_transform(codes [M, k]) -> [M, D]: codes times the components, plus the mean.
//
// Eigenvectors are unique only up to sign; a sign convention makes them deterministic, and
// identical to scikit-learn's (its svd_flip):
//   Sign::scores      the training row with the largest |score| on a component scores
//                     positive (svd_flip(u_based_decision=True): PCA in scikit-learn < 1.5,
//                     Debian 12's 1.2.1 among them);
//   Sign::components  the largest |entry| of each component is positive
//                     (u_based_decision=False: PCA in scikit-learn >= 1.5).
// Ties go to the first index, as numpy's argmax. Components with equal variances (a degenerate
// eigenvalue) span a subspace whose basis no convention can fix.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensor/tensor.hpp"

namespace nnlab {

class Pca {
 public:
  enum class Sign { scores, components };
  /// The widest rows fit() takes: the covariance is D x D doubles and its eigendecomposition
  /// costs O(D^3): 4096 makes it 128 MiB and minutes of CPU.
  static constexpr int64_t kMaxDim = 4096;

  /// Fits on `rows`, n rows of d floats each, row-major.
  static Pca fit(std::span<const float> rows, int64_t n, int64_t d, int64_t n_components,
                 Sign sign = Sign::scores);
  /// Fits on a tensor [N, ...]: each sample flattened to one row.
  static Pca fit(const Tensor& rows, int64_t n_components, Sign sign = Sign::scores);

  /// rows: [M, D] (each sample flattened) -> [M, k].
  Tensor transform(const Tensor& rows) const;
  /// codes: [M, k] -> [M, D].
  Tensor inverse_transform(const Tensor& codes) const;

  int64_t n_components() const { return k_; }
  int64_t dim() const { return d_; }
  /// [D]: the mean of the training rows.
  const std::vector<double>& mean() const { return mean_; }
  /// [k, D] row-major: unit components, by decreasing variance.
  const std::vector<double>& components() const { return components_; }
  std::span<const double> component(int64_t i) const;
  /// [k]: the variance of the training rows along each component (divisor N - 1).
  const std::vector<double>& explained_variance() const { return variance_; }
  /// [k]: explained_variance over the total variance of the rows (all D directions); all zero
  /// when the rows are identical.
  const std::vector<double>& explained_variance_ratio() const { return ratio_; }

 private:
  Pca() = default;
  int64_t d_ = 0, k_ = 0;
  std::vector<double> mean_, components_, variance_, ratio_;
};

}  // namespace nnlab
