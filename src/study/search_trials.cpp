#include "study/search_trials.hpp"

#include <cmath>
#include <limits>

#include "study/preflight.hpp"
#include "study/run_stages.hpp"
#include "study/search_file.hpp"
#include "tensor/error.hpp"

namespace nnlab {

using nlohmann::json;

RunSpec resolve_configuration(const Study& study, const std::string& run, const json& config) {
  std::vector<std::string> sets = study.overrides;
  for (std::string& s : configuration_overrides(run, config)) sets.push_back(std::move(s));
  Study resolved = parse_study(study.text, study.path, sets);
  RunSpec& r = resolved.run(run);
  // As `nnlab run` checks its runs: a configuration whose model does not fit the data (a
  // searched last layer of the wrong size) fails here with the layer named, not mid-epoch.
  check_run_before_training(resolved, r);
  return std::move(r);
}

double metric_value(const json& scores, const std::string& metric) {
  if (metric == "loss") return scores["loss"].get<double>();
  NNLAB_CHECK(scores.contains(metric), "search.metric = \"{}\" needs task = \"{}\"", metric,
              metric == "accuracy" ? "classify" : "regress\" or \"reconstruct");
  return scores[metric].get<double>();
}

json run_trial(ExecContext& exec, RunSpec spec, int epochs, const SourceData& source,
               const std::optional<Split>& split, const std::string& metric,
               const std::string& study_path, const std::string& out_dir,
               std::optional<std::chrono::steady_clock::time_point> deadline) {
  spec.train.epochs = epochs;
  spec.train.refit = false;
  const RunData data = split ? fold_run_data(source, spec.data, *split, spec.seed)
                             : prepare_run_data(source, spec.data, spec.seed);
  NNLAB_CHECK(!data.val.empty(),
              "{}: run '{}': a search scored on a hold-out split (search.folds = 0) needs "
              "data.validation",
              study_path, spec.name);
  const TrainHooks hooks{.early_stopping = spec.train.early_stopping.enabled,
                         .checkpoint = "",
                         .label = spec.name,
                         .progress = false,
                         .deadline = deadline};
  Fitted fitted = fit_run(exec, spec, data, spec.seed, hooks, study_path, out_dir);
  const TrainOutcome& o = fitted.outcome;
  json out = {{"epochs_run", o.epochs_run()},  {"best_epoch", o.best_epoch + 1},
              {"seconds", o.seconds()},        {"threads", exec.threads()},
              {"stopped", o.stopped},          {"train_samples", data.fit.size()},
              {"val_samples", data.val.size()}};
  if (o.stopped == "diverged" || o.stopped == "deadline") {
    out["score"] = nullptr;  // JSON has no NaN: a diverged or cut trial has no score
    if (o.stopped == "diverged") out["diverged"] = o.diverged;
    return out;
  }
  out.update(score_fit(exec, fitted, spec.seed));
  out["score"] = metric_value(out["val"], metric);
  return out;
}

}  // namespace nnlab
