// The test-set files beyond the scores that finalize_run writes for a run's final model
// (docs/output-format.md), each from the model and the test set alone:
//
//   corruptions.csv               the whole test set scored under each of ["none"] plus
//                                 diagnostics.corruptions: loss and accuracy (classify) or MSE
//                                 against the clean images (reconstruct)
//   reconstructions.safetensors   reconstruct: U8 [K, H, W] "clean" (the first
//                                 diagnostics.reconstructions test images) and, per corruption
//                                 C, "input/C" (what the model was given) and "output/C" (what it
//                                 made of it); single-channel images only
//   latent.csv                    a model with a code layer: the test codes' 2-D PCA,
//                                 "pc1,pc2,label" (at most kLatentPoints rows)
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "study/study.hpp"

namespace nnlab {

/// Rows of latent.csv: enough for a readable scatter, few enough for a light report.
constexpr int64_t kLatentPoints = 2000;

/// Writes the files above into `dir` and returns what result.json records of them:
/// {"corruptions": [{"corruption", "loss", "accuracy" | "mse"}...]} (only with a corruption
/// beyond "none" or a reconstruction) and, with a code layer, {"latent": {"dim", "mean",
/// "std", "explained_variance_ratio"}} (per code dimension over the test set; the PCA's two
/// ratios). `seed` drives the corruptions.
nlohmann::json write_test_set_files(Model& model, const Loss& loss, const RunSpec& run,
                                    const Dataset& test, uint64_t seed, const std::string& dir);

}  // namespace nnlab
