// Parameters: every trainable tensor of a model lives in one arena of values and one of
// gradients (STYLE.md rule 4); a Parameter is a named pair of views into them plus the
// per-layer penalties and constraints that apply to it. Buffers are the non-trainable state.
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace nnlab {

/// Penalties added to the loss (and their gradients to the parameter's gradient) and the
/// max-norm constraint applied after each optimizer step. Zero means off.
struct Regularizer {
  float l1 = 0.0f;
  float l2 = 0.0f;        // adds l2 * sum(w^2) to the loss (Keras convention), 2*l2*w to the grad
  float max_norm = 0.0f;  // each output unit's incoming weight vector is rescaled to norm <= this
};

struct Parameter {
  std::string name;        // "dense1.weight": layer name, dot, role
  Shape shape;             // weight of a dense layer: [out, in] (PyTorch's layout)
  Tensor value;            // view into the model's value arena
  Tensor grad;             // view into the model's gradient arena
  Regularizer reg;         // penalties and constraints; only layers' weights carry them
  bool is_weight = false;  // weights get decoupled weight decay and regularizers, biases do not
};

/// Non-trainable state a layer keeps across batches (batch norm's running statistics): a view
/// into the model's buffer arena, apart from the parameters, so optimizers, penalties and
/// gradients never see it; checkpoints and model files save it beside the parameters.
struct Buffer {
  std::string name;  // "batch_norm2.running_mean"
  Shape shape;
  Tensor value;  // view into the model's buffer arena
};

}  // namespace nnlab
