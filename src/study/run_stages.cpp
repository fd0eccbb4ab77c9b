#include "study/run_stages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "data/augment.hpp"
#include "data/catalog.hpp"
#include "data/csv_dataset.hpp"
#include "eval/ensemble.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "learn/dataset_rows.hpp"
#include "study/features.hpp"
#include "study/figures.hpp"
#include "study/generation_files.hpp"
#include "study/test_set_files.hpp"
#include "tensor/error.hpp"
#include "train/checkpoint.hpp"
#include "train/crash_point.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json scores(const Evaluation& e, Task task) {
  json j = json::object();
  if (!std::isnan(e.loss)) j["loss"] = e.loss;  // a classical learner has none
  if (task == Task::classify)
    j["accuracy"] = e.accuracy;
  else
    j["mse"] = e.mse;
  return j;
}

Evaluation evaluate_view(Model& model, const Loss& loss, const DataView& v,
                         const EvalOptions& options, Rng& rng) {
  return evaluate(model, loss, *v.data, v.indices, options, rng);
}

Evaluation evaluate_view(ExecContext& exec, const Learner& learner, const DataView& v) {
  return evaluate_predictions(learner.predict(exec, rows_of(*v.data, v.indices)), v.labels());
}

// A classical learner's fit, timed, recorded as one epoch.
TrainOutcome fit_learner(ExecContext& exec, Learner& learner, const DataView& part) {
  const auto t0 = std::chrono::steady_clock::now();
  learner.fit(exec, rows_of(*part.data, part.indices), part.labels(), part.data->num_classes());
  TrainOutcome o;
  o.history.push_back(
      {.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
       .samples = part.size(),
       .phases = {}});
  o.best_epoch = 0;
  return o;
}

