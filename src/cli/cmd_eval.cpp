// nnlab eval MODEL.safetensors --data NAME: a saved model's accuracy, loss and per-class report
// on a dataset's test set, with a warning when that is not the data the model was trained on;
// --tta-shift and --tta-hflip score it with test-time augmentation (as a study's train.tta).
// --study scores it on the data of the study run it comes from (its validation split or test
// set), with that run's evaluation settings, which --set may change.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/commands.hpp"
#include "data/catalog.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "study/preflight.hpp"
#include "study/run_data.hpp"
#include "study/study.hpp"
#include "tensor/error.hpp"
#include "train/model_file.hpp"

namespace nnlab::cli {

namespace {

using nlohmann::json;

json scores_json(const ClassScores& s) {
  return {{"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
}

/// scikit-learn's classification_report layout: one row per class, then the averages.
std::string report_table(const ClassificationReport& r, const std::vector<std::string>& names) {
  size_t width = std::string("weighted avg").size();
  for (const std::string& n : names) width = std::max(width, n.size());
  auto row = [&](const std::string& name, const ClassScores& s) {
    return fmt::format("{:>{}}  {:>9.4f}  {:>9.4f}  {:>9.4f}  {:>9}\n", name, width, s.precision,
                       s.recall, s.f1, s.support);
  };
  std::string out = fmt::format("{:>{}}  {:>9}  {:>9}  {:>9}  {:>9}\n", "", width, "precision",
                                "recall", "f1", "support");
  for (size_t k = 0; k < r.classes.size(); ++k) out += row(names[k], r.classes[k]);
  out += "\n" + row("macro avg", r.macro) + row("weighted avg", r.weighted);
  return out;
}

// What a model is scored on: samples of a dataset, with the evaluation's settings.
struct Scored {
  std::shared_ptr<const Dataset> data;
  std::vector<int64_t> indices;
  std::string dataset;  // its catalog name
  std::string what;     // "mnist test", "the validation split of run 'best' (study.toml)"
  std::string split;    // test | validation
  EvalOptions options;
};

struct EvalArgs {
  std::string model, data, data_dir, study, run, split = "test";
  std::vector<std::string> sets;
  int repeat = 0;
  int64_t batch = 256;
  bool json = false;
  TtaConfig tta;
};

// --data: the dataset's test set, with the flags' batch and test-time augmentation.
Scored dataset_test(const EvalArgs& a) {
  auto data = std::make_shared<const Dataset>(load_dataset(a.data, a.data_dir).test);
  // evaluate() refuses TTA for a model that is not a classifier of images; the shift is
  // checked against the images here, where the message can name the flag.
  if (a.tta.enabled() && data->sample_shape.size() == 3) {
    try {
      a.tta.check_fits(data->sample_shape, "--tta");
    } catch (const Error& e) {
      throw Error(fmt::format("{} (the images of {})", e.what(), a.data));
    }
  }
  std::vector<int64_t> indices(static_cast<size_t>(data->size()));
  std::iota(indices.begin(), indices.end(), int64_t{0});
  return {.data = data,
          .indices = std::move(indices),
          .dataset = a.data,
          .what = a.data + " test",
          .split = "test",
          .options = {.batch = a.batch, .tta = a.tta}};
}

// --study: a run's own test set or validation split (the seed of repeat --repeat draws it, as
// the study did), with the run's train.tta and train.eval_batch: a saved model scored again under
// other evaluation settings (--set) without training it again.
Scored study_split(const EvalArgs& a) {
  const Study study = load_study(a.study, a.sets);
  NNLAB_CHECK(!a.run.empty() || study.runs.size() == 1,
              "{} has {} runs: --run names the one the model comes from", a.study,
              study.runs.size());
  const std::string name = a.run.empty() ? study.runs[0].name : a.run;
  check_runs_before_training(study, {name});
  const RunSpec& run = study.run(name);
  NNLAB_CHECK(run.learner.network() && run.transforms.empty(),
              "{}: run '{}' is not a network on the dataset's samples (a [learner] or "
              "transforms): nnlab eval scores saved networks",
              a.study, name);
  DataCache cache(a.data_dir);
  const RunData data =
      prepare_run_data(cache.get(run.data), run.data, run.seed + static_cast<uint64_t>(a.repeat));
  const DataView& view = a.split == "validation" ? data.val : data.test;
  NNLAB_CHECK(!view.empty(), "{}: run '{}' holds out no validation split (data.validation)",
              a.study, name);
  if (a.split == "validation" && run.train.refit)
    fmt::print(stderr,
               "nnlab: warning: run '{}' refits on its training and validation data "
               "(train.refit): its saved model has trained on the validation split\n",
               name);
  return {
      .data = view.data,
      .indices = view.indices,
      .dataset = run.data.dataset,
      .what = fmt::format("the {} {} of run '{}' ({})", run.data.dataset,
                          a.split == "validation" ? "validation split" : "test set", name, a.study),
      .split = a.split,
      .options = {.task = run.task, .batch = run.train.eval_batch, .tta = run.train.tta}};
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Score a saved model on a dataset's test set");
  cmd->add_option("model", args->model, "A model file (weights.safetensors of a run)")->required();
  auto* data = cmd->add_option("--data", args->data, "Dataset name (mnist, fashion-mnist)");
  cmd->add_option("--data-dir", args->data_dir,
                  "The directory holding the datasets (the only one searched)");
  auto* batch =
      cmd->add_option("--batch", args->batch, "Evaluation batch size")->check(CLI::PositiveNumber);
  auto* shift = cmd->add_option("--tta-shift", args->tta.shift,
                                "Test-time augmentation: also the image moved this many pixels "
                                "left, right, up and down, the 5 views' probabilities averaged "
                                "(0: off)")
                    ->check(CLI::Range(0, 1 << 20));
  auto* hflip =
      cmd->add_flag("--tta-hflip", args->tta.hflip,
                    "Test-time augmentation: also each view's mirror (Fashion-MNIST, not digits)");
  auto* study =
      cmd->add_option("--study", args->study,
                      "Instead of --data: score on the data of the study run the model comes "
                      "from, with that run's train.tta and train.eval_batch")
          ->excludes(data)
          ->excludes(batch)
          ->excludes(shift)
          ->excludes(hflip);
  cmd->add_option("--run", args->run, "With --study: the run (needed when it has several)")
      ->needs(study);
  cmd->add_option("--repeat", args->repeat,
                  "With --study: the repeat the model is, whose seed drew the validation split")
      ->check(CLI::Range(0, 1 << 20))
      ->needs(study);
  cmd->add_option("--split", args->split,
                  "With --study: test (the run's test set) or validation (its held-out split)")
      ->check(CLI::IsMember({"test", "validation"}))
      ->needs(study);
  cmd->add_option("--set", args->sets, "With --study: override a study key: KEY=VALUE")
      ->needs(study);
  cmd->add_flag("--json", args->json, "Print one JSON document instead of the report");
  cmd->callback([args] {
    NNLAB_CHECK(!args->data.empty() || !args->study.empty(),
                "nnlab eval needs --data (a dataset's test set) or --study (a run's own data)");
    ExecContext exec(0);  // all cores, this thread
    const Scored s = args->study.empty() ? dataset_test(*args) : study_split(*args);
    LoadedModel loaded = load_model(args->model, exec, s.options.batch);
    const std::vector<std::string> warnings =
        origin_warnings(args->model, loaded.description.data, data_origin(s.dataset));
    for (const std::string& w : warnings) fmt::print(stderr, "nnlab: warning: {}\n", w);
    const Dataset& d = *s.data;
    NNLAB_CHECK(d.sample_shape == loaded.model->input_shape(),
                "{}: the model takes samples of shape [{}], {} has [{}]", args->model,
                fmt::join(loaded.model->input_shape(), ", "), s.dataset,
                fmt::join(d.sample_shape, ", "));
    Rng rng(0);
    const Task task = loaded.description.task;
    EvalOptions options = s.options;
    options.task = task;
    const Evaluation e = evaluate(*loaded.model, *loaded.loss, d, s.indices, options, rng);
    if (task != Task::classify) {  // a regression or an autoencoder: its loss and MSE
      if (args->json)
        fmt::print("{}\n", json{{"model", args->model},
                                {"data", s.dataset},
                                {"split", s.split},
                                {"task", task_name(task)},
                                {"samples", e.count},
                                {"loss", e.loss},
                                {"mse", e.mse},
                                {"warnings", warnings}}
                               .dump(2));
      else
        fmt::print("{} on {} ({} samples, task {}): loss {:.6f}, mse {:.6f}\n", args->model, s.what,
                   e.count, task_name(task), e.loss, e.mse);
      return;
    }
    std::vector<int32_t> labels;
    for (const int64_t i : s.indices) labels.push_back(d.labels[static_cast<size_t>(i)]);
    const ConfusionMatrix cm(d.num_classes(), labels, e.predicted);
    const ClassificationReport report = classification_report(cm);
    int64_t errors = cm.total();
    for (int k = 0; k < cm.num_classes(); ++k) errors -= cm.count(k, k);
    const size_t views = options.tta.view_count();
    if (!args->json) {
      fmt::print("{} on {} ({} samples{}): accuracy {:.4f}, loss {:.4f}, errors {}\n\n{}",
                 args->model, s.what, e.count,
                 views > 1 ? fmt::format(", {} views each", views) : "", e.accuracy, e.loss, errors,
                 report_table(report, d.class_names));
      return;
    }
    json classes = json::array();
    for (size_t k = 0; k < report.classes.size(); ++k) {
      json c = scores_json(report.classes[k]);
      c["class"] = d.class_names[k];
      classes.push_back(c);
    }
    const json out = {{"model", args->model},
                      {"data", s.dataset},
                      {"split", s.split},
                      {"samples", e.count},
                      {"accuracy", e.accuracy},
                      {"loss", e.loss},
                      {"errors", errors},
                      {"tta",
                       {{"shift", options.tta.shift},
                        {"hflip", options.tta.hflip},
                        {"random_views", options.tta.random_views}}},
                      {"classes", classes},
                      {"macro_avg", scores_json(report.macro)},
                      {"weighted_avg", scores_json(report.weighted)},
                      {"warnings", warnings}};
    fmt::print("{}\n", out.dump(2));
  });
}

}  // namespace nnlab::cli
