#include "study/toml_access.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"

namespace nnlab::study_detail {

std::string where(const toml::node& node, const std::string& file) {
  const auto& src = node.source();
  if (src.path && src.path->rfind("--set", 0) == 0) return *src.path;
  if (src.begin.line == 0) return file;
  return fmt::format("{}:{}", file, src.begin.line);
}

std::string type_phrase(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string closest(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(key, c);
    if (d < best_distance) best_distance = d, best = c;
  }
  return best;
}

std::vector<std::string> split_path(const std::string& dotted) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    parts.push_back(
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

namespace {

// The index just past the string that opens at t[i] (basic or literal, one-line or multi-line),
// counting its lines; a one-line string left open ends at its line's end.
size_t skip_string(std::string_view t, size_t i, int& line) {
  const char quote = t[i];
  const bool multi = t.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
  const std::string_view close = t.substr(i, multi ? 3 : 1);
  for (i += close.size(); i < t.size(); ++i) {
    if (t[i] == '\n') {
      if (!multi) return i;
      ++line;
    } else if (quote == '"' && t[i] == '\\' && i + 1 < t.size() && t[i + 1] != '\n') {
      ++i;  // an escaped character (an escaped line end is counted as a line)
    } else if (t.substr(i, close.size()) == close) {
      i += close.size();
      // """a"""" is the string a": up to two quotes before the delimiter belong to the string.
      for (int extra = 0; multi && extra < 2 && i < t.size() && t[i] == quote; ++extra) ++i;
      return i;
    }
  }
  return t.size();
}

}  // namespace

std::optional<int> line_nested_too_deep(std::string_view t) {
  struct Open {
    char kind;  // '[' an array, '{' an inline table
    int depth;  // of the array or table itself
  };
  std::vector<Open> open;  // the brackets around the scan, innermost last
  int line = 1;
  int table_depth = 0;  // of the last [header] or [[header]] (an array of tables: one more)
  int depth = 0;        // of the value being read
  int parts = 1;        // of the key or header being read
  bool key = true;      // reading a key or a header, not a value
  bool header = false, array_of_tables = false, line_start = true;
  // What a key's first part nests in: its header's array of tables, its inline table, its table.
  const auto base = [&] {
    return header ? int{array_of_tables} : open.empty() ? table_depth : open.back().depth;
  };
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '\n') {
      ++line;
      line_start = true;
      if (open.empty()) key = true, header = false, parts = 1;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    const bool first = line_start;
    line_start = false;
    if (c == '#') {
      i = std::min(t.find('\n', i), t.size()) - 1;  // the line end is read next
    } else if (c == '"' || c == '\'') {
      i = skip_string(t, i, line) - 1;
    } else if (key && c == '[' && first && open.empty()) {
      header = true;
      array_of_tables = i + 1 < t.size() && t[i + 1] == '[';
      i += array_of_tables;
    } else if (key && c == '.') {
      if (base() + ++parts > kMaxTomlDepth) return line;
    } else if (header && c == ']') {
      table_depth = parts + array_of_tables;
      header = key = false;  // the rest of the line: a second ']' or a comment
    } else if (key && c == '=') {
      depth = base() + parts;
      if (depth > kMaxTomlDepth) return line;
      key = false;
    } else if (!key && (c == '[' || c == '{')) {
      open.push_back({c, depth});
      if (c == '{') key = true, parts = 1;
      if (c == '[' && ++depth > kMaxTomlDepth) return line;
    } else if ((c == ']' || c == '}') && !open.empty()) {
      depth = open.back().depth;
      open.pop_back();
      key = false;
    } else if (c == ',' && !open.empty() && open.back().kind == '{') {
      key = true, parts = 1;
    }
  }
  return std::nullopt;
}

void Lookup::add(const toml::node* node, std::vector<std::string> prefix) {
  if (node) layers_.push_back({node, std::move(prefix)});
}

const toml::node* Lookup::find(const std::string& key) const {
  const auto path = split_path(key);
  for (const auto& layer : layers_) {
    if (layer.prefix.size() > path.size() ||
        !std::equal(layer.prefix.begin(), layer.prefix.end(), path.begin()))
      continue;
    const toml::node* node = layer.node;
    for (size_t i = layer.prefix.size(); i < path.size() && node; ++i) {
      const auto* table = node->as_table();
      node = table ? table->get(path[i]) : nullptr;
    }
    if (node) return node;
  }
  return nullptr;
}

std::string Lookup::at(const std::string& key) const {
  const auto* node = find(key);
  return (node ? where(*node, file_) : file_) + ": ";
}

std::string Lookup::get_string(const std::string& key, std::string fallback) const {
  const auto* node = find(key);
  if (!node) return fallback;
  NNLAB_CHECK(node->is_string(), "{}{} must be a string, got {}", at(key), key, type_phrase(*node));
  return node->as_string()->get();
}

int64_t Lookup::get_int(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
  const auto* node = find(key);
  if (!node) return fallback;
  NNLAB_CHECK(node->is_integer(), "{}{} must be an integer, got {}", at(key), key,
              type_phrase(*node));
  const int64_t value = node->as_integer()->get();
  if (max == std::numeric_limits<int64_t>::max())
    NNLAB_CHECK(value >= min, "{}{} must be >= {}, got {}", at(key), key, min, value);
  else
    NNLAB_CHECK(value >= min && value <= max, "{}{} must be in [{}, {}], got {}", at(key), key, min,
                max, value);
  return value;
}

int Lookup::get_int32(const std::string& key, int fallback, int min, int max) const {
  return static_cast<int>(get_int(key, fallback, min, max));  // in [min, max]: it fits
}

double Lookup::get_number(const std::string& key, double fallback) const {
  const auto* node = find(key);
  if (!node) return fallback;
  NNLAB_CHECK(node->is_number(), "{}{} must be a number, got {}", at(key), key, type_phrase(*node));
  const double value = node->is_integer() ? static_cast<double>(node->as_integer()->get())
                                          : node->as_floating_point()->get();
  NNLAB_CHECK(std::isfinite(value), "{}{} must be a finite number, got {}", at(key), key, value);
  return value;
}

std::optional<double> Lookup::get_optional_number(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return get_number(key, 0);
}

bool Lookup::get_bool(const std::string& key, bool fallback) const {
  const auto* node = find(key);
  if (!node) return fallback;
  NNLAB_CHECK(node->is_boolean(), "{}{} must be a boolean, got {}", at(key), key,
              type_phrase(*node));
  return node->as_boolean()->get();
}

void Lookup::check_positive(const std::string& key, double value) const {
  NNLAB_CHECK(value > 0, "{}{} must be > 0, got {}", at(key), key, value);
}

void Lookup::check_non_negative(const std::string& key, double value) const {
  NNLAB_CHECK(value >= 0, "{}{} must be >= 0, got {}", at(key), key, value);
}

void Lookup::check_unit(const std::string& key, double value, bool closed_top) const {
  const bool ok = value >= 0 && (closed_top ? value <= 1 : value < 1);
  NNLAB_CHECK(ok, "{}{} must be in [0, 1{}, got {}", at(key), key, closed_top ? "]" : ")", value);
}

void Lookup::check_range(const std::string& key, double value, double min, double max) const {
  NNLAB_CHECK(value >= min && value <= max, "{}{} must be in [{}, {}], got {}", at(key), key, min,
              max, value);
}

void Lookup::check_one_of(const std::string& key, const std::string& value,
                          const std::vector<std::string>& valid) const {
  if (std::find(valid.begin(), valid.end(), value) != valid.end()) return;
  NNLAB_CHECK(false, "{}{} must be one of {}, got '{}'", at(key), key, fmt::join(valid, ", "),
              value);
}

}  // namespace nnlab::study_detail
