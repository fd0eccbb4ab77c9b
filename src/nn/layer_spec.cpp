#include "nn/layer_spec.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "nn/activation_layer.hpp"
#include "nn/dense.hpp"
#include "nn/dropout.hpp"
#include "nn/flatten.hpp"
#include "nn/init.hpp"
#include "nn/noise.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

/// A registered layer type: the keys a spec may set (numbers or strings) and the factory.
struct LayerType {
  std::vector<std::string> number_keys;
  std::vector<std::string> string_keys;
  std::function<std::vector<LayerPtr>(const LayerSpec&, int index)> make;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

double number(const LayerSpec& spec, const std::string& key, double fallback) {
  const auto it = spec.numbers.find(key);
  return it == spec.numbers.end() ? fallback : it->second;
}

std::string string_or(const LayerSpec& spec, const std::string& key, std::string fallback) {
  const auto it = spec.strings.find(key);
  return it == spec.strings.end() ? std::move(fallback) : it->second;
}

float non_negative(const LayerSpec& spec, const std::string& key) {
  const double v = number(spec, key, 0.0);
  NNLAB_CHECK(v >= 0.0 && std::isfinite(v), "{}: {} {} must be >= 0, got {}", spec.where, spec.type,
              key, v);
  return static_cast<float>(v);
}

std::vector<LayerPtr> one(LayerPtr layer) {
  std::vector<LayerPtr> v;
  v.push_back(std::move(layer));
  return v;
}

std::vector<LayerPtr> make_dense(const LayerSpec& spec, int index) {
  NNLAB_CHECK(spec.numbers.count("units"), "{}: a dense layer needs 'units'", spec.where);
  const double units = spec.numbers.at("units");
  NNLAB_CHECK(units > 0 && units == std::floor(units) && units < 1e9,
              "{}: dense units must be a positive integer, got {}", spec.where, units);
  Regularizer reg{.l1 = non_negative(spec, "l1"),
                  .l2 = non_negative(spec, "l2"),
                  .max_norm = non_negative(spec, "max_norm")};
  const std::string init = string_or(spec, "init", "glorot_uniform");
  NNLAB_CHECK(contains(init_names(), init), "{}: unknown init '{}'; known initializers: {}",
              spec.where, init, fmt::join(init_names(), ", "));
  const std::string act = string_or(spec, "activation", "linear");
  NNLAB_CHECK(contains(activation_names(), act),
              "{}: unknown activation '{}'; known activations: {}", spec.where, act,
              fmt::join(activation_names(), ", "));

  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Dense>(fmt::format("dense{}", index),
                                           static_cast<int64_t>(units), init_kind(init), reg));
  // A linear activation is the identity: no layer for it.
  if (act != "linear") layers.push_back(make_activation(fmt::format("{}{}", act, index), act));
  return layers;
}

std::vector<LayerPtr> make_dropout(const LayerSpec& spec, int index) {
  const double rate = number(spec, "rate", 0.5);
  NNLAB_CHECK(rate >= 0.0 && rate < 1.0, "{}: dropout rate must be in [0, 1), got {}", spec.where,
              rate);
  return one(std::make_unique<Dropout>(fmt::format("dropout{}", index), static_cast<float>(rate)));
}

const std::vector<std::pair<std::string, LayerType>>& registry() {
  static const std::vector<std::pair<std::string, LayerType>> r = [] {
    std::vector<std::pair<std::string, LayerType>> types = {
        {"dense", {{"units", "l1", "l2", "max_norm"}, {"activation", "init"}, make_dense}},
        {"dropout", {{"rate"}, {}, make_dropout}},
        {"gaussian_noise",
         {{"sigma"},
          {},
          [](const LayerSpec& s, int i) {
            return one(std::make_unique<GaussianNoise>(fmt::format("gaussian_noise{}", i),
                                                       non_negative(s, "sigma")));
          }}},
        {"gradient_noise",
         {{"sigma"},
          {},
          [](const LayerSpec& s, int i) {
            return one(std::make_unique<GradientNoise>(fmt::format("gradient_noise{}", i),
                                                       non_negative(s, "sigma")));
          }}},
        {"flatten",
         {{},
          {},
          [](const LayerSpec&, int i) {
            return one(std::make_unique<Flatten>(fmt::format("flatten{}", i)));
          }}},
    };
    // Every activation is also a layer type of its own; leaky_relu and elu take alpha.
    for (const std::string& act : activation_names()) {
      const bool alpha = act != "softmax" && act_has_alpha(act_kind(act));
      LayerType t;
      if (alpha) t.number_keys = {"alpha"};
      t.make = [act, alpha](const LayerSpec& s, int i) {
        float a = std::numeric_limits<float>::quiet_NaN();
        if (alpha && s.numbers.count("alpha")) {
          a = static_cast<float>(s.numbers.at("alpha"));
          NNLAB_CHECK(std::isfinite(a) && a >= 0.0f, "{}: {} alpha must be >= 0, got {}", s.where,
                      act, a);
        }
        return one(make_activation(fmt::format("{}{}", act, i), act, a));
      };
      types.emplace_back(act, std::move(t));
    }
    return types;
  }();
  return r;
}

// Keys in the order a user reads them in the docs: numbers, then strings, except for dense,
// whose documented order interleaves them.
std::vector<std::string> valid_keys(const std::string& type, const LayerType& t) {
  if (type == "dense") return {"units", "activation", "init", "l1", "l2", "max_norm"};
  std::vector<std::string> keys = t.number_keys;
  keys.insert(keys.end(), t.string_keys.begin(), t.string_keys.end());
  return keys;
}

void check_keys(const LayerSpec& spec, const LayerType& t) {
  const auto keys = valid_keys(spec.type, t);
  const std::string valid = keys.empty() ? "none" : fmt::format("{}", fmt::join(keys, ", "));
  auto check = [&](const std::string& key, const std::vector<std::string>& right,
                   const char* what) {
    NNLAB_CHECK(contains(keys, key), "{}: unknown key '{}' for a {} layer; valid keys: {}",
                spec.where, key, spec.type, valid);
    NNLAB_CHECK(contains(right, key), "{}: key '{}' of a {} layer must be {}", spec.where, key,
                spec.type, what);
  };
  for (const auto& [key, value] : spec.numbers) check(key, t.number_keys, "a string");
  for (const auto& [key, value] : spec.strings) check(key, t.string_keys, "a number");
}

}  // namespace

std::vector<LayerPtr> make_layers(const LayerSpec& spec, int index) {
  for (const auto& [type, t] : registry()) {
    if (type != spec.type) continue;
    check_keys(spec, t);
    return t.make(spec, index);
  }
  throw Error(fmt::format("{}: unknown layer type '{}'; known types: {}", spec.where, spec.type,
                          fmt::join(layer_types(), ", ")));
}

std::vector<std::string> layer_types() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

}  // namespace nnlab
