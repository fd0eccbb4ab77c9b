// Blocked channel layouts between oneDNN layers (Tensor::channel_block, nn/layer.hpp): a chain of
// convolution, activation and pooling layers passes oneDNN's blocked layout along, and computes
// exactly what the same layers compute when every tensor between them is plain. And a ReLU after
// a convolution, applied by the convolution as it writes (Layer::applies_post_op). An image's
// first convolution (one input channel) reads its input plain and writes its output blocked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "gradient_check.hpp"
#include "nn/activation_layer.hpp"
#include "nn/conv2d.hpp"
#include "nn/dense.hpp"
#include "nn/flatten.hpp"
#include "nn/model.hpp"
#include "nn/pool2d.hpp"
#include "nn/reshape.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab::test {
namespace {

// conv, relu, max pool, conv, gelu, avg pool, flatten, dense on [channels, 10, 10]; with
// `plain_between`, a reshape to the same shape after each of the first six layers, which takes
// plain tensors only.
std::unique_ptr<Model> net(bool plain_between, int64_t channels = 16) {
  std::vector<LayerPtr> layers;
  Conv2dOptions pad1;
  pad1.padding = 1;
  std::vector<LayerPtr> chain;
  chain.push_back(std::make_unique<Conv2d>("conv1", 32, 3, pad1));
  chain.push_back(std::make_unique<Activation>("relu", ActKind::relu));
  chain.push_back(std::make_unique<Pool2d>("max", PoolKind::max, 2));
  chain.push_back(std::make_unique<Conv2d>("conv2", 16, 3, pad1));
  chain.push_back(std::make_unique<Activation>("gelu", ActKind::gelu));
  chain.push_back(std::make_unique<Pool2d>("avg", PoolKind::avg, 2));
  const Shape shapes[] = {{32, 10, 10}, {32, 10, 10}, {32, 5, 5},
                          {16, 5, 5},   {16, 5, 5},   {16, 2, 2}};
  for (size_t i = 0; i < chain.size(); ++i) {
    layers.push_back(std::move(chain[i]));
    if (plain_between)
      layers.push_back(std::make_unique<Reshape>("same" + std::to_string(i), shapes[i]));
  }
  layers.push_back(std::make_unique<Flatten>("flatten"));
  layers.push_back(std::make_unique<Dense>("dense", 10));
  Rng rng(3);
  return std::make_unique<Model>(test::exec(), Shape{channels, 10, 10}, std::move(layers),
                                 Head::none, rng);
}

// Equal values (a ReLU applied by oneDNN may write -0 where the layer writes +0).
void expect_same(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  ASSERT_TRUE(a.plain() && b.plain()) << what;
  int64_t differ = 0;
  for (int64_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
  EXPECT_EQ(differ, 0) << what << " differs";
}

// 16 input channels: blocked from the first layer on; 1 (an image): the first convolution
// reads it plain, and its input gradient is plain too.
class BlockedLayout : public ::testing::TestWithParam<int64_t> {};

TEST_P(BlockedLayout, AChainOfOneDnnLayersComputesWhatPlainTensorsCompute) {
  const int64_t channels = GetParam();
  auto blocked = net(false, channels), plain = net(true, channels);
  ASSERT_EQ(blocked->parameter_count(), plain->parameter_count());
  ASSERT_EQ(std::memcmp(blocked->values().data(), plain->values().data(),
                        blocked->values().size() * sizeof(float)),
            0);
  const Tensor x = random_tensor({6, channels, 10, 10}, 7);
  const Tensor dy = random_tensor({6, 10}, 8);
  Rng rng(0);
  Pass pb, pp;
  expect_same(blocked->forward(x, Mode::train, rng, pb), plain->forward(x, Mode::train, rng, pp),
              "output");
  // The blocked net kept oneDNN's layout from the first convolution to the average pooling
  // (on any CPU with AVX2: nChw8c or nChw16c); the reshapes made the other net's plain.
  for (int i = 0; i < 6; ++i) {
    EXPECT_GT(pb.context(i).y.channel_block(), 0) << blocked->layer(i).name();
    EXPECT_TRUE(pp.context(2 * i + 1).y.plain());
  }
  // The convolution applied the ReLU after it: the ReLU's output is the convolution's.
  EXPECT_EQ(pb.context(1).y.data(), pb.context(0).y.data());
  EXPECT_NE(pp.context(2).y.data(), pp.context(0).y.data());
  Tensor sb, sp;
  for (int i = 1; i < 6; ++i)  // conv1's output holds the ReLU's in the blocked net
    expect_same(blocked->activation(pb, i, sb), plain->activation(pp, 2 * i, sp),
                "activation of " + blocked->layer(i).name());

  blocked->backward(pb, dy, /*input_grad=*/true);
  plain->backward(pp, dy, /*input_grad=*/true);
  EXPECT_TRUE(std::equal(blocked->grads().begin(), blocked->grads().end(), plain->grads().begin()))
      << "parameter gradients differ";
  expect_same(pb.input_gradient(), pp.input_gradient(), "input gradient");
}

INSTANTIATE_TEST_SUITE_P(InputChannels, BlockedLayout, ::testing::Values(16, 1));

// A convolution with one input channel writes blocks only when its filters fill one: a
// few-channel input is read plain, so an 8-filter output, the next layer's input, stays plain.
TEST(BlockedLayouts, AnImagesFirstConvolutionWritesBlocksWhenItsFiltersFillOne) {
  const int64_t filters[] = {32, 8};
  for (const int64_t f : filters) {
    std::vector<LayerPtr> layers;
    layers.push_back(std::make_unique<Conv2d>("conv", f, 3));
    layers.push_back(std::make_unique<Pool2d>("max", PoolKind::max, 2));  // takes either layout
    Rng rng(3);
    Model m(test::exec(), Shape{1, 10, 10}, std::move(layers), Head::none, rng);
    Pass pass;
    m.forward(random_tensor({2, 1, 10, 10}, 1), Mode::train, rng, pass);
    EXPECT_EQ(pass.context(0).y.channel_block() > 0, f == 32) << f << " filters";
  }
}

// A pass that starts at the ReLU, without the convolution before it, applies the ReLU itself.
TEST(BlockedLayouts, APassStartingAtAReluAppliesIt) {
  auto m = net(false);
  const Tensor x = random_tensor({2, 32, 10, 10}, 9);
  Rng rng(0);
  Pass pass;
  m->forward(x, Mode::eval, rng, pass, 1, 2);
  const Tensor& y = pass.output();
  ASSERT_EQ(y.shape(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) ASSERT_EQ(y[i], std::max(x[i], 0.0f)) << i;
}

TEST(BlockedLayouts, TensorsSayTheirLayoutAndResizeMakesThemPlain) {
  Tensor t({2, 32, 3, 3});
  EXPECT_TRUE(t.plain());
  t.set_channel_block(16);
  EXPECT_EQ(t.channel_block(), 16);
  const Tensor copy = t;
  EXPECT_EQ(copy.channel_block(), 16);
  t.resize({2, 32, 3, 3});
  EXPECT_TRUE(t.plain());
  EXPECT_NE(error_of([&] { t.set_channel_block(5); }).find("blocks of 5"), std::string::npos);
  Tensor flat({4, 32});
  EXPECT_THROW(flat.set_channel_block(16), Error);
}

}  // namespace
}  // namespace nnlab::test
