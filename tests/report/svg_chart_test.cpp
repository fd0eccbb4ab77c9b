#include "report/svg_chart.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace nnlab::svg {
namespace {

// The y coordinate of the <text> element whose content is `content` (-1 when absent).
double text_y(const std::string& svg, const std::string& content) {
  const std::regex text("<text x=\"[-0-9.]+\" y=\"([-0-9.]+)\"[^>]*>" + content + "</text>");
  std::smatch m;
  return std::regex_search(svg, m, text) ? std::stod(m[1]) : -1;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgChart, LegendSitsBelowThePlot) {
  const ChartOptions o{.title = "Accuracy",
                       .x_label = "epoch",
                       .y_label = "accuracy",
                       .integer_x = true,
                       .width = 400,
                       .height = 300};
  const std::string svg = line_chart(
      {{"train", {1, 2, 3}, {0.9, 0.95, 0.97}}, {"validation", {1, 2, 3}, {0.89, 0.93, 0.96}}}, o);
  // The plot's frame ends above the x tick labels, at height - 46; the legend is under both.
  EXPECT_GT(text_y(svg, "train"), o.height);
  EXPECT_GT(text_y(svg, "validation"), o.height);
  EXPECT_NE(svg.find("height=\"3"), std::string::npos);  // the svg grew for its legend
  // Epoch ticks 1, 2, 3 and nothing between them.
  EXPECT_GT(text_y(svg, "2"), 0);
  EXPECT_EQ(text_y(svg, "1.5"), -1);
  EXPECT_EQ(text_y(svg, "2.5"), -1);
}

TEST(SvgChart, PointsCarryTheirValuesAsTooltips) {
  const std::string svg = line_chart(
      {{.name = "validation",
        .x = {1, 2},
        .y = {0.91, 0.9312},
        .spread = {0.01, 0.002},
        .marks = {2},
        .mark_name = "best epoch"}},
      {.x_label = "epoch", .integer_x = true, .markers = {{.name = "early stop", .x = {2}}}});
  EXPECT_NE(svg.find("<title>validation: epoch 2, 0.9312 ± 0.002</title>"), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("<title>validation: best epoch at epoch 2, 0.9312</title>"),
            std::string::npos);
  EXPECT_NE(svg.find("<title>early stop: 2</title>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polygon"), 1u);  // the ± band
  // One series with a ring and a marker still gets a legend naming them.
  EXPECT_GT(text_y(svg, "best epoch"), 320);
  EXPECT_GT(text_y(svg, "early stop"), 320);
}

TEST(SvgChart, HeatmapCellsCarryTheirCounts) {
  const std::string svg = heatmap({{1135, 2}, {3, 40}}, {"0", "1"}, {"0", "1"},
                                  {.x_label = "predicted", .y_label = "true"});
  EXPECT_NE(svg.find("<title>true 0, predicted 1: 2 (0.2% of the row)</title>"), std::string::npos);
  EXPECT_NE(svg.find(">1,135</text>"), std::string::npos);
}

TEST(SvgChart, OneValueIntervalChartKeepsLabelsDistinctAndBelowTheTitle) {
  const std::string svg =
      interval_chart({"quickstart"}, {0.9185}, {.title = "Test accuracy"}, {0.0}, {});
  EXPECT_EQ(count(svg, ">0.9185</text>"), 1u) << svg;  // the dot's value, not a tick too
  EXPECT_GT(text_y(svg, "0.9185"), 30);                // inside the plot, under the title
  EXPECT_NE(svg.find("<title>quickstart: 0.9185</title>"), std::string::npos);
}

TEST(SvgChart, HistogramCountsStartAtZero) {
  const std::string svg = histogram({0.1f, 0.2f, 0.2f, 0.3f}, 4, {.height = 240});
  EXPECT_GT(text_y(svg, "0"), 0);
  EXPECT_NE(svg.find("</title>"), std::string::npos);
}

}  // namespace
}  // namespace nnlab::svg
