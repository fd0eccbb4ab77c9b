#include "report/report_data.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "io/csv.hpp"
#include "report/number_format.hpp"

namespace nnlab::report {

int CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

std::vector<double> CsvTable::numbers(const std::string& name) const {
  const int c = column(name);
  std::vector<double> out(rows.size(), std::numeric_limits<double>::quiet_NaN());
  if (c < 0) return out;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (static_cast<size_t>(c) >= rows[r].size()) continue;
    // Line numbers count the header as line 1 (the writers emit no blank or multi-line rows).
    out[r] = csv_to_double(rows[r][static_cast<size_t>(c)],
                           fmt::format("{}:{}: column {}", path, r + 2, name));
  }
  return out;
}

std::vector<std::string> CsvTable::texts(const std::string& name) const {
  const int c = column(name);
  std::vector<std::string> out(rows.size());
  if (c < 0) return out;
  for (size_t r = 0; r < rows.size(); ++r)
    if (static_cast<size_t>(c) < rows[r].size()) out[r] = rows[r][static_cast<size_t>(c)];
  return out;
}

std::optional<CsvTable> read_table(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  CsvTable t;
  t.path = path.string();
  auto rows = read_csv(t.path);
  if (rows.empty()) return t;
  t.header = std::move(rows.front());
  t.rows.assign(std::make_move_iterator(rows.begin() + 1), std::make_move_iterator(rows.end()));
  return t;
}

std::string fixed(double value, int decimals) {
  return std::isfinite(value) ? report::decimal_text(value, decimals) : "–";
}

}  // namespace nnlab::report
