#include "report/svg_chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/html.hpp"
#include "report/number_format.hpp"
#include "report/svg_frame.hpp"

namespace nnlab::svg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Series with more points get invisible hover targets instead of dots, at most this many.
constexpr size_t kMaxDots = 60, kMaxHoverTargets = 150;

std::string x_text(const ChartOptions& o, double x) {
  return o.integer_x ? fmt::format("{:.0f}", x) : fmt::format("{:g}", x);
}

std::string y_text(double y) { return fmt::format("{:.4g}", y); }

// The shaded band y ± spread of one series, one polygon per stretch without gaps.
std::string band(const Series& s, const Axis& x, const Axis& y, const std::string& fill) {
  auto clamp_px = [&](double v) {
    return std::clamp(y.valid(v) ? y.px(v) : y.p0, std::min(y.p0, y.p1), std::max(y.p0, y.p1));
  };
  std::string out;
  std::vector<size_t> stretch;
  auto flush = [&] {
    if (stretch.size() > 1) {
      std::string points;
      for (size_t k : stretch)
        points += fmt::format("{:.1f},{:.1f} ", x.px(s.x[k]), clamp_px(s.y[k] + s.spread[k]));
      for (auto it = stretch.rbegin(); it != stretch.rend(); ++it)
        points += fmt::format("{:.1f},{:.1f} ", x.px(s.x[*it]), clamp_px(s.y[*it] - s.spread[*it]));
      out +=
          fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.18\"/>\n", points, fill);
    }
    stretch.clear();
  };
  for (size_t k = 0; k < std::min({s.x.size(), s.y.size(), s.spread.size()}); ++k) {
    if (x.valid(s.x[k]) && y.valid(s.y[k]) && std::isfinite(s.spread[k]))
      stretch.push_back(k);
    else
      flush();
  }
  flush();
  return out;
}

// One series: band, line, hover dots and rings.
std::string curve(const Series& s, const std::string& stroke, const Axis& x, const Axis& y,
                  const ChartOptions& o) {
  std::string out = band(s, x, y, stroke);
  std::string path, dots;
  bool pen_down = false;
  std::vector<size_t> shown;
  for (size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
    if (!x.valid(s.x[k]) || !y.valid(s.y[k])) {
      pen_down = false;  // a gap
      continue;
    }
    path += fmt::format("{}{:.1f},{:.1f} ", pen_down ? "L" : "M", x.px(s.x[k]), y.px(s.y[k]));
    pen_down = true;
    shown.push_back(k);
  }
  if (shown.empty()) return "";
  if (!s.points_only)
    out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{}/>\n",
                       path, stroke, s.dashed ? " stroke-dasharray=\"5 3\"" : "");
  const bool visible = s.points_only || shown.size() <= kMaxDots;
  const size_t every = (shown.size() + kMaxHoverTargets - 1) / kMaxHoverTargets;
  for (size_t i = 0; i < shown.size(); i += every) {
    const size_t k = shown[i];
    const bool spread = k < s.spread.size() && std::isfinite(s.spread[k]);
    out += fmt::format(
        "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\"{}>{}</circle>\n", x.px(s.x[k]),
        y.px(s.y[k]), visible ? "2.2" : "4", stroke, visible ? "" : " fill-opacity=\"0\"",
        tooltip(fmt::format("{}: {} {}, {}{}", s.name, o.x_label, x_text(o, s.x[k]), y_text(s.y[k]),
                            spread ? " ± " + y_text(s.spread[k]) : "")));
  }
  for (double m : s.marks) {
    for (size_t k : shown) {
      if (std::abs(s.x[k] - m) > 1e-9) continue;
      out += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"none\" stroke=\"{}\" "
          "stroke-width=\"1.8\">{}</circle>\n",
          x.px(s.x[k]), y.px(s.y[k]), stroke,
          tooltip(fmt::format("{}: {} at {} {}, {}", s.name, s.mark_name, o.x_label,
                              x_text(o, s.x[k]), y_text(s.y[k]))));
    }
  }
  return out;
}

}  // namespace

