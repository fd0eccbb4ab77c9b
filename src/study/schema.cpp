#include "study/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "study/layer_path.hpp"
#include "study/search_spec.hpp"
#include "study/toml_access.hpp"
#include "tensor/error.hpp"

namespace nnlab::study_detail {

namespace {

using K = Kind;

// data.augment's keys; data.oversample takes them too, to alter its copies.
std::vector<KeyDef> augment_keys(std::vector<KeyDef> extra) {
  for (const char* name :
       {"shift", "rotation", "scale", "elastic_alpha", "elastic_sigma", "noise", "erasing",
        "erasing_min_area", "erasing_max_area", "erasing_min_aspect", "probability"})
    extra.push_back({name, K::number, {}});
  extra.push_back({"crop", K::integer, {}});
  extra.push_back({"hflip", K::boolean, {}});
  return extra;
}

std::vector<KeyDef> section_keys() {
  return {
      {"data",
       K::table,
       {{"dataset", K::string, {}},
        {"dir", K::string, {}},
        {"train_limit", K::integer, {}},
        {"test_limit", K::integer, {}},
        {"validation", K::count_or_fraction, {}},
        {"stratified", K::boolean, {}},
        {"noisy_copies", K::integer, {}},
        {"noisy_sigma", K::number, {}},
        {"csv",
         K::table,
         {{"train", K::string, {}},
          {"test", K::string, {}},
          {"truth", K::string, {}},
          {"inputs", K::string_array, {}},
          {"targets", K::string_array, {}}}},
        {"generate",
         K::table,
         {{"seed", K::integer, {}},
          {"train_count", K::integer, {}},
          {"test_count", K::integer, {}},
          {"profile", K::string, {}},
          {"width", K::integer, {}},
          {"shift", K::integer, {}},
          {"intensity_min", K::number, {}},
          {"intensity_max", K::number, {}},
          {"combine", K::string, {}}}},
        {"augment", K::table, augment_keys({})},
        {"corrupt", K::string, {}},
        {"oversample", K::table, augment_keys({{"p", K::number, {}}})}}},
      {"transforms", K::transforms, {}},
      {"learner",
       K::table,
       {{"type", K::string, {}},
        {"k", K::integer, {}},
        {"metric", K::string, {}},
        {"weights", K::string, {}},
        {"kernel", K::string, {}},
        {"C", K::number, {}},
        {"gamma", K::number, {}},
        {"degree", K::integer, {}},
        {"coef0", K::number, {}},
        {"tolerance", K::number, {}},
        {"cache_mb", K::number, {}},
        {"loss", K::string, {}}}},
      {"model",
       K::table,
       {{"activation", K::string, {}},
        {"init", K::string, {}},
        {"l1", K::number, {}},
        {"l2", K::number, {}},
        {"max_norm", K::number, {}},
        {"max_params", K::integer, {}},
        {"max_memory_gb", K::number, {}},
        {"layers", K::layers, {}}}},
      {"train",
       K::table,
       {{"loss", K::string, {}},
        {"label_smoothing", K::number, {}},
        {"epochs", K::integer, {}},
        {"batch", K::integer, {}},
        {"eval_batch", K::integer, {}},
        {"tta",
         K::table,
         {{"hflip", K::boolean, {}},
          {"shift", K::integer, {}},
          {"random_views", K::integer, {}},
          {"augment", K::table, augment_keys({})}}},
        {"shuffle", K::boolean, {}},
        {"grad_noise", K::number, {}},
        {"ema", K::number, {}},
        {"refit", K::boolean, {}},
        {"on_divergence", K::string, {}},
        {"rollback_lr_factor", K::number, {}},
        {"max_rollbacks", K::integer, {}},
        {"optimizer",
         K::table,
         {{"type", K::string, {}},
          {"lr", K::number, {}},
          {"momentum", K::number, {}},
          {"nesterov", K::boolean, {}},
          {"rho", K::number, {}},
          {"beta1", K::number, {}},
          {"beta2", K::number, {}},
          {"eps", K::number, {}},
          {"weight_decay", K::number, {}},
          {"decay", K::string, {}}}},
        {"schedule",
         K::table,
         {{"type", K::string, {}},
          {"step_epochs", K::integer, {}},
          {"gamma", K::number, {}},
          {"min_lr", K::number, {}},
          {"warmup_epochs", K::integer, {}},
          {"warmup_steps", K::integer, {}}}},
        {"early_stopping",
         K::table,
         {{"monitor", K::string, {}},
          {"patience", K::integer, {}},
          {"min_delta", K::number, {}},
          {"restore_best", K::boolean, {}}}}}},
      {"diagnostics",
       K::table,
       {{"inactive_neurons", K::boolean, {}},
        {"inactive_threshold", K::number, {}},
        {"inactive_every", K::integer, {}},
        {"misclassified", K::integer, {}},
        {"augment_preview", K::integer, {}},
        {"corruptions", K::string_array, {}},
        {"reconstructions", K::integer, {}},
        {"generation",
         K::table,
         {{"samplers", K::string_array, {}},
          {"count", K::integer, {}},
          {"fit_limit", K::integer, {}},
          {"components", K::integer, {}},
          {"classifier", K::string, {}}}},
        {"weight_histograms", K::boolean, {}},
        {"figures", K::boolean, {}},
        {"figure_input", K::integer, {}},
        {"profile_inputs", K::count_or_indices, {}},
        {"receptive_fields", K::integer, {}}}},
  };
}

KeyDef make_run_schema() {
  KeyDef run{"runs", K::table, section_keys(), true};
  run.children.push_back({"name", K::string, {}});
  run.children.push_back({"task", K::string, {}});
  run.children.push_back({"repeats", K::integer, {}});
  run.children.push_back({"seed", K::integer, {}});
  run.children.push_back({"sweep", K::sweep, {}});
  run.children.push_back({"search", K::search, {}});
  run.children.push_back({"reference",
                          K::table,
                          {{"test_accuracy", K::number, {}},
                           {"test_accuracy_std", K::number, {}},
                           {"val_accuracy", K::number, {}},
                           {"train_accuracy", K::number, {}},
                           {"test_mse", K::number, {}},
                           {"source", K::string, {}}}});
  return run;
}

KeyDef make_study_schema() {
  KeyDef root{"", K::table, section_keys()};
  root.children.push_back({"name", K::string, {}});
  root.children.push_back({"description", K::string, {}});
  root.children.push_back({"task", K::string, {}});
  root.children.push_back({"seed", K::integer, {}});
  root.children.push_back({"repeats", K::integer, {}});
  root.children.push_back(
      {"lr_sweep",
       K::table,
       {{"run", K::string, {}}, {"rates", K::number_array, {}}, {"epochs", K::integer, {}}}});
  root.children.push_back({"runs", K::table_array, {run_schema()}});
  // [[ensembles]]: runs whose models are averaged as one (study/ensembles.hpp).
  root.children.push_back(
      {"ensembles",
       K::table_array,
       {{"ensembles", K::table, {{"name", K::string, {}}, {"runs", K::string_array, {}}}}}});
  return root;
}

std::vector<std::string> names_of(const KeyDef& table, const std::string& prefix) {
  std::vector<std::string> names;
  for (const auto& c : table.children) names.push_back(prefix + c.name);
  return names;
}

const KeyDef* child(const KeyDef& table, const std::string& name) {
  for (const auto& c : table.children)
    if (c.name == name) return &c;
  return nullptr;
}

const KeyDef& layer_param_def() {
  static const KeyDef def{"layer parameter", K::layer_value, {}};
  return def;
}

void check_table(const toml::table& table, const KeyDef& def, const std::string& path,
                 const std::string& file) {
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const KeyDef* c = child(def, name);
    if (!c && def.layer_keys && parse_layer_path(name, where(node, file))) c = &layer_param_def();
    if (!c) {
      const std::string prefix = path.empty() ? "" : path + ".";
      NNLAB_CHECK(false, "{}: unknown key '{}'; did you mean '{}'?", where(node, file),
                  prefix + name, closest(prefix + name, names_of(def, prefix)));
    }
    validate_value(node, *c, join_key(path, name), file);
  }
}

// The layer keys that size a layer's weights, at most these: units = 2e6 is an error naming the
// key, not 6 GB allocated before std::bad_alloc (model.max_params bounds a whole model).
constexpr std::pair<std::string_view, double> kLayerSizeLimits[] = {
    {"units", 100'000}, {"filters", 4096}, {"kernel", 64}};

// A layer's number: finite, and within its limit when it sizes the layer.
void check_layer_number(const toml::node& v, const std::string& key, const std::string& file) {
  const double x = *v.value<double>();
  NNLAB_CHECK(std::isfinite(x), "{}: {} must be a finite number, got {}", where(v, file), key, x);
  const std::string_view param = std::string_view(key).substr(key.rfind('.') + 1);
  for (const auto& [name, max] : kLayerSizeLimits)
    NNLAB_CHECK(param != name || x <= max, "{}: {} must be <= {}, got {}", where(v, file), key, max,
                x);
}

void check_layer_value(const toml::node& v, const std::string& key, const std::string& file) {
  const bool type = key.size() >= 5 && key.compare(key.size() - 5, 5, ".type") == 0;
  NNLAB_CHECK(!type || v.is_string(), "{}: {} must be a string naming the layer type, got {}",
              where(v, file), key, type_phrase(v));
  NNLAB_CHECK(v.is_number() || v.is_string() || v.is_array(),
              "{}: {} must be a number, a string or an array of numbers, got {}", where(v, file),
              key, type_phrase(v));
  if (v.is_number()) check_layer_number(v, key, file);
  if (const auto* list = v.as_array())
    for (const auto& e : *list) {
      NNLAB_CHECK(e.is_number(), "{}: {} must hold numbers only, got {}", where(e, file), key,
                  type_phrase(e));
      check_layer_number(e, key, file);
    }
}

void check_layers(const toml::node& node, const std::string& key, const std::string& file) {
  const auto* array = node.as_array();
  // `model.layers.rate = 0.5` in a run makes a table: point at the quoted keys that do it.
  NNLAB_CHECK(!node.is_table(),
              "{}: {} must be an array of tables, got a table; to change layers a run inherits, "
              "quote the whole key: \"model.layers[2].units\" = 64 (layer 2) or "
              "\"model.layers.rate\" = 0.5 (every layer that has rate)",
              where(node, file), key);
  NNLAB_CHECK(array, "{}: {} must be an array of tables, got {}", where(node, file), key,
              type_phrase(node));
  for (size_t i = 0; i < array->size(); ++i) {
    const auto& item = *array->get(i);
    const std::string item_key = fmt::format("{}[{}]", key, i);
    const auto* layer = item.as_table();
    NNLAB_CHECK(layer, "{}: {} must be a table like {{type=\"dense\", units=10}}, got {}",
                where(item, file), item_key, type_phrase(item));
    const auto* type = layer->get("type");
    NNLAB_CHECK(type && type->is_string(), "{}: {}.type must be a string naming the layer type",
                where(item, file), item_key);
    for (const auto& [k, v] : *layer)
      check_layer_value(v, fmt::format("{}.{}", item_key, k.str()), file);
  }
}

// transforms: each an inline table with a string type and scalar settings (read_transforms
// checks which settings each type takes).
void check_transforms(const toml::node& node, const std::string& key, const std::string& file) {
  const auto* array = node.as_array();
  NNLAB_CHECK(array, "{}: {} must be an array of tables like [{{type = \"hog\"}}], got {}",
              where(node, file), key, type_phrase(node));
  for (size_t i = 0; i < array->size(); ++i) {
    const auto& item = *array->get(i);
    const std::string item_key = fmt::format("{}[{}]", key, i);
    const auto* table = item.as_table();
    NNLAB_CHECK(table, "{}: {} must be a table like {{type = \"pca\", components = 50}}, got {}",
                where(item, file), item_key, type_phrase(item));
    for (const auto& [k, v] : *table)
      NNLAB_CHECK(v.is_number() || v.is_string() || v.is_boolean(),
                  "{}: {}.{} must be a number, a string or a boolean, got {}", where(v, file),
                  item_key, k.str(), type_phrase(v));
  }
}

void check_sweep(const toml::node& node, const std::string& key, const std::string& file) {
  const auto* table = node.as_table();
  NNLAB_CHECK(table, "{}: {} must be a table of \"key\" = [values], got {}", where(node, file), key,
              type_phrase(node));
  for (const auto& [k, v] : *table) {
    const std::string swept(k.str());
    NNLAB_CHECK(swept != "name" && swept != "sweep" && swept.rfind("reference", 0) != 0,
                "{}: {} cannot sweep '{}'", where(v, file), key, swept);
    const KeyDef& def = resolve_key(run_schema(), swept, where(v, file) + ": " + key);
    const auto* values = v.as_array();
    NNLAB_CHECK(values && !values->empty(), "{}: {}.\"{}\" must be a non-empty array, got {}",
                where(v, file), key, swept, type_phrase(v));
    for (const auto& value : *values) validate_value(value, def, swept, file);
  }
}

}  // namespace

const KeyDef& study_schema() {
  static const KeyDef schema = make_study_schema();
  return schema;
}

const KeyDef& run_schema() {
  static const KeyDef schema = make_run_schema();
  return schema;
}

const KeyDef& resolve_key(const KeyDef& table, const std::string& dotted,
                          const std::string& context) {
  if (parse_layer_path(dotted, context)) return layer_param_def();
  const auto parts = split_path(dotted);
  const KeyDef* def = &table;
  std::string path;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string prefix = path.empty() ? "" : path + ".";
    // A search's own settings ("search.minutes"), checked with the rest of the search when it
    // is read (search_file.cpp); its stages are edited in the file.
    if (def->kind == K::search) {
      const auto& settings = kSearchSettings;
      NNLAB_CHECK(i + 1 == parts.size() &&
                      std::find(settings.begin(), settings.end(), parts[i]) != settings.end(),
                  "{}: unknown key '{}'; a search's settings are {}.{{{}}} (its stages are "
                  "edited in the study file)",
                  context, dotted, path, fmt::join(settings, ", "));
      return *def;
    }
    const KeyDef* c = def->kind == K::table ? child(*def, parts[i]) : nullptr;
    NNLAB_CHECK(c || def->kind == K::table, "{}: unknown key '{}': '{}' has no keys of its own",
                context, dotted, path);
    NNLAB_CHECK(c, "{}: unknown key '{}'; did you mean '{}'?", context, dotted,
                closest(prefix + parts[i], names_of(*def, prefix)));
    def = c;
    path = join_key(path, parts[i]);
  }
  return *def;
}

void validate_value(const toml::node& node, const KeyDef& def, const std::string& key,
                    const std::string& file) {
  auto wrong = [&](const char* expected) {
    NNLAB_CHECK(false, "{}: {} must be {}, got {}", where(node, file), key, expected,
                type_phrase(node));
  };
  switch (def.kind) {
    case K::string:
      if (!node.is_string()) wrong("a string");
      break;
    case K::integer:
      if (!node.is_integer()) wrong("an integer");
      break;
    case K::number:
      if (!node.is_number()) wrong("a number");
      break;
    case K::boolean:
      if (!node.is_boolean()) wrong("a boolean");
      break;
    case K::count_or_fraction:
      if (!node.is_number()) wrong("an integer count or a float fraction");
      break;
    case K::count_or_indices: {
      if (node.is_integer()) break;
      const auto* array = node.as_array();
      if (!array) wrong("an integer count or an array of integer indices");
      for (const auto& v : *array)
        NNLAB_CHECK(v.is_integer(), "{}: {} must hold integers only, got {}", where(v, file), key,
                    type_phrase(v));
      break;
    }
    case K::string_array: {
      const auto* array = node.as_array();
      if (!array || array->empty()) wrong("a non-empty array of strings");
      for (const auto& v : *array)
        NNLAB_CHECK(v.is_string(), "{}: {} must hold strings only, got {}", where(v, file), key,
                    type_phrase(v));
      break;
    }
    case K::number_array: {
      const auto* array = node.as_array();
      if (!array || array->empty()) wrong("a non-empty array of numbers");
      for (const auto& v : *array)
        NNLAB_CHECK(v.is_number(), "{}: {} must hold numbers only, got {}", where(v, file), key,
                    type_phrase(v));
      break;
    }
    case K::table:
      if (!node.is_table()) wrong("a table");
      check_table(*node.as_table(), def, key, file);
      break;
    case K::layers:
      check_layers(node, key, file);
      break;
    case K::layer_value:
      check_layer_value(node, key, file);
      break;
    case K::transforms:
      check_transforms(node, key, file);
      break;
    case K::sweep:
      check_sweep(node, key, file);
      break;
    case K::search:
      if (!node.is_table()) wrong("a table");
      break;
    case K::table_array: {
      const std::string shape = fmt::format("an array of tables ([[{}]])", key);
      const auto* array = node.as_array();
      if (!array) wrong(shape.c_str());
      for (size_t i = 0; i < array->size(); ++i) {
        const auto& item = *array->get(i);
        if (!item.is_table()) wrong(shape.c_str());
        // An entry is named by its name where it has one: runs.cnn.train.lr, else runs[2].
        const auto* name = item.as_table()->get("name");
        const std::string item_key = name && name->is_string()
                                         ? key + "." + name->as_string()->get()
                                         : fmt::format("{}[{}]", key, i);
        check_table(*item.as_table(), def.children.at(0), item_key, file);
      }
      break;
    }
  }
}

void validate_study(const toml::table& root, const std::string& file) {
  check_table(root, study_schema(), "", file);
}

std::string join_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

}  // namespace nnlab::study_detail
