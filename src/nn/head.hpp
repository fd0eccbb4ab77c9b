// A model's head: what turns its last output into predictions. The loss fuses it in training
// (softmax into cross-entropy, sigmoid into binary cross-entropy), so the layers end at the
// logits and the head is applied only by Model::predict().
#pragma once

namespace nnlab {

enum class Head { none, softmax, sigmoid };

}  // namespace nnlab
