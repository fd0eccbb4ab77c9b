// Ensembles of classifiers: the average of several models' class probabilities on the same test
// samples, scored as a model of its own. Each trained classifier keeps its test-set outputs
// (test_outputs.safetensors in its repeat's folder), so an ensemble costs no model a second pass.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"

namespace nnlab {

/// One classifier's probabilities on a test set and the labels they are scored against.
struct TestOutputs {
  int64_t count = 0, classes = 0;
  std::vector<float> probabilities;  // [count, classes], row-major
  std::vector<int32_t> labels;       // [count], each in [0, classes)
};

/// The largest test set and class count an outputs file may declare: MNIST-family test sets
/// hold 10,000 samples, Multi-MNIST's at most 100 classes; far above both.
inline constexpr int64_t kMaxTestOutputs = int64_t{1} << 24;
inline constexpr int64_t kMaxTestClasses = 1 << 16;

/// Writes `e`'s probabilities (a classify evaluation) and `labels` to `path`, atomically.
void save_test_outputs(const std::string& path, const Evaluation& e,
                       std::span<const int32_t> labels);

/// Reads a file written by save_test_outputs, refusing (naming the file) shapes beyond the
/// limits above or that disagree, probabilities that are not finite or outside [0, 1], and
/// labels that are not whole class indices.
TestOutputs load_test_outputs(const std::string& path);

struct EnsembleScore {
  int members = 0;
  double accuracy = 0;  // of the argmax of the averaged probabilities
  double loss = 0;      // mean cross-entropy of the averaged probabilities, -ln(max(p, 1e-12))
  int64_t errors = 0;
};

/// The ensemble of `members` (at least one): their probabilities averaged sample by sample, in
/// the order given (the same members give the same bits). Throws unless every member has the
/// same count, classes and labels; `names` (one per member) name the one that differs.
EnsembleScore score_ensemble(std::span<const TestOutputs> members,
                             std::span<const std::string> names);

}  // namespace nnlab
