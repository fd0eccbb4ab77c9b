// The ensembles a study reports beside its single models: the repeats of each run (several
// seeds), the refits of each search (its top-k configurations), and the ensembles the study file
// declares across runs ([[ensembles]]), each averaged as one model from the test outputs its
// members kept (eval/ensemble.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "study/study.hpp"

namespace nnlab {

/// The ensembles of `runs` (metrics.json's "runs", each with its "dir" under `out_dir`). First
/// the results grouped by "ensemble_of" (a search's refits) or else by "name" (a run's repeats):
/// every group of two or more members becomes an ensemble named after it, in the order the groups
/// first appear. Then each of `declared`, in the file's order: the members of all its runs'
/// groups. A member is a result that did not diverge and kept test_outputs.safetensors. Each
/// ensemble is {"name", "members" (run and repeat), "test_accuracy", "test_loss",
/// "test_errors", "members_test_accuracy_mean", "members_test_accuracy_best"}; one that cannot
/// be scored is {"name", "members", "skipped": why}: members tested on other samples, or a
/// declared ensemble with fewer than two members or a run without any (not run by --run, a
/// learner without probabilities).
nlohmann::json study_ensembles(const nlohmann::json& runs, const std::string& out_dir,
                               const std::vector<EnsembleSpec>& declared);

}  // namespace nnlab
