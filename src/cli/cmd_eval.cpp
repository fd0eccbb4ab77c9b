// nnlab eval MODEL.safetensors --data NAME: a saved model's accuracy, loss and per-class report
// on a dataset's test set, with a warning when that is not the data the model was trained on;
// --tta-shift and --tta-hflip score it with test-time augmentation (as a study's train.tta).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/commands.hpp"
#include "data/catalog.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
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

}  // namespace

void add_eval_command(CLI::App& app) {
  struct EvalArgs {
    std::string model, data, data_dir;
    int64_t batch = 256;
    bool json = false;
    TtaConfig tta;
  };
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Score a saved model on a dataset's test set");
  cmd->add_option("model", args->model, "A model file (weights.safetensors of a run)")->required();
  cmd->add_option("--data", args->data, "Dataset name (mnist, fashion-mnist)")->required();
  cmd->add_option("--data-dir", args->data_dir,
                  "The directory holding the datasets (the only one searched)");
  cmd->add_option("--batch", args->batch, "Evaluation batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--tta-shift", args->tta.shift,
                  "Test-time augmentation: also the image moved this many pixels left, right, up "
                  "and down, the 5 views' probabilities averaged (0: off)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_flag("--tta-hflip", args->tta.hflip,
                "Test-time augmentation: also each view's mirror (Fashion-MNIST, not digits)");
  cmd->add_flag("--json", args->json, "Print one JSON document instead of the report");
  cmd->callback([args] {
    ExecContext exec(0);  // all cores, this thread
    LoadedModel loaded = load_model(args->model, exec, args->batch);
    const std::vector<std::string> warnings =
        origin_warnings(args->model, loaded.description.data, data_origin(args->data));
    for (const std::string& w : warnings) fmt::print(stderr, "nnlab: warning: {}\n", w);
    const DataPair pair = load_dataset(args->data, args->data_dir);
    const Dataset& test = pair.test;
    NNLAB_CHECK(test.sample_shape == loaded.model->input_shape(),
                "{}: the model takes samples of shape [{}], {} has [{}]", args->model,
                fmt::join(loaded.model->input_shape(), ", "), args->data,
                fmt::join(test.sample_shape, ", "));
    // evaluate() refuses TTA for a model that is not a classifier of images; the shift is
    // checked against the images here, where the message can name the flag.
    if (args->tta.enabled() && test.sample_shape.size() == 3) {
      try {
        args->tta.check_fits(test.sample_shape, "--tta");
      } catch (const Error& e) {
        throw Error(fmt::format("{} (the images of {})", e.what(), args->data));
      }
    }
    std::vector<int64_t> indices(static_cast<size_t>(test.size()));
    std::iota(indices.begin(), indices.end(), int64_t{0});
    Rng rng(0);
    const Task task = loaded.description.task;
    const Evaluation e = evaluate(*loaded.model, *loaded.loss, test, indices,
                                  {.task = task, .batch = args->batch, .tta = args->tta}, rng);
    if (task != Task::classify) {  // a regression or an autoencoder: its loss and MSE
      if (args->json)
        fmt::print("{}\n", json{{"model", args->model},
                                {"data", args->data},
                                {"task", task_name(task)},
                                {"samples", e.count},
                                {"loss", e.loss},
                                {"mse", e.mse},
                                {"warnings", warnings}}
                               .dump(2));
      else
        fmt::print("{} on {} test ({} samples, task {}): loss {:.6f}, mse {:.6f}\n", args->model,
                   args->data, e.count, task_name(task), e.loss, e.mse);
      return;
    }
    const ConfusionMatrix cm(test.num_classes(), test.labels, e.predicted);
    const ClassificationReport report = classification_report(cm);
    int64_t errors = cm.total();
    for (int k = 0; k < cm.num_classes(); ++k) errors -= cm.count(k, k);
    const size_t views = args->tta.views().size();
    if (!args->json) {
      fmt::print("{} on {} test ({} samples{}): accuracy {:.4f}, loss {:.4f}, errors {}\n\n{}",
                 args->model, args->data, e.count,
                 views > 1 ? fmt::format(", {} views each", views) : "", e.accuracy, e.loss, errors,
                 report_table(report, test.class_names));
      return;
    }
    json classes = json::array();
    for (size_t k = 0; k < report.classes.size(); ++k) {
      json c = scores_json(report.classes[k]);
      c["class"] = test.class_names[k];
      classes.push_back(c);
    }
    const json out = {{"model", args->model},
                      {"data", args->data},
                      {"samples", e.count},
                      {"accuracy", e.accuracy},
                      {"loss", e.loss},
                      {"errors", errors},
                      {"tta", {{"shift", args->tta.shift}, {"hflip", args->tta.hflip}}},
                      {"classes", classes},
                      {"macro_avg", scores_json(report.macro)},
                      {"weighted_avg", scores_json(report.weighted)},
                      {"warnings", warnings}};
    fmt::print("{}\n", out.dump(2));
  });
}

}  // namespace nnlab::cli
