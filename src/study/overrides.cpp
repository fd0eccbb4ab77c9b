// --set KEY=VALUE: command-line edits of the parsed study, made before runs are merged.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "study/expand.hpp"
#include "study/schema.hpp"
#include "study/toml_access.hpp"
#include "tensor/error.hpp"

namespace nnlab::study_detail {

namespace {

// The value parsed as TOML, its source path set to the --set text so that later messages name
// it; a value that is not TOML (a bare word like fashion-mnist) is taken as a string.
toml::table parse_value(const std::string& value, const std::string& origin) {
  try {
    return toml::parse("v = " + value, origin);
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

// "model.layers.KEY": sets KEY on every layer of holder's model that has it; returns how many.
int set_layer_param(toml::table& holder, const std::string& key, const std::string& value,
                    const std::string& origin) {
  auto* layers = holder["model"]["layers"].as_array();
  if (!layers) return 0;
  int count = 0;
  for (auto& item : *layers) {
    auto* layer = item.as_table();
    if (!layer || !layer->get(key)) continue;
    auto parsed = parse_value(value, origin);
    assign(*layer, key, *parsed.get("v"));
    ++count;
  }
  return count;
}

toml::table* find_run(toml::table& root, const std::string& name, const std::string& origin) {
  std::vector<std::string> names;
  if (auto* runs = root["runs"].as_array()) {
    for (auto& item : *runs) {
      auto* run = item.as_table();
      const auto* run_name = run ? run->get_as<std::string>("name") : nullptr;
      if (!run_name) continue;
      if (run_name->get() == name) return run;
      names.push_back(run_name->get());
    }
  }
  NNLAB_CHECK(false, "{}: unknown key 'runs.{}': the study has no run named '{}' (runs: {})",
              origin, name, name,
              names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
  return nullptr;
}

void apply_override(toml::table& root, const std::string& text) {
  const std::string origin = "--set " + text;
  const size_t eq = text.find('=');
  NNLAB_CHECK(eq != std::string::npos && eq > 0,
              "{}: expected KEY=VALUE, e.g. --set train.epochs=3", origin);
  std::string key = text.substr(0, eq);
  const std::string value = text.substr(eq + 1);

  toml::table* target = &root;
  const KeyDef* schema = &study_schema();
  bool whole_study = true;
  if (key.rfind("runs.", 0) == 0) {
    const size_t dot = key.find('.', 5);
    NNLAB_CHECK(dot != std::string::npos, "{}: expected runs.NAME.KEY", origin);
    target = find_run(root, key.substr(5, dot - 5), origin);
    key = key.substr(dot + 1);
    schema = &run_schema();
    whole_study = false;
  }
  resolve_key(*schema, key, origin);  // throws on an unknown key

  const auto parts = split_path(key);
  if (parts.size() == 3 && parts[0] == "model" && parts[1] == "layers") {
    int count = set_layer_param(*target, parts[2], value, origin);
    if (whole_study)
      if (auto* runs = root["runs"].as_array())
        for (auto& run : *runs)
          if (run.is_table()) count += set_layer_param(*run.as_table(), parts[2], value, origin);
    NNLAB_CHECK(count > 0, "{}: no layer of model.layers has the key '{}'", origin, parts[2]);
    return;
  }
  auto parsed = parse_value(value, origin);
  set_path(*target, parts, *parsed.get("v"), origin);
}

}  // namespace

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
  for (const auto& text : overrides) apply_override(root, text);
}

}  // namespace nnlab::study_detail
