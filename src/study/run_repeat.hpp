// One repeat of one run: train (validating, early stopping), refit when asked, evaluate on the
// test set and write the repeat's files (docs/output-format.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "study/run_data.hpp"
#include "study/runner.hpp"

namespace nnlab {

/// Returns the repeat's entry of metrics.json "runs" (also written as DIR/RUN/rK/result.json,
/// which --resume uses to skip finished repeats).
nlohmann::json run_repeat(const RunSpec& run, int repeat, const RunData& data,
                          const std::string& dir, const std::string& study_path,
                          const RunOptions& options);

/// A run name made safe for a folder name.
std::string file_safe(const std::string& name);

}  // namespace nnlab
