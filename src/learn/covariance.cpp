#include "learn/covariance.hpp"

#include <algorithm>

namespace nnlab {

namespace {

using RowsF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowsD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows per block: a block of centred rows in double stays small (1024 x D) for any N.
constexpr int64_t kBlock = 1024;

}  // namespace

MeanCovariance mean_covariance(const float* rows, int64_t n, int64_t d) {
  const Eigen::Map<const RowsF> x(rows, n, d);
  MeanCovariance out{Eigen::RowVectorXd::Zero(d), Eigen::MatrixXd::Zero(d, d)};
  for (int64_t b = 0; b < n; b += kBlock)
    out.mean += x.middleRows(b, std::min(kBlock, n - b)).cast<double>().colwise().sum();
  out.mean /= static_cast<double>(n);
  RowsD centred;
  for (int64_t b = 0; b < n; b += kBlock) {
    centred = x.middleRows(b, std::min(kBlock, n - b)).cast<double>().rowwise() - out.mean;
    out.cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose());
  }
  // rankUpdate wrote the lower triangle; the full matrix is what callers read.
  out.cov = out.cov.selfadjointView<Eigen::Lower>();
  out.cov /= static_cast<double>(n - 1);
  return out;
}

}  // namespace nnlab
