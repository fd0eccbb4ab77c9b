#include "report/search_section.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "report/html.hpp"
#include "report/number_format.hpp"
#include "report/report_data.hpp"
#include "report/svg_chart.hpp"
#include "search/space.hpp"

namespace nnlab::report {
namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : kNaN;
}

/// The keys whose values differ between trials: what the search chose among.
std::vector<std::string> varied_keys(const json& trials) {
  std::vector<std::string> keys;
  for (const json& t : trials)
    for (const auto& [k, v] : t["params"].items()) {
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      for (const json& o : trials)
        if (!o["params"].contains(k) || o["params"][k] != v) {
          keys.push_back(k);
          break;
        }
    }
  return keys;
}

std::string trials_table(const json& trials, const std::vector<std::string>& keys,
                         const std::string& metric) {
  std::vector<const json*> order;
  for (const json& t : trials) order.push_back(&t);
  // Best first, then the unranked (incomplete, lower rungs) in the order they ran.
  std::stable_sort(order.begin(), order.end(), [](const json* a, const json* b) {
    const int ra = (*a)["rank"], rb = (*b)["rank"];
    return ra != 0 && (rb == 0 || ra < rb);
  });
  std::vector<std::string> header = {"rank", "stage", "config", "rung", "epochs"};
  for (const auto& k : keys) header.push_back(html::escape(k));
  for (const char* h : {"mean", "std", "seconds"}) header.push_back(h);
  header[header.size() - 3] = "mean " + metric;
  std::vector<std::vector<std::string>> rows;
  for (const json* t : order) {
    std::vector<std::string> row = {
        (*t)["rank"].get<int>() > 0 ? std::to_string((*t)["rank"].get<int>()) : "–",
        html::escape((*t)["stage"].get<std::string>()),
        std::to_string((*t)["config"].get<int64_t>()), std::to_string((*t)["rung"].get<int>()),
        std::to_string((*t)["epochs"].get<int>())};
    for (const auto& k : keys)
      row.push_back((*t)["params"].contains(k)
                        ? html::escape(setting_text((*t)["params"][k], (*t)["params"]))
                        : "");
    row.push_back(fixed(number(*t, "mean_score"), 5));
    row.push_back(fixed(number(*t, "std_score"), 5));
    row.push_back(fixed(number(*t, "seconds"), 2));
    rows.push_back(std::move(row));
  }
  return html::table(header, rows, html::Sort::by_column);
}

std::string best_so_far(const json& trials, bool maximize, const std::string& metric) {
  svg::Series score{.name = "trial's mean " + metric}, best{.name = "best so far"};
  double b = kNaN;
  for (size_t i = 0; i < trials.size(); ++i) {
    const double v = number(trials[i], "mean_score");
    score.x.push_back(static_cast<double>(i + 1));
    score.y.push_back(v);
    if (std::isfinite(v) && (!std::isfinite(b) || (maximize ? v > b : v < b))) b = v;
    best.x.push_back(static_cast<double>(i + 1));
    best.y.push_back(b);
  }
  score.points_only = true;
  // Diverged or far-off configurations would flatten the rest on a linear axis.
  const bool positive = std::all_of(score.y.begin(), score.y.end(),
                                    [](double v) { return !std::isfinite(v) || v > 0; });
  return svg::line_chart({score, best}, {.title = "Best score so far",
                                         .x_label = "configuration (in the order tried)",
                                         .y_label = "mean " + metric,
                                         .log_y = positive && !maximize,
                                         .integer_x = true});
}

/// The mean score against one key: numbers on an axis (log when they span decades), other
/// values as labelled dots.
std::string score_against(const json& trials, const std::string& key, const std::string& metric,
                          bool maximize) {
  bool numeric = true;
  double lo = INFINITY, hi = -INFINITY;
  for (const json& t : trials) {
    const json& v = t["params"].value(key, json());
    if (!v.is_number()) numeric = false;
    if (v.is_number()) {
      lo = std::min(lo, v.get<double>());
      hi = std::max(hi, v.get<double>());
    }
  }
  if (numeric) {
    svg::Series s{.name = "configuration"};
    for (const json& t : trials) {
      s.x.push_back(t["params"][key].get<double>());
      s.y.push_back(number(t, "mean_score"));
    }
    s.points_only = true;
    const bool positive =
        std::all_of(s.y.begin(), s.y.end(), [](double v) { return !std::isfinite(v) || v > 0; });
    return svg::line_chart({s}, {.title = key,
                                 .x_label = key,
                                 .y_label = "mean " + metric,
                                 .log_x = lo > 0 && hi / lo >= 100,
                                 .log_y = positive && metric != "accuracy",
                                 .width = 360,
                                 .height = 240});
  }
  // Categorical: the best score per value (the highest accuracy, the lowest loss).
  std::map<std::string, double> best;
  for (const json& t : trials) {
    const std::string v =
        t["params"].contains(key) ? setting_text(t["params"][key], json::object()) : "(none)";
    const double s = number(t, "mean_score");
    if (!std::isfinite(s)) continue;
    if (!best.contains(v) || (maximize ? s > best[v] : s < best[v])) best[v] = s;
  }
  if (best.empty() || best.size() > 12) return "";  // long values (layer lists) say nothing here
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const auto& [v, s] : best) {
    labels.push_back(v.size() > 24 ? v.substr(0, 21) + "..." : v);
    values.push_back(s);
  }
  return svg::interval_chart(labels, values,
                             {.title = key + (maximize ? " (the highest mean of each value)"
                                                       : " (the lowest mean of each value)"),
                              .y_label = "mean " + metric,
                              .width = 360,
                              .height = 240});
}

