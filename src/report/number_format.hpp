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

/// A finite `value` with `decimals` fixed decimals ("0.9916"), in scientific notation with as
/// many from a magnitude of 1e9 on ("1.0000e+300"), where fixed notation would print every
/// integer digit (a diverged loss, a hostile metrics.json); `sign`: "+" before a positive value.
std::string decimal_text(double value, int decimals, bool sign = false);

}  // namespace nnlab::report
