#include "report/axis_scale.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/number_format.hpp"

namespace nnlab::svg {
namespace {

// The smallest of 1, 2, 5 x 10^k that is at least `raw` (> 0).
double nice_step(double raw) {
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw * (1 - 1e-9)) return m * mag;
  return 10 * mag;
}

// Labels for ticks `step` apart: fixed decimals with separators for everyday magnitudes, one
// exponent notation (same significant digits) for tiny or huge ones.
std::vector<std::string> linear_labels(const std::vector<double>& ticks, double step) {
  double largest = 0;
  for (double t : ticks) largest = std::max(largest, std::abs(t));
  const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  std::vector<std::string> out;
  if (largest >= 1e7 || (largest > 0 && largest < 1e-4)) {
    const int digits = std::max(0, static_cast<int>(std::floor(std::log10(largest))) - step_exp);
    for (double t : ticks) out.push_back(fmt::format("{:.{}e}", t, digits));
    return out;
  }
  const int decimals = std::max(0, -step_exp);
  for (double t : ticks)
    out.push_back(report::group_thousands(fmt::format("{:.{}f}", t == 0 ? 0.0 : t, decimals)));
  return out;
}

// [lo, hi] within +-kMaxPlottable, so that its span and the ticks rounded out of it stay finite.
void clamp_range(double& lo, double& hi) {
  lo = std::clamp(lo, -kMaxPlottable, kMaxPlottable);
  hi = std::clamp(hi, -kMaxPlottable, kMaxPlottable);
}

Scale linear_scale(double lo, double hi, const ScaleOptions& o) {
  if (!(lo <= hi)) lo = 0, hi = 1;
  clamp_range(lo, hi);
  if (o.include_zero) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(lo))) {  // one value: pad around it
    const double v = lo;
    const double pad = o.integer || v == 0 ? 1 : std::abs(v) * 0.01;
    lo = v >= 0 ? std::max(0.0, v - pad) : v - pad;
    hi = v + pad;
  }
  double step = nice_step((hi - lo) / std::max(1, o.target - 1));
  if (o.integer) step = std::max(1.0, step);  // 1, 2, 5 x 10^k with k >= 0: whole numbers
  Scale s;
  // Multiples of the step, computed by multiplication so that no error accumulates.
  const long first = std::lround(std::floor(lo / step + 1e-9));
  const long last = std::lround(std::ceil(hi / step - 1e-9));
  s.lo = static_cast<double>(first) * step;
  s.hi = static_cast<double>(std::max(last, first + 1)) * step;
  for (long k = first; k <= std::max(last, first + 1); ++k)
    s.ticks.push_back(static_cast<double>(k) * step);
  s.labels = linear_labels(s.ticks, step);
  return s;
}

Scale log_scale(double lo, double hi, const ScaleOptions& o) {
  if (!(lo <= hi) || !(lo > 0)) lo = 1, hi = 10;
  clamp_range(lo, hi);
  int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  if (b <= a) --a, ++b;  // one decade value: a decade either side
  Scale s;
  s.log = true;
  s.lo = std::pow(10.0, a);
  s.hi = std::pow(10.0, b);
  const int every = std::max(1, (b - a + o.target - 1) / o.target);
  const bool plain = a >= -4 && b <= 6;
  // Two decades or fewer would get three ticks at most: add 2 and 5 within each decade.
  const std::vector<double> steps =
      b - a <= 2 ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
  for (int e = a; e <= b; e += every) {
    for (double m : steps) {
      const double t = m * std::pow(10.0, e);
      if (t > s.hi * (1 + 1e-9)) break;
      s.ticks.push_back(t);
      s.labels.push_back(plain ? report::group_thousands(fmt::format("{:.{}f}", t, std::max(0, -e)))
                               : fmt::format("{:g}e{}", m, e));
    }
  }
  return s;
}

}  // namespace

Scale nice_scale(double lo, double hi, const ScaleOptions& options) {
  return options.log ? log_scale(lo, hi, options) : linear_scale(lo, hi, options);
}

Scale fit_scale(const std::vector<double>& values, const ScaleOptions& options) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!plottable(v) || (options.log && v <= 0)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return nice_scale(lo, hi, options);
}

}  // namespace nnlab::svg
