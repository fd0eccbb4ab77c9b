// The learning curves of all runs of a study in one pair of charts: per run the mean over its
// repeats with a ± std band, and its best epochs ringed.
#include <fmt/format.h>

#include "report/html.hpp"
#include "report/repeat_curves.hpp"
#include "report/report_data.hpp"
#include "report/svg_chart.hpp"

namespace nnlab::report {
namespace {

// One series per run of `column`; empty when no run has it.
std::vector<svg::Series> per_run(const std::vector<RunInfo>& runs,
                                 const std::vector<std::vector<CsvTable>>& histories,
                                 const std::string& column) {
  std::vector<svg::Series> out;
  for (size_t i = 0; i < runs.size(); ++i) {
    RepeatCurve c = mean_over_repeats(histories[i], column);
    if (c.epoch.empty()) continue;
    out.push_back({.name = runs[i].name,
                   .x = std::move(c.epoch),
                   .y = std::move(c.mean),
                   .spread = c.repeats > 1 ? std::move(c.std) : std::vector<double>{},
                   .marks = runs[i].best_epochs,
                   .mark_name = "best epoch"});
  }
  return out;
}

// The chart of validation `what` (training `what` when no run has a validation split).
std::string chart(const std::vector<RunInfo>& runs,
                  const std::vector<std::vector<CsvTable>>& histories, const std::string& what) {
  std::string phase = "validation", title = "Validation";
  std::vector<svg::Series> series = per_run(runs, histories, "val_" + what);
  if (series.empty()) {
    phase = "training";
    title = "Training";
    series = per_run(runs, histories, "train_" + what);
  }
  if (series.empty()) return "";
  return svg::line_chart(series, {.title = fmt::format("{} {} per run", title, what),
                                  .x_label = "epoch",
                                  .y_label = phase + " " + what,
                                  .integer_x = true,
                                  .width = 580,
                                  .height = 340});
}

}  // namespace

std::string study_curves(const std::vector<RunInfo>& runs) {
  std::vector<std::vector<CsvTable>> histories;
  size_t with_history = 0;
  for (const RunInfo& r : runs) {
    histories.push_back(read_histories(r.repeat_dirs, "history.csv"));
    with_history += !histories.back().empty();
  }
  if (with_history < 2) return "";
  return "<p class=\"muted\">Each run's mean over its repeats, shaded ± one standard deviation; "
         "rings mark the epochs early stopping chose (or the last epoch). Where repeats stopped "
         "early, later epochs average the repeats still training.</p>\n"
         "<div class=\"charts\">\n" +
         chart(runs, histories, "accuracy") + chart(runs, histories, "loss") + "</div>\n";
}

}  // namespace nnlab::report