std::string line_chart(const std::vector<Series>& series, const ChartOptions& o) {
  std::vector<double> xs, ys;
  for (const Series& s : series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    for (size_t k = 0; k < s.y.size(); ++k) {
      ys.push_back(s.y[k]);
      if (k < s.spread.size() && std::isfinite(s.spread[k])) {
        ys.push_back(s.y[k] + s.spread[k]);
        if (!o.log_y || s.y[k] - s.spread[k] > 0) ys.push_back(s.y[k] - s.spread[k]);
      }
    }
  }
  for (const Marker& m : o.markers) xs.insert(xs.end(), m.x.begin(), m.x.end());
  const Axis x{fit_scale(xs, {.log = o.log_x, .integer = o.integer_x}), kLeft,
               static_cast<double>(o.width - kRight)};
  const Axis y{fit_scale(ys, {.log = o.log_y}), static_cast<double>(o.height - kBottom), kTop};

  std::string body;
  std::vector<LegendEntry> entries;
  std::vector<std::string> mark_names;
  for (const Marker& m : o.markers) {
    for (double v : m.x) {
      if (!x.valid(v)) continue;
      body += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#444\" "
          "stroke-width=\"1.2\" stroke-dasharray=\"{3}\">{4}</line>\n",
          x.px(v), y.p1, y.p0, m.dash, tooltip(fmt::format("{}: {}", m.name, x_text(o, v))));
    }
    entries.push_back({m.name, "#444", Swatch::marker, m.dash});
  }
  std::vector<LegendEntry> curves;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const std::string drawn = curve(s, color(i), x, y, o);
    if (drawn.empty()) continue;
    body += drawn;
    curves.push_back({s.name, color(i),
                      !s.spread.empty() ? Swatch::band
                      : s.dashed        ? Swatch::dashed_line
                                        : Swatch::line});
    if (!s.marks.empty() &&
        std::find(mark_names.begin(), mark_names.end(), s.mark_name) == mark_names.end())
      mark_names.push_back(s.mark_name);
  }
  for (const std::string& name : mark_names) entries.push_back({name, "#333", Swatch::ring});
  if (curves.size() > 1 || !entries.empty())
    entries.insert(entries.begin(), curves.begin(), curves.end());
  const Legend l = legend(entries, kLeft, o.width - kRight, o.height);
  return frame(o, o.height + l.height, x, y) + body + l.svg + "</svg>\n";
}

