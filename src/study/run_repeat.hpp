// One repeat of one run: the three stages of run_stages.hpp in a repeat's folder, with the
// progress display and resume (docs/output-format.md).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "study/run_data.hpp"
#include "study/runner.hpp"
#include "train/progress.hpp"

namespace nnlab {

/// Returns the repeat's entry of metrics.json "runs" (also written as DIR/RUN/rK/result.json,
/// which --resume uses to skip finished repeats). `position`, its place in the study, goes to
/// the progress display.
nlohmann::json run_repeat(ExecContext& exec, const RunSpec& run, int repeat, const RunData& data,
                          const std::string& dir, const std::string& study_path,
                          const RunOptions& options, std::optional<StudyPosition> position = {});

/// A run name made safe for a folder name.
std::string file_safe(const std::string& name);

/// OUT_DIR/runs/RUN/rK: the folder of a run's repeat K in a study's output folder.
std::string repeat_dir(const std::string& out_dir, const std::string& run_name, int repeat);

}  // namespace nnlab
