#include "study/layer_path.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "tensor/error.hpp"

namespace nnlab::study_detail {

namespace {

constexpr const char* kPrefix = "model.layers";

bool is_param_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

}  // namespace

std::optional<LayerPath> parse_layer_path(const std::string& key, const std::string& context) {
  const std::string prefix = kPrefix;
  if (key.rfind(prefix, 0) != 0 || key.size() == prefix.size()) return std::nullopt;
  const char next = key[prefix.size()];
  if (next != '.' && next != '[') return std::nullopt;  // "model.layersx": some other key
  const auto malformed = [&] {
    return Error(fmt::format(
        "{}: '{}' is not a layer key: write model.layers.PARAM (every layer that has PARAM) or "
        "model.layers[I].PARAM (layer I, counted from 0)",
        context, key));
  };
  LayerPath path;
  size_t rest = prefix.size();
  if (next == '[') {
    const size_t close = key.find(']', rest);
    if (close == std::string::npos || close == rest + 1) throw malformed();
    size_t index = 0;
    for (size_t i = rest + 1; i < close; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(key[i]))) throw malformed();
      // Saturated: no model has that many layers, and the range check names the index.
      index = std::min<size_t>(index * 10 + static_cast<size_t>(key[i] - '0'), 1'000'000'000);
    }
    path.index = index;
    rest = close + 1;
    if (rest >= key.size() || key[rest] != '.') throw malformed();
  }
  path.param = key.substr(rest + 1);
  if (!is_param_name(path.param)) throw malformed();
  return path;
}

void check_layer_index(const LayerPath& path, const std::string& key, size_t count,
                       const std::string& owner, const std::string& context) {
  if (!path.index || *path.index < count) return;
  throw Error(fmt::format("{}: {}: index {} is out of range: {} has {} layers{}", context, key,
                          *path.index, owner, count,
                          count == 0 ? "" : fmt::format(" (0 to {})", count - 1)));
}

void set_layer_value(LayerSpec& spec, const std::string& param, const toml::node& value) {
  if (param == "type") {
    spec.type = value.value_or<std::string>("");
    return;
  }
  spec.numbers.erase(param);
  spec.strings.erase(param);
  spec.lists.erase(param);
  if (const auto* s = value.as_string())
    spec.strings[param] = s->get();
  else if (const auto* list = value.as_array())
    for (auto& out = spec.lists[param]; const auto& e : *list) out.push_back(*e.value<double>());
  else
    spec.numbers[param] = *value.value<double>();
}

bool layer_has(const LayerSpec& spec, const std::string& param) {
  return spec.numbers.count(param) || spec.strings.count(param) || spec.lists.count(param);
}

}  // namespace nnlab::study_detail
