// Inline SVG charts for the report: line charts, bar charts, histograms and heatmaps. Each
// returns a complete <svg> element with its own axes, ticks and legend; no scripts, no fonts to
// fetch. NaN values are gaps.
#pragma once

#include <string>
#include <vector>

namespace nnlab::svg {

/// One named curve: y[i] plotted at x[i].
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  bool dashed = false;
};

struct ChartOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;  // non-positive values are dropped on a log axis
  bool log_y = false;
  int width = 560;
  int height = 320;
};

/// Curves sharing one pair of axes, with a legend when there is more than one.
std::string line_chart(const std::vector<Series>& series, const ChartOptions& options);

/// One bar per label. `errors` (optional, same length) draws ±error whiskers; `marks` (optional,
/// NaN for none) draws a reference tick across the bar, labelled `mark_name` in the legend.
std::string bar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                      const ChartOptions& options, const std::vector<double>& errors = {},
                      const std::vector<double>& marks = {}, const std::string& mark_name = "");

/// Histogram of `values` in `bins` equal-width bins between their minimum and maximum.
std::string histogram(const std::vector<float>& values, int bins, const ChartOptions& options);

/// A matrix as coloured cells (darker = larger, relative to each row's total) with the count
/// written in each cell; rows and columns labelled. For confusion matrices: rows true, columns
/// predicted.
std::string heatmap(const std::vector<std::vector<double>>& cells,
                    const std::vector<std::string>& row_labels,
                    const std::vector<std::string>& col_labels, const ChartOptions& options);

/// "Nice" tick positions (steps of 1, 2 or 5 x 10^k) covering [lo, hi]; exposed for tests.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

}  // namespace nnlab::svg
