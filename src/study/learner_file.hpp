// The study keys of classical learning: a run's `transforms` (the chain of features before its
// learner) and its [learner] table, read and range-checked with the file and line of each value.
#pragma once

#include <vector>

#include "study/study.hpp"
#include "study/toml_access.hpp"

namespace nnlab::study_detail {

/// transforms = [{type = "hog", cell = 7}, {type = "pca", components = 50}, ...]; an encoder
/// names an autoencoder run among `earlier` (runs run in file order).
std::vector<TransformSpec> read_transforms(const Lookup& l, const std::vector<RunSpec>& earlier,
                                           const std::string& run_name);

/// [learner]: type = "network" (default) | "knn" | "svm" | "linear_svm" and that type's keys;
/// a key of another type is an error. `seed` seeds liblinear's shuffles.
LearnerConfig read_learner(const Lookup& l, uint64_t seed);

/// What a classical learner or a transform asks of the rest of the run (task, model, data).
void check_learner(const Lookup& l, const RunSpec& run);

}  // namespace nnlab::study_detail
