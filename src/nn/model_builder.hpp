// From a study's layer list to a Model.
#pragma once

#include <memory>
#include <vector>

#include "nn/layer_spec.hpp"
#include "nn/loss.hpp"
#include "nn/memory_estimate.hpp"
#include "nn/model.hpp"

namespace nnlab {

/// The batches a model trains and evaluates on and the memory it may take to do so.
struct MemoryLimit {
  int64_t batch = 0, eval_batch = 0;
  double max_gb = 0;  // model.max_memory_gb; 0: default_max_memory_gb()
};

/// Builds the layers of `specs` for a per-sample `input` shape. When the loss fuses its head
/// (softmax for cross-entropy, sigmoid for binary cross-entropy) a final activation of that
/// kind is left out of the layers and becomes the model's head; such a loss after any other
/// final activation than its head or linear is an error naming the last spec's `where`.
/// `max_params` > 0 is a parameter budget, checked before anything is allocated (see Model's
/// constructor); so is the model's memory for `memory`'s batches (plan_model, then
/// check_memory), always: a study or a model file asking for more is refused.
std::unique_ptr<Model> build_model(ExecContext& exec, const Shape& input,
                                   const std::vector<LayerSpec>& specs, const Loss& loss,
                                   Rng& init_rng, int64_t max_params = 0,
                                   const MemoryLimit& memory = {});

/// A layer's output holds at most this many values a sample (4 TB as floats, beyond any
/// model.max_memory_gb): past it no shape arithmetic of a later layer can overflow.
inline constexpr int64_t kMaxSampleValues = int64_t{1} << 40;

struct ModelShape {
  Shape output;             // per sample
  int64_t parameters = 0;   // trainable values, as Model::parameter_count() counts them
  int64_t activations = 0;  // the values of every layer's output for one sample

  /// What training takes in memory with these batches (nn/memory_estimate.hpp).
  MemoryEstimate memory(int64_t batch, int64_t eval_batch) const {
    return {.parameters = parameters,
            .activations = activations,
            .batch = batch,
            .eval_batch = eval_batch};
  }
};

/// What build_model would build, checked the same way (layer types and keys, every layer's
/// input shape, kernels that fit, the loss's rule for the last layer) without allocating or
/// initializing any parameter: a pre-flight check that costs nothing even for a big model. Sums
/// saturate (memory_estimate.hpp); a layer whose output exceeds kMaxSampleValues is an error
/// naming it.
ModelShape plan_model(const Shape& input, const std::vector<LayerSpec>& specs, const Loss& loss);

}  // namespace nnlab
