// Feature transforms that learn from the training rows: standardization (each feature to zero
// mean and unit variance, as scikit-learn's StandardScaler) and PCA (the leading components,
// optionally whitened, as scikit-learn's PCA(whiten=...)).
#pragma once

#include <optional>

#include "learn/learner.hpp"
#include "learn/pca.hpp"

namespace nnlab {

/// (x - mean) / std per feature, the population std of the training rows; a constant feature
/// (std 0) is only centred, as StandardScaler does.
class Standardize : public Transform {
 public:
  void fit(ExecContext& exec, const Tensor& rows) override;
  Tensor apply(ExecContext& exec, const Tensor& rows) const override;
  std::string name() const override { return "standardize"; }

 private:
  std::vector<float> mean_, inv_std_;
};

/// The rows' scores on the leading `components` principal components of the training rows;
/// with `whiten` each score is divided by the square root of its component's variance, so
/// that every output has unit variance on the training rows.
class PcaTransform : public Transform {
 public:
  PcaTransform(int64_t components, bool whiten) : components_(components), whiten_(whiten) {}
  void fit(ExecContext& exec, const Tensor& rows) override;
  Tensor apply(ExecContext& exec, const Tensor& rows) const override;
  std::string name() const override { return "pca"; }

 private:
  int64_t components_;
  bool whiten_;
  std::optional<Pca> pca_;
};

}  // namespace nnlab
