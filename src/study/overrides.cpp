// --set KEY=VALUE: command-line edits of the parsed study, made before runs are merged.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "study/expand.hpp"
#include "study/layer_path.hpp"
#include "study/schema.hpp"
#include "study/toml_access.hpp"
#include "tensor/error.hpp"

namespace nnlab::study_detail {

namespace {

// The value parsed as TOML, its source path set to the --set text so that later messages name
// it; a value that is not TOML (a bare word like fashion-mnist) is taken as a string.
toml::table parse_value(const std::string& value, const std::string& origin) {
  const std::string text = "v = " + value;
  NNLAB_CHECK(!line_nested_too_deep(text), "{}: the value nests deeper than {} levels", origin,
              kMaxTomlDepth);
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error&) {
    std::string quoted;
    for (char c : value) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    try {
      return toml::parse("v = \"" + quoted + "\"", origin);
    } catch (const toml::parse_error& e) {
      throw Error(fmt::format("{}: cannot read the value: {}", origin, e.description()));
    }
  }
}

void assign(toml::table& table, const std::string& key, toml::node& value) {
  value.visit([&](auto&& v) { table.insert_or_assign(key, std::move(v)); });
}

// Walks (creating tables as needed) to the parent of the last key part, then assigns.
void set_path(toml::table& root, const std::vector<std::string>& parts, toml::node& value,
              const std::string& origin) {
  toml::table* table = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* next = table->get(parts[i]);
    if (!next) next = &table->insert_or_assign(parts[i], toml::table{}).first->second;
    NNLAB_CHECK(next->is_table(), "{}: '{}' is not a table", origin, parts[i]);
    table = next->as_table();
  }
  assign(*table, parts.back(), value);
}

// "model.layers.PARAM": sets PARAM on every layer of holder's own model.layers that has it;
// returns how many.
int set_layer_param(toml::table& holder, const std::string& param, const std::string& value,
                    const std::string& origin) {
  auto* layers = holder["model"]["layers"].as_array();
  if (!layers) return 0;
  int count = 0;
  for (auto& item : *layers) {
    auto* layer = item.as_table();
    if (!layer || !layer->get(param)) continue;
    auto parsed = parse_value(value, origin);
    assign(*layer, param, *parsed.get("v"));
    ++count;
  }
  return count;
}

// A study-wide key. model.layers.PARAM reaches every layer holding PARAM, the runs' own lists
// included; model.layers[I].PARAM changes layer I of the common list only, since a run with its
// own list has its own architecture (runs.NAME.model.layers[I].PARAM reaches that one).
void set_study_key(toml::table& root, const std::string& key, const std::string& value,
                   const std::string& origin) {
  resolve_key(study_schema(), key, origin);  // throws on an unknown key
  auto parsed = parse_value(value, origin);
  toml::node& v = *parsed.get("v");
  const auto layer = parse_layer_path(key, origin);
  if (!layer) {
    set_path(root, split_path(key), v, origin);
    return;
  }
  if (!layer->index) {
    int count = set_layer_param(root, layer->param, value, origin);
    if (auto* runs = root["runs"].as_array())
      for (auto& run : *runs)
        if (run.is_table()) count += set_layer_param(*run.as_table(), layer->param, value, origin);
    NNLAB_CHECK(count > 0, "{}: no layer of model.layers has the key '{}'", origin, layer->param);
    return;
  }
  auto* layers = root["model"]["layers"].as_array();
  NNLAB_CHECK(layers,
              "{}: the study has no common model.layers; set a run's own layer with --set "
              "runs.NAME.{}",
              origin, key);
  check_layer_index(*layer, key, layers->size(), "model.layers", origin);
  auto* table = layers->get(*layer->index)->as_table();
  NNLAB_CHECK(table, "{}: model.layers[{}] is not a table", origin, *layer->index);
  assign(*table, layer->param, v);
}

