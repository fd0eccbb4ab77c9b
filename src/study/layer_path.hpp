// Keys that reach into model.layers: "model.layers.PARAM" (every layer holding PARAM) and
// "model.layers[I].PARAM" (layer I alone). Sweeps, --set and a run's quoted keys
// ("model.layers[2].units" = 64) all use them, and all apply them the same way.
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <optional>
#include <string>

#include "nn/layer_spec.hpp"

namespace nnlab::study_detail {

struct LayerPath {
  std::optional<size_t> index;  // none: every layer that holds `param`
  std::string param;            // "units", "rate", "activation", ...
};

/// The layer path a key names, or nothing for a key outside model.layers (and for
/// "model.layers" itself). A key that starts like one but is malformed ("model.layers[x].units",
/// "model.layers[2]") throws naming it after `context`.
std::optional<LayerPath> parse_layer_path(const std::string& key, const std::string& context);

/// Throws unless the path's index is below `count`, the number of layers of `owner`
/// ("model.layers of run 'a'"): "CONTEXT: KEY: index 7 is out of range: OWNER has 4 layers
/// (0 to 3)".
void check_layer_index(const LayerPath& path, const std::string& key, size_t count,
                       const std::string& owner, const std::string& context);

/// Sets `param` of a layer to a TOML value (a number, a string or an array of numbers), replacing
/// whatever kind of value it held.
void set_layer_value(LayerSpec& spec, const std::string& param, const toml::node& value);

/// Whether the layer holds `param` (as a number, a string or a list).
bool layer_has(const LayerSpec& spec, const std::string& param);

}  // namespace nnlab::study_detail
