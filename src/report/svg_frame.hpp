// Internal to svg_chart.cpp: the parts every chart shares. An axis maps data to pixels, the
// frame draws title, grid, ticks and axis labels, the legend is laid out in rows below the plot.
#pragma once

#include <string>
#include <vector>

#include "report/axis_scale.hpp"
#include "report/svg_chart.hpp"

namespace nnlab::svg {

/// The i-th colour: the ten of the palette, then distinct generated hues (50-class scatters).
std::string color(size_t i);

/// Plot area margins: room for tick labels on the left and bottom, the title on top.
inline constexpr int kLeft = 64, kRight = 16, kTop = 30, kBottom = 46;

/// A scale drawn between pixels p0 (at lo) and p1 (at hi), linear or log10.
struct Axis {
  Scale scale;
  double p0 = 0, p1 = 1;

  double px(double v) const;
  /// Plottable (axis_scale.hpp), and positive on a log axis.
  bool valid(double v) const;
};

/// How a legend entry's swatch looks.
enum class Swatch { line, dashed_line, band, ring, diamond, marker };

struct LegendEntry {
  std::string name;
  std::string color;
  Swatch swatch = Swatch::line;
  std::string dash = {};  // for Swatch::marker
};

/// The legend laid out in rows between x = left and x = right, starting at y = top; `height`
/// is what it takes (0 without entries).
struct Legend {
  std::string svg;
  int height = 0;
};
Legend legend(const std::vector<LegendEntry>& entries, double left, double right, double top);

/// <svg> opening of the whole chart (`height` including the legend), title, grid, ticks and
/// axis labels; x ticks only when `x_ticks`.
std::string frame(const ChartOptions& o, int height, const Axis& x, const Axis& y,
                  bool x_ticks = true);

/// `text` as an SVG tooltip child element.
std::string tooltip(const std::string& text);

}  // namespace nnlab::svg
