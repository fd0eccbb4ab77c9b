// The trace of (S1 S2)^1/2 is that of (S1^1/2 S2 S1^1/2)^1/2: the two products are similar
// matrices, and the second is symmetric positive semi-definite, so its square root's trace is
// the sum of the square roots of its eigenvalues. scipy's sqrtm of the non-symmetric S1 S2 goes
// through a complex Schur form instead and leaves imaginary rounding noise to discard.
#include "learn/frechet.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "learn/covariance.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using RowsD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The eigendecomposition of a symmetric matrix. Callers clamp its eigenvalues at zero: on a
// semi-definite matrix rounding can leave them slightly negative.
Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> psd_eigen(const Eigen::MatrixXd& m) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
  NNLAB_CHECK(eig.info() == Eigen::Success, "frechet distance: eigendecomposition failed");
  return eig;
}

void check_probs(const Tensor& probs, const char* what) {
  NNLAB_CHECK(probs.rank() == 2 && probs.dim(1) >= 1, "{}: needs probabilities [N, K], got {}",
              what, shape_str(probs.shape()));
}

}  // namespace

FeatureStats feature_stats(const Tensor& rows) {
  NNLAB_CHECK(rows.rank() == 2, "feature stats: needs rows [N, D], got {}",
              shape_str(rows.shape()));
  const int64_t n = rows.dim(0), d = rows.dim(1);
  NNLAB_CHECK(n >= 2, "feature stats: needs at least 2 rows, got {}", n);
  NNLAB_CHECK(d >= 1 && d <= kMaxFeatureDim,
              "feature stats: rows must have 1 to {} features, got {}", kMaxFeatureDim, d);
  const auto span = rows.span();
  NNLAB_CHECK(std::all_of(span.begin(), span.end(), [](float v) { return std::isfinite(v); }),
              "feature stats: the rows hold a NaN or infinite value");
  const auto [mean, cov] = mean_covariance(rows.data(), n, d);
  const RowsD full = cov;  // symmetric: kept row-major, as FeatureStats stores it
  return {n, std::vector<double>(mean.data(), mean.data() + d),
          std::vector<double>(full.data(), full.data() + d * d)};
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  NNLAB_CHECK(a.dim() == b.dim() && a.dim() >= 1, "frechet distance: {} vs {} features", a.dim(),
              b.dim());
  const int64_t d = a.dim();
  NNLAB_CHECK(std::ssize(a.cov) == d * d && std::ssize(b.cov) == d * d,
              "frechet distance: covariances must be {} x {}", d, d);
  const Eigen::Map<const Eigen::VectorXd> mu1(a.mean.data(), d), mu2(b.mean.data(), d);
  const Eigen::Map<const Eigen::MatrixXd> s1(a.cov.data(), d, d), s2(b.cov.data(), d, d);

  const auto eig1 = psd_eigen(s1);
  const Eigen::VectorXd root = eig1.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  const Eigen::MatrixXd s1_half =
      eig1.eigenvectors() * root.asDiagonal() * eig1.eigenvectors().transpose();
  Eigen::MatrixXd m = s1_half * s2 * s1_half;
  m = 0.5 * (m + m.transpose());  // symmetric in exact arithmetic; make it so in floating point
  const double trace_root = psd_eigen(m).eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  // Zero for identical sets, where rounding would otherwise leave -1e-12 in a report.
  return std::max(0.0, (mu1 - mu2).squaredNorm() + s1.trace() + s2.trace() - 2 * trace_root);
}

double frechet_distance(const Tensor& a, const Tensor& b) {
  return frechet_distance(feature_stats(a), feature_stats(b));
}

double confident_share(const Tensor& probs, float threshold) {
  check_probs(probs, "confident share");
  const int64_t n = probs.dim(0), k = probs.dim(1);
  NNLAB_CHECK(n >= 1, "confident share: needs at least one row");
  int64_t confident = 0;
  for (int64_t i = 0; i < n; ++i)
    confident += *std::max_element(probs.row(i), probs.row(i) + k) >= threshold;
  return static_cast<double>(confident) / static_cast<double>(n);
}

std::vector<int64_t> class_histogram(const Tensor& probs) {
  check_probs(probs, "class histogram");
  const int64_t n = probs.dim(0), k = probs.dim(1);
  std::vector<int64_t> counts(static_cast<size_t>(k), 0);
  for (int64_t i = 0; i < n; ++i)
    ++counts[static_cast<size_t>(std::max_element(probs.row(i), probs.row(i) + k) - probs.row(i))];
  return counts;
}

double histogram_entropy(std::span<const int64_t> counts) {
  int64_t total = 0;
  for (const int64_t c : counts) {
    NNLAB_CHECK(c >= 0, "histogram entropy: negative count {}", c);
    total += c;
  }
  NNLAB_CHECK(total > 0, "histogram entropy: the histogram is empty");
  double h = 0;
  for (const int64_t c : counts)
    if (c > 0) {
      const double p = static_cast<double>(c) / static_cast<double>(total);
      h -= p * std::log(p);
    }
  return h;
}

double histogram_kl(std::span<const int64_t> counts, std::span<const double> reference) {
  NNLAB_CHECK(counts.size() == reference.size(), "histogram kl: {} classes vs {} in the reference",
              counts.size(), reference.size());
  int64_t total = 0;
  double ref_total = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    NNLAB_CHECK(counts[k] >= 0 && reference[k] >= 0 && std::isfinite(reference[k]),
                "histogram kl: class {} has a negative or non-finite weight", k);
    total += counts[k];
    ref_total += reference[k];
  }
  NNLAB_CHECK(total > 0 && ref_total > 0, "histogram kl: an empty histogram or reference");
  double kl = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] == 0) continue;  // 0 log 0 = 0
    if (reference[k] == 0) return std::numeric_limits<double>::infinity();
    const double p = static_cast<double>(counts[k]) / static_cast<double>(total);
    kl += p * std::log(p / (reference[k] / ref_total));
  }
  return kl;
}

}  // namespace nnlab