/// The test-set files: confusion matrix, per-class report, misclassified samples (drawn from
/// `images`, the test set before any transform).
json write_test_files(const Evaluation& e, const Dataset& test, const Dataset& images,
                      const std::string& dir, int keep) {
  const ConfusionMatrix cm(test.num_classes(), test.labels, e.predicted);
  write_file_atomic(dir + "/confusion.csv", confusion_csv(cm, test.class_names));
  write_file_atomic(dir + "/classification_report.csv",
                    classification_report_csv(cm, test.class_names));

  std::string csv = "index,label,predicted,confidence\n";
  std::vector<uint8_t> kept_pixels;
  int64_t kept = 0;
  const int64_t pixels = images.sample_size();
  for (int64_t i = 0; i < test.size() && kept < keep; ++i) {
    const int32_t label = test.labels[static_cast<size_t>(i)];
    const int32_t pred = e.predicted[static_cast<size_t>(i)];
    if (label == pred) continue;
    csv += fmt::format("{},{},{},{:.4f}\n", i, test.class_names[static_cast<size_t>(label)],
                       test.class_names[static_cast<size_t>(pred)],
                       e.confidence[static_cast<size_t>(i)]);
    if (images.is_images()) {
      const auto* px = images.pixels.data() + i * pixels;
      kept_pixels.insert(kept_pixels.end(), px, px + pixels);
    }
    ++kept;
  }
  write_file_atomic(dir + "/misclassified.csv", csv);
  if (images.is_images() && images.sample_shape.size() == 3) {
    SafeTensors st;
    st.add_u8("images", {kept, images.sample_shape[1], images.sample_shape[2]}, kept_pixels.data());
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

/// curve.csv of a model with one input and one output: its prediction on 201 points spanning
/// the training and test inputs, beside the truth when the data names one (data.csv.truth,
/// interpolated linearly); and points.csv: every training and test sample with its prediction.
void write_curve(Model& model, const RunSpec& run, const RunData& data, const std::string& dir) {
  const Dataset& train = *data.fit.data;
  if (train.sample_shape != Shape{1} || train.target_dim != 1) return;
  const auto predict = [&](const std::vector<float>& x) {
    Tensor in({static_cast<int64_t>(x.size()), 1}), out;
    std::copy(x.begin(), x.end(), in.data());
    Rng rng(0);
    model.predict(in, out, rng);
    return std::vector<float>(out.data(), out.data() + out.size());
  };
  std::string points = "set,x,y,prediction\n";
  float lo = INFINITY, hi = -INFINITY;
  for (const auto& [set, view] : {std::pair{"train", &data.fit}, std::pair{"test", &data.test}}) {
    std::vector<float> x, y;
    for (const int64_t i : view->indices) {
      x.push_back(view->data->features[static_cast<size_t>(i)]);
      y.push_back(view->data->targets[static_cast<size_t>(i)]);
      lo = std::min(lo, x.back());
      hi = std::max(hi, x.back());
    }
    const auto p = predict(x);
    for (size_t k = 0; k < x.size(); ++k)
      points += fmt::format("{},{:.9g},{:.9g},{:.9g}\n", set, x[k], y[k], p[k]);
  }
  write_file_atomic(dir + "/points.csv", points);
  std::vector<float> x;
  for (int k = 0; k <= 200; ++k) x.push_back(lo + (hi - lo) * static_cast<float>(k) / 200.0f);
  const auto p = predict(x);
  std::vector<std::pair<float, float>> truth;  // sorted by x
  if (!run.data.csv.truth.empty()) {
    const Dataset t = read_csv_dataset(run.data.csv.truth, run.data.csv.inputs,
                                       run.data.csv.targets, kMaxCsvRows);
    for (int64_t i = 0; i < t.size(); ++i)
      truth.emplace_back(t.features[static_cast<size_t>(i)], t.targets[static_cast<size_t>(i)]);
    std::sort(truth.begin(), truth.end());
  }
  std::string csv = truth.size() < 2 ? "x,prediction\n" : "x,prediction,truth\n";
  for (size_t k = 0; k < x.size(); ++k) {
    csv += fmt::format("{:.9g},{:.9g}", x[k], p[k]);
    if (truth.size() >= 2) {
      const auto it = std::lower_bound(truth.begin(), truth.end(), std::pair{x[k], -INFINITY});
      const size_t j =
          std::clamp<size_t>(static_cast<size_t>(it - truth.begin()), 1, truth.size() - 1);
      const auto [x0, y0] = truth[j - 1];
      const auto [x1, y1] = truth[j];
      const float w = x1 == x0 ? 0.0f : (x[k] - x0) / (x1 - x0);
      csv += fmt::format(",{:.9g}", y0 + w * (y1 - y0));
    }
    csv += "\n";
  }
  write_file_atomic(dir + "/curve.csv", csv);
}

}  // namespace

Fitted fit_run(ExecContext& exec, const RunSpec& run, const RunData& data, uint64_t seed,
               const TrainHooks& hooks, const std::string& study_path, const std::string& out_dir) {
  // What only the data can refuse (a PCA wider than its rows, k above the training rows) names
  // the run.
  const auto named = [&](auto&& step) {
    try {
      return step();
    } catch (const Error& e) {
      throw Error(fmt::format("{}: run '{}': {}", study_path, run.name, e.what()));
    }
  };
  Fitted f{.data = named([&] { return featurize(exec, run, data, out_dir); }),
           .session = {},
           .learner = nullptr,
           .outcome = {},
           .eval = {.task = run.task, .batch = run.train.eval_batch, .tta = run.train.tta}};
  const RunData& d = f.data;
  if (!run.learner.network()) {
    f.learner = make_learner(run.learner);
    f.outcome = named([&] { return fit_learner(exec, *f.learner, d.fit); });
    return f;
  }
  f.session = make_session(exec, run, d.fit.data->sample_shape, seed, study_path);
  f.outcome = train_session(f.session, run, d.fit, d.val.empty() ? nullptr : &d.val,
                            run.train.epochs, seed, hooks);
  return f;
}

json score_fit(ExecContext& exec, Fitted& fitted, uint64_t seed) {
  const RunData& data = fitted.data;
  const EvalOptions& eval = fitted.eval;
  Rng eval_rng(seed);
  const auto score = [&](const DataView& part, const EvalOptions& how) {
    if (fitted.learner) return scores(evaluate_view(exec, *fitted.learner, part), how.task);
    Session& s = fitted.session;
    return scores(evaluate_view(*s.model, *s.loss, part, how, eval_rng), how.task);
  };
  // The training part without test-time augmentation: its score is a diagnostic of fit, and
  // the views would multiply its cost by their number.
  EvalOptions plain = eval;
  plain.tta = {};
  json out = {{"train", score(data.fit, plain)}};
  if (!data.val.empty()) out["val"] = score(data.val, eval);
  return out;
}

// A classical learner's stage 3: the refit on train + validation when the run asks for it
// (one fit, no epochs to choose), the test predictions and their files.
json finalize_learner(ExecContext& exec, const RunSpec& run, Fitted fitted, const RunData& data,
                      json result, const FinalizeOptions& options) {
  const RunData& d = fitted.data;
  double seconds = fitted.outcome.seconds();
  if (run.train.refit && !d.val.empty()) {
    fitted.learner = make_learner(run.learner);
    const TrainOutcome refit = fit_learner(exec, *fitted.learner, d.refit);
    result["refit"] = {{"train_samples", d.refit.size()}, {"stopped", refit.stopped}};
    seconds += refit.seconds();
  }
  result["train_seconds"] = seconds;
  const auto t0 = std::chrono::steady_clock::now();
  const Evaluation e = evaluate_view(exec, *fitted.learner, d.test);
  result["predict_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result["test"] = scores(e, run.task);
  const Dataset test = d.test.data->subset(d.test.indices);
  const Dataset images = data.test.data->subset(data.test.indices);
  json macro = write_test_files(e, test, images, options.dir, run.diagnostics.misclassified);
  result["test"]["errors"] = macro["errors"];
  macro.erase("errors");
  result["macro"] = macro;
  result["learner"] = fitted.learner->name();
  write_file_atomic(options.dir + "/result.json", result.dump(2));
  crash_point("result_written");
  return result;
}

json finalize_run(ExecContext& exec, const RunSpec& run, Fitted fitted, const RunData& data,
                  uint64_t seed, json result, const FinalizeOptions& options) {
  if (fitted.learner)
    return finalize_learner(exec, run, std::move(fitted), data, std::move(result), options);
  const std::string& dir = options.dir;
  const std::string result_path = dir + "/result.json";
  Session s = std::move(fitted.session);
  const RunData& learned = fitted.data;  // `data` after the transforms
  double seconds = fitted.outcome.seconds();
  int64_t samples_seen = learned.fit.size() * fitted.outcome.epochs_run();

  if (run.train.refit && !learned.val.empty()) {
    // Retrain from scratch on train + validation for as many epochs as the validation phase
    // chose, on the schedule that phase planned (a cosine refit stops where the first phase's
    // best epoch was, on the same curve); the test set is touched only by the final model.
    const int epochs = fitted.outcome.best_epoch + 1;
    s = make_session(exec, run, learned.fit.data->sample_shape, seed, options.study_path);
    TrainHooks hooks = options.refit_hooks;
    hooks.schedule_epochs = run.train.epochs;
    hooks.early_stopping = hooks.inactive_neurons = false;
    TrainOutcome refit = train_session(s, run, learned.refit, nullptr, epochs, seed, hooks);
    write_file_atomic(dir + "/refit_history.csv", history_csv(refit.history));
    crash_point("refit_done");
    result["refit"] = {{"epochs", epochs},
                       {"schedule_epochs", run.train.epochs},
                       {"train_samples", learned.refit.size()},
                       {"stopped", refit.stopped}};
    if (!refit.rollbacks.empty()) result["refit"]["rollbacks"] = refit.rollbacks;
    seconds += refit.seconds();
    samples_seen += learned.refit.size() * refit.epochs_run();
    if (refit.stopped == "diverged") {
      result["stopped"] = "diverged";
      result["diverged"] = refit.diverged;
      write_file_atomic(result_path, result.dump(2));
      return result;
    }
  }
  result["train_seconds"] = seconds;
  result["samples_per_second"] = seconds > 0 ? static_cast<double>(samples_seen) / seconds : 0.0;

  // The artifacts index the test set from 0: a limited test set is its own dataset here.
  const Dataset test = learned.test.data->subset(learned.test.indices);
  const Dataset images = data.test.data->subset(data.test.indices);
  Rng eval_rng(seed);
  const Evaluation e = evaluate_view(
      *s.model, *s.loss, learned.test,
      {.task = run.task, .batch = run.train.eval_batch, .tta = run.train.tta}, eval_rng);
  result["test"] = scores(e, run.task);
  if (run.task == Task::classify) {
    json macro = write_test_files(e, test, images, dir, run.diagnostics.misclassified);
    result["test"]["errors"] = macro["errors"];
    macro.erase("errors");
    result["macro"] = macro;
    // A model that gives probabilities keeps them for the ensembles of its run's repeats
    // (study/ensembles.hpp).
    if (s.model->head() != Head::none)
      save_test_outputs(dir + "/test_outputs.safetensors", e, test.labels);
  }
  save_model_file(dir + "/weights.safetensors", *s.model,
                  {.input = learned.fit.data->sample_shape,
                   .layers = run.model.layers,
                   .loss = run.train.loss,
                   .task = run.task,
                   .class_names = learned.fit.data->class_names,
                   .data = run.data.dataset == "csv"
                               ? DataOrigin{.dataset = "csv", .scaling = "none", .preprocess = ""}
                               : data_origin(run.data.dataset)});
  crash_point("weights_written");
  result.update(write_test_set_files(*s.model, *s.loss, run, test, seed, dir));
  if (run.diagnostics.generation)
    result["generation"] =
        write_generation_files(exec, *s.model, run, learned.fit, test, seed, options.out_dir, dir);
  write_figures(*s.model, test, run.diagnostics, dir + "/figures.safetensors");
  if (run.transforms.empty()) write_curve(*s.model, run, learned, dir);  // x must be the input
  result["model_summary"] = s.model->summary();
  crash_point("figures_written");
  write_file_atomic(result_path, result.dump(2));
  crash_point("result_written");
  return result;
}

void write_augment_preview(const DataView& train, const AugmentConfig& augment, int keep,
                           uint64_t seed, const std::string& path) {
  const Shape& shape = train.data->sample_shape;
  if (!train.data->is_images() || shape.size() != 3 || shape[0] != 1) return;
  const std::vector<int64_t> first(train.indices.begin(),
                                   train.indices.begin() + std::min<int64_t>(keep, train.size()));
  const Dataset original = train.data->subset(first);
  const Dataset augmented = augmented_copies(*train.data, first, augment, Rng(seed).fork(3));
  const Shape grid{static_cast<int64_t>(first.size()), shape[1], shape[2]};
  SafeTensors st;
  st.add_u8("original", grid, original.pixels.data());
  st.add_u8("augmented", grid, augmented.pixels.data());
  save_safetensors(path, st);
}

}  // namespace nnlab
