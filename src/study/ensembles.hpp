// The ensembles a study reports beside its single models: the repeats of each run (several
// seeds) and the refits of each search (its top-k configurations), each averaged as one model
// from the test outputs its members kept (eval/ensemble.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nnlab {

/// The ensembles of `runs` (metrics.json's "runs", each with its "dir" under `out_dir`): the
/// results grouped by "ensemble_of" (a search's refits) or else by "name" (a run's repeats);
/// every group of two or more that did not diverge and kept test_outputs.safetensors becomes
/// {"name", "members" (run and repeat), "test_accuracy", "test_loss", "test_errors",
/// "members_test_accuracy_mean", "members_test_accuracy_best"}, in the order the groups first
/// appear. A group whose members were tested on other samples is
/// {"name", "members", "skipped": why}.
nlohmann::json study_ensembles(const nlohmann::json& runs, const std::string& out_dir);

}  // namespace nnlab
