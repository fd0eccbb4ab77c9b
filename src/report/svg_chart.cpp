#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/html.hpp"

namespace nnlab::svg {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr int kPaletteSize = 10;
// Plot area margins: room for tick labels on the left and bottom, the title on top.
constexpr int kLeft = 64, kRight = 16, kTop = 30, kBottom = 46;

const char* color(size_t i) { return kPalette[i % kPaletteSize]; }

// One axis: data range [lo, hi] mapped to pixels [p0, p1], linear or log10.
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double p0 = 0, p1 = 1;

  double t(double v) const { return log ? std::log10(v) : v; }
  double px(double v) const { return p0 + (t(v) - t(lo)) / (t(hi) - t(lo)) * (p1 - p0); }
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }

  std::vector<double> ticks() const {
    if (!log) return nice_ticks(lo, hi);
    std::vector<double> out;
    const int a = static_cast<int>(std::round(std::log10(lo)));
    const int b = static_cast<int>(std::round(std::log10(hi)));
    const int step = std::max(1, (b - a + 5) / 6);
    for (int e = a; e <= b; e += step) out.push_back(std::pow(10.0, e));
    return out;
  }
};

// Fits an axis to the valid values of `values`, widened to whole ticks (linear) or decades (log).
Axis fit_axis(const std::vector<double>& values, bool log, double p0, double p1) {
  Axis axis;
  axis.log = log;
  axis.p0 = p0;
  axis.p1 = p1;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!axis.valid(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) {  // nothing to plot
    lo = log ? 1 : 0;
    hi = log ? 10 : 1;
  }
  if (log) {
    axis.lo = std::pow(10.0, std::floor(std::log10(lo)));
    axis.hi = std::pow(10.0, std::ceil(std::log10(hi)));
    if (axis.hi <= axis.lo) axis.hi = axis.lo * 10;
    return axis;
  }
  if (hi - lo < 1e-12) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const std::vector<double> t = nice_ticks(lo, hi);
  axis.lo = std::min(lo, t.front());
  axis.hi = std::max(hi, t.back());
  return axis;
}

std::string tick_label(double v) {
  if (std::abs(v) < 1e-12) return "0";
  return fmt::format("{:.4g}", v);
}

// <svg> opening, title, grid, ticks and axis labels.
std::string frame(const ChartOptions& o, const Axis& x, const Axis& y, bool x_ticks = true) {
  std::string s = fmt::format(
      "<svg width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"{0}\" height=\"{1}\" "
      "fill=\"white\"/>\n<text x=\"{2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" "
      "font-weight=\"bold\">{3}</text>\n",
      o.width, o.height, o.width / 2, html::escape(o.title));
  for (double v : y.ticks()) {
    const double py = y.px(v);
    s += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#e5e5e5\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        x.p0, x.p1, py, x.p0 - 4, py + 4, tick_label(v));
  }
  if (x_ticks) {
    for (double v : x.ticks()) {
      const double px = x.px(v);
      s += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#e5e5e5\"/>"
          "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
          px, y.p1, y.p0, y.p0 + 14, tick_label(v));
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

// Legend box in the plot area's top-right corner: one swatch per entry.
std::string legend(const std::vector<std::pair<std::string, std::string>>& entries, double right,
                   double top) {
  if (entries.empty()) return "";
  size_t longest = 0;
  for (const auto& e : entries) longest = std::max(longest, e.first.size());
  const double w = 28 + 6.2 * static_cast<double>(longest);
  const double x = right - w - 6;
  std::string s = fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"white\" "
      "fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n",
      x, top + 6, w, 16 * entries.size() + 6);
  for (size_t i = 0; i < entries.size(); ++i) {
    const double y = top + 20 + 16 * static_cast<double>(i);
    s += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"2.5\"/><text x=\"{4:.1f}\" y=\"{5:.1f}\">{6}</text>\n",
        x + 5, x + 21, y - 4, entries[i].second, x + 25, y, html::escape(entries[i].first));
  }
  return s;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, target - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> out;
  for (double v = std::floor(lo / step) * step; v < hi + step * 0.999; v += step)
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return out;
}

