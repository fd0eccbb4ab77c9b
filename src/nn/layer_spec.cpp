#include "nn/layer_spec.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "nn/activation_layer.hpp"
#include "nn/batch_norm.hpp"
#include "nn/code.hpp"
#include "nn/conv2d.hpp"
#include "nn/conv_transpose2d.hpp"
#include "nn/dense.hpp"
#include "nn/dropout.hpp"
#include "nn/flatten.hpp"
#include "nn/init.hpp"
#include "nn/noise.hpp"
#include "nn/pool2d.hpp"
#include "nn/reshape.hpp"
#include "nn/upsample.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

/// A registered layer type: the keys a spec may set (numbers, strings or lists of numbers) and
/// the factory.
struct LayerType {
  std::vector<std::string> number_keys;
  std::vector<std::string> string_keys;
  std::function<std::vector<LayerPtr>(const LayerSpec&, int index)> make;
  std::vector<std::string> list_keys = {};
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

// The keys dense and conv2d share: l1, l2, max_norm, init and activation.
Regularizer regularizer_of(const LayerSpec& spec) {
  return {.l1 = non_negative(spec, "l1"),
          .l2 = non_negative(spec, "l2"),
          .max_norm = non_negative(spec, "max_norm")};
}

InitKind init_of(const LayerSpec& spec) {
  const std::string init = string_or(spec, "init", "glorot_uniform");
  NNLAB_CHECK(contains(init_names(), init), "{}: unknown init '{}'; known initializers: {}",
              spec.where, init, fmt::join(init_names(), ", "));
  return init_kind(init);
}

/// Appends the layer of spec's activation; a linear activation is the identity: no layer.
void add_activation(const LayerSpec& spec, int index, std::vector<LayerPtr>& layers) {
  const std::string act = string_or(spec, "activation", "linear");
  NNLAB_CHECK(contains(activation_names(), act),
              "{}: unknown activation '{}'; known activations: {}", spec.where, act,
              fmt::join(activation_names(), ", "));
  if (act != "linear") layers.push_back(make_activation(fmt::format("{}{}", act, index), act));
}

/// An integer-valued key, at least `min`; `fallback` when the spec leaves it out.
int64_t integer_at_least(const LayerSpec& spec, const std::string& key, int64_t fallback,
                         int64_t min) {
  const double v = number(spec, key, static_cast<double>(fallback));
  NNLAB_CHECK(v >= static_cast<double>(min) && v == std::floor(v) && v < 1e9,
              "{}: {} {} must be an integer >= {}, got {}", spec.where, spec.type, key, min, v);
  return static_cast<int64_t>(v);
}

std::vector<LayerPtr> make_dense(const LayerSpec& spec, int index) {
  NNLAB_CHECK(spec.numbers.count("units"), "{}: a dense layer needs 'units'", spec.where);
  const double units = spec.numbers.at("units");
  NNLAB_CHECK(units > 0 && units == std::floor(units) && units < 1e9,
              "{}: dense units must be a positive integer, got {}", spec.where, units);
  const Regularizer reg = regularizer_of(spec);
  const InitKind init = init_of(spec);
  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Dense>(fmt::format("dense{}", index),
                                           static_cast<int64_t>(units), init, reg));
  add_activation(spec, index, layers);
  return layers;
}

std::vector<LayerPtr> make_dropout(const LayerSpec& spec, int index) {
  const double rate = number(spec, "rate", 0.5);
  NNLAB_CHECK(rate >= 0.0 && rate < 1.0, "{}: dropout rate must be in [0, 1), got {}", spec.where,
              rate);
  return one(std::make_unique<Dropout>(fmt::format("dropout{}", index), static_cast<float>(rate)));
}

std::vector<LayerPtr> make_batch_norm(const LayerSpec& spec, int index) {
  const double momentum = number(spec, "momentum", 0.1), eps = number(spec, "eps", 1e-5);
  NNLAB_CHECK(momentum > 0.0 && momentum <= 1.0,
              "{}: batch_norm momentum must be in (0, 1], got {}", spec.where, momentum);
  NNLAB_CHECK(eps > 0.0 && std::isfinite(eps), "{}: batch_norm eps must be > 0, got {}", spec.where,
              eps);
  return one(std::make_unique<BatchNorm>(fmt::format("batch_norm{}", index),
                                         static_cast<float>(momentum), static_cast<float>(eps)));
}

