// The checks a study gets before any data is loaded or any file written, so that a bad run in
// a long study fails in its first second rather than after the runs before it.
#pragma once

#include <string>
#include <vector>

#include "study/study.hpp"

namespace nnlab {

/// Throws unless every name in `only_runs` (--run) is a run of the study ("--run 'x': no such
/// run in s1.toml; runs: a, b, c"), and every selected run's model (all runs when `only_runs`
/// is empty) builds for its dataset's samples: layer types and keys, shapes, kernel and window
/// sizes, model.max_params, the memory training takes (model.max_memory_gb), and outputs that
/// match the task (a classifier's classes, a regression's targets, an autoencoder's input).
/// Allocates no parameters (nnlab::plan_model).
void check_runs_before_training(const Study& study, const std::vector<std::string>& only_runs);

/// The checks above for one run (`run` need not be one of `study.runs`: a search's trials are
/// runs resolved from a configuration, study/search_trials.hpp).
void check_run_before_training(const Study& study, const RunSpec& run);

}  // namespace nnlab
