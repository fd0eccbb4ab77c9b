#include "learn/scaling.hpp"

#include <cmath>

#include "tensor/error.hpp"

namespace nnlab {
void Standardize::fit(ExecContext&, const Tensor& rows) {
  const int64_t n = rows.rows(), d = row_width(rows);
  NNLAB_CHECK(n >= 1, "standardize: needs at least one training row");
  // Double sums: 60,000 rows of pixels in float would lose the small variances.
  std::vector<double> sum(static_cast<size_t>(d), 0.0), sq(static_cast<size_t>(d), 0.0);
  for (int64_t r = 0; r < n; ++r) {
    const float* x = rows.data() + r * d;
    for (int64_t j = 0; j < d; ++j) sum[static_cast<size_t>(j)] += x[j];
  }
  mean_.resize(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j)
    mean_[static_cast<size_t>(j)] = static_cast<float>(sum[static_cast<size_t>(j)] / n);
  for (int64_t r = 0; r < n; ++r) {
    const float* x = rows.data() + r * d;
    for (int64_t j = 0; j < d; ++j) {
      const double c = x[j] - static_cast<double>(mean_[static_cast<size_t>(j)]);
      sq[static_cast<size_t>(j)] += c * c;
    }
  }
  inv_std_.resize(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    const double sd = std::sqrt(sq[static_cast<size_t>(j)] / n);
    NNLAB_CHECK(std::isfinite(sd), "standardize: feature {} of the training rows is not finite", j);
    inv_std_[static_cast<size_t>(j)] = sd > 0 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
}

Tensor Standardize::apply(ExecContext&, const Tensor& rows) const {
  const int64_t n = rows.rows(), d = row_width(rows);
  NNLAB_CHECK(d == static_cast<int64_t>(mean_.size()),
              "standardize: fitted on rows of {} features, given rows of {}", mean_.size(), d);
  Tensor out({n, d});
#pragma omp parallel for if (n * d > (1 << 16))
  for (int64_t r = 0; r < n; ++r) {
    const float* x = rows.data() + r * d;
    float* y = out.data() + r * d;
    for (int64_t j = 0; j < d; ++j)
      y[j] = (x[j] - mean_[static_cast<size_t>(j)]) * inv_std_[static_cast<size_t>(j)];
  }
  return out;
}

void PcaTransform::fit(ExecContext&, const Tensor& rows) { pca_ = Pca::fit(rows, components_); }

Tensor PcaTransform::apply(ExecContext&, const Tensor& rows) const {
  NNLAB_CHECK(pca_, "pca: apply before fit");
  Tensor scores = pca_->transform(rows);
  if (whiten_) {
    const int64_t k = pca_->n_components();
    for (int64_t j = 0; j < k; ++j) {
      // A zero-variance component (identical training rows) has nothing to scale.
      const double var = pca_->explained_variance()[static_cast<size_t>(j)];
      const float s = var > 0 ? static_cast<float>(1.0 / std::sqrt(var)) : 1.0f;
      for (int64_t r = 0; r < scores.rows(); ++r) scores.data()[r * k + j] *= s;
    }
  }
  return scores;
}

}  // namespace nnlab
