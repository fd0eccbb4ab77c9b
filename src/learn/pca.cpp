// Through the covariance's eigendecomposition rather than an SVD of the centred rows: the rows
// may be 60,000 images, and a D x D covariance accumulated block by block keeps memory at
// O(D^2) whatever N is. Double precision throughout: a float covariance of pixel values loses
// the small eigenvalues to rounding.
#include "learn/pca.hpp"

#include <algorithm>
#include <cmath>

#include "learn/covariance.hpp"
#include "learn/learner.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using RowsF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowsD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows per block: a block of centred rows in double stays small (1024 x D) for any N.
constexpr int64_t kRowsPerBlock = 1024;

}  // namespace

Pca Pca::fit(std::span<const float> rows, int64_t n, int64_t d, int64_t n_components, Sign sign) {
  NNLAB_CHECK(n >= 2, "pca: needs at least 2 rows, got {}", n);
  NNLAB_CHECK(d >= 1 && d <= kMaxDim, "pca: rows must have 1 to {} features, got {}", kMaxDim, d);
  NNLAB_CHECK(static_cast<int64_t>(rows.size()) == n * d, "pca: {} values are not {} rows of {}",
              rows.size(), n, d);
  NNLAB_CHECK(n_components >= 1 && n_components <= std::min(n, d),
              "pca: n_components must be in [1, min(rows, features)] = [1, {}], got {}",
              std::min(n, d), n_components);
  NNLAB_CHECK(std::all_of(rows.begin(), rows.end(), [](float v) { return std::isfinite(v); }),
              "pca: the rows hold a NaN or infinite value");

  const auto [mean, cov] = mean_covariance(rows.data(), n, d);

  // Eigenvalues ascend.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  NNLAB_CHECK(eig.info() == Eigen::Success, "pca: the eigendecomposition did not converge");
  const double total = cov.trace();

  Pca p;
  p.d_ = d;
  p.k_ = n_components;
  p.mean_.assign(mean.data(), mean.data() + d);
  RowsD comps(n_components, d);
  for (int64_t i = 0; i < n_components; ++i) {
    comps.row(i) = eig.eigenvectors().col(d - 1 - i).transpose();
    const double var = std::max(0.0, eig.eigenvalues()(d - 1 - i));  // rounding can dip below 0
    p.variance_.push_back(var);
    p.ratio_.push_back(total > 0 ? var / total : 0.0);
  }

  Eigen::VectorXd pivot(n_components);  // per component, the entry deciding its sign
  if (sign == Sign::components) {
    for (int64_t i = 0; i < n_components; ++i) {
      Eigen::Index at = 0;
      comps.row(i).cwiseAbs().maxCoeff(&at);  // the first maximum, as numpy's argmax
      pivot(i) = comps(i, at);
    }
  } else {
    // The score of largest magnitude over the training rows, the first one on ties.
    Eigen::VectorXd best = Eigen::VectorXd::Constant(n_components, -1.0);
    const Eigen::Map<const RowsF> x(rows.data(), n, d);
    RowsD centred;
    for (int64_t b = 0; b < n; b += kRowsPerBlock) {
      centred = x.middleRows(b, std::min(kRowsPerBlock, n - b)).cast<double>().rowwise() - mean;
      const RowsD scores = centred * comps.transpose();
      for (int64_t r = 0; r < scores.rows(); ++r)
        for (int64_t i = 0; i < n_components; ++i)
          if (std::abs(scores(r, i)) > best(i)) {
            best(i) = std::abs(scores(r, i));
            pivot(i) = scores(r, i);
          }
    }
  }
  for (int64_t i = 0; i < n_components; ++i)
    if (pivot(i) < 0) comps.row(i) *= -1.0;
  p.components_.assign(comps.data(), comps.data() + comps.size());
  return p;
}

Pca Pca::fit(const Tensor& rows, int64_t n_components, Sign sign) {
  NNLAB_CHECK(rows.rank() >= 2, "pca: needs rows [N, D], got {}", shape_str(rows.shape()));
  return fit(rows.span(), rows.dim(0), row_width(rows), n_components, sign);
}

std::span<const double> Pca::component(int64_t i) const {
  NNLAB_CHECK(i >= 0 && i < k_, "pca: component {} of {}", i, k_);
  return {components_.data() + i * d_, static_cast<size_t>(d_)};
}

Tensor Pca::transform(const Tensor& rows) const {
  NNLAB_CHECK(rows.rank() >= 2 && row_width(rows) == d_,
              "pca: transform needs rows [M, {}] (as fitted), got {}", d_, shape_str(rows.shape()));
  const int64_t m = rows.dim(0);
  Tensor out({m, k_});
  if (m == 0) return out;
  const Eigen::Map<const RowsF> x(rows.data(), m, d_);
  const Eigen::Map<const RowsD> comps(components_.data(), k_, d_);
  const Eigen::Map<const Eigen::RowVectorXd> mean(mean_.data(), d_);
  Eigen::Map<RowsF> y(out.data(), m, k_);
  for (int64_t b = 0; b < m; b += kRowsPerBlock) {
    const int64_t len = std::min(kRowsPerBlock, m - b);
    const RowsD centred = x.middleRows(b, len).cast<double>().rowwise() - mean;
    y.middleRows(b, len) = (centred * comps.transpose()).cast<float>();
  }
  return out;
}

Tensor Pca::inverse_transform(const Tensor& codes) const {
  NNLAB_CHECK(codes.rank() == 2 && codes.dim(1) == k_,
              "pca: inverse_transform needs codes [M, {}], got {}", k_, shape_str(codes.shape()));
  const int64_t m = codes.dim(0);
  Tensor out({m, d_});
  if (m == 0) return out;
  const Eigen::Map<const RowsF> c(codes.data(), m, k_);
  const Eigen::Map<const RowsD> comps(components_.data(), k_, d_);
  const Eigen::Map<const Eigen::RowVectorXd> mean(mean_.data(), d_);
  Eigen::Map<RowsF> y(out.data(), m, d_);
  for (int64_t b = 0; b < m; b += kRowsPerBlock) {
    const int64_t len = std::min(kRowsPerBlock, m - b);
    y.middleRows(b, len) =
        ((c.middleRows(b, len).cast<double>() * comps).rowwise() + mean).cast<float>();
  }
  return out;
}

}  // namespace nnlab
