#include "nn/model_builder.hpp"

#include <limits>
#include <string>

#include "nn/activation_layer.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

struct Layers {
  std::vector<LayerPtr> layers;
  Head head = Head::none;
};

// The layers of `specs`, with a final softmax (cross-entropy) or sigmoid (binary cross-entropy)
// moved into the head when the loss fuses it.
Layers make_model_layers(const std::vector<LayerSpec>& specs, const Loss& loss) {
  NNLAB_CHECK(!specs.empty(), "model.layers is empty: a model needs at least one layer");
  Layers out;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto made = make_layers(specs[i], static_cast<int>(i) + 1);
    for (auto& layer : made) out.layers.push_back(std::move(layer));
  }
  out.head = loss.head();
  if (out.head == Head::none) return out;
  // The loss applies the head to the logits itself, so a final head activation leaves the
  // layers and becomes what predict() applies; any other squashing activation would be applied
  // twice over (once by the layer, once inside the loss).
  const std::string head = out.head == Head::softmax ? "softmax" : "sigmoid";
  const Layer& last = *out.layers.back();
  const auto* act = dynamic_cast<const Activation*>(&last);
  const bool is_head = last.kind() == head;
  const bool squashes = (act && act->act() != ActKind::linear) || last.kind() == "softmax";
  NNLAB_CHECK(is_head || !squashes,
              "{}: {} takes logits and applies {} itself, so the last layer cannot be a "
              "'{}' activation; end with {} or a linear (no) activation",
              specs.back().where, loss.name(), head, last.kind(), head);
  if (is_head) out.layers.pop_back();
  NNLAB_CHECK(!out.layers.empty(), "{}: a model with {} needs layers before the {}",
              specs.back().where, loss.name(), head);
  return out;
}

}  // namespace

std::unique_ptr<Model> build_model(ExecContext& exec, const Shape& input,
                                   const std::vector<LayerSpec>& specs, const Loss& loss,
                                   Rng& init_rng, int64_t max_params, const MemoryLimit& memory) {
  // Planned first: building the layers into a Model allocates their arenas. The study's own
  // budget is named before the memory limit.
  const ModelShape plan = plan_model(input, specs, loss);
  NNLAB_CHECK(max_params <= 0 || plan.parameters <= max_params,
              "model.max_params is {} but the model has {} parameters", max_params,
              plan.parameters);
  check_memory(plan.memory(memory.batch, memory.eval_batch), memory.max_gb);
  Layers made = make_model_layers(specs, loss);
  return std::make_unique<Model>(exec, input, std::move(made.layers), made.head, init_rng,
                                 max_params);
}

ModelShape plan_model(const Shape& input, const std::vector<LayerSpec>& specs, const Loss& loss) {
  // Layer::build declares shapes only; the Model is what allocates the arenas.
  ModelShape plan{.output = input};
  for (const auto& layer : make_model_layers(specs, loss).layers) {
    plan.output = layer->build(plan.output);
    const int64_t values = saturating_size(plan.output);
    NNLAB_CHECK(
        values <= kMaxSampleValues,
        "{} layer '{}': its output {} holds {} values a sample, more than the {} any "
        "memory could train",
        layer->kind(), layer->name(), shape_str(plan.output),
        values == std::numeric_limits<int64_t>::max() ? "over 2^63" : std::to_string(values),
        kMaxSampleValues);
    plan.activations = saturating_add(plan.activations, values);
    for (const Parameter& p : layer->parameters())
      plan.parameters = saturating_add(plan.parameters, saturating_size(p.shape));
  }
  return plan;
}

}  // namespace nnlab
