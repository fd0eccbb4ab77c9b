// EM in double precision through Eigen: each component's log-density from its Cholesky factor
// (a triangular solve for the Mahalanobis distances, the log-determinant from the diagonal),
// responsibilities by a log-sum-exp over components. The steps follow sklearn's
// GaussianMixture (its 10 * eps added to every component's weight, its stopping rule), so the
// two can be compared number for number once both start in the same basin.
#include "learn/gaussian_mixture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>

#include "learn/eigen.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using RowsD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowsF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowsD>;

// The parameters as flat row-major arrays: what GaussianMixture keeps.
struct Params {
  std::vector<double> weights, means, covariances, cholesky;  // [K], [K, D], [K, D, D] x 2
};

RowsD checked_rows(const Tensor& rows, int64_t d, const char* what) {
  NNLAB_CHECK(rows.rank() == 2 && (d == 0 || rows.dim(1) == d),
              "gaussian mixture: {} needs rows [N, {}], got {}", what, d ? std::to_string(d) : "D",
              shape_str(rows.shape()));
  const auto span = rows.span();
  NNLAB_CHECK(std::all_of(span.begin(), span.end(), [](float v) { return std::isfinite(v); }),
              "gaussian mixture: {}: the rows hold a NaN or infinite value", what);
  return Eigen::Map<const RowsF>(rows.data(), rows.dim(0), rows.dim(1)).cast<double>();
}

// [N, K]: log(weight_k) + log N(x_i | mean_k, cov_k).
Eigen::MatrixXd weighted_log_prob(const RowsD& x, const Params& p) {
  const int64_t n = x.rows(), d = x.cols(), k = static_cast<int64_t>(p.weights.size());
  const ConstMap means(p.means.data(), k, d);
  Eigen::MatrixXd out(n, k);
  // One component per thread: each writes its own column, so the result is the same for any
  // thread count.
#pragma omp parallel for schedule(dynamic) if (k > 1 && n * d * d > (1 << 16))
  for (int64_t j = 0; j < k; ++j) {
    const ConstMap chol(p.cholesky.data() + j * d * d, d, d);
    // L z = (x - mean): |z|^2 is the Mahalanobis distance, one column per row of x.
    const Eigen::MatrixXd z =
        chol.triangularView<Eigen::Lower>().solve((x.rowwise() - means.row(j)).transpose());
    const double log_det = 2 * chol.diagonal().array().log().sum();
    const double c = std::log(p.weights[static_cast<size_t>(j)]) -
                     0.5 * (static_cast<double>(d) * std::log(2 * std::numbers::pi) + log_det);
    out.col(j) = (c - 0.5 * z.colwise().squaredNorm().array()).transpose();
  }
  return out;
}

// [N]: log sum_k exp(lp(i, k)), shifted by the row's maximum so that nothing overflows.
Eigen::VectorXd log_sum_exp_rows(const Eigen::MatrixXd& lp) {
  const Eigen::VectorXd top = lp.rowwise().maxCoeff();
  return top.array() + (lp.colwise() - top).array().exp().rowwise().sum().log();
}

// The M-step: weights, means and regularized covariances from responsibilities [N, K].
Params m_step(const RowsD& x, const Eigen::MatrixXd& resp, double reg_covar) {
  const int64_t n = x.rows(), d = x.cols(), k = resp.cols();
  // sklearn's 10 * eps keeps an emptied component's weight and mean finite.
  const Eigen::VectorXd nk =
      resp.colwise().sum().transpose().array() + 10 * std::numeric_limits<double>::epsilon();
  const RowsD means = (resp.transpose() * x).array().colwise() / nk.array();
  Params p;
  p.means.assign(means.data(), means.data() + means.size());
  p.covariances.resize(static_cast<size_t>(k * d * d));
  p.cholesky.resize(p.covariances.size());
  p.weights.resize(static_cast<size_t>(k));
  std::vector<char> factored(static_cast<size_t>(k), 0);  // no exception may leave the loop
#pragma omp parallel for schedule(dynamic) if (k > 1 && n * d * d > (1 << 16))
  for (int64_t j = 0; j < k; ++j) {
    const RowsD diff = x.rowwise() - means.row(j);
    RowsD cov = (diff.array().colwise() * resp.col(j).array()).matrix().transpose() * diff / nk(j);
    cov.diagonal().array() += reg_covar;
    const Eigen::LLT<Eigen::MatrixXd> llt(cov);
    factored[static_cast<size_t>(j)] = llt.info() == Eigen::Success;
    std::copy_n(cov.data(), d * d, p.covariances.data() + j * d * d);
    const RowsD lower = llt.matrixL();
    std::copy_n(lower.data(), d * d, p.cholesky.data() + j * d * d);
    p.weights[static_cast<size_t>(j)] = nk(j) / static_cast<double>(n);
  }
  for (int64_t j = 0; j < k; ++j)
    NNLAB_CHECK(factored[static_cast<size_t>(j)],
                "gaussian mixture: component {}'s covariance is not positive definite; raise "
                "reg_covar (now {})",
                j, reg_covar);
  return p;
}

double uniform_double(Rng& rng) { return static_cast<double>(rng.next_u64() >> 11) * 0x1.0p-53; }

