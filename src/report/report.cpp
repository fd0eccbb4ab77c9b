// The report's page: study header, run tables, comparison and sweep charts, one section per run,
// model summaries and the study file. Reads only the output directory (docs/output-format.md).
#include "report/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "io/atomic_file.hpp"
#include "report/html.hpp"
#include "report/number_format.hpp"
#include "report/report_data.hpp"
#include "report/search_section.hpp"
#include "report/summary_table.hpp"
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

// "0.9861 ± 0.0012" (no ± part when the spread is unknown or, over one repeat, none).
std::string mean_std(double mean, double std, double repeats = 2) {
  return report::fixed(mean) +
         (std::isfinite(std) && !(repeats < 2) ? " ± " + report::fixed(std) : "");
}

// Ours minus the reference, coloured by whether it is better: higher for an accuracy, lower for
// an error (MSE, loss).
std::string difference(double ours, double reference, bool higher_is_better) {
  const double d = ours - reference;
  if (!std::isfinite(d)) return "–";  // either is not finite, or their difference overflows
  const bool better = higher_is_better ? d >= 0 : d <= 0;
  return fmt::format("<span class=\"{}\">{}</span>", better ? "better" : "worse",
                     report::decimal_text(d, 4, true));
}

// "mnist: 54,000 train / 6,000 validation / 10,000 test" for a run's "data" entry.
std::string split(const json& r) {
  if (!r.contains("data") || !r["data"].is_object()) return "";
  const json& d = r["data"];
  return fmt::format("{}: {} train / {} validation / {} test", text(d, "dataset"),
                     report::count(num(d, {"train"})), report::count(num(d, {"val"})),
                     report::count(num(d, {"test"})));
}

// The datasets and split sizes of the runs: one line when all runs share them, else one per
// run.
std::string splits(const json& m) {
  std::vector<std::pair<std::string, std::string>> lines;  // run, split
  for (const json& r : m["runs"]) {
    const std::string s = split(r);
    if (s.empty() || num(r, {"repeat"}) != 0) continue;
    lines.emplace_back(text(r, "name"), s);
  }
  if (lines.empty()) return "–";
  const bool same = std::all_of(lines.begin(), lines.end(),
                                [&](const auto& l) { return l.second == lines.front().second; });
  if (same) return html::escape(lines.front().second);
  std::string out;
  for (const auto& [run, s] : lines) out += html::escape(run + " — " + s) + "<br>";
  return out;
}

std::string wall_time(double seconds) {
  if (!std::isfinite(seconds)) return "–";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  return s >= 60
             ? fmt::format("{:.1f} s ({}:{:02d}:{:02d})", seconds, s / 3600, s / 60 % 60, s % 60)
             : fmt::format("{:.1f} s", seconds);
}

std::string header_section(const json& m) {
  std::string out = "<h1>" + html::escape("Study: " + text(m, "study")) + "</h1>\n";
  if (!text(m, "description").empty())
    out += "<p>" + html::escape(text(m, "description")) + "</p>\n";
  return out;
}

std::string environment(const json& m, size_t runs) {
  // Output directories from before "environment" kept version and threads at the top level.
  const json& env = m.contains("environment") ? m["environment"] : m;
  const std::string commit = text(env, "nnlab_commit");
  const std::vector<std::pair<const char*, std::string>> rows = {
      {"dataset and split", splits(m)},
      {"date", html::escape(text(env, "date"))},
      {"command", html::escape(text(env, "command"))},
      {"nnlab version", html::escape(text(env, "nnlab_version") +
                                     (commit.empty() ? "" : " (commit " + commit + ")"))},
      {"threads", integer(num(env, {"threads"}))},
      {"wall time", wall_time(num(env, {"wall_seconds"}))},
      {"runs x repeats", std::to_string(runs)}};
  std::string out = "<table class=\"env\">\n";
  for (const auto& [key, value] : rows)
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", key, value.empty() ? "–" : value);
  return out + "</table>\n";
}

