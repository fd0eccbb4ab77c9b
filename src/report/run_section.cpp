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
#include "report/number_format.hpp"
#include "report/repeat_curves.hpp"
#include "report/report_data.hpp"
#include "report/svg_chart.hpp"
#include "tensor/error.hpp"

namespace nnlab::report {
namespace {

namespace fs = std::filesystem;

// The most misclassified samples shown; the CSV may hold more.
constexpr int kMaxMisclassified = 60;
constexpr int kHistogramBins = 40;
constexpr size_t kConfusedPairsShown = 10;

// Mean over repeats as a series, with the ± std band when there is more than one repeat.
svg::Series repeat_series(const std::vector<CsvTable>& histories, const std::string& column,
                          const std::string& name, bool dashed) {
  RepeatCurve c = mean_over_repeats(histories, column);
  return {.name = name,
          .x = std::move(c.epoch),
          .y = std::move(c.mean),
          .dashed = dashed,
          .spread = c.repeats > 1 ? std::move(c.std) : std::vector<double>{}};
}

std::string learning_curves(const RunInfo& run) {
  const std::vector<CsvTable> history = read_histories(run.repeat_dirs, "history.csv");
  if (history.empty()) return "";
  const std::vector<CsvTable> refit = read_histories(run.repeat_dirs, "refit_history.csv");
  std::vector<svg::Series> loss, accuracy;
  auto add = [&](std::vector<svg::Series>& into, const std::vector<CsvTable>& tables,
                 const std::string& column, const std::string& name, bool dashed) {
    svg::Series s = repeat_series(tables, column, name, dashed);
    if (s.x.empty()) return;
    if (column.starts_with("val_")) {  // ring the chosen epochs on the validation curve
      s.marks = run.best_epochs;
      s.mark_name = "best epoch";
    }
    into.push_back(std::move(s));
  };
  add(loss, history, "train_loss", "train", false);
  add(loss, history, "val_loss", "validation", false);
  add(accuracy, history, "train_accuracy", "train", false);
  add(accuracy, history, "val_accuracy", "validation", false);
  add(loss, refit, "train_loss", "refit (train+val)", true);
  add(accuracy, refit, "train_accuracy", "refit (train+val)", true);
  std::vector<svg::Marker> markers;
  if (!run.early_stops.empty()) markers.push_back({"early stop", run.early_stops, "2 3"});
  const std::string over =
      history.size() > 1 ? fmt::format(" (mean ± std over {} repeats)", history.size()) : "";
  std::string out = subheading(run.id, kLearningCurves) + "<div class=\"charts\">\n";
  out += svg::line_chart(loss, {.title = "Loss" + over,
                                .x_label = "epoch",
                                .y_label = "loss",
                                .integer_x = true,
                                .markers = markers});
  if (!accuracy.empty())
    out += svg::line_chart(accuracy, {.title = "Accuracy" + over,
                                      .x_label = "epoch",
                                      .y_label = "accuracy",
                                      .integer_x = true,
                                      .markers = markers});
  return out + "</div>\n";
}

// A 1-D regression (curve.csv, points.csv): the training and test points, the model's curve and
// the true function when the data gave one.
std::string fitted_curve(const fs::path& dir, const std::string& id) {
  const auto curve = read_table(dir / "curve.csv");
  const auto points = read_table(dir / "points.csv");
  if (!curve || !points) return "";
  std::vector<svg::Series> series;
  const auto sets = points->texts("set");
  const auto x = points->numbers("x"), y = points->numbers("y");
  for (const char* set : {"train", "test"}) {
    svg::Series s{.name = std::string(set) + " points"};
    for (size_t i = 0; i < sets.size(); ++i)
      if (sets[i] == set) {
        s.x.push_back(x[i]);
        s.y.push_back(y[i]);
      }
    s.points_only = true;
    series.push_back(std::move(s));
  }
  series.push_back({.name = "model", .x = curve->numbers("x"), .y = curve->numbers("prediction")});
  if (curve->column("truth") >= 0)
    series.push_back({.name = "true function",
                      .x = curve->numbers("x"),
                      .y = curve->numbers("truth"),
                      .dashed = true});
  return subheading(id, kFittedCurve) +
         svg::line_chart(series, {.title = "Fitted curve", .x_label = "x", .y_label = "y"});
}

// The largest off-diagonal cells of a confusion matrix, as a table: which classes a model mixes
// up, readable where a 50-class heatmap is not.
std::string confused_pairs(const std::vector<std::vector<double>>& cells,
                           const std::vector<std::string>& rows,
                           const std::vector<std::string>& cols, const std::string& id) {
  struct Cell {
    size_t r, c;
    double n;
  };
  std::vector<Cell> off;
  for (size_t r = 0; r < cells.size(); ++r)
    for (size_t c = 0; c < cells[r].size() && c < cols.size(); ++c)
      if (cols[c] != rows[r] && cells[r][c] > 0) off.push_back({r, c, cells[r][c]});
  if (off.empty()) return "";
  // Most errors first; ties in the matrix's order, so the table is the same on every run.
  std::stable_sort(off.begin(), off.end(), [](const Cell& a, const Cell& b) { return a.n > b.n; });
  off.resize(std::min(off.size(), kConfusedPairsShown));
  std::vector<std::vector<std::string>> table;
  for (const Cell& cell : off) {
    double support = 0;
    for (double v : cells[cell.r]) support += v;
    table.push_back({html::escape(rows[cell.r]), html::escape(cols[cell.c]), count(cell.n),
                     fmt::format("{:.1f}%", 100.0 * cell.n / support)});
  }
  return subheading(id, kConfusedPairs) +
         html::table({"true", "predicted", "test samples", "share of the true class"}, table);
}

std::string confusion(const fs::path& dir, const std::string& id) {
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
  return subheading(id, kConfusion) +
         svg::heatmap(
             cells, rows, cols,
             {.title = "Confusion matrix (test)", .x_label = "predicted", .y_label = "true"}) +
         confused_pairs(cells, rows, cols, id);
}

std::string per_class(const fs::path& dir, const std::string& id) {
  const auto t = read_table(dir / "classification_report.csv");
  if (!t) return "";
  std::vector<std::string> header;
  for (const std::string& h : t->header) header.push_back(html::escape(h));
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : t->rows) {
    rows.emplace_back();
    for (size_t c = 0; c < row.size(); ++c) {
      // Scores with 4 decimals, support (a count) with thousands separators, labels escaped.
      const bool number = c > 0 && c < t->header.size() && !row[c].empty();
      const bool support = number && t->header[c] == "support";
      const double v = number ? std::strtod(row[c].c_str(), nullptr) : NAN;
      rows.back().push_back(!std::isfinite(v) ? html::escape(row[c])
                            : support         ? count(v)
                                              : fixed(v));
    }
  }
  return subheading(id, kPerClass) + html::table(header, rows);
}

// The first misclassified test samples, and how many there are in all: test.errors, of which
// the CSV holds only the first diagnostics.misclassified.
std::string misclassified(const fs::path& dir, const RunInfo& run) {
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
  const double errors =
      std::isfinite(run.test_errors) ? run.test_errors : static_cast<double>(t->rows.size());
  std::string out = subheading(run.id, kMisclassified);
  out += fmt::format(
      "<p class=\"muted\">The first {} of {} misclassified test samples; caption: "
      "true→predicted (confidence)</p>",
      count(m), count(errors));
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

// corruptions.csv: the test set's scores under each corruption.
std::string corruptions(const fs::path& dir, const std::string& id) {
  const auto t = read_table(dir / "corruptions.csv");
  if (!t || t->rows.empty()) return "";
  const std::string score = t->column("accuracy") >= 0 ? "accuracy" : "mse";
  std::vector<std::vector<std::string>> rows;
  const std::vector<std::string> name = t->texts("corruption");
  const std::vector<double> loss = t->numbers("loss"), value = t->numbers(score);
  for (size_t i = 0; i < name.size(); ++i)
    rows.push_back(
        {html::escape(name[i]), fmt::format("{:.5f}", loss[i]), fmt::format("{:.5f}", value[i])});
  return subheading(id, kCorruptions) +
         "<p class=\"muted\">The whole test set, each input corrupted (noise added then clipped "
         "to [0, 1]); a reconstruction is scored against the clean image.</p>\n" +
         html::table({"corruption", "loss", score}, rows);
}

// reconstructions.safetensors: per corruption, the clean test images, what the model was given
// and what it made of it, one row each.
std::string reconstructions(const fs::path& dir, const std::string& id) {
  const fs::path path = dir / "reconstructions.safetensors";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "";
  const SafeTensors st = load_safetensors(path.string());
  const SafeTensor& clean = st.at("clean");
  NNLAB_CHECK(clean.dtype == "U8" && clean.shape.size() == 3,
              "{}: 'clean' must be U8 [K, H, W], is {} {}", path.string(), clean.dtype,
              shape_str(clean.shape));
  const int k = static_cast<int>(clean.shape[0]);
  const int h = static_cast<int>(clean.shape[1]), w = static_cast<int>(clean.shape[2]);
  const auto tiles = [&](const SafeTensor& t) {
    NNLAB_CHECK(t.dtype == "U8" && t.shape == clean.shape, "{}: a grid tensor is not U8 {}",
                path.string(), shape_str(clean.shape));
    return grid_image({t.bytes, k, h, w}, k, "images");
  };
  // In the corruption table's order ("none" first), else the file's.
  std::vector<std::string> order;
  if (const auto t = read_table(dir / "corruptions.csv")) order = t->texts("corruption");
  for (const auto& [name, t] : st.tensors)
    if (name.starts_with("input/") &&
        std::find(order.begin(), order.end(), name.substr(6)) == order.end())
      order.push_back(name.substr(6));
  std::string out = subheading(id, kReconstructions);
  for (const std::string& corruption : order) {
    const std::string input = "input/" + corruption, output = "output/" + corruption;
    if (!st.contains(input) || !st.contains(output)) continue;
    out += figure(tiles(clean) + "<br>" + tiles(st.at(input)) + "<br>" + tiles(st.at(output)),
                  corruption == "none" ? "rows: test images, the model's input (the same), its "
                                         "reconstruction"
                                       : "rows: test images, with " + corruption +
                                             " (the model's input), its reconstruction");
  }
  return out;
}

// latent.csv: the test codes projected on their first two principal components, one colour a
// class.
std::string latent(const fs::path& dir, const std::string& id) {
  const auto t = read_table(dir / "latent.csv");
  if (!t || t->rows.empty()) return "";
  const std::vector<double> x = t->numbers("pc1"), y = t->numbers("pc2");
  const std::vector<std::string> label = t->texts("label");
  std::map<std::string, svg::Series> by_label;
  for (size_t i = 0; i < x.size(); ++i) {
    svg::Series& s = by_label[label[i]];
    s.x.push_back(x[i]);
    s.y.push_back(y[i]);
  }
  // Class names in numeric order when they are numbers ("2" before "10").
  std::vector<std::string> names;
  for (const auto& [name, s] : by_label) names.push_back(name);
  std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    char* end_a = nullptr;
    char* end_b = nullptr;
    const double va = std::strtod(a.c_str(), &end_a), vb = std::strtod(b.c_str(), &end_b);
    const bool na = !a.empty() && *end_a == 0, nb = !b.empty() && *end_b == 0;
    return na && nb ? va < vb : (na != nb ? na : a < b);
  });
  std::vector<svg::Series> series;
  for (const std::string& name : names) {
    svg::Series s = std::move(by_label[name]);
    s.name = name.empty() ? "codes" : name;
    s.points_only = true;
    series.push_back(std::move(s));
  }
  return subheading(id, kLatent) +
         svg::line_chart(
             series, {.title = fmt::format("{} test codes", count(static_cast<double>(x.size()))),
                      .x_label = "first component",
                      .y_label = "second component",
                      .width = 640,
                      .height = 480});
}

