#include "study/preflight.hpp"

#include <fmt/ranges.h>

#include <algorithm>

#include "data/augment.hpp"
#include "data/catalog.hpp"
#include "data/corruption.hpp"
#include "data/multi_mnist.hpp"
#include "learn/hog.hpp"
#include "nn/loss.hpp"
#include "nn/model_builder.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

// The shape of a run's samples as its learner sees them: after each of its transforms.
Shape transformed_shape(const Study& study, const RunSpec& run, Shape shape) {
  for (size_t i = 0; i < run.transforms.size(); ++i) {
    const TransformSpec& t = run.transforms[i];
    const std::string key = fmt::format("transforms[{}]", i);
    if (t.type == "hog") {
      NNLAB_CHECK(shape.size() == 3 && shape[0] == 1,
                  "{}: a hog transform takes grey images [1, H, W], got samples {}", key,
                  shape_str(shape));
      shape = {hog_feature_count(shape[1], shape[2], t.hog)};
    } else if (t.type == "standardize") {
      shape = {shape_size(shape)};
    } else if (t.type == "pca") {
      NNLAB_CHECK(t.components <= shape_size(shape),
                  "{}: components = {} exceeds the {} features it is given", key, t.components,
                  shape_size(shape));
      shape = {t.components};
    } else if (t.type == "encoder") {
      NNLAB_CHECK(i == 0, "{}: an encoder takes the images themselves: list it first", key);
      const auto& layers = study.run(t.run).model.layers;
      const auto code = std::find_if(layers.begin(), layers.end(),
                                     [](const LayerSpec& l) { return l.type == "code"; });
      // The encoder alone, planned with a loss that accepts any last layer.
      const std::vector<LayerSpec> encoder(layers.begin(), code + 1);
      shape = plan_model(shape, encoder, *make_loss("mse", 0)).output;
    }
  }
  return shape;
}

// What the loss compares the model's outputs with, one value each: a classifier's classes, a
// regression's targets, an autoencoder's input.
void check_outputs(const RunSpec& run, const Shape& features, const Shape& output) {
  const LayerSpec& last = run.model.layers.back();
  const int64_t outputs = shape_size(output);
  switch (run.task) {
    case Task::classify: {
      // study_file's check_task allows a classifier only on the catalog's datasets.
      const int64_t classes = dataset_classes(run.data.dataset);
      NNLAB_CHECK(outputs == classes,
                  "{} ({}): the model gives {} outputs but {} has {} classes; a classifier's "
                  "last layer needs one output per class",
                  last.where, last.type, outputs, run.data.dataset, classes);
      break;
    }
    case Task::regress:
      NNLAB_CHECK(outputs == static_cast<int64_t>(run.data.csv.targets.size()),
                  "{} ({}): the model gives {} outputs but data.csv.targets lists {} columns; a "
                  "regression's last layer needs one output per target",
                  last.where, last.type, outputs, run.data.csv.targets.size());
      break;
    case Task::reconstruct:
      NNLAB_CHECK(outputs == shape_size(features),
                  "{} ({}): the model gives {} outputs {} but its input {} has {} values; an "
                  "autoencoder's last layer needs one output per input value",
                  last.where, last.type, outputs, shape_str(output), shape_str(features),
                  shape_size(features));
      break;
  }
}

}  // namespace

void check_run_before_training(const Study& study, const RunSpec& run) {
  const std::string& study_path = study.path;
  ModelShape plan;
  Shape input, features;
  try {
    const auto loss = make_loss(run.train.loss, run.train.label_smoothing);
    // Multi-MNIST's width is one of its [data.generate] settings.
    input = run.data.dataset == "csv" ? Shape{static_cast<int64_t>(run.data.csv.inputs.size())}
            : run.data.dataset == "multi-mnist" ? multi_mnist_sample_shape(run.data.generate)
                                                : dataset_sample_shape(run.data.dataset);
    features = transformed_shape(study, run, input);
    if (!run.learner.network()) return;  // a classical learner takes any rows
    plan = plan_model(features, run.model.layers, *loss);
  } catch (const Error& e) {  // as make_session reports it: the layer names its problem
    throw Error(fmt::format("{}: run '{}': {}", study_path, run.name, e.what()));
  }
  NNLAB_CHECK(run.model.max_params <= 0 || plan.parameters <= run.model.max_params,
              "{}: run '{}': model.max_params is {} but the model has {} parameters", study_path,
              run.name, run.model.max_params, plan.parameters);
  try {
    check_memory(plan.memory(run.train.batch, run.train.eval_batch), run.model.max_memory_gb);
    check_outputs(run, features, plan.output);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: run '{}': {}", study_path, run.name, e.what()));
  }
  // Corruptions need images, and an occlusion must fit in them.
  std::vector<std::pair<std::string, CorruptionSpec>> corruptions = {
      {"data.corrupt", run.data.corrupt}};
  for (const CorruptionSpec& c : run.diagnostics.corruptions)
    corruptions.emplace_back("diagnostics.corruptions", c);
  for (const auto& [key, c] : corruptions) {
    if (c.is_none()) continue;
    NNLAB_CHECK(input.size() == 3, "{}: run '{}': {} = \"{}\" needs images [C, H, W], got {}",
                study_path, run.name, key, c.str(), shape_str(input));
    try {
      check_fits(c, input[1], input[2]);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: run '{}': {}: {}", study_path, run.name, key, e.what()));
    }
  }
  // Test-time augmentation: a classifier's images, moved at most their size, random views with a
  // transform that fits them (and no transform without random views).
  if (run.train.tta.enabled() || run.train.tta.augment.enabled()) {
    try {
      run.train.tta.check_fits(features, "train.tta");
    } catch (const Error& e) {
      throw Error(fmt::format("{}: run '{}': {}", study_path, run.name, e.what()));
    }
  }
  // Augmentation's settings against the images: a shift at most their size. (The loader
  // augments only when some transform is on; oversampling always makes its copies.)
  std::vector<std::pair<std::string, AugmentConfig>> augments;
  if (run.data.augment.enabled()) augments.emplace_back("data.augment", run.data.augment);
  if (run.data.oversample) augments.emplace_back("data.oversample", run.data.oversample->augment);
  for (const auto& [key, a] : augments) {
    try {
      check_augment(a, input, key + ".");
    } catch (const Error& e) {
      throw Error(fmt::format("{}: run '{}': {}", study_path, run.name, e.what()));
    }
  }
}

void check_runs_before_training(const Study& study, const std::vector<std::string>& only_runs) {
  std::vector<std::string> names;
  for (const RunSpec& run : study.runs) names.push_back(run.name);
  for (const std::string& name : only_runs)
    NNLAB_CHECK(std::find(names.begin(), names.end(), name) != names.end(),
                "--run '{}': no such run in {}; runs: {}", name, study.path,
                fmt::join(names, ", "));
  for (const RunSpec& run : study.runs)
    if (only_runs.empty() ||
        std::find(only_runs.begin(), only_runs.end(), run.name) != only_runs.end())
      check_run_before_training(study, run);
}

}  // namespace nnlab