std::string interval_chart(const std::vector<std::string>& labels,
                           const std::vector<double>& values, const ChartOptions& o,
                           const std::vector<double>& errors, const std::vector<double>& marks,
                           const std::string& mark_name) {
  const size_t n = std::min(labels.size(), values.size());
  auto err = [&](size_t i) {
    return i < errors.size() && std::isfinite(errors[i]) ? errors[i] : 0;
  };
  auto mark = [&](size_t i) { return i < marks.size() ? marks[i] : kNaN; };
  std::vector<double> span;
  for (size_t i = 0; i < n; ++i) {
    span.push_back(values[i] - err(i));
    span.push_back(values[i] + err(i));
    span.push_back(mark(i));
  }
  const int bottom = kBottom + 14;  // x labels alternate between two rows
  const Axis y{fit_scale(span), static_cast<double>(o.height - bottom), kTop};
  const Axis x{{}, kLeft, static_cast<double>(o.width - kRight)};
  std::string body;
  const double slot = (x.p1 - x.p0) / static_cast<double>(std::max<size_t>(n, 1));
  bool any_mark = false;
  for (size_t i = 0; i < n; ++i) {
    const double cx = x.p0 + slot * (static_cast<double>(i) + 0.5);
    const std::string reference =
        std::isfinite(mark(i)) ? fmt::format(" ({} {:.4f})", mark_name, mark(i)) : "";
    if (y.valid(values[i])) {
      const double py = y.px(values[i]);
      if (err(i) > 0 && y.valid(values[i] - err(i)) && y.valid(values[i] + err(i))) {
        const double a = y.px(values[i] - err(i)), b = y.px(values[i] + err(i));
        body += fmt::format(
            "<path d=\"M{0:.1f},{1:.1f} H{2:.1f} M{0:.1f},{3:.1f} H{2:.1f} M{4:.1f},{1:.1f} "
            "V{3:.1f}\" stroke=\"#333\" fill=\"none\"/>\n",
            cx - 6, a, cx + 6, b, cx);
      }
      body += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"{}\">{}</circle>\n"
          "<text x=\"{:.1f}\" y=\"{:.1f}\">{:.4f}</text>\n",
          cx, py, color(i),
          tooltip(fmt::format("{}: {:.4f}{}{}", labels[i], values[i],
                              err(i) > 0 ? fmt::format(" ± {:.4f}", err(i)) : "", reference)),
          cx + 10, py + 4, values[i]);
    }
    if (y.valid(mark(i))) {
      any_mark = true;
      body += fmt::format(
          "<path d=\"M{:.1f},{:.1f} l5,5 l-5,5 l-5,-5 z\" fill=\"white\" stroke=\"#000\" "
          "stroke-width=\"1.8\">{}</path>\n",
          cx, y.px(mark(i)) - 5,
          tooltip(fmt::format("{}: {} {:.4f}", labels[i], mark_name, mark(i))));
    }
    body +=
        fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", cx,
                    o.height - bottom + 14 + 12 * static_cast<int>(i % 2), html::escape(labels[i]));
  }
  std::vector<LegendEntry> entries;
  if (any_mark) entries.push_back({mark_name, "#000", Swatch::diamond});
  const Legend l = legend(entries, kLeft, o.width - kRight, o.height);
  return frame(o, o.height + l.height, x, y, false) + body + l.svg + "</svg>\n";
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
    // In double: v - lo overflows a float for values near +-FLT_MAX.
    const int b = std::min(bins - 1, static_cast<int>((static_cast<double>(v) - lo) / width));
    counts[static_cast<size_t>(b)] += 1;
  }
  const double max_count = *std::max_element(counts.begin(), counts.end());
  const Axis x{fit_scale({lo, hi}), kLeft, static_cast<double>(o.width - kRight)};
  const Axis y{fit_scale({max_count}, {.integer = true, .include_zero = true}),
               static_cast<double>(o.height - kBottom), kTop};
  std::string out = frame(o, o.height, x, y);
  for (int b = 0; b < bins; ++b) {
    const double c = counts[static_cast<size_t>(b)];
    if (c == 0) continue;
    const double a = lo + width * b, z = lo + width * (b + 1);
    const double x0 = x.px(a), x1 = x.px(z);
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
        "stroke=\"white\" stroke-width=\"0.5\">{}</rect>\n",
        x0, y.px(c), std::max(0.5, x1 - x0), y.p0 - y.px(c), color(0),
        tooltip(fmt::format("[{:.4g}, {:.4g}): {}", a, z, report::count(c))));
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
  auto label = [](const std::vector<std::string>& labels, size_t i) {
    return i < labels.size() ? labels[i] : "";
  };
  for (size_t c = 0; c < cols; ++c) {
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       left + cell * static_cast<int>(c) + cell / 2, top - 6,
                       html::escape(label(col_labels, c)));
  }
  for (size_t r = 0; r < rows; ++r) {
    double total = 0;
    for (double v : cells[r]) total += std::isfinite(v) ? v : 0;
    const int y = top + cell * static_cast<int>(r);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left - 6,
                       y + cell / 2 + 4, html::escape(label(row_labels, r)));
    for (size_t c = 0; c < cells[r].size(); ++c) {
      const double v = cells[r][c];
      const double share = total > 0 && std::isfinite(v) ? v / total : 0;
      // White (nothing) to dark blue (the whole row); sqrt keeps small confusions visible.
      const double t = std::sqrt(std::clamp(share, 0.0, 1.0));
      const int red = static_cast<int>(255 - t * (255 - 31));
      const int green = static_cast<int>(255 - t * (255 - 78));
      const int blue = static_cast<int>(255 - t * (255 - 156));
      const int x = left + cell * static_cast<int>(c);
      const std::string value = !std::isfinite(v)    ? ""
                                : v == std::round(v) ? report::count(v)
                                                     : fmt::format("{:g}", v);
      out += fmt::format(
          "<g>{}<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" "
          "stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>"
          "</g>\n",
          tooltip(fmt::format("{} {}, {} {}: {} ({:.1f}% of the row)", o.y_label,
                              label(row_labels, r), o.x_label, label(col_labels, c), value,
                              100 * share)),
          x, y, cell, cell, red, green, blue, x + cell / 2, y + cell / 2 + 4,
          t > 0.6 ? "white" : "#222", value);
    }
  }
  return out + "</svg>\n";
}

}  // namespace nnlab::svg