std::string summary_section(const json& m, const std::map<std::string, const json*>& first) {
  // Runs are compared on their accuracy, or without classes on their MSE (summary_score); a run
  // without the study's score shows its own, named (row_score).
  const std::string study_score = summary_score(m);
  std::vector<std::vector<std::string>> rows;
  for (const json& s : m.at("summary")) {
    const std::string name = text(s, "name");
    const auto it = first.find(name);
    const json& r0 = it != first.end() ? *it->second : json::object();
    const std::string score = row_score(s, study_score), key = "test_" + score,
                      val = "val_" + score;
    const auto named = [&](double v, const std::string& cell) {
      return with_score_name(cell, std::isfinite(v), score, study_score);
    };
    const double ours = num(s, {(key + "_mean").c_str()});
    const double val_mean = num(s, {(val + "_mean").c_str()});
    const double ref = num(s, {"reference", key.c_str()});
    const double ref_std = num(s, {"reference", (key + "_std").c_str()});
    rows.push_back(
        {html::escape(name), integer(num(s, {"repeats"})),
         named(ours, mean_std(ours, num(s, {(key + "_std").c_str()}), num(s, {"repeats"}))),
         named(val_mean, mean_std(val_mean, num(s, {(val + "_std").c_str()}), num(s, {"repeats"}))),
         mean_std(ref, ref_std), difference(ours, ref, score == "accuracy"),
         r0.contains("learner") ? "–" : report::count(num(r0, {"params"})),
         report::fixed(num(s, {"train_seconds_mean"}), 1)});
  }
  if (rows.empty()) return "";  // a search that refits nothing trains no run
  return html::table({"run", "repeats", "test " + study_score + " (mean ± std)",
                      "validation " + study_score + " (mean ± std)",
                      "reference test " + study_score, "difference", "params", "seconds"},
                     rows);
}

std::string repeats_section(const json& m) {
  const std::string study_score = summary_score(m);
  std::vector<std::vector<std::string>> rows;
  for (const json& r : m.at("runs")) {
    const std::string score = row_score(r, study_score);
    const auto figure = [&](const char* part) {
      const double v = num(r, {part, score.c_str()});
      return with_score_name(report::fixed(v), std::isfinite(v), score, study_score);
    };
    rows.push_back(
        {html::escape(text(r, "name")), integer(num(r, {"repeat"})), integer(num(r, {"seed"})),
         integer(num(r, {"epochs_run"})), integer(num(r, {"best_epoch"})),
         html::escape(text(r, "stopped")), figure("train"), figure("val"), figure("test"),
         report::fixed(num(r, {"test", "loss"})), report::count(num(r, {"test", "errors"})),
         report::fixed(num(r, {"macro", "f1"})), report::fixed(num(r, {"train_seconds"}), 1),
         report::count(num(r, {"samples_per_second"}))});
  }
  if (rows.empty()) return "";
  const std::string s = study_score == "accuracy" ? "acc" : study_score;
  return html::table(
      {"run", "repeat", "seed", "epochs", "best epoch", "stopped", "train " + s, "val " + s,
       "test " + s, "test loss", "test errors", "macro F1", "seconds", "samples/s"},
      rows);
}

// metrics.json "ensembles" (study/ensembles.hpp): each ensemble's test accuracy beside the mean
// and the best of its members'.
std::string ensembles_section(const json& m) {
  if (!m.contains("ensembles") || !m["ensembles"].is_array()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const json& e : m["ensembles"]) {
    const json members = e.is_object() && e.contains("members") && e["members"].is_array()
                             ? e["members"]
                             : json::array();
    std::vector<std::string> names;
    for (const json& n : members) names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
    const double ensemble = num(e, {"test_accuracy"}),
                 mean = num(e, {"members_test_accuracy_mean"});
    rows.push_back(
        {html::escape(text(e, "name")), integer(static_cast<double>(names.size())),
         report::fixed(ensemble), report::fixed(mean),
         report::fixed(num(e, {"members_test_accuracy_best"})), report::fixed(ensemble - mean),
         report::count(num(e, {"test_errors"})), report::fixed(num(e, {"test_loss"})),
         html::escape(text(e, "skipped").empty() ? fmt::format("{}", fmt::join(names, ", "))
                                                 : "skipped: " + text(e, "skipped"))});
  }
  if (rows.empty()) return "";
  return "<p>The members' test probabilities averaged sample by sample: the repeats of a run, "
         "the top refits of a search, the runs an ensemble of the study file names.</p>\n" +
         html::table({"ensemble", "members", "test acc", "members' mean", "best member", "gain",
                      "test errors", "test loss", "of"},
                     rows);
}

std::string comparison_section(const json& m) {
  const std::string score = summary_score(m), key = "test_" + score;
  std::vector<std::string> labels;
  std::vector<double> means, stds, refs;
  for (const json& s : m.at("summary")) {
    // A run without the study's score (an autoencoder among classifiers) has no place here.
    const double mean = num(s, {(key + "_mean").c_str()}), ref = num(s, {"reference", key.c_str()});
    if (std::isnan(mean) && std::isnan(ref)) continue;
    labels.push_back(text(s, "name"));
    means.push_back(mean);
    stds.push_back(num(s, {(key + "_std").c_str()}));
    refs.push_back(ref);
  }
  if (labels.empty()) return "";
  return svg::interval_chart(labels, means,
                             {.title = "Mean test " + score + " (± std over repeats)",
                              .x_label = "run",
                              .y_label = "test " + score,
                              .width = std::max(480, 110 * static_cast<int>(labels.size()) + 100)},
                             stds, refs, "reference");
}

