// Internal to the report: reading the output directory's CSV files, the per-run sections and
// the chart of all runs' learning curves.
#pragma once

#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace nnlab::report {

/// A CSV file with a header row, addressed by column name.
struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  /// Index of column `name`, or -1.
  int column(const std::string& name) const;
  /// Column `name` as numbers (empty cells NaN); all NaN when the column is absent. Throws
  /// nnlab::Error naming path:line for a cell that is not a number.
  std::vector<double> numbers(const std::string& name) const;
  /// Column `name` as text ("" when absent or short).
  std::vector<std::string> texts(const std::string& name) const;
};

/// The CSV at `path` when it exists (nullopt otherwise); errors name the file and line.
std::optional<CsvTable> read_table(const std::filesystem::path& path);

/// A number for a table cell: fixed `decimals`, "–" for NaN.
std::string fixed(double value, int decimals = 4);

/// Headings of the per-run subsections, in order (tests look for them).
inline constexpr const char* kLearningCurves = "Learning curves";
inline constexpr const char* kFittedCurve = "Fitted curve";
inline constexpr const char* kConfusion = "Confusion matrix";
inline constexpr const char* kConfusedPairs = "Most confused pairs";
inline constexpr const char* kPerClass = "Per-class precision, recall and F1";
inline constexpr const char* kMisclassified = "Misclassified test samples";
inline constexpr const char* kCorruptions = "Test scores under corruption";
inline constexpr const char* kReconstructions = "Reconstructions";
inline constexpr const char* kLatent = "Latent space (PCA of the test codes)";
inline constexpr const char* kGenerated = "Generated images";
inline constexpr const char* kInactive = "Inactive neurons";
inline constexpr const char* kWeights = "Weight histograms";
inline constexpr const char* kAugmented = "Augmented samples";
inline constexpr const char* kKernels = "Learned convolution kernels";
inline constexpr const char* kFeatureMaps = "Feature maps";
inline constexpr const char* kReceptiveFields = "Receptive fields of the first dense layer";
inline constexpr const char* kProfiles = "Activation profiles of hidden layers";

/// What the report knows of one run from metrics.json.
struct RunInfo {
  std::string name;
  std::string id;  // unique in the page: the anchor of its section, prefix of its subsections'
  std::vector<std::filesystem::path> repeat_dirs;  // repeat 0 first
  std::vector<double> best_epochs;                 // each repeat's, from 1
  std::vector<double> early_stops;                 // epochs run by repeats stopped early
  double test_errors = std::numeric_limits<double>::quiet_NaN();  // repeat 0's test.errors
  // A classical learner's run (result.json "learner"; empty for a network): repeat 0's fit.
  std::string learner;
  double fit_seconds = 0, predict_seconds = 0, train_samples = 0;
};

/// A run's subsection heading (h3) with the id RUN_ID-TITLE, unique in the page.
std::string subheading(const std::string& run_id, const char* title);

/// The figures of figures.safetensors in `run_dir` (docs/output-format.md): kernels, feature
/// maps, receptive fields, activation profiles; "" without the file. A figure whose tensors are
/// absent is left out; a tensor of the wrong type or rank throws naming the file.
std::string network_figures(const std::filesystem::path& run_dir, const std::string& run_id);
/// The augmentation preview of augmented.safetensors ("original" over "augmented"); "" without.
std::string augmented_samples(const std::filesystem::path& run_dir, const std::string& run_id);

/// The HTML section for one run (without its heading): learning curves over all its repeats, the
/// rest from the files of its first repeat; subsections whose files are missing are left out.
std::string run_section(const RunInfo& run);

/// The learning curves of all runs overlaid (mean ± std over repeats), without a heading; ""
/// for fewer than two runs with a history.
std::string study_curves(const std::vector<RunInfo>& runs);

}  // namespace nnlab::report
