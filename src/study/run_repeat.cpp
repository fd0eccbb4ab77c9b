#include "study/run_repeat.hpp"

#include <filesystem>
#include <numeric>

#include "data/augment.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "study/figures.hpp"
#include "study/session.hpp"
#include "tensor/error.hpp"
#include "train/crash_point.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<int64_t> all_indices(const Dataset& d) {
  std::vector<int64_t> v(static_cast<size_t>(d.size()));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

json scores(const Evaluation& e, bool classification) {
  json j = {{"loss", e.loss}};
  if (classification) j["accuracy"] = e.accuracy;
  return j;
}

/// The test-set files: confusion matrix, per-class report, misclassified samples.
json write_test_files(const Evaluation& e, const Dataset& test, const std::string& dir, int keep) {
  const ConfusionMatrix cm(test.num_classes(), test.labels, e.predicted);
  write_file_atomic(dir + "/confusion.csv", confusion_csv(cm, test.class_names));
  write_file_atomic(dir + "/classification_report.csv",
                    classification_report_csv(cm, test.class_names));

  std::string csv = "index,label,predicted,confidence\n";
  std::vector<uint8_t> images;
  int64_t kept = 0;
  const int64_t pixels = test.sample_size();
  for (int64_t i = 0; i < test.size() && kept < keep; ++i) {
    const int32_t label = test.labels[static_cast<size_t>(i)];
    const int32_t pred = e.predicted[static_cast<size_t>(i)];
    if (label == pred) continue;
    csv += fmt::format("{},{},{},{:.4f}\n", i, test.class_names[static_cast<size_t>(label)],
                       test.class_names[static_cast<size_t>(pred)],
                       e.confidence[static_cast<size_t>(i)]);
    if (test.is_images()) {
      const auto* px = test.pixels.data() + i * pixels;
      images.insert(images.end(), px, px + pixels);
    }
    ++kept;
  }
  write_file_atomic(dir + "/misclassified.csv", csv);
  if (test.is_images() && test.sample_shape.size() == 3) {
    SafeTensors st;
    st.add_u8("images", {kept, test.sample_shape[1], test.sample_shape[2]}, images.data());
    save_safetensors(dir + "/misclassified.safetensors", st);
  }
  int64_t errors = 0;
  for (size_t i = 0; i < test.labels.size(); ++i) errors += test.labels[i] != e.predicted[i];
  const ClassificationReport r = classification_report(cm);
  return {{"precision", r.macro.precision},
          {"recall", r.macro.recall},
          {"f1", r.macro.f1},
          {"errors", errors}};
}

/// augmented.safetensors: the first `keep` training images as u8 [K, H, W] "original" and one
/// augmentation of each as "augmented" (single-channel images only).
void write_augment_preview(const Dataset& train, const AugmentConfig& augment, int keep,
                           uint64_t seed, const std::string& path) {
  const Shape& shape = train.sample_shape;
  if (!train.is_images() || shape.size() != 3 || shape[0] != 1) return;
  std::vector<int64_t> first(static_cast<size_t>(std::min<int64_t>(keep, train.size())));
  std::iota(first.begin(), first.end(), int64_t{0});
  const Dataset augmented = augmented_copies(train, first, augment, Rng(seed).fork(3));
  const Shape grid{static_cast<int64_t>(first.size()), shape[1], shape[2]};
  SafeTensors st;
  st.add_u8("original", grid, train.pixels.data());
  st.add_u8("augmented", grid, augmented.pixels.data());
  save_safetensors(path, st);
}

