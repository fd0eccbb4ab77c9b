// One run's part of the report, read from the files of its first repeat (runs/RUN/r0).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "io/csv.hpp"
#include "io/safetensors.hpp"
#include "report/figure_grids.hpp"
#include "report/html.hpp"
#include "report/report_data.hpp"
#include "report/svg_chart.hpp"
#include "tensor/error.hpp"

namespace nnlab::report {
namespace {

namespace fs = std::filesystem;

// The most misclassified samples shown; the CSV may hold more.
constexpr int kMaxMisclassified = 60;
constexpr int kHistogramBins = 40;

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

std::string learning_curves(const fs::path& dir) {
  const auto history = read_table(dir / "history.csv");
  if (!history) return "";
  const auto refit = read_table(dir / "refit_history.csv");
  const std::vector<double> epoch = history->numbers("epoch");
  std::vector<svg::Series> loss, accuracy;
  auto add = [&](std::vector<svg::Series>& into, const CsvTable& t, const std::string& column,
                 const std::string& name, bool dashed) {
    std::vector<double> y = t.numbers(column);
    if (any_finite(y)) into.push_back({name, t.numbers("epoch"), std::move(y), dashed});
  };
  add(loss, *history, "train_loss", "train", false);
  add(loss, *history, "val_loss", "validation", false);
  add(accuracy, *history, "train_accuracy", "train", false);
  add(accuracy, *history, "val_accuracy", "validation", false);
  if (refit) {
    add(loss, *refit, "train_loss", "refit (train+val)", true);
    add(accuracy, *refit, "train_accuracy", "refit (train+val)", true);
  }
  std::string out = html::heading(3, kLearningCurves) + "<div class=\"charts\">\n";
  out += svg::line_chart(
      loss, {.title = "Loss", .x_label = "epoch", .y_label = "loss", .integer_x = true});
  if (!accuracy.empty())
    out += svg::line_chart(
        accuracy,
        {.title = "Accuracy", .x_label = "epoch", .y_label = "accuracy", .integer_x = true});
  return out + "</div>\n";
}

std::string confusion(const fs::path& dir) {
  const auto t = read_table(dir / "confusion.csv");
  if (!t || t->header.size() < 2) return "";
  const std::vector<std::string> cols(t->header.begin() + 1, t->header.end());
  std::vector<std::string> rows;
  std::vector<std::vector<double>> cells;
  for (size_t r = 0; r < t->rows.size(); ++r) {
    const auto& row = t->rows[r];
    if (row.empty()) continue;
    rows.push_back(row[0]);
    cells.emplace_back();
    for (size_t c = 1; c < row.size(); ++c)
      cells.back().push_back(csv_to_double(row[c], fmt::format("{}:{}", t->path, r + 2)));
  }
  return html::heading(3, kConfusion) +
         svg::heatmap(
             cells, rows, cols,
             {.title = "Confusion matrix (test)", .x_label = "predicted", .y_label = "true"});
}

std::string per_class(const fs::path& dir) {
  const auto t = read_table(dir / "classification_report.csv");
  if (!t) return "";
  std::vector<std::string> header;
  for (const std::string& h : t->header) header.push_back(html::escape(h));
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : t->rows) {
    rows.emplace_back();
    for (size_t c = 0; c < row.size(); ++c) {
      // Scores with 4 decimals, support (an integer) as is, labels escaped.
      const bool score = c > 0 && c < t->header.size() && t->header[c] != "support";
      double v = NAN;
      if (score && !row[c].empty()) v = std::strtod(row[c].c_str(), nullptr);
      rows.back().push_back(score && std::isfinite(v) ? fixed(v) : html::escape(row[c]));
    }
  }
  return html::heading(3, kPerClass) + html::table(header, rows);
}

std::string misclassified(const fs::path& dir) {
  const fs::path images_path = dir / "misclassified.safetensors";
  const auto t = read_table(dir / "misclassified.csv");
  std::error_code ec;
  if (!t || !fs::is_regular_file(images_path, ec)) return "";
  const SafeTensors st = load_safetensors(images_path.string());
  const SafeTensor& images = st.at("images");
  NNLAB_CHECK(images.dtype == "U8" && images.shape.size() == 3,
              "{}: 'images' must be U8 [M, H, W], is {} {}", images_path.string(), images.dtype,
              shape_str(images.shape));
  const int m = static_cast<int>(std::min<int64_t>(
      {images.shape[0], static_cast<int64_t>(t->rows.size()), kMaxMisclassified}));
  const int h = static_cast<int>(images.shape[1]), w = static_cast<int>(images.shape[2]);
  const std::vector<std::string> label = t->texts("label"), predicted = t->texts("predicted");
  const std::vector<double> confidence = t->numbers("confidence");
  std::string out = html::heading(3, kMisclassified);
  out += fmt::format("<p class=\"muted\">{} shown of {}; caption: true→predicted (confidence)</p>",
                     m, t->rows.size());
  out += "<div class=\"grid\">\n";
  for (int i = 0; i < m; ++i) {
    const uint8_t* img = images.bytes.data() + static_cast<size_t>(i) * h * w;
    out += fmt::format("<figure>{}<figcaption>{}→{}{}</figcaption></figure>\n",
                       grid_image({std::vector<uint8_t>(img, img + h * w), 1, h, w}, 1, "sample"),
                       html::escape(label[static_cast<size_t>(i)]),
                       html::escape(predicted[static_cast<size_t>(i)]),
                       std::isfinite(confidence[static_cast<size_t>(i)])
                           ? fmt::format(" ({:.2f})", confidence[static_cast<size_t>(i)])
                           : "");
  }
  return out + "</div>\n";
}

std::string inactive(const fs::path& dir) {
  const auto t = read_table(dir / "inactive.csv");
  if (!t || t->rows.empty()) return "";
  const std::vector<double> step = t->numbers("step"), percent = t->numbers("inactive_percent");
  const std::vector<std::string> layer = t->texts("layer");
  std::map<std::string, svg::Series> by_layer;
  std::vector<std::string> order;  // layers in order of first appearance
  for (size_t i = 0; i < step.size(); ++i) {
    if (!by_layer.count(layer[i])) order.push_back(layer[i]);
    svg::Series& s = by_layer[layer[i]];
    s.name = layer[i];
    s.x.push_back(step[i]);
    s.y.push_back(percent[i]);
  }
  std::vector<svg::Series> series;
  for (const std::string& l : order) series.push_back(by_layer[l]);
  return html::heading(3, kInactive) +
         svg::line_chart(series, {.title = "Inactive neurons per layer",
                                  .x_label = "step",
                                  .y_label = "inactive %",
                                  .integer_x = true});
}

std::string weights(const fs::path& dir) {
  const fs::path path = dir / "weights.safetensors";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "";
  const SafeTensors st = load_safetensors(path.string());
  std::string charts;
  for (const auto& [name, t] : st.tensors) {
    if (t.dtype != "F32" || !name.ends_with(".weight")) continue;
    const std::vector<float> values = st.f32(name);
    charts += svg::histogram(values, kHistogramBins,
                             {.title = name + " " + shape_str(t.shape),
                              .x_label = "value",
                              .y_label = "count",
                              .width = 380,
                              .height = 240});
  }
  if (charts.empty()) return "";
  return html::heading(3, kWeights) + "<div class=\"charts\">\n" + charts + "</div>\n";
}

}  // namespace

std::string run_section(const std::string& name, const std::filesystem::path& run_dir) {
  std::string body = learning_curves(run_dir) + confusion(run_dir) + per_class(run_dir) +
                     misclassified(run_dir) + augmented_samples(run_dir) + inactive(run_dir) +
                     weights(run_dir) + network_figures(run_dir);
  if (body.empty())
    body = "<p class=\"muted\">No per-run files found in " + html::escape(run_dir.string()) +
           ".</p>\n";
  return html::heading(2, "Run: " + name) +
         fmt::format("<p class=\"muted\">Files of the first repeat: {}</p>\n",
                     html::escape(run_dir.string())) +
         body;
}

}  // namespace nnlab::report
