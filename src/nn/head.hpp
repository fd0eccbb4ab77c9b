// A model's head: the squashing applied to its output for predictions, which its loss fuses in
// training (the loss takes logits; see nn/loss.hpp).
#pragma once

namespace nnlab {

enum class Head { none, softmax, sigmoid };

}  // namespace nnlab
