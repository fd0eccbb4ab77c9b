#include "report/summary_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "report/number_format.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

double number(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

std::string fixed(double v, int decimals = 4) {
  return std::isfinite(v) ? report::decimal_text(v, decimals) : "-";
}

std::string mean_std(double mean, double std, bool with_std) {
  if (!std::isfinite(mean)) return "-";
  return fixed(mean) + (with_std && std::isfinite(std) ? " ± " + fixed(std) : "");
}

// Columns on screen: "±" is two bytes but one column.
size_t columns(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string pad(const std::string& s, size_t width, bool left) {
  const std::string fill(width - std::min(width, columns(s)), ' ');
  return left ? s + fill : fill + s;
}

}  // namespace

std::string summary_score(const json& metrics) {
  const auto any = [&](const char* key) {
    for (const json& s : metrics.value("summary", json::array()))
      if (std::isfinite(number(s, key))) return true;
    return false;
  };
  if (any("test_accuracy_mean") || !any("test_loss_mean")) return "accuracy";
  if (any("test_mse_mean")) return "mse";
  return "loss";
}

std::string row_score(const json& entry, const std::string& study_score) {
  const auto has = [&](const std::string& score) {
    const json test = entry.value("test", json::object());
    return std::isfinite(number(entry, ("test_" + score + "_mean").c_str())) ||
           std::isfinite(number(test, score.c_str()));
  };
  if (has(study_score)) return study_score;
  for (const char* own : {"mse", "loss"})
    if (has(own)) return own;
  return study_score;
}

std::string with_score_name(const std::string& cell, bool present, const std::string& score,
                            const std::string& study_score) {
  return present && score != study_score ? cell + " (" + score + ")" : cell;
}

std::string summary_table(const json& metrics) {
  const std::string study_score = summary_score(metrics);
  std::vector<std::vector<std::string>> rows = {
      {"run", "repeats", "test " + study_score, "reference", "difference", "epochs", "seconds"}};
  for (const json& s : metrics.value("summary", json::array())) {
    const std::string own = row_score(s, study_score), score = "test_" + own;
    const json reference = s.value("reference", json::object());
    const double repeats = number(s, "repeats"), diverged = number(s, "diverged");
    const double ours = number(s, (score + "_mean").c_str());
    const double ref = number(reference, score.c_str());
    const double epochs = number(s, "epochs_mean");
    std::string count = fixed(repeats, 0);
    if (diverged > 0) count += fmt::format(" ({:.0f} diverged)", diverged);
    rows.push_back(
        {s.value("name", "?"), count,
         with_score_name(mean_std(ours, number(s, (score + "_std").c_str()), repeats > 1),
                         std::isfinite(ours), own, study_score),
         mean_std(ref, number(reference, (score + "_std").c_str()), true),
         std::isfinite(ours - ref) ? report::decimal_text(ours - ref, 4, true) : "-",
         fixed(epochs, epochs == std::round(epochs) ? 0 : 1),
         fixed(number(s, "train_seconds_mean"), 1)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  // A search that refits nothing trains no run: no table, as in the report.
  if (rows.size() == 1) rows.clear();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], columns(row[c]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    // The name and the two accuracy columns read left to right; counts and figures align right.
    for (size_t c = 0; c < row.size(); ++c)
      line += (c ? "  " : "") + pad(row[c], width[c], c == 0 || c == 2 || c == 3);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  for (const json& e : metrics.value("ensembles", json::array())) {
    if (!e.is_object() || e.contains("skipped")) continue;
    out += fmt::format("ensemble of {} ({} members): test accuracy {} (members' mean {})\n",
                       e.value("name", "?"), e.value("members", json::array()).size(),
                       fixed(number(e, "test_accuracy"), 4),
                       fixed(number(e, "members_test_accuracy_mean"), 4));
  }
  return out;
}

}  // namespace nnlab
