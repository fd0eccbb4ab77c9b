// The report's page: study header, run tables, comparison and sweep charts, one section per run,
// model summaries and the study file. Reads only the output directory (docs/output-format.md).
#include "report/report.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "report/html.hpp"
#include "report/report_data.hpp"
#include "report/svg_chart.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// j[a][b]... as a number, NaN when any step is missing or not a number.
double num(const json& j, std::initializer_list<const char*> keys) {
  const json* p = &j;
  for (const char* k : keys) {
    if (!p->is_object() || !p->contains(k)) return kNaN;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<double>() : kNaN;
}

std::string text(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string integer(double v) { return std::isfinite(v) ? fmt::format("{:.0f}", v) : "–"; }

// "0.9861 ± 0.0012" (no ± part when the spread is unknown).
std::string mean_std(double mean, double std) {
  return report::fixed(mean) + (std::isfinite(std) ? " ± " + report::fixed(std) : "");
}

std::string difference(double ours, double reference) {
  if (!std::isfinite(ours) || !std::isfinite(reference)) return "–";
  const double d = ours - reference;
  return fmt::format("<span class=\"{}\">{:+.4f}</span>", d >= 0 ? "better" : "worse", d);
}

std::string header_section(const json& m, size_t runs) {
  std::string out = "<h1>" + html::escape("Study: " + text(m, "study")) + "</h1>\n";
  if (!text(m, "description").empty())
    out += "<p>" + html::escape(text(m, "description")) + "</p>\n";
  out += html::heading(2, "Environment");
  out += html::table({"nnlab version", "threads", "runs x repeats"},
                     {{html::escape(text(m, "nnlab_version")), integer(num(m, {"threads"})),
                       std::to_string(runs)}});
  return out;
}

std::string summary_section(const json& m, const std::map<std::string, const json*>& first) {
  std::vector<std::vector<std::string>> rows;
  for (const json& s : m.at("summary")) {
    const std::string name = text(s, "name");
    const auto it = first.find(name);
    const json& r0 = it != first.end() ? *it->second : json::object();
    const double ours = num(s, {"test_accuracy_mean"});
    const double ref = num(s, {"reference", "test_accuracy"});
    const double ref_std = num(s, {"reference", "test_accuracy_std"});
    rows.push_back({html::escape(name), integer(num(s, {"repeats"})),
                    mean_std(ours, num(s, {"test_accuracy_std"})),
                    report::fixed(num(s, {"val_accuracy_mean"})), mean_std(ref, ref_std),
                    difference(ours, ref), integer(num(r0, {"params"})),
                    report::fixed(num(s, {"train_seconds_mean"}), 1)});
  }
  return html::heading(2, "Summary") +
         html::table({"run", "repeats", "test accuracy (mean ± std)", "validation accuracy",
                      "reference test accuracy", "difference", "params", "seconds"},
                     rows);
}

std::string repeats_section(const json& m) {
  std::vector<std::vector<std::string>> rows;
  for (const json& r : m.at("runs")) {
    rows.push_back(
        {html::escape(text(r, "name")), integer(num(r, {"repeat"})), integer(num(r, {"seed"})),
         integer(num(r, {"epochs_run"})), integer(num(r, {"best_epoch"})),
         html::escape(text(r, "stopped")), report::fixed(num(r, {"train", "accuracy"})),
         report::fixed(num(r, {"val", "accuracy"})), report::fixed(num(r, {"test", "accuracy"})),
         report::fixed(num(r, {"test", "loss"})), integer(num(r, {"test", "errors"})),
         report::fixed(num(r, {"macro", "f1"})), report::fixed(num(r, {"train_seconds"}), 1),
         integer(num(r, {"samples_per_second"}))});
  }
  return html::heading(2, "Repeats") +
         html::table(
             {"run", "repeat", "seed", "epochs", "best epoch", "stopped", "train acc", "val acc",
              "test acc", "test loss", "test errors", "macro F1", "seconds", "samples/s"},
             rows);
}

std::string comparison_section(const json& m) {
  std::vector<std::string> labels;
  std::vector<double> means, stds, refs;
  for (const json& s : m.at("summary")) {
    labels.push_back(text(s, "name"));
    means.push_back(num(s, {"test_accuracy_mean"}));
    stds.push_back(num(s, {"test_accuracy_std"}));
    refs.push_back(num(s, {"reference", "test_accuracy"}));
  }
  if (labels.empty()) return "";
  return html::heading(2, "Comparison") +
         svg::interval_chart(labels, means,
                             {.title = "Mean test accuracy (± std over repeats)",
                              .x_label = "run",
                              .y_label = "test accuracy",
                              .width = std::max(480, 110 * static_cast<int>(labels.size()) + 100)},
                             stds, refs, "reference");
}

std::string lr_sweep_section(const fs::path& dir) {
  const auto t = report::read_table(dir / "lr_sweep.csv");
  if (!t || t->rows.empty()) return "";
  const std::vector<std::string> rate = t->texts("rate");
  const std::vector<double> step = t->numbers("step"), loss = t->numbers("train_loss");
  std::vector<svg::Series> series;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < rate.size(); ++i) {
    auto [it, fresh] = index.emplace(rate[i], series.size());
    if (fresh) series.push_back({"lr " + rate[i], {}, {}});
    series[it->second].x.push_back(step[i]);
    series[it->second].y.push_back(loss[i]);
  }
  return html::heading(2, "Learning-rate sweep") +
         svg::line_chart(series, {.title = "Training loss per learning rate",
                                  .x_label = "step",
                                  .y_label = "training loss (log)",
                                  .log_y = true,
                                  .integer_x = true,
                                  .width = 720,
                                  .height = 380});
}

std::string model_summaries(const json& m) {
  if (!m.contains("model_summary") || !m["model_summary"].is_object()) return "";
  std::string out = html::heading(2, "Model summaries");
  for (const auto& [name, summary] : m["model_summary"].items()) {
    out += html::heading(3, name) + "<pre>" +
           html::escape(summary.is_string() ? summary.get<std::string>() : summary.dump(2)) +
           "</pre>\n";
  }
  return out;
}

std::string study_file(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "study.toml", ec)) return "";
  return html::heading(2, "Study file") + "<pre>" +
         html::escape(read_file((dir / "study.toml").string())) + "</pre>\n";
}

