// Minimal CSV (RFC 4180 quoting): what nnlab writes for metrics and what the report reads back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nnlab {

/// One line of CSV built field by field:
///   CsvRow().add("dense").add(0.98).add(3).str()  ->  "dense,0.98,3\n"
class CsvRow {
 public:
  /// A text field, quoted when it holds a comma, quote, CR or LF.
  CsvRow& add(std::string_view text);
  CsvRow& add(const char* text) { return add(std::string_view(text)); }
  CsvRow& add(const std::string& text) { return add(std::string_view(text)); }
  /// A number as %.6g; NaN is written as an empty field ("no value").
  CsvRow& add(double value);
  CsvRow& add(float value) { return add(static_cast<double>(value)); }
  /// An integer, exactly.
  CsvRow& add(long long value);
  CsvRow& add(int value) { return add(static_cast<long long>(value)); }
  CsvRow& add(long value) { return add(static_cast<long long>(value)); }
  CsvRow& add(unsigned long value) { return add(static_cast<long long>(value)); }
  /// The row with its trailing newline.
  std::string str() const { return line_ + "\n"; }

 private:
  void sep();
  std::string line_;
  bool first_ = true;
};

/// `text` quoted for CSV when it needs to be, as is otherwise.
std::string csv_field(std::string_view text);
/// Number formatting shared by the writers: %.6g, empty for NaN.
std::string csv_number(double value);

/// Parses CSV text into rows of fields (quoted fields may hold commas, "" and newlines; a
/// trailing newline and CRLF endings are accepted). Errors name `name_for_errors`:line.
std::vector<std::vector<std::string>> parse_csv(std::string_view text,
                                                const std::string& name_for_errors);
/// read_file + parse_csv.
std::vector<std::vector<std::string>> read_csv(const std::string& path);

/// Cell as a double; empty -> NaN. Throws naming `where` when it is not a number.
double csv_to_double(const std::string& cell, const std::string& where);

}  // namespace nnlab