std::vector<LayerPtr> make_reshape(const LayerSpec& spec, int index) {
  const auto it = spec.lists.find("shape");
  NNLAB_CHECK(it != spec.lists.end(), "{}: a reshape layer needs 'shape', e.g. shape = [1, 28, 28]",
              spec.where);
  Shape shape;
  for (double d : it->second) {
    NNLAB_CHECK((d >= 1 || d == -1) && d == std::floor(d) && d < 1e9,
                "{}: reshape shape must list positive integers and at most one -1, got [{}]",
                spec.where, fmt::join(it->second, ", "));
    shape.push_back(static_cast<int64_t>(d));
  }
  NNLAB_CHECK(!shape.empty() && std::count(shape.begin(), shape.end(), -1) <= 1,
              "{}: reshape shape must list positive integers and at most one -1, got [{}]",
              spec.where, fmt::join(it->second, ", "));
  return one(std::make_unique<Reshape>(fmt::format("reshape{}", index), std::move(shape)));
}

std::vector<LayerPtr> make_conv2d(const LayerSpec& spec, int index) {
  for (const char* key : {"filters", "kernel"})
    NNLAB_CHECK(spec.numbers.count(key), "{}: a conv2d layer needs '{}'", spec.where, key);
  const int64_t filters = integer_at_least(spec, "filters", 0, 1);
  const int64_t kernel = integer_at_least(spec, "kernel", 0, 1);
  Conv2dOptions opt{.stride = integer_at_least(spec, "stride", 1, 1),
                    .padding = integer_at_least(spec, "padding", 0, 0),
                    .init = init_of(spec),
                    .reg = regularizer_of(spec)};
  // padding is a number of zeros on every side, or "same" or "valid" as Keras and PyTorch say.
  const std::string pad = string_or(spec, "padding", "valid");
  NNLAB_CHECK(pad == "same" || pad == "valid",
              "{}: conv2d padding must be an integer >= 0, \"same\" or \"valid\", got '{}'",
              spec.where, pad);
  opt.same_padding = pad == "same";
  NNLAB_CHECK(!opt.same_padding || opt.stride == 1,
              "{}: conv2d padding=\"same\" needs stride 1, got stride {}", spec.where, opt.stride);

  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<Conv2d>(fmt::format("conv2d{}", index), filters, kernel, opt));
  add_activation(spec, index, layers);
  return layers;
}

std::vector<LayerPtr> make_conv_transpose2d(const LayerSpec& spec, int index) {
  for (const char* key : {"filters", "kernel"})
    NNLAB_CHECK(spec.numbers.count(key), "{}: a conv_transpose2d layer needs '{}'", spec.where,
                key);
  const int64_t filters = integer_at_least(spec, "filters", 0, 1);
  const int64_t kernel = integer_at_least(spec, "kernel", 0, 1);
  const ConvTranspose2dOptions opt{.stride = integer_at_least(spec, "stride", 1, 1),
                                   .padding = integer_at_least(spec, "padding", 0, 0),
                                   .output_padding = integer_at_least(spec, "output_padding", 0, 0),
                                   .init = init_of(spec),
                                   .reg = regularizer_of(spec)};
  // Said here too, in the study's words; the layer checks its remaining bounds itself.
  NNLAB_CHECK(opt.output_padding < opt.stride,
              "{}: conv_transpose2d output_padding must be less than stride ({}), got {}",
              spec.where, opt.stride, opt.output_padding);

  std::vector<LayerPtr> layers;
  layers.push_back(std::make_unique<ConvTranspose2d>(fmt::format("conv_transpose2d{}", index),
                                                     filters, kernel, opt));
  add_activation(spec, index, layers);
  return layers;
}

std::vector<LayerPtr> make_upsample(const LayerSpec& spec, int index) {
  const double scale = number(spec, "scale", 2.0);
  NNLAB_CHECK(
      scale >= 1 && scale <= static_cast<double>(Upsample::kMaxScale) && scale == std::floor(scale),
      "{}: upsample scale must be an integer in [1, {}], got {}", spec.where, Upsample::kMaxScale,
      scale);
  const std::string mode = string_or(spec, "mode", "nearest");
  NNLAB_CHECK(contains(upsample_mode_names(), mode),
              "{}: unknown upsample mode '{}'; known modes: {}", spec.where, mode,
              fmt::join(upsample_mode_names(), ", "));
  return one(std::make_unique<Upsample>(fmt::format("upsample{}", index),
                                        static_cast<int64_t>(scale), upsample_mode(mode)));
}