// generation.csv and generated.safetensors: images decoded from codes each sampler drew, the
// samplers side by side, and how a classifier of the same data judged them.
std::string generated(const fs::path& dir, const std::string& id) {
  const fs::path path = dir / "generated.safetensors";
  const auto t = read_table(dir / "generation.csv");
  std::error_code ec;
  const bool images = fs::is_regular_file(path, ec);
  if (!t && !images) return "";
  std::string out = subheading(id, kGenerated);
  if (t && !t->rows.empty()) {
    const std::vector<std::string> sampler = t->texts("sampler");
    const std::vector<double> confident = t->numbers("confident_share"),
                              entropy = t->numbers("entropy"), real = t->numbers("real_entropy"),
                              kl = t->numbers("kl"), frechet = t->numbers("frechet"),
                              n = t->numbers("count");
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < sampler.size(); ++i)
      rows.push_back({html::escape(sampler[i]), count(n[i]), fixed(confident[i], 3),
                      fmt::format("{} ({})", fixed(entropy[i], 3), fixed(real[i], 3)),
                      fixed(kl[i], 4), fixed(frechet[i], 3)});
    out +=
        "<p class=\"muted\">Codes drawn from samplers fitted on the training codes, decoded, and "
        "judged by a classifier of the same data: the share it labels with confidence &ge; 0.9 "
        "(higher is better), the entropy of the predicted classes against the real test set's, "
        "their KL divergence from the real class distribution and the Fr&eacute;chet distance "
        "in the classifier's penultimate features (lower is better).</p>\n" +
        html::table({"sampler", "images", "confident share", "class entropy (real)", "KL",
                     "Fr&eacute;chet"},
                    rows);
  }
  if (!images) return out;
  const SafeTensors st = load_safetensors(path.string());
  // In the quality table's order, else the file's.
  std::vector<std::string> order;
  if (t) order = t->texts("sampler");
  for (const auto& [name, tensor] : st.tensors)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  for (const std::string& name : order) {
    if (!st.contains(name)) continue;
    const SafeTensor& tensor = st.at(name);
    NNLAB_CHECK(tensor.dtype == "U8" && tensor.shape.size() == 3,
                "{}: '{}' must be U8 [K, H, W], is {} {}", path.string(), name, tensor.dtype,
                shape_str(tensor.shape));
    const int k = static_cast<int>(tensor.shape[0]);
    out += figure(grid_image({tensor.bytes, k, static_cast<int>(tensor.shape[1]),
                              static_cast<int>(tensor.shape[2])},
                             std::min(k, 10), "generated images"),
                  name);
  }
  return out;
}

