// Classification metrics: a confusion matrix and the per-class scores of scikit-learn's
// classification_report (zero_division = 0), with the CSV files docs/output-format.md describes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnlab {

/// K x K counts: rows are the true classes, columns the predicted ones.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes);
  /// Counts every pair (truth[i], predicted[i]); both spans have the same length.
  ConfusionMatrix(int num_classes, std::span<const int32_t> truth,
                  std::span<const int32_t> predicted);

  /// Counts one sample; classes outside [0, K) throw.
  void add(int32_t truth, int32_t predicted);
  int num_classes() const { return k_; }
  int64_t count(int truth, int predicted) const {
    return counts_[static_cast<size_t>(truth) * static_cast<size_t>(k_) +
                   static_cast<size_t>(predicted)];
  }
  /// Number of samples counted.
  int64_t total() const { return total_; }
  /// Share of samples on the diagonal (0 when empty).
  double accuracy() const;

 private:
  int k_;
  std::vector<int64_t> counts_;  // [K, K], row-major
  int64_t total_ = 0;
};

/// Share of positions where the two label lists agree (0 when empty).
double accuracy(std::span<const int32_t> truth, std::span<const int32_t> predicted);

struct ClassScores {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // true samples of the class; for the averages, all samples
};

/// scikit-learn's classification_report(labels=range(K), zero_division=0): every class is
/// listed, even one with no true or predicted sample (its scores are 0). The macro average is
/// the plain mean over the K classes, the weighted one weights each class by its support.
struct ClassificationReport {
  std::vector<ClassScores> classes;  // [K]
  double accuracy = 0;
  ClassScores macro, weighted;
};

ClassificationReport classification_report(const ConfusionMatrix& cm);

/// "class,precision,recall,f1,support", one row per class, then "accuracy,,,ACC,N",
/// "macro avg,..." and "weighted avg,...". Numbers are written in full (shortest round-trip).
/// `class_names` has K entries; names with commas or quotes are quoted.
std::string classification_report_csv(const ClassificationReport& report,
                                      const std::vector<std::string>& class_names);
std::string classification_report_csv(const ConfusionMatrix& cm,
                                      const std::vector<std::string>& class_names);
/// Mean and sample standard deviation (n - 1; 0 for one value; NaN for none): repeats of a
/// run, outer folds of a nested cross-validation.
std::pair<double, double> mean_std(const std::vector<double>& v);

/// First row "true\predicted",<class names>; then one row per true class: name, K counts.
std::string confusion_csv(const ConfusionMatrix& cm, const std::vector<std::string>& class_names);

}  // namespace nnlab