std::vector<LayerPtr> make_pool(const LayerSpec& spec, int index, PoolKind pool) {
  const int64_t size = integer_at_least(spec, "size", 2, 1);
  const int64_t stride = integer_at_least(spec, "stride", size, 1);
  const int64_t padding = integer_at_least(spec, "padding", 0, 0);
  NNLAB_CHECK(padding <= size / 2, "{}: {} padding must be at most size / 2 = {}, got {}",
              spec.where, spec.type, size / 2, padding);
  return one(
      std::make_unique<Pool2d>(fmt::format("{}{}", spec.type, index), pool, size, stride, padding));
}

const std::vector<std::pair<std::string, LayerType>>& layer_registry() {
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
        {"batch_norm", {{"momentum", "eps"}, {}, make_batch_norm}},
        {"reshape", {{}, {}, make_reshape, {"shape"}}},
        {"conv2d",
         {{"filters", "kernel", "stride", "padding", "l1", "l2", "max_norm"},
          {"padding", "activation", "init"},
          make_conv2d}},
        {"conv_transpose2d",
         {{"filters", "kernel", "stride", "padding", "output_padding", "l1", "l2", "max_norm"},
          {"activation", "init"},
          make_conv_transpose2d}},
        {"max_pool",
         {{"size", "stride", "padding"},
          {},
          [](const LayerSpec& s, int i) { return make_pool(s, i, PoolKind::max); }}},
        {"avg_pool",
         {{"size", "stride", "padding"},
          {},
          [](const LayerSpec& s, int i) { return make_pool(s, i, PoolKind::avg); }}},
        {"upsample", {{"scale"}, {"mode"}, make_upsample}},
        {"code",
         {{},
          {},
          [](const LayerSpec&, int i) {
            return one(std::make_unique<Code>(fmt::format("code{}", i)));
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

// Keys in the order a user reads them in the docs: numbers, strings, lists, except for dense
// and the convolutions, whose documented order interleaves them (conv2d's padding is a number or
// a string).
std::vector<std::string> valid_keys(const std::string& type, const LayerType& t) {
  if (type == "dense") return {"units", "activation", "init", "l1", "l2", "max_norm"};
  if (type == "conv2d")
    return {"filters", "kernel", "stride", "padding", "activation", "init", "l1", "l2", "max_norm"};
  if (type == "conv_transpose2d")
    return {"filters",    "kernel", "stride", "padding", "output_padding",
            "activation", "init",   "l1",     "l2",      "max_norm"};
  std::vector<std::string> keys = t.number_keys;
  keys.insert(keys.end(), t.string_keys.begin(), t.string_keys.end());
  keys.insert(keys.end(), t.list_keys.begin(), t.list_keys.end());
  return keys;
}

void check_keys(const LayerSpec& spec, const LayerType& t) {
  const auto keys = valid_keys(spec.type, t);
  const std::string valid = keys.empty() ? "none" : fmt::format("{}", fmt::join(keys, ", "));
  auto check = [&](const std::string& key, const std::vector<std::string>& right) {
    NNLAB_CHECK(contains(keys, key), "{}: unknown key '{}' for a {} layer; valid keys: {}",
                spec.where, key, spec.type, valid);
    const char* what = contains(t.number_keys, key)   ? "a number"
                       : contains(t.string_keys, key) ? "a string"
                                                      : "a list of numbers";
    NNLAB_CHECK(contains(right, key), "{}: key '{}' of a {} layer must be {}", spec.where, key,
                spec.type, what);
  };
  for (const auto& [key, value] : spec.numbers) check(key, t.number_keys);
  for (const auto& [key, value] : spec.strings) check(key, t.string_keys);
  for (const auto& [key, value] : spec.lists) check(key, t.list_keys);
}

}  // namespace

std::vector<LayerPtr> make_layers(const LayerSpec& spec, int index) {
  for (const auto& [type, t] : layer_registry()) {
    if (type != spec.type) continue;
    check_keys(spec, t);
    return t.make(spec, index);
  }
  throw Error(fmt::format("{}: unknown layer type '{}'; known types: {}", spec.where, spec.type,
                          fmt::join(layer_types(), ", ")));
}

bool layer_takes(const std::string& type, const std::string& key) {
  for (const auto& [name, t] : layer_registry())
    if (name == type) return contains(valid_keys(type, t), key);
  return false;
}

std::vector<std::string> layer_types() {
  std::vector<std::string> names;
  for (const auto& entry : layer_registry()) names.push_back(entry.first);
  return names;
}

}  // namespace nnlab
