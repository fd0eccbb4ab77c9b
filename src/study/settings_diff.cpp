#include "study/settings_diff.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <vector>

#include "study/schema.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

// A key as TOML writes it: bare when it can be, quoted otherwise ("train.epochs" in a search's
// space is one key).
std::string key_text(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (bare) return std::string(key);
  std::ostringstream text;
  text << toml::value<std::string>(std::string(key));
  return text.str();
}

// A value as one line of TOML: tables inline, floats in their shortest exact text (0.005, not
// toml++'s 17 digits).
std::string inline_text(const toml::node& node) {
  std::vector<std::string> items;
  if (const auto* table = node.as_table()) {
    for (const auto& [k, v] : *table) items.push_back(key_text(k.str()) + " = " + inline_text(v));
    return fmt::format("{{{}}}", fmt::join(items, ", "));
  }
  if (const auto* array = node.as_array()) {
    for (const toml::node& v : *array) items.push_back(inline_text(v));
    return fmt::format("[{}]", fmt::join(items, ", "));
  }
  if (const auto* x = node.as_floating_point()) return fmt::format("{}", x->get());
  std::ostringstream text;
  node.visit([&text](const auto& v) { text << v; });
  return text.str();
}

// Appends to `out` the differences below `key` (a null node: the side lacks it).
void diff(const toml::node* was, const toml::node* now, const std::string& key, json& out) {
  const toml::table* wt = was != nullptr ? was->as_table() : nullptr;
  const toml::table* nt = now != nullptr ? now->as_table() : nullptr;
  if (wt != nullptr && nt != nullptr) {
    std::set<std::string> names;
    for (const auto& [k, v] : *wt) names.insert(std::string(k.str()));
    for (const auto& [k, v] : *nt) names.insert(std::string(k.str()));
    for (const std::string& k : names)
      diff(wt->get(k), nt->get(k), study_detail::join_key(key, k), out);
    return;
  }
  const toml::array* wa = was != nullptr ? was->as_array() : nullptr;
  const toml::array* na = now != nullptr ? now->as_array() : nullptr;
  if (wa != nullptr && na != nullptr) {
    for (size_t i = 0; i < std::max(wa->size(), na->size()); ++i)
      diff(wa->get(i), na->get(i), fmt::format("{}[{}]", key, i), out);
    return;
  }
  const json w = was != nullptr ? json(inline_text(*was)) : json(nullptr);
  const json n = now != nullptr ? json(inline_text(*now)) : json(nullptr);
  if (w != n) out.push_back({{"key", key}, {"was", w}, {"now", n}});
}

}  // namespace

json settings_diff(const std::string& was, const std::string& now) {
  const toml::table w = toml::parse(was), n = toml::parse(now);
  json out = json::array();
  diff(&w, &n, "", out);
  return out;
}

}  // namespace nnlab
