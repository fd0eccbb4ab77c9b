// The generation files finalize_run writes for an autoencoder run with diagnostics.generation
// (docs/output-format.md):
//
//   generated.safetensors  U8 [K, H, W] per sampler (named by it): the first images each sampler
//                          made (single-channel images only)
//   generation.csv         with a classifier: eval/generation.hpp's quality table, a row per
//                          sampler
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "study/run_data.hpp"
#include "study/study.hpp"
#include "tensor/exec_context.hpp"

namespace nnlab {

/// Generated images shown per sampler in generated.safetensors.
constexpr int64_t kGeneratedShown = 20;

/// OUT_DIR/runs/CLASSIFIER/r0/weights.safetensors: the weights of the first repeat of `run`'s
/// diagnostics.generation.classifier.
std::string classifier_weights(const std::string& out_dir, const RunSpec& run);

/// Throws, naming the path, the key and the command that makes them, unless the classifier's
/// weights exist ("" classifier: nothing to check). The runner asks before training a run whose
/// classifier will not run first in this invocation.
void check_classifier_weights(const std::string& out_dir, const RunSpec& run);

/// Generates from `model` (the run's final autoencoder) as run.diagnostics.generation says, the
/// samplers fitted on the codes of the first fit_limit samples of `train` (the run's fit part)
/// and drawn with `seed`, the images measured against `test`, measured by the classifier's
/// weights when the run names one (checked as above). Writes the files above into `dir` and returns
/// result.json's "generation": a row per sampler {"sampler", "count"} and, with a classifier, the
/// quality measures.
nlohmann::json write_generation_files(ExecContext& exec, Model& model, const RunSpec& run,
                                      const DataView& train, const Dataset& test, uint64_t seed,
                                      const std::string& out_dir, const std::string& dir);

}  // namespace nnlab
