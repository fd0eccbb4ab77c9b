// One trial of a search: a configuration resolved into the run's settings, trained on one
// fold (or the run's hold-out split) and scored on its validation part. No test set, no files.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "data/split.hpp"
#include "study/run_data.hpp"
#include "study/study.hpp"

namespace nnlab {

/// Run `run` of `study` with configuration `config` applied (study/search_file.hpp), read and
/// checked as the study file would be with those --set values added and as `nnlab run` checks a
/// run before training (study/preflight.hpp): a configuration that makes an invalid run throws
/// naming the key or the layer.
RunSpec resolve_configuration(const Study& study, const std::string& run,
                              const nlohmann::json& config);

/// The metric's value among a trial's scores ({"loss", "accuracy"} of a classify run,
/// {"loss", "mse"} of a regress or reconstruct run); a metric the task does not measure throws.
double metric_value(const nlohmann::json& scores, const std::string& metric);

/// Trains `spec` for `epochs` epochs on `split` of its training pool (nullopt: the run's own
/// hold-out split) and returns {"score", "val", "train", "epochs_run", "best_epoch", "seconds",
/// "threads", "stopped"}. A diverged trial scores NaN and says "stopped": "diverged".
/// With a `deadline`, training stops there and the trial says "stopped": "deadline", unscored.
nlohmann::json run_trial(
    ExecContext& exec, RunSpec spec, int epochs, const SourceData& source,
    const std::optional<Split>& split, const std::string& metric, const std::string& study_path,
    const std::string& out_dir,
    std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

}  // namespace nnlab
