// Small models the perf tests count and time, built from layers directly.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "nn/activation_layer.hpp"
#include "nn/batch_norm.hpp"
#include "nn/conv2d.hpp"
#include "nn/conv_transpose2d.hpp"
#include "nn/dense.hpp"
#include "nn/flatten.hpp"
#include "nn/model.hpp"
#include "nn/pool2d.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {

inline std::unique_ptr<Model> model_of(const Shape& input, std::vector<LayerPtr> layers) {
  Rng rng(1);
  return std::make_unique<Model>(exec(), input, std::move(layers), Head::none, rng);
}

inline LayerPtr relu(const std::string& name) {
  return std::make_unique<Activation>(name, ActKind::relu);
}

/// S2's MLP 784-1024-512-10 (its dropout layers have no products and change no count).
inline std::unique_ptr<Model> s2_mlp() {
  std::vector<LayerPtr> l;
  l.push_back(std::make_unique<Dense>("dense1", 1024));
  l.push_back(relu("relu1"));
  l.push_back(std::make_unique<Dense>("dense2", 512));
  l.push_back(relu("relu2"));
  l.push_back(std::make_unique<Dense>("dense3", 10));
  return model_of({784}, std::move(l));
}

/// The quick start's first half: conv 16@5x5, relu, max pool 2, conv 32@5x5, flatten, dense 10.
inline std::unique_ptr<Model> small_cnn() {
  std::vector<LayerPtr> l;
  l.push_back(std::make_unique<Conv2d>("conv1", 16, 5));
  l.push_back(relu("relu1"));
  l.push_back(std::make_unique<Pool2d>("pool1", PoolKind::max, 2));
  l.push_back(std::make_unique<Conv2d>("conv2", 32, 5));
  l.push_back(std::make_unique<Flatten>("flatten"));
  l.push_back(std::make_unique<Dense>("dense", 10));
  return model_of({1, 28, 28}, std::move(l));
}

/// A strided conv and its mirror: [1, 14, 14] -> conv 4@3x3 stride 2 pad 1 -> [4, 7, 7] ->
/// transposed conv 1@3x3 stride 2 pad 1 output_padding 1 -> [1, 14, 14].
inline std::unique_ptr<Model> conv_and_transpose() {
  std::vector<LayerPtr> l;
  l.push_back(std::make_unique<Conv2d>("conv", 4, 3, Conv2dOptions{.stride = 2, .padding = 1}));
  l.push_back(std::make_unique<ConvTranspose2d>(
      "deconv", 1, 3, ConvTranspose2dOptions{.stride = 2, .padding = 1, .output_padding = 1}));
  return model_of({1, 14, 14}, std::move(l));
}

}  // namespace nnlab::test
