// GaussianMixture: K Gaussians with full covariances, fitted by EM as scikit-learn's
// GaussianMixture(covariance_type="full") does, for drawing autoencoder codes (the "mixture"
// and "full_gaussian" latent samplers).
//
//   N = rows, D = features (code width), K = components.
//
//   fit(rows [N, D], options)  k-means++ seeding (from options.seed) refined by Lloyd's
//                              k-means gives hard responsibilities; then EM until the mean
//                              log-likelihood gains less than tol, or max_iter rounds.
//                              Covariances are maximum likelihood (divisor: the component's
//                              weight, not weight - 1) plus reg_covar on the diagonal, so each
//                              stays positive definite. Needs N >= max(2, K), 1 <= D <= kMaxDim,
//                              finite values. Deterministic: the same rows and options give the
//                              same mixture for any thread count.
//   score(rows [M, D])         the mean log-likelihood per row (sklearn's score()).
//   sample(count, rng)         -> [count, D]: a component drawn by weight, then its Gaussian;
//                              every number from rng, which advances.
//
// The seeding differs from sklearn's (its init_params="kmeans" runs KMeans with greedy
// k-means++ and its own generator), so the two agree on data whose clusters EM cannot confuse.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

struct MixtureOptions {
  int64_t components = 10;  // K
  uint64_t seed = 0;        // of the k-means++ seeding
  int max_iter = 100;       // EM rounds at most
  double tol = 1e-3;        // stop when the mean log-likelihood gains less
  double reg_covar = 1e-6;  // added to each covariance's diagonal
};

class GaussianMixture {
 public:
  /// Covariances are D x D doubles per component: 1024 wide is 8 MiB each.
  static constexpr int64_t kMaxDim = 1024;

  static GaussianMixture fit(const Tensor& rows, const MixtureOptions& options = {});

  double score(const Tensor& rows) const;
  Tensor sample(int64_t count, Rng& rng) const;

  int64_t components() const { return k_; }
  int64_t dim() const { return d_; }
  /// [K], summing to 1.
  const std::vector<double>& weights() const { return weights_; }
  /// [K, D] row-major.
  const std::vector<double>& means() const { return means_; }
  /// [K, D, D] row-major, reg_covar included.
  const std::vector<double>& covariances() const { return covariances_; }
  /// EM rounds run, and whether the last gained less than tol.
  int iterations() const { return iterations_; }
  bool converged() const { return converged_; }

 private:
  GaussianMixture() = default;
  int64_t k_ = 0, d_ = 0;
  std::vector<double> weights_, means_, covariances_;
  std::vector<double> cholesky_;  // [K, D, D]: the lower factors of the covariances
  int iterations_ = 0;
  bool converged_ = false;
};

}  // namespace nnlab