// The directory holding a run's first repeat: metrics.json's "dir" for repeat 0, else the
// documented runs/RUN/r0 with RUN made file-safe.
fs::path first_repeat_dir(const fs::path& dir, const std::string& name, const json* r0) {
  if (r0 && !text(*r0, "dir").empty()) return dir / text(*r0, "dir");
  std::string safe = name;
  for (char& c : safe) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '=';
    if (!ok) c = '_';
  }
  return dir / "runs" / safe / "r0";
}

json load_metrics(const fs::path& path) {
  std::error_code ec;
  NNLAB_CHECK(fs::is_regular_file(path, ec), "{}: not found (is this a study output directory?)",
              path.string());
  json m;
  try {
    m = json::parse(read_file(path.string()));
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: malformed JSON: {}", path.string(), e.what()));
  }
  NNLAB_CHECK(m.is_object(), "{}: expected a JSON object", path.string());
  NNLAB_CHECK(m.contains("runs") && m["runs"].is_array(), "{}: \"runs\" must be an array",
              path.string());
  NNLAB_CHECK(m.contains("summary") && m["summary"].is_array(), "{}: \"summary\" must be an array",
              path.string());
  for (const json& r : m["runs"])
    NNLAB_CHECK(r.is_object(), "{}: every entry of \"runs\" must be an object", path.string());
  for (const json& s : m["summary"])
    NNLAB_CHECK(s.is_object() && s.contains("name") && s["name"].is_string(),
                "{}: every entry of \"summary\" must be an object with a \"name\"", path.string());
  return m;
}

}  // namespace

std::string render_report(const std::string& dir_arg) {
  const fs::path dir(dir_arg);
  const fs::path metrics_path = dir / "metrics.json";
  const json m = load_metrics(metrics_path);

  std::map<std::string, const json*> first;  // run name -> its repeat 0 in "runs"
  for (const json& r : m["runs"])
    if (num(r, {"repeat"}) == 0) first.emplace(text(r, "name"), &r);

  std::string body;
  try {
    body = header_section(m, m["runs"].size()) + summary_section(m, first) + comparison_section(m) +
           repeats_section(m) + lr_sweep_section(dir);
    for (const json& s : m["summary"]) {
      const std::string name = text(s, "name");
      const auto it = first.find(name);
      body += report::run_section(
          name, first_repeat_dir(dir, name, it != first.end() ? it->second : nullptr));
    }
    body += model_summaries(m) + study_file(dir);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: unexpected content: {}", metrics_path.string(), e.what()));
  }
  const std::string path = (dir / "report.html").string();
  write_file_atomic(path, html::page("nnlab report: " + text(m, "study"), body));
  return path;
}

}  // namespace nnlab
