// The mean and the sample covariance of rows, shared by PCA and the Frechet distance.
#pragma once

#include <cstdint>

#include "learn/eigen.hpp"

namespace nnlab {

struct MeanCovariance {
  Eigen::RowVectorXd mean;  // [D]
  Eigen::MatrixXd cov;      // [D, D], full and symmetric, divisor N - 1
};

/// Of n rows of d floats, row-major at `rows` (n >= 2, checked by the caller), in double
/// precision: block by block, so memory stays O(D^2) whatever N is, and in two passes (the mean,
/// then the centred products) rather than E[xx^T] - mm^T, which cancels badly.
MeanCovariance mean_covariance(const float* rows, int64_t n, int64_t d);

}  // namespace nnlab
