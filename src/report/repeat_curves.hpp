// Learning curves over the repeats of a run: each history.csv column averaged epoch by epoch.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report/report_data.hpp"

namespace nnlab::report {

/// One column of the repeats' histories: at each epoch (increasing) the mean and the sample
/// standard deviation (n-1; 0 where one repeat reached that epoch) over the repeats with a
/// finite value there. Early stopping makes later epochs average fewer repeats.
struct RepeatCurve {
  std::vector<double> epoch, mean, std;
  size_t repeats = 0;  // tables averaged
};

RepeatCurve mean_over_repeats(const std::vector<CsvTable>& histories, const std::string& column);

/// The histories `file` (history.csv, refit_history.csv) of the repeat directories that have
/// one, repeat 0 first.
std::vector<CsvTable> read_histories(const std::vector<std::filesystem::path>& repeat_dirs,
                                     const std::string& file);

}  // namespace nnlab::report
