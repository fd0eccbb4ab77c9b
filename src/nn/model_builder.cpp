#include "nn/model_builder.hpp"

#include "nn/activation_layer.hpp"
#include "tensor/error.hpp"

namespace nnlab {

std::unique_ptr<Model> build_model(const Shape& input, const std::vector<LayerSpec>& specs,
                                   const Loss& loss, Rng& init_rng, int64_t max_params) {
  NNLAB_CHECK(!specs.empty(), "model.layers is empty: a model needs at least one layer");
  std::vector<LayerPtr> layers;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto made = make_layers(specs[i], static_cast<int>(i) + 1);
    for (auto& layer : made) layers.push_back(std::move(layer));
  }

  Head head = Head::none;
  if (loss.fuses_softmax()) {
    // The loss applies softmax to the logits itself, so a final softmax leaves the layers and
    // becomes the head predict() applies; any other squashing activation would be applied
    // twice over (once by the layer, once inside the loss).
    const Layer& last = *layers.back();
    const auto* act = dynamic_cast<const Activation*>(&last);
    NNLAB_CHECK(act == nullptr || act->act() == ActKind::linear,
                "{}: {} takes logits and applies softmax itself, so the last layer cannot be a "
                "'{}' activation; end with softmax or a linear (no) activation",
                specs.back().where, loss.name(), last.kind());
    if (last.kind() == "softmax") layers.pop_back();
    head = Head::softmax;
    NNLAB_CHECK(!layers.empty(), "{}: a model with {} needs layers before the softmax",
                specs.back().where, loss.name());
  }
  return std::make_unique<Model>(input, std::move(layers), head, init_rng, max_params);
}

}  // namespace nnlab
