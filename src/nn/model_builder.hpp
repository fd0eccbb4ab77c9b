// From a study's layer list to a Model.
#pragma once

#include <memory>
#include <vector>

#include "nn/layer_spec.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"

namespace nnlab {

/// Builds the layers of `specs` for a per-sample `input` shape. When the loss fuses its head
/// (softmax for cross-entropy, sigmoid for binary cross-entropy) a final activation of that
/// kind is left out of the layers and becomes the model's head; such a loss after any other
/// final activation than its head or linear is an error naming the last spec's `where`.
/// `max_params` > 0 is a parameter budget, checked before anything is allocated (see Model's
/// constructor).
std::unique_ptr<Model> build_model(ExecContext& exec, const Shape& input,
                                   const std::vector<LayerSpec>& specs, const Loss& loss,
                                   Rng& init_rng, int64_t max_params = 0);

struct ModelShape {
  Shape output;            // per sample
  int64_t parameters = 0;  // trainable values, as Model::parameter_count() counts them
};

/// What build_model would build, checked the same way (layer types and keys, every layer's
/// input shape, kernels that fit, the loss's rule for the last layer) without allocating or
/// initializing any parameter: a pre-flight check that costs nothing even for a big model.
ModelShape plan_model(const Shape& input, const std::vector<LayerSpec>& specs, const Loss& loss);

}  // namespace nnlab
