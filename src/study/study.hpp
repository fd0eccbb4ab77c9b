// Study: a study file (TOML) parsed, overridden from the command line, validated and expanded
// into the concrete runs it describes. The runner executes them; nothing here trains.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/corruption.hpp"
#include "data/multi_mnist.hpp"
#include "data/oversample.hpp"
#include "data/task.hpp"
#include "eval/evaluate.hpp"
#include "eval/generation.hpp"
#include "learn/hog.hpp"
#include "learn/knn.hpp"
#include "learn/linear_svm.hpp"
#include "learn/svm.hpp"
#include "nn/layer_spec.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "study/search_spec.hpp"

namespace nnlab {

/// data.dataset = "csv": rows of numbers from two files (paths relative to the study file).
struct CsvData {
  std::string train, test;                   // file paths
  std::vector<std::string> inputs, targets;  // columns by name
  std::string truth;  // optional: the noise-free function, same columns, drawn in the report
};

/// The most rows a CSV data file may hold (a stated limit, checked before allocating).
constexpr int64_t kMaxCsvRows = 10'000'000;

struct DataConfig {
  std::string dataset = "mnist";   // a name load_dataset knows, or "csv"
  CsvData csv;                     // dataset = "csv"
  MultiMnistConfig generate;       // dataset = "multi-mnist": [data.generate]
  std::string dir;                 // overrides the search path when set (also --data-dir)
  int64_t train_limit = 0;         // use only the first N training samples (0 = all)
  int64_t test_limit = 0;          // likewise for the test set
  int64_t validation = 0;          // hold-out count ...
  double validation_fraction = 0;  // ... or fraction (validation = 0.2 in the file)
  bool stratified = false;
  int noisy_copies = 0;  // S1: add this many noisy copies of each training image
  float noisy_sigma = 0.01f;
  AugmentConfig augment;                       // on the fly, training batches only; zeros = off
  CorruptionSpec corrupt;                      // training inputs only (denoising)
  std::optional<OversampleConfig> oversample;  // S5: balance the training part's classes
};

struct EarlyStoppingConfig {
  bool enabled = false;
  std::string monitor = "val_loss";  // val_loss | val_accuracy | train_loss
  int patience = 5;
  double min_delta = 0.0;
  bool restore_best = true;
};

struct TrainConfig {
  std::string loss = "cross_entropy";
  float label_smoothing = 0.0f;  // cross_entropy's targets (1 - e) onehot + e / K
  int epochs = 10;
  int64_t batch = 64;
  int64_t eval_batch = 1000;  // samples per evaluation batch (validation, scores, test files)
  TtaConfig tta;  // test-time augmentation of the scores after training (validation and test)
  bool shuffle = true;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  float grad_noise = 0.0f;  // std of Gaussian noise added to every gradient (annealed by t^-0.55)
  EarlyStoppingConfig early_stopping;
  bool refit = false;  // retrain on train+validation for the chosen epochs before the test
  // On divergence: "stop" (the last good state stays in the checkpoint) or "rollback": back to
  // the last checkpoint with the base learning rate times rollback_lr_factor, at most
  // max_rollbacks times in a run, then stop.
  std::string on_divergence = "stop";
  double rollback_lr_factor = 0.5;
  int max_rollbacks = 3;
};

struct DiagnosticsConfig {
  bool inactive_neurons = false;
  float inactive_threshold = 1e-5f;
  int inactive_every = 50;  // batches between two measurements
  int misclassified = 36;   // images kept for the report's grid
  bool weight_histograms = true;
  bool figures = true;       // write figures.safetensors for the report's network figures
  int64_t figure_input = 0;  // test sample whose conv feature maps are drawn
  std::vector<int64_t> profile_inputs = {0, 1, 2};  // test samples whose activations are drawn
  int receptive_fields = 64;  // units of the first dense layer drawn as input images
  int augment_preview = 16;   // training images shown augmented in augmented.safetensors
  std::vector<CorruptionSpec> corruptions;  // the test set scored under each (a table)
  int reconstructions = 16;  // test images shown with their reconstructions (reconstruct)
  // An autoencoder's generated images, measured (diagnostics.generation): the samplers fit on
  // the training codes, and a classify run of the same study, earlier in the file, whose first
  // repeat's weights score the images ("" = shown, not measured). The seed is the repeat's.
  struct Generation {
    GenerationOptions options;
    std::string classifier;
  };
  std::optional<Generation> generation;
};

/// The published numbers a run should reach, shown beside ours in the report.
struct Reference {
  std::optional<double> test_accuracy, test_accuracy_std, val_accuracy, train_accuracy;
  std::optional<double> test_mse;  // a regression's or a reconstruction's
  std::string source;              // "S1 (published report)"
};

struct ModelConfig {
  std::vector<LayerSpec> layers;
  int64_t max_params = 0;    // a budget the study asserts (0 = none)
  double max_memory_gb = 0;  // training's estimated memory at most (0: nn's default)
};

/// One step of the chain of transforms before a run's learner (transforms = [{type = ...}]):
/// fitted on the training part, applied to every part (study/features.hpp).
struct TransformSpec {
  std::string type;        // hog | standardize | pca | encoder
  HogOptions hog;          // hog
  int64_t components = 0;  // pca: how many components
  bool whiten = false;     // pca
  std::string run;         // encoder: the earlier autoencoder run whose first repeat encodes
};

/// What learns from the (transformed) rows: the network of model.layers, or a classical
/// learner ([learner] type = "knn" | "svm" | "linear_svm") with its settings.
struct LearnerConfig {
  std::string type = "network";
  KnnOptions knn;
  SvmOptions svm;
  LinearSvmOptions linear_svm;
  bool network() const { return type == "network"; }
};

/// One concrete run, after the run's overrides were merged into the common settings.
struct RunSpec {
  std::string name;
  Task task = Task::classify;
  int repeats = 1;
  uint64_t seed = 1;  // repeat k uses seed + k
  DataConfig data;
  std::vector<TransformSpec> transforms;
  LearnerConfig learner;
  ModelConfig model;  // learner.type = "network"
  TrainConfig train;
  DiagnosticsConfig diagnostics;
  Reference reference;
  std::optional<SearchSpec> search;     // a searched run: its trials vary these settings
  std::string sweep_of;                 // a sweep's run: the [[runs]] entry that swept ...
  std::map<std::string, double> swept;  // ... and its numeric values for this run
};

/// A learning-rate sweep (S1): the named run trained for `epochs` at each rate; the report
/// plots each rate's training loss.
struct LrSweep {
  std::string run;
  std::vector<double> rates;
  int epochs = 1;
};

/// [[ensembles]]: the classifiers of several runs (every repeat of each, or a search's refits)
/// averaged as one model (study/ensembles.hpp), beside the ensembles of each run's own repeats.
struct EnsembleSpec {
  std::string name;               // unique among the ensembles and the runs
  std::vector<std::string> runs;  // at least two runs of the study, each a classifier
};

struct Study {
  std::string name;
  std::string description;
  std::string path;         // the file it was read from
  std::string source_text;  // the file as read, with --set overrides noted, for the report
  std::string resolved;     // the settings after --set, as canonical TOML (no comments): what
                            // an output folder's study identity hashes (study/output_dir.hpp)
  std::string text;         // the file's text as read
  std::vector<std::string> overrides;  // the --set strings, for resolving search trials
  std::string trial_identity;          // `resolved` without the runs' search tables: what a trial's
                                       // key hashes, so that adding a stage keeps finished trials
  std::vector<RunSpec> runs;
  std::optional<LrSweep> lr_sweep;
  std::vector<EnsembleSpec> ensembles;

  /// The run named `name`: an Error naming the study file and its runs when there is none.
  const RunSpec& run(std::string_view name) const;
  RunSpec& run(std::string_view name);
};

/// Reads, overrides (`key=value` strings as given to --set, e.g. "train.epochs=3" or
/// "data.dataset=fashion-mnist"), validates and expands a study file. Every error names the
/// file, the line and the key: "s2.toml:12: train.optimizer.lr must be > 0, got -0.1".
Study load_study(const std::string& path, const std::vector<std::string>& overrides);
/// The same from TOML text (`path` only names it in errors); used by tests.
Study parse_study(const std::string& text, const std::string& path,
                  const std::vector<std::string>& overrides);

}  // namespace nnlab