// k-means++ seeding (each next centre drawn with probability proportional to its squared
// distance to the nearest centre so far), then Lloyd's iterations; returns each row's cluster.
std::vector<int64_t> kmeans_labels(const RowsD& x, int64_t k, Rng& rng) {
  const int64_t n = x.rows();
  RowsD centres(k, x.cols());
  centres.row(0) = x.row(static_cast<int64_t>(rng.below(static_cast<uint64_t>(n))));
  Eigen::VectorXd nearest = (x.rowwise() - centres.row(0)).rowwise().squaredNorm();
  for (int64_t j = 1; j < k; ++j) {
    const double total = nearest.sum();
    int64_t pick = static_cast<int64_t>(rng.below(static_cast<uint64_t>(n)));  // all duplicates
    if (total > 0) {
      double u = uniform_double(rng) * total;
      for (pick = 0; pick < n - 1 && u >= nearest(pick); ++pick) u -= nearest(pick);
    }
    centres.row(j) = x.row(pick);
    nearest = nearest.cwiseMin((x.rowwise() - centres.row(j)).rowwise().squaredNorm());
  }
  std::vector<int64_t> labels(static_cast<size_t>(n), -1);
  Eigen::MatrixXd dist(n, k);
  for (int round = 0; round < 300; ++round) {
    for (int64_t j = 0; j < k; ++j)
      dist.col(j) = (x.rowwise() - centres.row(j)).rowwise().squaredNorm();
    bool changed = false;
    for (int64_t i = 0; i < n; ++i) {
      Eigen::Index best = 0;
      dist.row(i).minCoeff(&best);  // the first of equals
      changed |= labels[static_cast<size_t>(i)] != best;
      labels[static_cast<size_t>(i)] = best;
    }
    if (!changed) break;
    RowsD sums = RowsD::Zero(k, x.cols());
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(k);
    for (int64_t i = 0; i < n; ++i) {
      sums.row(labels[static_cast<size_t>(i)]) += x.row(i);
      counts(labels[static_cast<size_t>(i)]) += 1;
    }
    for (int64_t j = 0; j < k; ++j)
      if (counts(j) > 0) centres.row(j) = sums.row(j) / counts(j);  // an empty one stays put
  }
  return labels;
}

}  // namespace

GaussianMixture GaussianMixture::fit(const Tensor& rows, const MixtureOptions& o) {
  const RowsD x = checked_rows(rows, 0, "fit");
  const int64_t n = x.rows(), d = x.cols(), k = o.components;
  NNLAB_CHECK(k >= 1, "gaussian mixture: needs at least 1 component, got {}", k);
  NNLAB_CHECK(n >= std::max<int64_t>(2, k),
              "gaussian mixture: {} components need at least {} rows, got {}", k,
              std::max<int64_t>(2, k), n);
  NNLAB_CHECK(d >= 1 && d <= kMaxDim, "gaussian mixture: rows must have 1 to {} features, got {}",
              kMaxDim, d);
  NNLAB_CHECK(o.max_iter >= 1 && o.tol >= 0 && o.reg_covar >= 0,
              "gaussian mixture: needs max_iter >= 1, tol >= 0, reg_covar >= 0 (got {}, {}, {})",
              o.max_iter, o.tol, o.reg_covar);

  Rng rng(o.seed);
  const std::vector<int64_t> labels = kmeans_labels(x, k, rng);
  Eigen::MatrixXd resp = Eigen::MatrixXd::Zero(n, k);
  for (int64_t i = 0; i < n; ++i) resp(i, labels[static_cast<size_t>(i)]) = 1;
  Params p = m_step(x, resp, o.reg_covar);

  GaussianMixture g;
  double lower = -std::numeric_limits<double>::infinity();
  for (g.iterations_ = 1; g.iterations_ <= o.max_iter; ++g.iterations_) {
    const double previous = lower;
    const Eigen::MatrixXd lp = weighted_log_prob(x, p);
    const Eigen::VectorXd norm = log_sum_exp_rows(lp);
    lower = norm.mean();
    resp = (lp.colwise() - norm).array().exp();
    p = m_step(x, resp, o.reg_covar);
    if (std::abs(lower - previous) < o.tol) {
      g.converged_ = true;
      break;
    }
  }
  g.iterations_ = std::min(g.iterations_, o.max_iter);
  g.k_ = k;
  g.d_ = d;
  g.weights_ = std::move(p.weights);
  g.means_ = std::move(p.means);
  g.covariances_ = std::move(p.covariances);
  g.cholesky_ = std::move(p.cholesky);
  return g;
}

double GaussianMixture::score(const Tensor& rows) const {
  const RowsD x = checked_rows(rows, d_, "score");
  NNLAB_CHECK(x.rows() >= 1, "gaussian mixture: score needs at least one row");
  const Params p{weights_, means_, covariances_, cholesky_};
  return log_sum_exp_rows(weighted_log_prob(x, p)).mean();
}

Tensor GaussianMixture::sample(int64_t count, Rng& rng) const {
  NNLAB_CHECK(count >= 0, "gaussian mixture: cannot draw {} samples", count);
  Tensor out({count, d_});
  std::vector<double> cumulative(weights_.size());
  std::partial_sum(weights_.begin(), weights_.end(), cumulative.begin());
  Eigen::VectorXd z(d_);
  for (int64_t i = 0; i < count; ++i) {
    const double u = uniform_double(rng) * cumulative.back();
    const auto j = std::min<int64_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin(), k_ - 1);
    for (int64_t t = 0; t < d_; ++t) z(t) = rng.normal();
    const ConstMap chol(cholesky_.data() + j * d_ * d_, d_, d_);
    const Eigen::Map<const Eigen::VectorXd> mean(means_.data() + j * d_, d_);
    Eigen::Map<Eigen::VectorXf>(out.row(i), d_) =
        (mean + chol.triangularView<Eigen::Lower>() * z).cast<float>();
  }
  return out;
}

}  // namespace nnlab
