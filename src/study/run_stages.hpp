// A run in three stages, the unit every study, sweep, cross-validation and search is made of:
//
//   fit       the run's transforms fitted on data.fit and applied to every part, then a fresh
//             learner fitted on data.fit: a network trained with data.val for validation
//             (early stopping, the run's callbacks), or a classical learner in one step. No test
//             set, no files beyond a network's checkpoint.
//   score     the fitted learner's loss (networks) and accuracy on its training and validation
//             parts: what a search or a cross-validation compares.
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
  RunData data;                      // the run's data as its learner sees it (transformed)
  Session session;                   // learner.type = "network"
  std::unique_ptr<Learner> learner;  // any other learner
  TrainOutcome outcome;              // a classical learner's fit is one "epoch" with its time
  EvalOptions eval;                  // how score_fit measures: the run's task and evaluation batch
};

/// Stage 1: transforms `data` (run.transforms; an encoder's weights are read from the study's
/// output folder `out_dir`), builds `run`'s learner on `exec` (from `seed`) and fits it.
Fitted fit_run(ExecContext& exec, const RunSpec& run, const RunData& data, uint64_t seed,
               const TrainHooks& hooks, const std::string& study_path, const std::string& out_dir);

/// Stage 2: {"train": {"loss", "accuracy"}, "val": {...}} ("val" only with a validation part,
/// "accuracy" only for classes, "loss" only for networks) of the fitted learner, in eval mode.
nlohmann::json score_fit(ExecContext& exec, Fitted& fitted, uint64_t seed);

/// Where finalize writes and how it trains the refit.
struct FinalizeOptions {
  std::string dir;         // the repeat's folder
  std::string out_dir;     // the study's folder (result paths are relative to it)
  std::string study_path;  // names the study file in errors
  TrainHooks refit_hooks;  // checkpoint, resume, label and progress of the refit
};

/// Stage 3: completes `result` (the fit's record and scores) with the refit, the test scores
/// and the artifacts, writes DIR/result.json last and returns the result. A diverged refit
/// ends with "stopped": "diverged" and no test. `data` is the run's untransformed data: the
/// report's images show its test samples.
nlohmann::json finalize_run(ExecContext& exec, const RunSpec& run, Fitted fitted,
                            const RunData& data, uint64_t seed, nlohmann::json result,
                            const FinalizeOptions& options);

/// augmented.safetensors: the first `keep` training images as u8 [K, H, W] "original" and one
/// augmentation of each as "augmented" (single-channel images only).
void write_augment_preview(const DataView& train, const AugmentConfig& augment, int keep,
                           uint64_t seed, const std::string& path);

}  // namespace nnlab
