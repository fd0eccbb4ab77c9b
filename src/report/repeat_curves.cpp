#include "report/repeat_curves.hpp"

#include <cmath>
#include <map>

namespace nnlab::report {

RepeatCurve mean_over_repeats(const std::vector<CsvTable>& histories, const std::string& column) {
  std::map<double, std::vector<double>> by_epoch;
  for (const CsvTable& t : histories) {
    const std::vector<double> epoch = t.numbers("epoch"), value = t.numbers(column);
    for (size_t i = 0; i < epoch.size(); ++i)
      if (std::isfinite(epoch[i]) && std::isfinite(value[i]))
        by_epoch[epoch[i]].push_back(value[i]);
  }
  RepeatCurve out;
  out.repeats = histories.size();
  for (const auto& [epoch, values] : by_epoch) {
    double mean = 0;
    for (double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    out.epoch.push_back(epoch);
    out.mean.push_back(mean);
    out.std.push_back(values.size() > 1 ? std::sqrt(ss / static_cast<double>(values.size() - 1))
                                        : 0.0);
  }
  return out;
}

std::vector<CsvTable> read_histories(const std::vector<std::filesystem::path>& repeat_dirs,
                                     const std::string& file) {
  std::vector<CsvTable> out;
  for (const auto& dir : repeat_dirs)
    if (auto t = read_table(dir / file)) out.push_back(std::move(*t));
  return out;
}

}  // namespace nnlab::report
