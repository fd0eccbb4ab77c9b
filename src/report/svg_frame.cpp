#include "report/svg_frame.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/html.hpp"

namespace nnlab::svg {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr size_t kPaletteSize = std::size(kPalette);
constexpr int kLegendRow = 16;

// A swatch 16 px wide whose middle left is (x, y).
std::string swatch(const LegendEntry& e, double x, double y) {
  switch (e.swatch) {
    case Swatch::band:
      return fmt::format(
          "<rect x=\"{0:.1f}\" y=\"{1:.1f}\" width=\"16\" height=\"8\" fill=\"{2}\" "
          "fill-opacity=\"0.2\"/><line x1=\"{0:.1f}\" x2=\"{3:.1f}\" y1=\"{4:.1f}\" "
          "y2=\"{4:.1f}\" stroke=\"{2}\" stroke-width=\"2\"/>",
          x, y - 4, e.color, x + 16, y);
    case Swatch::ring:
      return fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"1.8\"/>",
          x + 8, y, e.color);
    case Swatch::diamond:
      return fmt::format(
          "<path d=\"M{0:.1f},{1:.1f} l5,5 l-5,5 l-5,-5 z\" fill=\"white\" stroke=\"{2}\" "
          "stroke-width=\"1.8\"/>",
          x + 8, y - 5, e.color);
    case Swatch::marker:
      return fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
          "stroke-width=\"1.5\" stroke-dasharray=\"{4}\"/>",
          x + 8, y - 6, y + 6, e.color, e.dash);
    case Swatch::line:
    case Swatch::dashed_line:
      break;
  }
  return fmt::format(
      "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
      "stroke-width=\"2.5\"{4}/>",
      x, x + 16, y, e.color, e.swatch == Swatch::dashed_line ? " stroke-dasharray=\"5 3\"" : "");
}

}  // namespace

std::string color(size_t i) {
  if (i < kPaletteSize) return kPalette[i];
  // Beyond the ten (a 50-class scatter): hues a golden angle apart never repeat, and two
  // lightness levels keep neighbouring hues apart.
  const double hue = std::fmod(static_cast<double>(i - kPaletteSize) * 137.508 + 15.0, 360.0);
  return fmt::format("hsl({:.0f},65%,{}%)", hue, i % 2 == 0 ? 38 : 55);
}

double Axis::px(double v) const {
  auto t = [&](double a) { return scale.log ? std::log10(a) : a; };
  return p0 + (t(v) - t(scale.lo)) / (t(scale.hi) - t(scale.lo)) * (p1 - p0);
}

bool Axis::valid(double v) const { return plottable(v) && (!scale.log || v > 0); }

Legend legend(const std::vector<LegendEntry>& entries, double left, double right, double top) {
  Legend out;
  if (entries.empty()) return out;
  double x = left;
  int row = 0;
  for (const LegendEntry& e : entries) {
    // 11 px sans-serif averages about 6.2 px a character.
    const double w = 24 + 6.2 * static_cast<double>(e.name.size()) + 14;
    if (x > left && x + w > right) {
      x = left;
      ++row;
    }
    const double y = top + kLegendRow * row + kLegendRow / 2.0;
    out.svg += swatch(e, x, y) + fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", x + 22,
                                             y + 4, html::escape(e.name));
    x += w;
  }
  out.height = kLegendRow * (row + 1) + 4;
  return out;
}

std::string frame(const ChartOptions& o, int height, const Axis& x, const Axis& y, bool x_ticks) {
  std::string s = fmt::format(
      "<svg width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"{0}\" height=\"{1}\" "
      "fill=\"white\"/>\n<text x=\"{2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" "
      "font-weight=\"bold\">{3}</text>\n",
      o.width, height, o.width / 2, html::escape(o.title));
  for (size_t i = 0; i < y.scale.ticks.size(); ++i) {
    const double py = y.px(y.scale.ticks[i]);
    s += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        x.p0, x.p1, py, x.p0 - 4, py + 4, y.scale.labels[i]);
  }
  if (x_ticks) {
    for (size_t i = 0; i < x.scale.ticks.size(); ++i) {
      const double px = x.px(x.scale.ticks[i]);
      s += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
          "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
          px, y.p1, y.p0, y.p0 + 14, x.scale.labels[i]);
    }
  }
  s += fmt::format(
      "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"none\" stroke=\"#888\"/>\n",
      x.p0, y.p1, x.p1 - x.p0, y.p0 - y.p1);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                   (x.p0 + x.p1) / 2, o.height - 8, html::escape(o.x_label));
  s += fmt::format(
      "<text transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      (y.p0 + y.p1) / 2, html::escape(o.y_label));
  return s;
}

std::string tooltip(const std::string& text) { return "<title>" + html::escape(text) + "</title>"; }

}  // namespace nnlab::svg