std::string line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  std::vector<double> xs, ys;
  for (const Series& s : series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
  }
  const Axis x = fit_axis(xs, o.log_x, kLeft, o.width - kRight);
  const Axis y = fit_axis(ys, o.log_y, o.height - kBottom, kTop);
  std::string out = frame(o, x, y);
  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    std::string path;
    bool pen_down = false;
    size_t points = 0;
    for (size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
      if (!x.valid(s.x[k]) || !y.valid(s.y[k])) {
        pen_down = false;  // a gap
        continue;
      }
      path += fmt::format("{}{:.1f},{:.1f} ", pen_down ? "L" : "M", x.px(s.x[k]), y.px(s.y[k]));
      pen_down = true;
      ++points;
    }
    if (points == 0) continue;
    out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{}/>\n",
                       path, color(i), s.dashed ? " stroke-dasharray=\"5 3\"" : "");
    if (points == 1) {  // a lone point would be invisible as a path
      out += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n",
                         x.px(s.x.back()), y.px(s.y.back()), color(i));
    }
    entries.emplace_back(s.name, color(i));
  }
  if (entries.size() > 1) out += legend(entries, x.p1, y.p1);
  return out + "</svg>\n";
}

std::string bar_chart(const std::vector<std::string>& labels, const std::vector<double>& values,
                      const ChartOptions& o, const std::vector<double>& errors,
                      const std::vector<double>& marks, const std::string& mark_name) {
  const size_t n = std::min(labels.size(), values.size());
  auto err = [&](size_t i) {
    return i < errors.size() && std::isfinite(errors[i]) ? errors[i] : 0;
  };
  auto mark = [&](size_t i) {
    return i < marks.size() ? marks[i] : std::numeric_limits<double>::quiet_NaN();
  };
  // The value axis zooms in on the bars (accuracies of 0.97-0.99 would all look alike from 0).
  std::vector<double> span;
  for (size_t i = 0; i < n; ++i) {
    span.push_back(values[i] - err(i));
    span.push_back(values[i] + err(i));
    span.push_back(mark(i));
  }
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : span) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo <= hi) span.push_back(lo - 0.15 * std::max(hi - lo, 1e-3 * std::abs(lo)));
  const int bottom = kBottom + 14;
  Axis y = fit_axis(span, false, o.height - bottom, kTop);
  Axis x;
  x.p0 = kLeft;
  x.p1 = o.width - kRight;
  std::string out = frame(o, x, y, false);
  const double slot = (x.p1 - x.p0) / std::max<size_t>(n, 1);
  const double bar = std::min(60.0, slot * 0.6);
  bool any_mark = false;
  for (size_t i = 0; i < n; ++i) {
    const double cx = x.p0 + slot * (static_cast<double>(i) + 0.5);
    const double top = y.px(std::clamp(values[i], y.lo, y.hi));
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n",
        cx - bar / 2, top, bar, y.p0 - top, color(i));
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.4f}</text>\n", cx,
                       top - 4, values[i]);
    if (err(i) > 0) {
      out += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#333\"/>\n",
          cx + bar / 4, y.px(values[i] - err(i)), y.px(values[i] + err(i)));
    }
    if (std::isfinite(mark(i))) {
      any_mark = true;
      out += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#000\" "
          "stroke-width=\"2.5\" stroke-dasharray=\"4 2\"/>\n",
          cx - bar / 2 - 4, cx + bar / 2 + 4, y.px(mark(i)));
    }
    out +=
        fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", cx,
                    o.height - bottom + 14 + 12 * static_cast<int>(i % 2), html::escape(labels[i]));
  }
  if (any_mark) out += legend({{mark_name, "#000"}}, x.p1, y.p1);
  return out + "</svg>\n";
}

