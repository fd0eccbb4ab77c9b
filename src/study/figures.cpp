#include "study/figures.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "io/safetensors.hpp"
#include "nn/activation_layer.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

bool is_activation(const Layer& l) { return dynamic_cast<const Activation*>(&l) != nullptr; }

// The parameter "<layer>.weight", or nullptr.
const Parameter* weight_of(const Layer& l) {
  for (const Parameter& p : l.parameters())
    if (p.name == l.name() + ".weight") return &p;
  return nullptr;
}

// The layer whose output stands for conv layer i's: the first element-wise activation after i
// reached through layers that keep i's output shape (batch norm, dropout, noise), else i.
int activated_output(const Model& m, int i) {
  const Shape& shape = m.layer(i).output_shape();
  for (int j = i + 1; j < m.layer_count(); ++j) {
    const Layer& l = m.layer(j);
    if (is_activation(l)) return j;
    if (l.kind() == "conv2d" || l.input_shape() != shape || l.output_shape() != shape) break;
  }
  return i;
}

// The dense layer that activation layer i follows (through shape-keeping layers), or -1.
int dense_before(const Model& m, int i) {
  for (int k = i - 1; k >= 0; --k) {
    const Layer& l = m.layer(k);
    if (l.kind() == "dense") return k;
    if (is_activation(l) || l.output_shape() != l.input_shape()) return -1;
  }
  return -1;
}

// The first dense layer when the model's input is an image [C, H, W] and the layers before it
// only pass the pixels on (flatten, dropout, noise: no parameters, same size); else -1.
int first_dense_on_image(const Model& m) {
  if (m.input_shape().size() != 3) return -1;
  for (int i = 0; i < m.layer_count(); ++i) {
    const Layer& l = m.layer(i);
    if (l.kind() == "dense") return i;
    if (!l.parameters().empty() || shape_size(l.output_shape()) != shape_size(l.input_shape()))
      return -1;
  }
  return -1;
}

void check_sample(int64_t index, const char* key, const Dataset& test) {
  NNLAB_CHECK(index < test.size(),
              "diagnostics.{} = {} is beyond the test set ({} samples; see data.test_limit)", key,
              index, test.size());
}

// The samples' images (U8 [K, C, H, W]) and, as JSON metadata, their indices and class names.
void add_samples(SafeTensors& st, const Dataset& test, const std::vector<int64_t>& indices,
                 const std::string& tensor, const std::string& key) {
  if (test.is_images()) {
    std::vector<uint8_t> images;
    for (int64_t i : indices) {
      const auto* px = test.pixels.data() + i * test.sample_size();
      images.insert(images.end(), px, px + test.sample_size());
    }
    Shape shape = test.sample_shape;
    shape.insert(shape.begin(), static_cast<int64_t>(indices.size()));
    st.add_u8(tensor, shape, images.data());
  }
  st.metadata[key] = json(indices).dump();
  if (!test.labels.empty()) {
    json labels = json::array();
    for (int64_t i : indices)
      labels.push_back(test.class_names[static_cast<size_t>(test.labels[static_cast<size_t>(i)])]);
    st.metadata[key + "_labels"] = labels.dump();
  }
}

}  // namespace

void write_figures(Model& model, const Dataset& test, const DiagnosticsConfig& config,
                   const std::string& path) {
  if (!config.figures) return;
  SafeTensors st;
  std::vector<int> convs;   // conv2d layers
  std::vector<int> hidden;  // activation layers after hidden dense layers
  for (int i = 0; i < model.layer_count(); ++i) {
    const Layer& l = model.layer(i);
    const Parameter* w = weight_of(l);
    if (l.kind() == "conv2d" && w && w->shape.size() == 4) {
      st.add_f32("kernels/" + l.name(), w->shape, w->value.data());
      convs.push_back(i);
    }
    // The model's last layer is its output, not a hidden layer.
    if (i + 1 < model.layer_count() && is_activation(l) && dense_before(model, i) >= 0)
      hidden.push_back(i);
  }

  if (const int d = first_dense_on_image(model); d >= 0 && config.receptive_fields > 0) {
    const Parameter& w = *weight_of(model.layer(d));  // [U, C*H*W]
    const Shape& in = model.input_shape();
    const int64_t n = std::min<int64_t>(config.receptive_fields, w.shape[0]);
    // Each weight row is an image; channels (when C > 1) stack vertically.
    st.add_f32("receptive_fields/" + model.layer(d).name(), {n, in[0] * in[1], in[2]},
               w.value.data());
  }

  // One eval-mode forward pass of the figure input (feature maps) and the profile inputs.
  const bool maps = !convs.empty();
  const bool profiles = !hidden.empty() && !config.profile_inputs.empty();
  std::vector<int64_t> samples;
  if (maps) {
    check_sample(config.figure_input, "figure_input", test);
    samples.push_back(config.figure_input);
  }
  if (profiles) {
    for (int64_t i : config.profile_inputs) {
      check_sample(i, "profile_inputs", test);
      samples.push_back(i);
    }
  }
  if (!samples.empty()) {
    Shape shape = model.input_shape();
    shape.insert(shape.begin(), static_cast<int64_t>(samples.size()));
    Tensor x(shape);
    for (size_t k = 0; k < samples.size(); ++k)
      test.read_sample(samples[k], x.row(static_cast<int64_t>(k)));
    Rng rng(0);  // eval mode draws no random numbers
    Pass pass;
    model.forward(x, Mode::eval, rng, pass);
    Tensor plain;
    for (int i : convs) {
      const int j = activated_output(model, i);
      const std::string name = "feature_maps/" + model.layer(i).name();
      st.add_f32(name, model.layer(j).output_shape(), model.activation(pass, j, plain).row(0));
      st.metadata[name] = model.layer(j).name();
    }
    if (maps) add_samples(st, test, {config.figure_input}, "input/figure", "figure_input");
    if (profiles) {
      const int64_t first = maps ? 1 : 0;  // row of the first profile input
      const auto k = static_cast<int64_t>(config.profile_inputs.size());
      for (int j : hidden) {
        const std::string name = "profiles/" + model.layer(j).name();
        st.add_f32(name, {k, shape_size(model.layer(j).output_shape())},
                   model.activation(pass, j, plain).row(first));
        st.metadata[name] = model.layer(dense_before(model, j)).name();
      }
      add_samples(st, test, config.profile_inputs, "input/profiles", "profile_inputs");
    }
  }
  if (!st.tensors.empty()) save_safetensors(path, st);
}

}  // namespace nnlab
