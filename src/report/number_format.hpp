// Numbers as the report writes them: thousands separators, fixed decimals.
#pragma once

#include <cstdint>
#include <string>

namespace nnlab::report {

/// `text` (a formatted number such as "-15000.25") with commas between the thousands of its
/// integer part: "-15,000.25". Text without leading digits is returned as is.
std::string group_thousands(const std::string& text);

/// An integer count with thousands separators ("1,333,770"); "–" for NaN.
std::string count(double value);

}  // namespace nnlab::report