std::string histogram(const std::vector<float>& values, int bins, const ChartOptions& o) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) lo = hi = 0;
  if (hi - lo < 1e-12f) hi = lo + 1e-6f;
  std::vector<double> counts(static_cast<size_t>(bins), 0.0);
  const double width = (static_cast<double>(hi) - lo) / bins;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const int b = std::min(bins - 1, static_cast<int>((v - lo) / width));
    counts[static_cast<size_t>(b)] += 1;
  }
  const double max_count = *std::max_element(counts.begin(), counts.end());
  const Axis x =
      fit_axis({static_cast<double>(lo), static_cast<double>(hi)}, false, kLeft, o.width - kRight);
  const Axis y = fit_axis({0.0, std::max(1.0, max_count)}, false, o.height - kBottom, kTop);
  std::string out = frame(o, x, y);
  for (int b = 0; b < bins; ++b) {
    const double c = counts[static_cast<size_t>(b)];
    if (c == 0) continue;
    const double x0 = x.px(lo + width * b), x1 = x.px(lo + width * (b + 1));
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
        "stroke=\"white\" stroke-width=\"0.5\"/>\n",
        x0, y.px(c), std::max(0.5, x1 - x0), y.p0 - y.px(c), kPalette[0]);
  }
  return out + "</svg>\n";
}

std::string heatmap(const std::vector<std::vector<double>>& cells,
                    const std::vector<std::string>& row_labels,
                    const std::vector<std::string>& col_labels, const ChartOptions& o) {
  const size_t rows = cells.size();
  size_t cols = 0;
  for (const auto& r : cells) cols = std::max(cols, r.size());
  const int cell = 36, left = 96, top = 64;
  const int w = left + cell * static_cast<int>(cols) + 16;
  const int h = top + cell * static_cast<int>(rows) + 16;
  std::string out = fmt::format(
      "<svg width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"{0}\" height=\"{1}\" "
      "fill=\"white\"/>\n<text x=\"{2}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" "
      "font-weight=\"bold\">{3}</text>\n<text x=\"{4}\" y=\"34\" "
      "text-anchor=\"middle\">{5}</text>\n"
      "<text transform=\"translate(14 {6}) rotate(-90)\" text-anchor=\"middle\">{7}</text>\n",
      w, h, w / 2, html::escape(o.title), left + cell * static_cast<int>(cols) / 2,
      html::escape(o.x_label), top + cell * static_cast<int>(rows) / 2, html::escape(o.y_label));
  for (size_t c = 0; c < cols; ++c) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       left + cell * static_cast<int>(c) + cell / 2, top - 6,
                       c < col_labels.size() ? html::escape(col_labels[c]) : "");
  }
  for (size_t r = 0; r < rows; ++r) {
    double total = 0;
    for (double v : cells[r]) total += std::isfinite(v) ? v : 0;
    const int y = top + cell * static_cast<int>(r);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 6,
                       y + cell / 2 + 4, r < row_labels.size() ? html::escape(row_labels[r]) : "");
    for (size_t c = 0; c < cells[r].size(); ++c) {
      const double v = cells[r][c];
      const double share = total > 0 && std::isfinite(v) ? v / total : 0;
      // White (nothing) to dark blue (the whole row); sqrt keeps small confusions visible.
      const double t = std::sqrt(std::clamp(share, 0.0, 1.0));
      const int red = static_cast<int>(255 - t * (255 - 31));
      const int green = static_cast<int>(255 - t * (255 - 78));
      const int blue = static_cast<int>(255 - t * (255 - 156));
      const int x = left + cell * static_cast<int>(c);
      out += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" "
          "stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
          x, y, cell, cell, red, green, blue, x + cell / 2, y + cell / 2 + 4,
          t > 0.6 ? "white" : "#222", std::isfinite(v) ? fmt::format("{:g}", v) : "");
    }
  }
  return out + "</svg>\n";
}

}  // namespace nnlab::svg
