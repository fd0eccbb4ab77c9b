#include "study/learner_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "tensor/error.hpp"

namespace nnlab::study_detail {
namespace {

// The keys each learner type takes under [learner] (besides type).
const std::map<std::string, std::vector<std::string>>& learner_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"network", {}},
      {"knn", {"k", "metric", "weights"}},
      {"svm", {"kernel", "C", "gamma", "degree", "coef0", "tolerance", "cache_mb"}},
      {"linear_svm", {"loss", "C", "tolerance"}}};
  return keys;
}

// The keys each transform type takes (besides type).
const std::map<std::string, std::vector<std::string>>& transform_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"hog", {"orientations", "cell", "block", "norm", "sqrt"}},
      {"standardize", {}},
      {"pca", {"components", "whiten"}},
      {"encoder", {"run"}}};
  return keys;
}

std::vector<std::string> names(const std::map<std::string, std::vector<std::string>>& m) {
  std::vector<std::string> out;
  for (const auto& [name, keys] : m) out.push_back(name);
  return out;
}

// A positive number at most `max` (get_number refuses inf and nan).
double positive_finite(const Lookup& l, const std::string& key, double fallback, double max) {
  const double v = l.get_number(key, fallback);
  NNLAB_CHECK(v > 0 && v <= max, "{}{} must be in (0, {}], got {}", l.at(key), key, max, v);
  return v;
}

HogOptions::Norm hog_norm(const Lookup& l, const std::string& key) {
  const std::string norm = l.get_string(key, "L2-Hys");
  l.check_one_of(key, norm, {"L1", "L1-sqrt", "L2", "L2-Hys"});
  if (norm == "L1") return HogOptions::Norm::l1;
  if (norm == "L1-sqrt") return HogOptions::Norm::l1_sqrt;
  if (norm == "L2") return HogOptions::Norm::l2;
  return HogOptions::Norm::l2_hys;
}

TransformSpec read_transform(const toml::node& node, const std::string& file,
                             const std::string& key, const std::vector<RunSpec>& earlier,
                             const std::string& run_name) {
  Lookup item(file);
  item.add(&node, {key});  // values are looked up, and named, as "transforms[I].NAME"
  const auto k = [&](const char* name) { return key + "." + name; };
  const std::string at = where(node, file) + ": ";
  TransformSpec t;
  NNLAB_CHECK(item.has(k("type")), "{}{} needs a type: one of {}", at, key,
              fmt::join(names(transform_keys()), ", "));
  t.type = item.get_string(k("type"), "");
  item.check_one_of(k("type"), t.type, names(transform_keys()));
  const auto& valid = transform_keys().at(t.type);
  for (const auto& [k, v] : *node.as_table()) {
    const std::string name(k.str());
    NNLAB_CHECK(name == "type" || std::find(valid.begin(), valid.end(), name) != valid.end(),
                "{}: {}.{} is not a setting of a {} transform (its settings: {})",
                where(v, item.file()), key, name, t.type,
                valid.empty() ? "none" : fmt::format("{}", fmt::join(valid, ", ")));
  }
  if (t.type == "hog") {
    t.hog.orientations = item.get_int32(k("orientations"), t.hog.orientations, 1, 360);
    t.hog.cell = item.get_int32(k("cell"), t.hog.cell, 1, 4096);
    t.hog.block = item.get_int32(k("block"), t.hog.block, 1, 4096);
    t.hog.norm = hog_norm(item, k("norm"));
    t.hog.sqrt = item.get_bool(k("sqrt"), t.hog.sqrt);
  } else if (t.type == "pca") {
    NNLAB_CHECK(item.has(k("components")), "{}{}: a pca transform needs components = N", at, key);
    t.components = item.get_int(k("components"), 0, 1);
    t.whiten = item.get_bool(k("whiten"), false);
  } else if (t.type == "encoder") {
    NNLAB_CHECK(item.has(k("run")),
                "{}{}: an encoder transform names its autoencoder: run = \"...\"", at, key);
    t.run = item.get_string(k("run"), "");
    const auto it = std::find_if(earlier.begin(), earlier.end(),
                                 [&](const RunSpec& r) { return r.name == t.run; });
    std::vector<std::string> before;
    for (const RunSpec& r : earlier) before.push_back(r.name);
    NNLAB_CHECK(it != earlier.end(), "{}{}.run names no run before '{}': '{}' (runs before it: {})",
                item.at(k("run")), key, run_name, t.run,
                before.empty() ? "none" : fmt::format("{}", fmt::join(before, ", ")));
    const auto& layers = it->model.layers;
    NNLAB_CHECK(it->task == Task::reconstruct && !it->search && it->transforms.empty() &&
                    std::any_of(layers.begin(), layers.end(),
                                [](const LayerSpec& s) { return s.type == "code"; }),
                "{}{}.run = '{}' must be an autoencoder: a reconstruct run (not a search, no "
                "transforms of its own) with a {{type = \"code\"}} layer",
                item.at(k("run")), key, t.run);
  }
  return t;
}

}  // namespace

