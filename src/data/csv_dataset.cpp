// read_csv_dataset: parse_csv for the fields, plus the line numbers its errors need.
#include "data/csv_dataset.hpp"

#include <fmt/ranges.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>

#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The line on which each record of `text` starts, splitting it exactly as parse_csv does
/// (blank lines skipped, CR, LF and CRLF end a line, a quoted field may span lines): parse_csv
/// returns fields only, and the errors below must name lines.
std::vector<int64_t> record_lines(std::string_view text) {
  std::vector<int64_t> lines;
  int64_t line = 1;
  bool quoted = false, started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') quoted = false;  // "" inside a quoted field reopens it at once
      if (c == '\n') ++line;
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      started = false;
      continue;
    }
    if (!started) lines.push_back(line);
    started = true;
    if (c == '"') quoted = true;
  }
  return lines;
}

enum class Parsed { ok, not_number, not_finite, out_of_range };

/// The whole of `s` as a float.
Parsed parse_float(std::string_view s, float& out) {
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  double v = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) return Parsed::out_of_range;
  if (ec != std::errc() || end != s.data() + s.size()) return Parsed::not_number;
  if (!std::isfinite(v)) return Parsed::not_finite;
  if (std::fabs(v) > std::numeric_limits<float>::max()) return Parsed::out_of_range;
  out = static_cast<float>(v);
  return Parsed::ok;
}

/// Checks the input and target names: none empty, each named once over both lists.
void check_selection(const std::string& path, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& targets) {
  NNLAB_CHECK(!inputs.empty(), "{}: no input columns chosen", path);
  NNLAB_CHECK(!targets.empty(), "{}: no target columns chosen", path);
  std::vector<std::string> seen;
  for (const auto* list : {&inputs, &targets}) {
    for (const std::string& name : *list) {
      NNLAB_CHECK(!name.empty(), "{}: an empty column name among the {}", path,
                  list == &inputs ? "inputs" : "targets");
      for (size_t j = 0; j < seen.size(); ++j)
        NNLAB_CHECK(seen[j] != name, "{}: column '{}' is chosen twice (as {} and as {})", path,
                    name, j < inputs.size() ? "an input" : "a target",
                    list == &inputs ? "an input" : "a target");
      seen.push_back(name);
    }
  }
}

/// The header's index of each of `names`.
std::vector<size_t> find_columns(const std::string& path, int64_t line,
                                 const std::vector<std::string>& header,
                                 const std::vector<std::string>& names) {
  std::vector<size_t> at;
  for (const std::string& name : names) {
    size_t j = 0;
    while (j < header.size() && header[j] != name) ++j;
    NNLAB_CHECK(j < header.size(), "{}:{}: no column '{}' in the header; its columns are: {}", path,
                line, name, fmt::join(header, ", "));
    at.push_back(j);
  }
  return at;
}

}  // namespace

Dataset read_csv_dataset(const std::string& path, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& targets, int64_t max_rows) {
  check_selection(path, inputs, targets);
  NNLAB_CHECK(max_rows > 0, "{}: max_rows must be positive, not {}", path, max_rows);
  const std::string text = read_file(path);
  const auto rows = parse_csv(text, path);
  const std::vector<int64_t> lines = record_lines(text);
  NNLAB_CHECK(lines.size() == rows.size(), "{}: internal error: {} records but {} lines", path,
              rows.size(), lines.size());

  NNLAB_CHECK(!rows.empty(), "{}: missing header: the file is empty", path);
  std::vector<std::string> header;
  bool all_numbers = true;
  for (const std::string& field : rows[0]) {
    header.emplace_back(trim(field));
    float ignored = 0.0f;
    all_numbers = all_numbers && parse_float(header.back(), ignored) != Parsed::not_number;
  }
  NNLAB_CHECK(!all_numbers,
              "{}:{}: missing header: the first line holds numbers ('{}'), not column names", path,
              lines[0], fmt::join(header, ","));
  for (size_t j = 0; j < header.size(); ++j)
    for (size_t k = j + 1; k < header.size(); ++k)
      NNLAB_CHECK(header[j].empty() || header[j] != header[k],
                  "{}:{}: column '{}' appears twice in the header (columns {} and {})", path,
                  lines[0], header[j], j + 1, k + 1);
  const std::vector<size_t> in_at = find_columns(path, lines[0], header, inputs);
  const std::vector<size_t> out_at = find_columns(path, lines[0], header, targets);

  const int64_t n = static_cast<int64_t>(rows.size()) - 1;
  NNLAB_CHECK(n > 0, "{}: no data rows after the header (line {})", path, lines[0]);
  NNLAB_CHECK(n <= max_rows, "{}:{}: more than {} data rows (max_rows); the file has {}", path,
              lines[static_cast<size_t>(max_rows) + 1], max_rows, n);

  Dataset d;
  d.name = std::filesystem::path(path).stem().string();
  const auto f = static_cast<int64_t>(inputs.size()), t = static_cast<int64_t>(targets.size());
  d.sample_shape = {f};
  d.target_dim = t;
  d.features.resize(static_cast<size_t>(n * f));
  d.targets.resize(static_cast<size_t>(n * t));
  auto read_cell = [&](size_t r, size_t column, float& out) {
    const std::string_view cell = trim(rows[r][column]);
    const Parsed p = parse_float(cell, out);
    NNLAB_CHECK(p != Parsed::not_number, "{}:{}: column '{}': '{}' is not a number", path, lines[r],
                header[column], cell);
    NNLAB_CHECK(p != Parsed::not_finite, "{}:{}: column '{}': '{}' is not a finite number", path,
                lines[r], header[column], cell);
    NNLAB_CHECK(p != Parsed::out_of_range, "{}:{}: column '{}': '{}' is out of float range", path,
                lines[r], header[column], cell);
  };
  for (size_t r = 1; r < rows.size(); ++r) {
    NNLAB_CHECK(rows[r].size() == header.size(), "{}:{}: line {} has {} fields, the header has {}",
                path, lines[r], lines[r], rows[r].size(), header.size());
    const size_t i = r - 1;
    for (size_t j = 0; j < in_at.size(); ++j)
      read_cell(r, in_at[j], d.features[i * in_at.size() + j]);
    for (size_t j = 0; j < out_at.size(); ++j)
      read_cell(r, out_at[j], d.targets[i * out_at.size() + j]);
  }
  return d;
}

}  // namespace nnlab