// A key of one run (its [[runs]] table, or the overlay of a run a sweep makes). A layer path
// stays a quoted key of the run ("model.layers[2].units"), applied to the layers the run ends up
// with, its own or the common ones (study_file.cpp).
void set_run_key(toml::table& run, const std::string& key, const std::string& value,
                 const std::string& origin) {
  resolve_key(run_schema(), key, origin);
  auto parsed = parse_value(value, origin);
  if (parse_layer_path(key, origin))
    assign(run, key, *parsed.get("v"));
  else
    set_path(run, split_path(key), *parsed.get("v"), origin);
}

// "NAME.KEY=VALUE" -> the length of the longest name among `names` that it starts with (then a
// dot), or 0. Names may hold dots and '=' themselves ("reg-l2=0.0001").
size_t match_run_name(const std::string& text, const std::vector<std::string>& names) {
  size_t best = 0;
  for (const auto& name : names)
    if (!name.empty() && name.size() > best && text.size() > name.size() &&
        text.compare(0, name.size(), name) == 0 && text[name.size()] == '.')
      best = name.size();
  return best;
}

std::pair<std::string, std::string> split_key_value(const std::string& text,
                                                    const std::string& origin) {
  const size_t eq = text.find('=');
  NNLAB_CHECK(eq != std::string::npos && eq > 0,
              "{}: expected KEY=VALUE, e.g. --set train.epochs=3", origin);
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void apply_override(toml::table& root, const std::string& text,
                    std::vector<PendingOverride>& pending) {
  const std::string origin = "--set " + text;
  split_key_value(text, origin);  // the form is checked before anything else
  if (text.rfind("runs.", 0) != 0) {
    const auto [key, value] = split_key_value(text, origin);
    set_study_key(root, key, value, origin);
    return;
  }
  const std::string rest = text.substr(5);
  std::vector<std::string> names;
  std::vector<toml::table*> tables;
  if (auto* runs = root["runs"].as_array())
    for (auto& item : *runs)
      if (auto* run = item.as_table(); run && run->get_as<std::string>("name")) {
        names.push_back(run->get_as<std::string>("name")->get());
        tables.push_back(run);
      }
  const size_t length = match_run_name(rest, names);
  if (length == 0) {  // perhaps a run a sweep makes: resolved once they are expanded
    pending.push_back({rest, origin});
    return;
  }
  const size_t i = static_cast<size_t>(
      std::find(names.begin(), names.end(), rest.substr(0, length)) - names.begin());
  const auto [key, value] = split_key_value(rest.substr(length + 1), origin);
  set_run_key(*tables[i], key, value, origin);
}

}  // namespace

std::vector<PendingOverride> apply_overrides(toml::table& root,
                                             const std::vector<std::string>& overrides) {
  std::vector<PendingOverride> pending;
  for (const auto& text : overrides) apply_override(root, text, pending);
  return pending;
}

std::map<std::string, toml::table> run_overlays(const std::vector<PendingOverride>& pending,
                                                const std::vector<RunSource>& runs,
                                                const std::string& file) {
  std::vector<std::string> names;
  for (const auto& run : runs) names.push_back(run.name);
  std::map<std::string, toml::table> overlays;
  for (const auto& p : pending) {
    const size_t length = match_run_name(p.text, names);
    const std::string guess = p.text.substr(0, p.text.find('.'));
    NNLAB_CHECK(length > 0, "{}: unknown key 'runs.{}': the study has no run named '{}' (runs: {})",
                p.origin, guess, guess, fmt::join(names, ", "));
    const std::string name = p.text.substr(0, length);
    const auto [key, value] = split_key_value(p.text.substr(length + 1), p.origin);
    NNLAB_CHECK(key != "name" && key != "sweep" && key.rfind("sweep.", 0) != 0,
                "{}: run '{}' has no [[runs]] entry of its own (a sweep makes it), so its name and "
                "sweep cannot be set",
                p.origin, name);
    set_run_key(overlays[name], key, value, p.origin);
  }
  for (const auto& [name, overlay] : overlays)
    validate_value(overlay, run_schema(), "runs." + name, file);
  return overlays;
}

}  // namespace nnlab::study_detail
