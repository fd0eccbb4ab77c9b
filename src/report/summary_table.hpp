// The study's result as plain text: the table `nnlab run` prints when it ends.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nnlab {

/// One row per entry of metrics.json's "summary" (docs/output-format.md), columns aligned:
///
///   run      repeats  test accuracy    reference        difference  epochs  seconds
///   sigmoid        5  0.9215 ± 0.0012  0.9212 ± 0.0014     +0.0003      15     41.2
///
/// Test accuracy is the mean ± sample std over the repeats (no ± for one repeat), the
/// reference and difference come from the run's `reference`, epochs and seconds are means per
/// repeat; "-" where a figure is missing. Diverged repeats are counted beside the repeats. A run
/// without the study's score shows its own, named: "0.0118 (mse)" (row_score).
std::string summary_table(const nlohmann::json& metrics);

/// The score a study's runs are compared on, as named in a run's "train", "val" and "test":
/// "accuracy" where there are classes, else "mse" (a regression or a reconstruction), else
/// "loss" (results written before the MSE). The summary holds "test_SCORE_mean" and "_std",
/// the reference "test_SCORE".
std::string summary_score(const nlohmann::json& metrics);

/// The score one entry of the summary (`test_SCORE_mean`) or of "runs" (`test.SCORE`) is shown
/// with: the study's where the entry has it, else the entry's own ("mse", else "loss"), so an
/// autoencoder among classifiers shows its test MSE, not a blank.
std::string row_score(const nlohmann::json& entry, const std::string& study_score);

/// A row's figure `cell` of its own score, named where that is not the study's and the figure is
/// there: "0.0118" -> "0.0118 (mse)".
std::string with_score_name(const std::string& cell, bool present, const std::string& score,
                            const std::string& study_score);

}  // namespace nnlab