// One chart per swept run whose sweep has one numeric axis: its train, validation and test
// scores (means over repeats) against the swept value, on a log axis when the values are
// positive and span two decades or more (S5's C from 1e-4 to 1e4).
std::string sweeps_section(const json& m) {
  const std::string score = summary_score(m);
  std::map<std::string, std::vector<const json*>> groups;  // swept run -> its runs
  std::vector<std::string> order;
  for (const json& s : m.at("summary")) {
    if (!s.contains("sweep") || s["sweep"]["values"].size() != 1) continue;
    const std::string of = s["sweep"]["of"].get<std::string>();
    if (!groups.contains(of)) order.push_back(of);
    groups[of].push_back(&s);
  }
  std::string out;
  for (const std::string& of : order) {
    const auto& runs = groups[of];
    const std::string key = runs.front()->at("sweep")["values"].begin().key();
    std::vector<svg::Series> series;
    double lo = INFINITY, hi = -INFINITY;
    for (const char* part : {"train", "val", "test"}) {
      svg::Series line{.name = part};
      for (const json* s : runs) {
        const double x = s->at("sweep")["values"].value(key, NAN);
        const double y = num(*s, {(std::string(part) + "_" + score + "_mean").c_str()});
        if (std::isnan(x) || std::isnan(y)) continue;
        line.x.push_back(x);
        line.y.push_back(y);
        lo = std::min(lo, x);
        hi = std::max(hi, x);
      }
      if (!line.x.empty()) series.push_back(std::move(line));
    }
    if (series.empty() || runs.size() < 2) continue;
    out += html::heading(3, html::escape(of) + ": " + score + " against " + html::escape(key),
                         "sweep-" + html::slug(of));
    out += svg::line_chart(series, {.title = of + ": " + score + " per " + key,
                                    .x_label = key,
                                    .y_label = score,
                                    .log_x = lo > 0 && hi / lo >= 100});
  }
  return out;
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
  return svg::line_chart(series, {.title = "Training loss per learning rate",
                                  .x_label = "step",
                                  .y_label = "training loss (log)",
                                  .log_y = true,
                                  .integer_x = true,
                                  .width = 720,
                                  .height = 380});
}

// One summary per run, its heading's id RUN_ID-model (a run's name alone could be that of a
// section, such as "summary").
std::string model_summaries(const json& m, const std::vector<report::RunInfo>& runs) {
  if (!m.contains("model_summary") || !m["model_summary"].is_object()) return "";
  std::string out;
  for (const auto& [name, summary] : m["model_summary"].items()) {
    const auto run =
        std::find_if(runs.begin(), runs.end(), [&name = name](const report::RunInfo& r) {
          return r.name == name;  // an init-capture: clang before 16 cannot capture a binding
        });
    const std::string id =
        (run != runs.end() ? run->id : "model-of-" + html::slug(name)) + "-model";
    out += html::heading(3, name, id) + "<pre>" +
           html::escape(summary.is_string() ? summary.get<std::string>() : summary.dump(2)) +
           "</pre>\n";
  }
  return out;
}

std::string study_file(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "study.toml", ec)) return "";
  return "<pre>" + html::escape(read_file((dir / "study.toml").string())) + "</pre>\n";
}

// Whether `path` lies in `root` once both are resolved: "..", "." and symbolic links followed.
bool inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  fs::path real_root = fs::weakly_canonical(fs::absolute(root), ec);
  if (ec) return false;
  if (!real_root.has_filename()) real_root = real_root.parent_path();  // "out/" is "out"
  const fs::path real = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) return false;
  const fs::path rel = real.lexically_relative(real_root);
  return !rel.empty() && *rel.begin() != "..";
}

// A run's folder name, as study/run_repeat.hpp makes it (the report links no engine code).
std::string file_safe(const std::string& name) {
  std::string safe = name;
  for (char& c : safe) {
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '=';
    if (!ok) c = '_';
  }
  return safe;
}

// The directory of repeat k of a run: its "dir" in metrics.json, else the documented
// runs/RUN/rK with RUN made file-safe. The report reads nothing outside its folder: an absolute
// "dir", or one leading out (through ".." or a symbolic link), is refused.
fs::path repeat_dir(const fs::path& dir, const std::string& name, const json* r, int k) {
  const std::string given = r ? text(*r, "dir") : "";
  const std::string metrics = (dir / "metrics.json").string();
  NNLAB_CHECK(!fs::path(given).is_absolute(),
              "{}: \"dir\" of run '{}' is the absolute path '{}': the report reads only inside {}",
              metrics, name, given, dir.string());
  const fs::path path =
      given.empty() ? dir / "runs" / file_safe(name) / fmt::format("r{}", k) : dir / given;
  NNLAB_CHECK(inside(dir, path), "{}: {} of run '{}' is '{}', which leads outside {}", metrics,
              given.empty() ? "the folder" : "\"dir\"", name, given.empty() ? path.string() : given,
              dir.string());
  return path;
}

