// The tick chooser of the report's charts: an axis range that covers the data and ends on
// "nice" ticks (1, 2 or 5 x 10^k; whole decades on a log axis), and one label format per axis.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace nnlab::svg {

/// The largest magnitude a chart shows. Wider data would overflow the arithmetic of spans and
/// ticks (1e308 - -1e308 is inf), so larger values are left out like NaN.
inline constexpr double kMaxPlottable = 1e300;

/// Finite and within +-kMaxPlottable.
inline bool plottable(double v) { return std::isfinite(v) && std::abs(v) <= kMaxPlottable; }

struct ScaleOptions {
  bool log = false;           // decades; non-positive values are ignored
  bool integer = false;       // counts such as epochs and steps: whole-number ticks only
  bool include_zero = false;  // bars and histograms grow from 0
  int target = 6;             // about this many ticks (at most target + 1)
};

/// An axis: its range [lo, hi], the ticks within it and their labels (same length as ticks).
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

/// The scale for data spanning [lo, hi]. A linear range ends on ticks; a degenerate range (one
/// point, a constant) is padded around the value (a zero on [0, 1]), never below 0 for
/// non-negative data; no data at all (lo > hi or NaN) gives [0, 1] ([1, 10] on a log axis).
/// lo and hi are clamped to +-kMaxPlottable.
/// Labels share one format: the same decimals (enough to tell neighbouring ticks apart),
/// thousands separators, or the same exponent notation when the numbers are tiny or huge.
Scale nice_scale(double lo, double hi, const ScaleOptions& options = {});

/// nice_scale over the plottable values of `values` (the positive ones on a log axis).
Scale fit_scale(const std::vector<double>& values, const ScaleOptions& options = {});

}  // namespace nnlab::svg
