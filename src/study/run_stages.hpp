// A run in three stages, the unit every study, sweep, cross-validation and search is made of:
//
//   fit       a fresh model trained on data.fit, validated on data.val (early stopping, the
//             run's callbacks). No test set, no files beyond its checkpoint.
//   score     the fitted model's loss and accuracy on its training and validation parts: what
//             a search or a cross-validation compares.
//   finalize  the refit on train + validation when the run asks for it, the one evaluation on
//             the test set, and the run's artifacts (docs/output-format.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "eval/evaluate.hpp"
#include "study/run_data.hpp"
#include "study/session.hpp"

namespace nnlab {

struct Fitted {
  Session session;
  TrainOutcome outcome;
  EvalOptions eval;  // how score_fit measures: the run's task and evaluation batch
};

/// Stage 1: builds `run`'s model on `exec` (from `seed`) and trains it.
Fitted fit_run(ExecContext& exec, const RunSpec& run, const RunData& data, uint64_t seed,
               const TrainHooks& hooks, const std::string& study_path);

/// Stage 2: {"train": {"loss", "accuracy"}, "val": {...}} ("val" only with a validation part,
/// "accuracy" only for classes) of the fitted model, in eval mode.
nlohmann::json score_fit(Fitted& fitted, const RunData& data, uint64_t seed);

/// Where finalize writes and how it trains the refit.
struct FinalizeOptions {
  std::string dir;         // the repeat's folder
  std::string out_dir;     // the study's folder (result paths are relative to it)
  std::string study_path;  // names the study file in errors
  TrainHooks refit_hooks;  // checkpoint, resume, label and progress of the refit
};

/// Stage 3: completes `result` (the fit's record and scores) with the refit, the test scores
/// and the artifacts, writes DIR/result.json last and returns the result. A diverged refit
/// ends with "stopped": "diverged" and no test.
nlohmann::json finalize_run(ExecContext& exec, const RunSpec& run, Fitted fitted,
                            const RunData& data, uint64_t seed, nlohmann::json result,
                            const FinalizeOptions& options);

/// augmented.safetensors: the first `keep` training images as u8 [K, H, W] "original" and one
/// augmentation of each as "augmented" (single-channel images only).
void write_augment_preview(const DataView& train, const AugmentConfig& augment, int keep,
                           uint64_t seed, const std::string& path);

}  // namespace nnlab
