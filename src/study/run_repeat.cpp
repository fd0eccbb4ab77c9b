#include "study/run_repeat.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "io/atomic_file.hpp"
#include "study/run_stages.hpp"
#include "train/checkpoint.hpp"
#include "train/crash_point.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json reference_json(const Reference& r) {
  json j = json::object();
  if (r.test_accuracy) j["test_accuracy"] = *r.test_accuracy;
  if (r.test_accuracy_std) j["test_accuracy_std"] = *r.test_accuracy_std;
  if (r.val_accuracy) j["val_accuracy"] = *r.val_accuracy;
  if (r.train_accuracy) j["train_accuracy"] = *r.train_accuracy;
  if (r.test_mse) j["test_mse"] = *r.test_mse;
  if (!r.source.empty()) j["source"] = r.source;
  return j;
}

}  // namespace

std::string file_safe(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '=')
      c = '_';
  return s;
}

std::string repeat_dir(const std::string& out_dir, const std::string& run_name, int repeat) {
  return fmt::format("{}/runs/{}/r{}", out_dir, file_safe(run_name), repeat);
}

json run_repeat(ExecContext& exec, const RunSpec& run, int repeat, const RunData& data,
                const std::string& dir, const std::string& study_path, const RunOptions& options,
                std::optional<StudyPosition> position) {
  fs::create_directories(dir);
  const std::string result_path = dir + "/result.json";
  const std::string checkpoint = dir + "/checkpoint.safetensors";
  const std::string refit_checkpoint = dir + "/refit_checkpoint.safetensors";
  if (options.resume && fs::exists(result_path)) {
    // A kill between result.json and the clean-up leaves checkpoints behind.
    fs::remove(checkpoint);
    fs::remove(refit_checkpoint);
    return json::parse(read_file(result_path));
  }

  const uint64_t seed = run.seed + static_cast<uint64_t>(repeat);
  const std::string label = fmt::format("{} r{}", run.name, repeat);
  const TrainHooks hooks{.early_stopping = run.train.early_stopping.enabled,
                         .inactive_neurons = run.diagnostics.inactive_neurons,
                         .checkpoint = checkpoint,
                         .resume = options.resume,
                         .label = label,
                         .study = position,
                         .progress = options.progress};

  if (run.data.augment.enabled() && run.diagnostics.augment_preview > 0)
    write_augment_preview(data.fit, run.data.augment, run.diagnostics.augment_preview, seed,
                          dir + "/augmented.safetensors");
  Fitted fitted = fit_run(exec, run, data, seed, hooks, study_path, options.out_dir);
  const TrainOutcome& phase = fitted.outcome;
  write_file_atomic(dir + "/history.csv", history_csv(phase.history));
  if (run.diagnostics.inactive_neurons)
    write_file_atomic(dir + "/inactive.csv", inactive_csv(phase.inactive));
  crash_point("trained");

  json result = {{"name", run.name},
                 {"repeat", repeat},
                 {"seed", seed},
                 {"dir", fs::relative(dir, options.out_dir).string()},
                 {"params", fitted.learner ? 0 : fitted.session.model->parameter_count()},
                 {"epochs_run", phase.epochs_run()},
                 {"best_epoch", phase.best_epoch + 1},
                 {"train_samples", data.fit.size()},
                 {"data",
                  {{"dataset", run.data.dataset},
                   {"train", data.fit.size()},
                   {"val", data.val.size()},
                   {"test", data.test.size()}}},
                 {"stopped", phase.stopped},
                 {"reference", reference_json(run.reference)}};
  if (!run.sweep_of.empty()) result["sweep"] = {{"of", run.sweep_of}, {"values", run.swept}};
  if (!phase.rollbacks.empty()) result["rollbacks"] = phase.rollbacks;
  if (phase.stopped == "diverged") {
    result["diverged"] = phase.diverged;
    result["train_seconds"] = phase.seconds();
    write_file_atomic(result_path, result.dump(2));
    return result;
  }
  result.update(score_fit(exec, fitted, seed));

  TrainHooks refit_hooks = hooks;
  refit_hooks.checkpoint = refit_checkpoint;
  refit_hooks.label = label + " refit";
  result = finalize_run(exec, run, std::move(fitted), data, seed, std::move(result),
                        {.dir = dir,
                         .out_dir = options.out_dir,
                         .study_path = study_path,
                         .refit_hooks = refit_hooks});
  if (result["stopped"] != "diverged") {  // a diverged refit keeps its last good state
    fs::remove(checkpoint);
    fs::remove(refit_checkpoint);
  }
  return result;
}

}  // namespace nnlab