json reference_json(const Reference& r) {
  json j = json::object();
  if (r.test_accuracy) j["test_accuracy"] = *r.test_accuracy;
  if (r.test_accuracy_std) j["test_accuracy_std"] = *r.test_accuracy_std;
  if (r.val_accuracy) j["val_accuracy"] = *r.val_accuracy;
  if (r.train_accuracy) j["train_accuracy"] = *r.train_accuracy;
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

json run_repeat(const RunSpec& run, int repeat, const RunData& data, const std::string& dir,
                const std::string& study_path, const RunOptions& options) {
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
  const bool classification = !data.train.labels.empty();
  const bool has_val = data.val.size() > 0;
  const std::string label = fmt::format("{} r{}", run.name, repeat);
  TrainHooks hooks{.early_stopping = run.train.early_stopping.enabled,
                   .inactive_neurons = run.diagnostics.inactive_neurons,
                   .checkpoint = checkpoint,
                   .resume = options.resume,
                   .label = label,
                   .progress = options.progress};

  if (run.data.augment.enabled() && run.diagnostics.augment_preview > 0)
    write_augment_preview(data.train, run.data.augment, run.diagnostics.augment_preview, seed,
                          dir + "/augmented.safetensors");
  Session s = make_session(run, data.train.sample_shape, seed, study_path);
  TrainOutcome phase = train_session(s, run, data.train, has_val ? &data.val : nullptr,
                                     run.train.epochs, seed, hooks);
  write_file_atomic(dir + "/history.csv", history_csv(phase.history));
  if (run.diagnostics.inactive_neurons) {
    write_file_atomic(dir + "/inactive.csv", inactive_csv(phase.inactive));
  }
  crash_point("trained");

  json result = {{"name", run.name},
                 {"repeat", repeat},
                 {"seed", seed},
                 {"dir", fs::relative(dir, options.out_dir).string()},
                 {"params", s.model->parameter_count()},
                 {"epochs_run", phase.epochs_run()},
                 {"best_epoch", phase.best_epoch + 1},
                 {"train_samples", data.train.size()},
                 {"stopped", phase.stopped},
                 {"reference", reference_json(run.reference)}};
  double seconds = phase.seconds();
  int64_t samples_seen = data.train.size() * phase.epochs_run();
  if (phase.stopped == "diverged") {
    result["diverged"] = phase.diverged;
    result["train_seconds"] = seconds;
    write_file_atomic(result_path, result.dump(2));
    return result;
  }

  Rng eval_rng(seed);
  const auto train_idx = all_indices(data.train);
  result["train"] =
      scores(evaluate(*s.model, *s.loss, data.train, train_idx, 1000, eval_rng), classification);
  if (has_val) {
    const auto val_idx = all_indices(data.val);
    result["val"] =
        scores(evaluate(*s.model, *s.loss, data.val, val_idx, 1000, eval_rng), classification);
  }

  if (run.train.refit && has_val) {
    // Retrain from scratch on train + validation for as many epochs as the validation phase
    // chose, on the schedule that phase planned (a cosine refit stops where the first phase's
    // best epoch was, on the same curve); the test set is touched only by the final model.
    const int epochs = phase.best_epoch + 1;
    s = make_session(run, data.train.sample_shape, seed, study_path);
    hooks.schedule_epochs = run.train.epochs;
    hooks.early_stopping = hooks.inactive_neurons = false;
    hooks.checkpoint = refit_checkpoint;
    hooks.label = label + " refit";
    TrainOutcome refit = train_session(s, run, data.train_val, nullptr, epochs, seed, hooks);
    write_file_atomic(dir + "/refit_history.csv", history_csv(refit.history));
    crash_point("refit_done");
    result["refit"] = {{"epochs", epochs},
                       {"schedule_epochs", run.train.epochs},
                       {"train_samples", data.train_val.size()},
                       {"stopped", refit.stopped}};
    seconds += refit.seconds();
    samples_seen += data.train_val.size() * refit.epochs_run();
    if (refit.stopped == "diverged") {
      result["stopped"] = "diverged";
      result["diverged"] = refit.diverged;
      write_file_atomic(result_path, result.dump(2));
      return result;
    }
  }
  result["train_seconds"] = seconds;
  result["samples_per_second"] = seconds > 0 ? static_cast<double>(samples_seen) / seconds : 0.0;

  const auto test_idx = all_indices(data.test);
  const Evaluation test = evaluate(*s.model, *s.loss, data.test, test_idx, 1000, eval_rng);
  result["test"] = scores(test, classification);
  if (classification) {
    json macro = write_test_files(test, data.test, dir, run.diagnostics.misclassified);
    result["test"]["errors"] = macro["errors"];
    macro.erase("errors");
    result["macro"] = macro;
  }
  save_model_file(dir + "/weights.safetensors", *s.model,
                  {.input = data.train.sample_shape,
                   .layers = run.model.layers,
                   .loss = run.train.loss,
                   .class_names = data.train.class_names,
                   .data = data_origin(run.data.dataset)});
  crash_point("weights_written");
  write_figures(*s.model, data.test, run.diagnostics, dir + "/figures.safetensors");
  result["model_summary"] = s.model->summary();
  crash_point("figures_written");
  write_file_atomic(result_path, result.dump(2));
  crash_point("result_written");
  fs::remove(checkpoint);
  fs::remove(refit_checkpoint);
  return result;
}

}  // namespace nnlab