std::vector<double> sorted_unique(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Each run of the summary with its repeats' directories and epochs, and an id unique in the
// page (two names may differ only in characters an id cannot hold).
std::vector<report::RunInfo> run_infos(const fs::path& dir, const json& m) {
  std::vector<report::RunInfo> out;
  std::set<std::string> ids;
  for (const json& s : m["summary"]) {
    report::RunInfo run;
    run.name = text(s, "name");
    const std::string base = "run-" + html::slug(run.name);
    run.id = base;
    for (int n = 2; ids.count(run.id); ++n) run.id = fmt::format("{}-{}", base, n);
    ids.insert(run.id);
    std::vector<const json*> repeats;
    for (const json& r : m["runs"])
      if (text(r, "name") == run.name) repeats.push_back(&r);
    std::stable_sort(repeats.begin(), repeats.end(), [](const json* a, const json* b) {
      return num(*a, {"repeat"}) < num(*b, {"repeat"});
    });
    for (const json* r : repeats) {
      const double k = num(*r, {"repeat"});
      // Converting a number outside int's range to int is undefined: such a value is refused.
      NNLAB_CHECK(
          std::isnan(k) || (k >= 0 && k <= std::numeric_limits<int>::max() && k == std::floor(k)),
          "{}: \"repeat\" of run '{}' is {}, not a whole number from 0 to {}",
          (dir / "metrics.json").string(), run.name, k, std::numeric_limits<int>::max());
      run.repeat_dirs.push_back(
          repeat_dir(dir, run.name, r, std::isnan(k) ? 0 : static_cast<int>(k)));
      if (std::isfinite(num(*r, {"best_epoch"})))
        run.best_epochs.push_back(num(*r, {"best_epoch"}));
      if (text(*r, "stopped") == "early_stopping")
        run.early_stops.push_back(num(*r, {"epochs_run"}));
    }
    if (repeats.empty()) run.repeat_dirs.push_back(repeat_dir(dir, run.name, nullptr, 0));
    if (!repeats.empty()) {
      const json& r0 = *repeats.front();
      run.test_errors = num(r0, {"test", "errors"});
      run.learner = text(r0, "learner");
      run.fit_seconds = num(r0, {"train_seconds"});
      run.predict_seconds = num(r0, {"predict_seconds"});
      run.train_samples = num(r0, {"train_samples"});
    }
    run.best_epochs = sorted_unique(run.best_epochs);
    run.early_stops = sorted_unique(run.early_stops);
    out.push_back(std::move(run));
  }
  return out;
}

// A top-level section of the page: its heading's id and title, and its content.
struct Section {
  std::string id, title, html;
};

std::string contents(const std::vector<Section>& sections) {
  std::string out = "<nav class=\"toc\"><strong>Contents</strong>\n<ol>\n";
  for (const Section& s : sections)
    out +=
        fmt::format("<li><a href=\"#{}\">{}</a></li>\n", html::escape(s.id), html::escape(s.title));
  return out + "</ol></nav>\n";
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
    const std::vector<report::RunInfo> runs = run_infos(dir, m);
    std::vector<Section> sections = {
        {"environment", "Environment", environment(m, m["runs"].size())},
        {"summary", "Summary", summary_section(m, first)},
        {"comparison", "Comparison", comparison_section(m)},
        {"all-runs", "Learning curves of all runs", report::study_curves(runs)},
        {"repeats", "Repeats", repeats_section(m)},
        {"ensembles", "Ensembles", ensembles_section(m)},
        {"learning-rate-sweep", "Learning-rate sweep", lr_sweep_section(dir)},
        {"sweeps", "Sweeps", sweeps_section(m)},
        {"search", "Search", report::search_section(m)}};
    for (const report::RunInfo& run : runs)
      sections.push_back({run.id, "Run: " + run.name, report::run_section(run)});
    sections.push_back({"model-summaries", "Model summaries", model_summaries(m, runs)});
    sections.push_back({"study-file", "Study file", study_file(dir)});
    std::erase_if(sections, [](const Section& s) { return s.html.empty(); });
    body = header_section(m) + contents(sections);
    for (const Section& s : sections) body += html::heading(2, s.title, s.id) + s.html;
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: unexpected content: {}", metrics_path.string(), e.what()));
  }
  const std::string path = (dir / "report.html").string();
  write_file_atomic(path, html::page("nnlab report: " + text(m, "study"), body));
  return path;
}

}  // namespace nnlab
