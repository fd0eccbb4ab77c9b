#include "io/csv.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "io/atomic_file.hpp"
#include "tensor/error.hpp"

namespace nnlab {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double value) {
  return std::isnan(value) ? std::string() : fmt::format("{:.6g}", value);
}

void CsvRow::sep() {
  if (!first_) line_ += ',';
  first_ = false;
}

CsvRow& CsvRow::add(std::string_view text) {
  sep();
  line_ += csv_field(text);
  return *this;
}

CsvRow& CsvRow::add(double value) {
  sep();
  line_ += csv_number(value);
  return *this;
}

CsvRow& CsvRow::add(long long value) {
  sep();
  line_ += fmt::format("{}", value);
  return *this;
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text, const std::string& name) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  size_t line = 1, i = 0;
  bool row_started = false;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty()) {
      // A quoted field runs to the next lone quote; "" is a literal quote.
      const size_t start_line = line;
      ++i;
      for (;;) {
        NNLAB_CHECK(i < text.size(), "{}:{}: unterminated quoted field", name, start_line);
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      NNLAB_CHECK(i >= text.size() || text[i] == ',' || text[i] == '\n' || text[i] == '\r',
                  "{}:{}: unexpected character after a quoted field", name, line);
      row_started = true;
      continue;
    }
    if (c == ',') {
      end_field();
      row_started = true;
      ++i;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++i;
      if (row_started || !field.empty()) {
        end_field();
        rows.push_back(std::move(row));
        row.clear();
      }
      row_started = false;
      ++line;
    } else {
      NNLAB_CHECK(c != '"', "{}:{}: quote inside an unquoted field", name, line);
      field += c;
      row_started = true;
      ++i;
    }
  }
  if (row_started || !field.empty()) {
    end_field();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  return parse_csv(read_file(path), path);
}

double csv_to_double(const std::string& cell, const std::string& where) {
  if (cell.empty()) return std::numeric_limits<double>::quiet_NaN();
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  NNLAB_CHECK(end == cell.c_str() + cell.size(), "{}: '{}' is not a number", where, cell);
  return v;
}

}  // namespace nnlab