std::vector<TransformSpec> read_transforms(const Lookup& l, const std::vector<RunSpec>& earlier,
                                           const std::string& run_name) {
  std::vector<TransformSpec> out;
  const auto* node = l.find("transforms");
  if (!node) return out;
  const auto& array = *node->as_array();  // the schema checked it is an array of tables
  for (size_t i = 0; i < array.size(); ++i)
    out.push_back(read_transform(*array.get(i), l.file(), fmt::format("transforms[{}]", i), earlier,
                                 run_name));
  return out;
}

LearnerConfig read_learner(const Lookup& l, uint64_t seed) {
  LearnerConfig c;
  c.type = l.get_string("learner.type", c.type);
  l.check_one_of("learner.type", c.type, names(learner_keys()));
  const auto& valid = learner_keys().at(c.type);
  for (const auto& [type, keys] : learner_keys())
    for (const auto& key : keys)
      NNLAB_CHECK(
          std::find(valid.begin(), valid.end(), key) != valid.end() || !l.has("learner." + key),
          "{}learner.{} is a setting of learner.type = \"{}\", not of \"{}\"",
          l.at("learner." + key), key, type, c.type);
  if (c.type == "knn") {
    c.knn.k = l.get_int32("learner.k", c.knn.k, 1, 100'000);
    const std::string metric = l.get_string("learner.metric", "euclidean");
    l.check_one_of("learner.metric", metric, {"euclidean", "cosine"});
    c.knn.metric = metric == "cosine" ? KnnOptions::Metric::cosine : KnnOptions::Metric::euclidean;
    const std::string weights = l.get_string("learner.weights", "uniform");
    l.check_one_of("learner.weights", weights, {"uniform", "distance"});
    c.knn.weights =
        weights == "distance" ? KnnOptions::Weights::distance : KnnOptions::Weights::uniform;
  } else if (c.type == "svm") {
    const std::string kernel = l.get_string("learner.kernel", "rbf");
    l.check_one_of("learner.kernel", kernel, {"rbf", "poly", "linear", "sigmoid"});
    c.svm.kernel = kernel == "poly"      ? SvmOptions::Kernel::poly
                   : kernel == "linear"  ? SvmOptions::Kernel::linear
                   : kernel == "sigmoid" ? SvmOptions::Kernel::sigmoid
                                         : SvmOptions::Kernel::rbf;
    c.svm.C = positive_finite(l, "learner.C", c.svm.C, 1e12);
    if (l.has("learner.gamma")) c.svm.gamma = positive_finite(l, "learner.gamma", 1, 1e12);
    c.svm.degree = l.get_int32("learner.degree", c.svm.degree, 1, 10);
    c.svm.coef0 = l.get_number("learner.coef0", c.svm.coef0);
    c.svm.tolerance = positive_finite(l, "learner.tolerance", c.svm.tolerance, 1);
    c.svm.cache_mb = positive_finite(l, "learner.cache_mb", c.svm.cache_mb, 1e6);
  } else if (c.type == "linear_svm") {
    const std::string loss = l.get_string("learner.loss", "squared_hinge");
    l.check_one_of("learner.loss", loss, {"hinge", "squared_hinge"});
    c.linear_svm.loss =
        loss == "hinge" ? LinearSvmOptions::Loss::hinge : LinearSvmOptions::Loss::squared_hinge;
    c.linear_svm.C = positive_finite(l, "learner.C", c.linear_svm.C, 1e12);
    c.linear_svm.tolerance = positive_finite(l, "learner.tolerance", c.linear_svm.tolerance, 1);
    c.linear_svm.seed = seed;
  }
  return c;
}

void check_learner(const Lookup& l, const RunSpec& run) {
  if (!run.transforms.empty())
    NNLAB_CHECK(run.task != Task::reconstruct,
                "{}transforms make the features a learner learns from; task = \"reconstruct\" "
                "rebuilds its own inputs and takes none",
                l.at("transforms"));
  if (run.learner.network()) return;
  NNLAB_CHECK(run.task == Task::classify,
              "{}learner.type = \"{}\" predicts classes: it needs task = \"classify\" (run '{}' "
              "is {})",
              l.at("learner.type"), run.learner.type, run.name, task_name(run.task));
  NNLAB_CHECK(!run.data.augment.enabled() && run.data.corrupt.is_none(),
              "{}learner.type = \"{}\" learns from fixed rows: data.augment and data.corrupt "
              "apply to a network's batches only",
              l.at("learner.type"), run.learner.type);
  NNLAB_CHECK(run.diagnostics.corruptions.empty(),
              "{}diagnostics.corruptions scores a network under corrupted inputs; learner.type = "
              "\"{}\" has no such scores",
              l.at("diagnostics.corruptions"), run.learner.type);
  NNLAB_CHECK(!run.train.early_stopping.enabled,
              "{}learner.type = \"{}\" trains in one step: train.early_stopping is for networks",
              l.at("train.early_stopping"), run.learner.type);
}

}  // namespace nnlab::study_detail
