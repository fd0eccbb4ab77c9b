// Measures of how like the real data generated samples are:
//
//   the Frechet distance between two sets of feature rows (the formula of FID, Heusel et al.
//   2017), between the Gaussians with the sets' means and covariances:
//       |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
//   which equals scipy's tr(sqrtm(S1 S2)) form, computed here in double precision through
//   symmetric eigendecompositions (no complex square roots to discard);
//
//   the classes a classifier sees in them, from predicted probabilities [N, K]: the share of
//   confident predictions, the histogram of argmax classes, its entropy (low when a generator
//   repeats a few classes) and its KL divergence from a reference distribution (the classes of
//   the real data).
//
// N = rows, D = features, K = classes. Covariances have divisor N - 1 (numpy's np.cov).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensor/tensor.hpp"

namespace nnlab {

/// The mean and covariance of a set of feature rows, kept to compare many sets with one (the
/// real data's statistics computed once).
struct FeatureStats {
  int64_t count = 0;         // N
  std::vector<double> mean;  // [D]
  std::vector<double> cov;   // [D, D] row-major, divisor N - 1
  int64_t dim() const { return static_cast<int64_t>(mean.size()); }
};

/// The widest rows feature_stats() takes (D x D covariances, O(D^3) square roots).
inline constexpr int64_t kMaxFeatureDim = 4096;

/// rows: [N, D] with N >= 2, 1 <= D <= kMaxFeatureDim, finite values.
FeatureStats feature_stats(const Tensor& rows);
/// Both of the same D; >= 0 (rounding below zero is clamped).
double frechet_distance(const FeatureStats& a, const FeatureStats& b);
/// The two sets: [N1, D] and [N2, D].
double frechet_distance(const Tensor& a, const Tensor& b);

/// probs: [N, K], N >= 1. The share of rows whose largest probability is >= threshold.
double confident_share(const Tensor& probs, float threshold);
/// probs: [N, K]. counts[k] = the rows whose largest probability is class k's (the first
/// class among equals).
std::vector<int64_t> class_histogram(const Tensor& probs);
/// The entropy in nats of counts normalized (0 for one class, log K for a flat histogram);
/// needs a non-empty histogram.
double histogram_entropy(std::span<const int64_t> counts);
/// KL(p || q) = sum p_k log(p_k / q_k) in nats, p = counts and q = reference (non-negative
/// weights, any total) both normalized; infinite when p puts mass where q has none.
double histogram_kl(std::span<const int64_t> counts, std::span<const double> reference);

}  // namespace nnlab
