#include "report/number_format.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

namespace nnlab::report {

std::string group_thousands(const std::string& text) {
  const size_t start = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  size_t end = start;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  std::string out = text.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out += ',';
    out += text[i];
  }
  return out + text.substr(end);
}

std::string count(double value) {
  return std::isfinite(value) ? group_thousands(fmt::format("{:.0f}", value)) : "–";
}

std::string decimal_text(double value, int decimals, bool sign) {
  constexpr double kScientificFrom = 1e9;
  const std::string text = std::abs(value) >= kScientificFrom
                               ? fmt::format("{:.{}e}", value, decimals)
                               : fmt::format("{:.{}f}", value, decimals);
  return sign && !std::signbit(value) ? "+" + text : text;
}

}  // namespace nnlab::report
