// Inline SVG charts for the report: line charts, interval (dot and whisker) charts, histograms
// and heatmaps. Each returns a complete <svg> element with its own axes, ticks (axis_scale.hpp)
// and a legend below the plot, so that it never covers the data; every point, bin and cell
// carries its value as a hover tooltip (<title>). No scripts, no fonts to fetch. NaN values are
// gaps. (Members default to empty so that designated initializers may leave any out.)
#pragma once

#include <string>
#include <vector>

namespace nnlab::svg {

/// One named curve: y[i] plotted at x[i].
struct Series {
  std::string name = {};
  std::vector<double> x = {};
  std::vector<double> y = {};
  bool dashed = false;
  bool points_only = false;  // dots without a line (a scatter)
  std::vector<double> spread =
      {};  // optional, same length: a shaded band y ± spread (std over repeats)
  std::vector<double> marks = {};  // x values whose points are ringed (a run's best epoch)
  std::string mark_name = {};      // what a ring means, for the legend and tooltips
};

/// Vertical dashed lines across the plot at `x`, named once in the legend.
struct Marker {
  std::string name = {};
  std::vector<double> x = {};
  std::string dash = "6 3";
};

struct ChartOptions {
  std::string title = {};
  std::string x_label = {};
  std::string y_label = {};
  bool log_x = false;  // non-positive values are dropped on a log axis
  bool log_y = false;
  bool integer_x = false;  // x counts something (epochs, steps): whole-number ticks
  int width = 560;
  int height = 320;  // of the plot with its axes; a legend adds to it
  std::vector<Marker> markers = {};
};

/// Curves sharing one pair of axes, with a legend when there is more than one (or any ring or
/// marker).
std::string line_chart(const std::vector<Series>& series, const ChartOptions& options);

/// One dot per label at `values`, with ±`errors` whiskers (optional, same length) and `marks`
/// (optional, NaN for none) as hollow diamonds named `mark_name` in the legend. The value axis
/// zooms in on the data: dots, unlike bars, need no zero baseline to be read.
std::string interval_chart(const std::vector<std::string>& labels,
                           const std::vector<double>& values, const ChartOptions& options,
                           const std::vector<double>& errors = {},
                           const std::vector<double>& marks = {},
                           const std::string& mark_name = "");

/// Histogram of `values` in `bins` equal-width bins between their minimum and maximum; the
/// count axis starts at 0.
std::string histogram(const std::vector<float>& values, int bins, const ChartOptions& options);

/// A matrix as coloured cells (darker = larger, relative to each row's total) with the count
/// written in each cell; rows and columns labelled. For confusion matrices: rows true, columns
/// predicted.
std::string heatmap(const std::vector<std::vector<double>>& cells,
                    const std::vector<std::string>& row_labels,
                    const std::vector<std::string>& col_labels, const ChartOptions& options);

}  // namespace nnlab::svg