std::string inactive(const fs::path& dir, const std::string& id) {
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
  return subheading(id, kInactive) + svg::line_chart(series, {.title = "Inactive neurons per layer",
                                                              .x_label = "step",
                                                              .y_label = "inactive %",
                                                              .integer_x = true});
}

std::string weights(const fs::path& dir, const std::string& id) {
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
  return subheading(id, kWeights) + "<div class=\"charts\">\n" + charts + "</div>\n";
}

}  // namespace

std::string subheading(const std::string& run_id, const char* title) {
  return html::heading(3, title, run_id + "-" + html::slug(title));
}

std::string run_section(const RunInfo& run) {
  const fs::path& dir = run.repeat_dirs.front();
  // A classical learner fits in one step: its times instead of learning curves.
  const std::string fit =
      run.learner.empty()
          ? learning_curves(run)
          : subheading(run.id, "Learner") +
                fmt::format(
                    "<p>{} fitted on {} training rows in {} s; the test predictions "
                    "took {} s.</p>\n",
                    html::escape(run.learner), report::count(run.train_samples),
                    report::fixed(run.fit_seconds, 2), report::fixed(run.predict_seconds, 2));
  std::string body = fit + fitted_curve(dir, run.id) + confusion(dir, run.id) +
                     per_class(dir, run.id) + misclassified(dir, run) + corruptions(dir, run.id) +
                     reconstructions(dir, run.id) + latent(dir, run.id) + generated(dir, run.id) +
                     augmented_samples(dir, run.id) + inactive(dir, run.id) + weights(dir, run.id) +
                     network_figures(dir, run.id);
  if (body.empty())
    body = "<p class=\"muted\">No per-run files found in " + html::escape(dir.string()) + ".</p>\n";
  return fmt::format("<p class=\"muted\">Files of the first repeat: {}</p>\n",
                     html::escape(dir.string())) +
         body;
}

}  // namespace nnlab::report
