// Activations applied by the layer before them (Layer::applies_post_op, Activation::as_post_op):
// a dense or convolution layer followed by relu, leaky_relu, sigmoid, tanh or linear applies the
// activation as it writes its output (a oneDNN post-op), and the net computes exactly what it
// computes when an identity reshape between the two keeps them apart. Activations whose backward
// needs more than their output (elu, gelu, softplus, leaky_relu with a negative slope) are not
// fused, nor sigmoid and tanh after a convolution of few input channels (oneDNN's gemm-based
// convolution computes them with other code). Batch norm applies a ReLU, leaky ReLU or linear
// activation after it in its own pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "gradient_check.hpp"
#include "nn/activation_layer.hpp"
#include "nn/batch_norm.hpp"
#include "nn/conv2d.hpp"
#include "nn/dense.hpp"
#include "nn/flatten.hpp"
#include "nn/model.hpp"
#include "nn/reshape.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

struct FusedCase {
  ActKind kind;
  float alpha;
  bool fused;
};

// conv(8, 3x3) act flatten dense(24) act dense(12) act dense(5) on `channels` x 6 x 6 images;
// with `apart`, an identity reshape between each weighted layer and its activation.
std::unique_ptr<Model> net(const FusedCase& c, int64_t channels, bool apart) {
  std::vector<LayerPtr> layers;
  const auto weighted_then_act = [&](LayerPtr weighted, const Shape& out, const std::string& id) {
    layers.push_back(std::move(weighted));
    if (apart) layers.push_back(std::make_unique<Reshape>("apart" + id, out));
    layers.push_back(std::make_unique<Activation>("act" + id, c.kind, c.alpha));
  };
  weighted_then_act(std::make_unique<Conv2d>("conv", 8, 3), {8, 4, 4}, "0");
  layers.push_back(std::make_unique<Flatten>("flatten"));
  weighted_then_act(std::make_unique<Dense>("dense1", 24), {24}, "1");
  weighted_then_act(std::make_unique<Dense>("dense2", 12), {12}, "2");
  layers.push_back(std::make_unique<Dense>("out", 5));
  Rng rng(5);
  return std::make_unique<Model>(test::exec(), Shape{channels, 6, 6}, std::move(layers), Head::none,
                                 rng);
}

class FusedActivation : public ::testing::TestWithParam<std::tuple<FusedCase, int64_t>> {};

TEST_P(FusedActivation, ComputesWhatTheSeparateLayersCompute) {
  const auto [c, channels] = GetParam();
  auto fused = net(c, channels, false), apart = net(c, channels, true);
  ASSERT_EQ(fused->parameter_count(), apart->parameter_count());
  ASSERT_EQ(std::memcmp(fused->values().data(), apart->values().data(),
                        fused->values().size() * sizeof(float)),
            0);
  // Inputs on both sides of 0, large enough to saturate sigmoid and tanh in places.
  Tensor x = random_tensor({7, channels, 6, 6}, 11);
  for (float& v : x.span()) v *= 3.0f;
  const Tensor dy = random_tensor({7, 5}, 12);
  Rng rng(0);
  Pass pf, pa;
  EXPECT_EQ(
      differing(fused->forward(x, Mode::train, rng, pf), apart->forward(x, Mode::train, rng, pa)),
      0)
      << "output";
  // Layers 1, 4 and 6 of the fused net are the activations; 2, 6 and 9 of the other.
  const int fused_act[] = {1, 4, 6}, apart_act[] = {2, 6, 9};
  Tensor sf, sa;
  for (int k = 0; k < 3; ++k) {
    const int i = fused_act[k];
    // A fused activation passes its input, the weighted layer's output, through.
    const bool exact = c.kind != ActKind::sigmoid && c.kind != ActKind::tanh;
    EXPECT_EQ(pf.context(i).y.data() == pf.context(i - 1).y.data(),
              c.fused && (k > 0 || channels >= 16 || exact))
        << fused->layer(i).name();
    EXPECT_EQ(differing(fused->activation(pf, i, sf), apart->activation(pa, apart_act[k], sa)), 0)
        << "activation " << fused->layer(i).name();
  }
  fused->backward(pf, dy, /*input_grad=*/true);
  apart->backward(pa, dy, /*input_grad=*/true);
  EXPECT_TRUE(std::equal(fused->grads().begin(), fused->grads().end(), apart->grads().begin()))
      << "parameter gradients differ";
  EXPECT_EQ(differing(pf.input_gradient(), pa.input_gradient()), 0) << "input gradient";
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, FusedActivation,
    ::testing::Combine(
        ::testing::Values(
            FusedCase{ActKind::relu, 0.0f, true}, FusedCase{ActKind::leaky_relu, 0.1f, true},
            FusedCase{ActKind::leaky_relu, 0.0f, true}, FusedCase{ActKind::sigmoid, 0.0f, true},
            FusedCase{ActKind::tanh, 0.0f, true}, FusedCase{ActKind::linear, 0.0f, true},
            FusedCase{ActKind::leaky_relu, -0.5f, false}, FusedCase{ActKind::elu, 1.0f, false},
            FusedCase{ActKind::gelu, 0.0f, false}, FusedCase{ActKind::softplus, 0.0f, false}),
        ::testing::Values(int64_t{3}, int64_t{16})));

