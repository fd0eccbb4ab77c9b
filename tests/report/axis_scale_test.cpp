#include "report/axis_scale.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

namespace nnlab::svg {
namespace {

// Ticks start and end the range, are equally spaced by 1, 2 or 5 x 10^k and have distinct labels.
void expect_nice(const Scale& s, double data_lo, double data_hi, int target = 6) {
  ASSERT_GE(s.ticks.size(), 2u);
  ASSERT_EQ(s.labels.size(), s.ticks.size());
  EXPECT_LE(s.ticks.size(), static_cast<size_t>(target + 1));
  EXPECT_LE(s.lo, data_lo);
  EXPECT_GE(s.hi, data_hi);
  EXPECT_DOUBLE_EQ(s.ticks.front(), s.lo);
  EXPECT_DOUBLE_EQ(s.ticks.back(), s.hi);
  const double step = s.ticks[1] - s.ticks[0];
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  EXPECT_TRUE(std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 ||
              std::abs(mantissa - 5) < 1e-6)
      << "step " << step;
  for (size_t i = 1; i < s.ticks.size(); ++i)
    EXPECT_NEAR(s.ticks[i] - s.ticks[i - 1], step, step * 1e-9);
  EXPECT_EQ(std::set<std::string>(s.labels.begin(), s.labels.end()).size(), s.labels.size());
}

// Decimals after the point ("" for none), or "e" for exponent notation: one per axis.
std::string format_of(const std::string& label) {
  if (label.find('e') != std::string::npos) return "e";
  const size_t dot = label.find('.');
  return dot == std::string::npos ? "" : std::to_string(label.size() - dot - 1);
}

void expect_one_format(const Scale& s) {
  for (const std::string& l : s.labels) EXPECT_EQ(format_of(l), format_of(s.labels[0])) << l;
}

TEST(AxisScale, NiceTicksCoverTheDataAndEndTheRange) {
  const double ranges[][2] = {{0, 1},        {0.973, 0.991}, {0.9212, 0.9805}, {-3.7, 12.2},
                              {0.046, 2.31}, {1, 15},        {0, 15000},       {123, 98765},
                              {-0.5, -0.1},  {1e-6, 7e-6},   {2e7, 9e7}};
  for (const auto& r : ranges) {
    SCOPED_TRACE(testing::Message() << r[0] << ".." << r[1]);
    const Scale s = nice_scale(r[0], r[1]);
    expect_nice(s, r[0], r[1]);
    expect_one_format(s);
    // Not much wider than the data: the ticks are chosen for it, not for a larger range.
    EXPECT_LT(s.hi - s.lo, 3 * (r[1] - r[0]));
  }
  const Scale unit = nice_scale(0, 1);
  EXPECT_EQ(unit.labels, (std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
}

TEST(AxisScale, IntegerAxesHaveWholeTicks) {
  for (const auto& [lo, hi] :
       std::vector<std::pair<double, double>>{{1, 3}, {1, 2}, {0, 7}, {1, 50}, {0, 4690}}) {
    SCOPED_TRACE(testing::Message() << lo << ".." << hi);
    const Scale s = nice_scale(lo, hi, {.integer = true});
    expect_nice(s, lo, hi);
    for (size_t i = 0; i < s.ticks.size(); ++i) {
      EXPECT_EQ(s.ticks[i], std::round(s.ticks[i]));
      EXPECT_EQ(s.labels[i].find('.'), std::string::npos) << s.labels[i];
    }
  }
  // Three epochs: 1, 2, 3 and no 1.5 or 2.5 between them.
  const Scale epochs = nice_scale(1, 3, {.integer = true});
  EXPECT_EQ(epochs.labels, (std::vector<std::string>{"1", "2", "3"}));
}

TEST(AxisScale, OneFormatPerAxisWithThousandsSeparators) {
  const Scale steps = nice_scale(0, 15000);
  // Not "0", "5000", "1e+04", "1.5e+04".
  EXPECT_EQ(steps.labels, (std::vector<std::string>{"0", "5,000", "10,000", "15,000"}));
  const Scale tiny = nice_scale(1e-6, 7e-6);
  for (const std::string& l : tiny.labels) EXPECT_NE(l.find('e'), std::string::npos) << l;
  const Scale negative = nice_scale(-1.5, 0.5);
  EXPECT_EQ(negative.labels.front(), "-1.5");
  for (const std::string& l : negative.labels) EXPECT_NE(l, "-0.0");
}

TEST(AxisScale, DegenerateRangesArePaddedAroundTheValue) {
  // One run, one repeat: a single accuracy must not give the same tick label twice.
  const Scale one = nice_scale(0.9185, 0.9185);
  expect_nice(one, 0.9185, 0.9185);
  EXPECT_LT(one.lo, 0.9185);
  EXPECT_GT(one.hi, 0.9185);
  EXPECT_LT(one.hi - one.lo, 0.1);  // zoomed on the value, not on [0, 1]
  // A constant 0 % of inactive neurons: [0, 1], never negative for non-negative data.
  const Scale zero = nice_scale(0, 0);
  EXPECT_EQ(zero.lo, 0);
  EXPECT_EQ(zero.hi, 1);
  const Scale small = nice_scale(0.001, 0.001);
  EXPECT_GE(small.lo, 0);
  // One step on an integer axis.
  const Scale step = nice_scale(0, 0, {.integer = true});
  EXPECT_EQ(step.labels, (std::vector<std::string>{"0", "1"}));
  const Scale epoch = nice_scale(4, 4, {.integer = true});
  EXPECT_EQ(epoch.labels, (std::vector<std::string>{"3", "4", "5"}));
  const Scale negative = nice_scale(-2.5, -2.5);
  expect_nice(negative, -2.5, -2.5);
  // No data at all.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Scale none = fit_scale({nan, nan});
  EXPECT_EQ(none.lo, 0);
  EXPECT_EQ(none.hi, 1);
}

TEST(AxisScale, ZeroBaselineForBarsAndCounts) {
  const Scale counts = nice_scale(37, 412, {.integer = true, .include_zero = true});
  expect_nice(counts, 0, 412);
  EXPECT_EQ(counts.lo, 0);
  const Scale one = fit_scale({5}, {.integer = true, .include_zero = true});
  EXPECT_EQ(one.lo, 0);
  EXPECT_GE(one.hi, 5);
}

TEST(AxisScale, LogAxesUseDecadesInOneFormat) {
  const Scale loss = fit_scale({0.046, 2.31, -1, 0}, {.log = true});  // non-positive ignored
  EXPECT_EQ(loss.labels, (std::vector<std::string>{"0.01", "0.1", "1", "10"}));
  // Within two decades the 2s and 5s are ticks too.
  const Scale narrow = nice_scale(2.1, 25, {.log = true});
  EXPECT_EQ(narrow.labels, (std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100"}));
  EXPECT_EQ(loss.lo, 0.01);
  EXPECT_EQ(loss.hi, 10);
  const Scale wide = nice_scale(1e-9, 1e3, {.log = true});
  for (size_t i = 0; i < wide.ticks.size(); ++i) {
    EXPECT_GE(wide.ticks[i], wide.lo);
    EXPECT_LE(wide.ticks[i], wide.hi);
    EXPECT_NE(wide.labels[i].find('e'), std::string::npos) << wide.labels[i];
  }
  EXPECT_LE(wide.ticks.size(), 7u);
  const Scale one = nice_scale(1, 1, {.log = true});
  EXPECT_LT(one.lo, 1);
  EXPECT_GT(one.hi, 1);
}

}  // namespace
}  // namespace nnlab::svg
