// The data of the report's network figures, written after training from the final model:
// learned conv kernels, conv feature maps and hidden-layer activations for chosen test samples,
// and the receptive fields of the first dense layer (tensor names in docs/output-format.md).
#pragma once

#include <string>

#include "data/dataset.hpp"
#include "nn/model.hpp"
#include "study/study.hpp"

namespace nnlab {

/// Writes `path` (figures.safetensors) for `model` evaluated on `test`, as `config` asks
/// (diagnostics.figures, figure_input, profile_inputs, receptive_fields); nothing when figures
/// are off or the model has nothing to draw. Runs one eval-mode forward pass. Throws naming the
/// key when a chosen sample is beyond the test set.
void write_figures(Model& model, const Dataset& test, const DiagnosticsConfig& config,
                   const std::string& path);

}  // namespace nnlab