// Batch norm applies a ReLU, leaky ReLU or linear activation after it (both layouts: a 16-filter
// convolution writes blocked batches, a 3-filter one plain), and the net computes what it
// computes with the two layers apart; sigmoid is left to its own layer.
TEST(FusedActivation, BatchNormAppliesTheActivationAfterIt) {
  for (const FusedCase c :
       {FusedCase{ActKind::relu, 0.0f, true}, FusedCase{ActKind::leaky_relu, 0.1f, true},
        FusedCase{ActKind::linear, 0.0f, true}, FusedCase{ActKind::sigmoid, 0.0f, false}})
    for (const int64_t filters : {3, 16}) {
      const std::string what = fmt::format("{}, {} filters", act_name(c.kind), filters);
      // conv, batch norm, activation, flatten, dense; `apart`: a reshape before the activation.
      const auto make = [&](bool apart) {
        std::vector<LayerPtr> layers;
        layers.push_back(std::make_unique<Conv2d>("conv", filters, 3));
        layers.push_back(std::make_unique<BatchNorm>("bn"));
        if (apart) layers.push_back(std::make_unique<Reshape>("apart", Shape{filters, 4, 4}));
        layers.push_back(std::make_unique<Activation>("act", c.kind, c.alpha));
        layers.push_back(std::make_unique<Flatten>("flatten"));
        layers.push_back(std::make_unique<Dense>("out", 5));
        Rng rng(5);
        return std::make_unique<Model>(test::exec(), Shape{2, 6, 6}, std::move(layers), Head::none,
                                       rng);
      };
      auto fused = make(false), apart = make(true);
      const Tensor x = random_tensor({7, 2, 6, 6}, 11);
      const Tensor dy = random_tensor({7, 5}, 12);
      Rng rng(0);
      Pass pf, pa;
      EXPECT_EQ(differing(fused->forward(x, Mode::train, rng, pf),
                          apart->forward(x, Mode::train, rng, pa)),
                0)
          << what << ": the output";
      // A fused activation passes batch norm's output through.
      EXPECT_EQ(pf.context(2).y.data() == pf.context(1).y.data(), c.fused) << what;
      fused->backward(pf, dy, /*input_grad=*/true);
      apart->backward(pa, dy, /*input_grad=*/true);
      EXPECT_TRUE(std::equal(fused->grads().begin(), fused->grads().end(), apart->grads().begin()))
          << what << ": the parameter gradients";
      EXPECT_EQ(differing(pf.input_gradient(), pa.input_gradient()), 0)
          << what << ": the input gradient";
      EXPECT_TRUE(std::equal(fused->buffer_values().begin(), fused->buffer_values().end(),
                             apart->buffer_values().begin()))
          << what << ": the running statistics";
    }
}

// A pass that ends at the weighted layer returns its output without the activation; one that
// starts at the activation applies it.
TEST(FusedActivationPass, APassSplitBetweenTheLayersAppliesTheActivationOnce) {
  auto m = net({ActKind::sigmoid, 0.0f, true}, 16, false);
  Tensor x = random_tensor({4, 16, 6, 6}, 13);
  Rng rng(0);
  Pass whole, first, second;
  const Tensor expected = m->forward(x, Mode::eval, rng, whole, 0, 5);  // through act1
  const Tensor pre = m->forward(x, Mode::eval, rng, first, 0, 4);       // through dense1
  bool any_outside = false;                                             // logits, not probabilities
  for (float v : pre.span()) any_outside |= v < 0.0f || v > 1.0f;
  EXPECT_TRUE(any_outside);
  EXPECT_EQ(differing(m->forward(pre, Mode::eval, rng, second, 4, 5), expected), 0);
}

}  // namespace
}  // namespace nnlab::test
