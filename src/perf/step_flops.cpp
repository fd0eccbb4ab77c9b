#include "perf/step_flops.hpp"

#include "tensor/error.hpp"

namespace nnlab {
namespace {

/// Spatial positions of a per-sample [C, H, W] shape.
double pixels(const Shape& s) {
  NNLAB_CHECK(s.size() == 3, "useful FLOPs: expected an image shape [C, H, W], got {}",
              shape_str(s));
  return static_cast<double>(s[1]) * static_cast<double>(s[2]);
}

/// P: how many times per sample the whole kernel is applied (the header's table).
double kernel_positions(const Layer& layer) {
  if (layer.kind() == "dense") return 1;
  if (layer.kind() == "conv2d") return pixels(layer.output_shape());
  return pixels(layer.input_shape());  // conv_transpose2d
}

/// |W|: the size of the layer's weight (its parameter marked is_weight; the bias is not).
double weight_size(const Layer& layer) {
  for (const Parameter& p : layer.parameters())
    if (p.is_weight) return static_cast<double>(shape_size(p.shape));
  throw Error(
      fmt::format("useful FLOPs: layer '{}' ({}) has no weight", layer.name(), layer.kind()));
}

}  // namespace

double StepFlops::per_sample() const {
  double sum = 0;
  for (const LayerFlops& l : layers) sum += l.total();
  return sum;
}

bool has_products(const Layer& layer) {
  const std::string k = layer.kind();
  return k == "dense" || k == "conv2d" || k == "conv_transpose2d";
}

StepFlops useful_flops(const Model& model) {
  StepFlops out;
  bool parameters_before = false;  // a layer before this one trains: it needs our dx
  for (int i = 0; i < model.layer_count(); ++i) {
    const Layer& layer = model.layer(i);
    if (has_products(layer)) {
      const double product = 2 * weight_size(layer) * kernel_positions(layer);
      out.layers.push_back({.layer = i,
                            .kind = layer.kind(),
                            .forward = product,
                            .weight_grad = product,
                            .input_grad = parameters_before ? product : 0,
                            .needs_input_grad = parameters_before});
    }
    if (!layer.parameters().empty()) parameters_before = true;
  }
  return out;
}

}  // namespace nnlab
