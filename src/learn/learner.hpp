// Learner and Transform: the two interfaces of classical learning. A transform (HOG, scaling,
// PCA, a trained encoder) is fitted on the training rows only and then applied to any rows; a
// learner (k-NN, a kernel or linear SVM) is fitted on rows and their class labels and predicts
// a class per row. A study chains transforms before its learner (study/learner_run.hpp); the
// network is the learner whose training needs batches, so it keeps its own path
// (study/run_stages.hpp) and meets the others at Predictions: every learner is evaluated from
// its predictions alone (eval/metrics.hpp).
//
//   rows    Tensor [N, ...]: one sample per leading index, flattened where a learner needs
//           vectors (images stay [N, C, H, W] so that HOG sees their shape).
//   labels  [N] class indices in [0, classes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/exec_context.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// What a learner says about each row.
struct Predictions {
  std::vector<int32_t> classes;   // [N] the predicted class
  std::vector<float> confidence;  // [N] the learner's support for it in [0, 1] (its share of
                                  // the votes, or 1 where the learner gives no such measure)
};

/// Values per row of rows [N, ...]: the product of the dimensions after the first (which a
/// tensor of 0 rows still has; Tensor::cols() is 0 then).
int64_t row_width(const Tensor& rows);
/// True when no value of `rows` is a NaN or infinite (threaded with the caller's budget).
bool all_finite(const Tensor& rows);

class Transform {
 public:
  virtual ~Transform() = default;
  /// Learns what the transform needs from the training rows (nothing, for a fixed feature).
  virtual void fit(ExecContext& exec, const Tensor& rows) = 0;
  /// False for a fixed transform whose fit learns nothing (HOG, a trained encoder): then the
  /// rows it is fitted on need not be made.
  virtual bool learns() const { return true; }
  /// rows [N, ...] -> [N, F]. Each row's result depends on that row and the fit alone, so
  /// rows may be transformed in any grouping.
  virtual Tensor apply(ExecContext& exec, const Tensor& rows) const = 0;
  /// "hog", "standardize", "pca", "encoder": for messages and the report.
  virtual std::string name() const = 0;
};

class Learner {
 public:
  virtual ~Learner() = default;
  /// Fits on rows [N, ...] (flattened to [N, D]) with their labels in [0, classes).
  virtual void fit(ExecContext& exec, const Tensor& rows, std::span<const int32_t> labels,
                   int classes) = 0;
  /// One prediction per row of rows [M, ...] (the fit's D values each).
  virtual Predictions predict(ExecContext& exec, const Tensor& rows) const = 0;
  virtual std::string name() const = 0;
};

}  // namespace nnlab
