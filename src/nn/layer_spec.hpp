// LayerSpec: a layer as a study file describes it, turned into layers by the registry.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/layer.hpp"

namespace nnlab {

/// One entry of a study's `model.layers`, e.g. {type="dense", units=500, activation="relu"}.
/// `where` locates it for error messages ("s1.toml:14: model.layers[2]").
struct LayerSpec {
  std::string type;
  std::map<std::string, double> numbers;       // units, rate, alpha, sigma, l1, l2, max_norm
  std::map<std::string, std::string> strings;  // activation, init
  std::map<std::string, std::vector<double>> lists = {};  // shape (= {}: may be left out)
  std::string where;
};

/// Turns a spec into one or more layers (a dense layer with an activation becomes a Dense and
/// an Activation layer). Layer names are made unique by the caller-supplied `index`
/// ("dense1", "relu2"). Unknown types or keys, and values out of range, throw naming
/// spec.where and listing what is valid.
std::vector<LayerPtr> make_layers(const LayerSpec& spec, int index);
/// Every known layer type, for error messages and --help.
std::vector<std::string> layer_types();
/// Whether a layer of `type` takes `key` (e.g. conv2d takes "init"; max_pool does not), so a
/// study's model-wide defaults reach exactly the layers they apply to.
bool layer_takes(const std::string& type, const std::string& key);

}  // namespace nnlab