std::string ladder(const json& trials) {
  std::map<std::pair<std::string, int>, std::pair<int, int>>
      rungs;  // (stage, rung) -> count, epochs
  for (const json& t : trials) {
    auto& r = rungs[{t["stage"].get<std::string>(), t["rung"].get<int>()}];
    ++r.first;
    r.second = t["epochs"];
  }
  bool halving = false;
  for (const auto& [k, v] : rungs) halving |= k.second > 0;
  if (!halving) return "";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : rungs)
    rows.push_back({html::escape(k.first), std::to_string(k.second), std::to_string(v.second),
                    std::to_string(v.first)});
  return "<p>Successive halving: configurations per rung (each rung trains eta times the "
         "epochs of the one below, the best 1/eta going up).</p>\n" +
         html::table({"stage", "rung", "epochs", "configurations"}, rows);
}

std::string nested(const json& n, const std::string& metric) {
  std::vector<std::vector<std::string>> rows;
  for (const json& o : n["outer"]) {
    std::string params;
    for (const auto& [k, v] : o["params"].items())
      params += k + " = " + setting_text(v, o["params"]) + "; ";
    rows.push_back({std::to_string(o["fold"].get<int>()), html::escape(params),
                    fixed(number(o, "inner_score"), 5), fixed(number(o, "score"), 5)});
  }
  return fmt::format(
             "<p>Nested cross-validation, {} outer folds (each a test set for a {}-fold search "
             "inside the rest): outer {} <b>{} ± {}</b> (mean ± std).</p>\n",
             n["outer_folds"].get<int>(), n["inner_folds"].get<int>(), metric,
             fixed(number(n, "mean"), 5), fixed(number(n, "std"), 5)) +
         html::table({"outer fold", "chosen", "inner mean " + metric, "outer " + metric}, rows);
}

/// What the search refit, as its "refit" says (a number read as a double, so a hostile value
/// cannot overflow an int). Folders from before "refit" was recorded refit at least the best.
std::string refit_sentence(const json& s, const std::string& run) {
  const double refit = s.contains("refit") ? number(s, "refit") : 1;
  if (refit == 0) return "Nothing is refit (refit = 0): the search only ranks.";
  if (refit == 1)
    return fmt::format(
        "The best configuration is refit on all training data and tested once as the run {}.",
        html::escape(run));
  return fmt::format(
      "The best {} configurations are refit on all training data and tested once as the runs "
      "{}, {}#2, ...",
      count(refit), html::escape(run), html::escape(run));
}

}  // namespace

std::string search_section(const json& metrics) {
  if (!metrics.contains("search")) return "";
  std::string out;
  for (const auto& [run, s] : metrics["search"].items()) {
    const std::string metric = s.value("metric", "score");
    const bool maximize = s.value("direction", "min") == "max";
    const json& trials = s["trials"];
    out += html::heading(3, "Search: " + run);
    std::string best;
    if (s.contains("best"))
      for (const auto& [k, v] : s["best"]["params"].items())
        best += html::escape(k + " = " + setting_text(v, s["best"]["params"])) + "; ";
    // The trials' own seconds, summed, hold across resumes; "seconds" is the wall time of the
    // command that wrote metrics.json (a resume of a finished search: about none).
    double trial_seconds = 0;
    for (const json& t : trials)
      if (std::isfinite(number(t, "seconds"))) trial_seconds += number(t, "seconds");
    const size_t stages = s["stages"].size();
    out += fmt::format(
        "<p>{} trials in {} stage{}, scored by {} on validation ({}), {}; {} workers x {} "
        "threads; {} epochs trained in {} s of trials (summed; {} s of wall time in the command "
        "that wrote this). Best: {}mean {} {}{}. {}</p>\n",
        trials.size(), stages, stages == 1 ? "" : "s", html::escape(metric),
        s["folds"].get<int>() > 0 ? fmt::format("{}-fold cross-validation", s["folds"].get<int>())
                                  : "the hold-out split",
        maximize ? "higher is better" : "lower is better", s["workers"].get<int>(),
        s["threads_per_worker"].get<int>(), count(number(s, "epochs_trained")),
        fixed(trial_seconds, 1), fixed(number(s, "seconds"), 1), best, html::escape(metric),
        s.contains("best") ? fixed(number(s["best"], "mean_score"), 5) : "–",
        s.contains("best") ? " ± " + fixed(number(s["best"], "std_score"), 5) : "",
        refit_sentence(s, run));
    const std::vector<std::string> keys = varied_keys(trials);
    out += best_so_far(trials, maximize, metric);
    for (const auto& k : keys) out += score_against(trials, k, metric, maximize);
    out += ladder(trials);
    if (s.contains("nested")) out += nested(s["nested"], metric);
    out += trials_table(trials, keys, metric);
  }
  return out;
}

}  // namespace nnlab::report
