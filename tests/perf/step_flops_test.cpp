// Useful FLOPs per training sample against hand-computed counts: 2 F U per dense product,
// 2 (kernel positions) |W| per convolution product, and no input gradient for a layer that no
// trained layer precedes.
#include "perf/step_flops.hpp"

#include <gtest/gtest.h>

#include "perf/models.hpp"

namespace nnlab::test {
namespace {

TEST(StepFlops, DenseNetSkipsTheFirstInputGradient) {
  const StepFlops f = useful_flops(*s2_mlp());
  ASSERT_EQ(f.layers.size(), 3u);
  // 784 -> 1024: forward and weight gradient, 2 * 784 * 1024 each; its dx feeds nothing.
  EXPECT_EQ(f.layers[0].layer, 0);
  EXPECT_EQ(f.layers[0].forward, 1605632.0);
  EXPECT_EQ(f.layers[0].weight_grad, 1605632.0);
  EXPECT_EQ(f.layers[0].input_grad, 0.0);
  EXPECT_FALSE(f.layers[0].needs_input_grad);
  // 1024 -> 512 and 512 -> 10: three products of 2 F U each.
  EXPECT_EQ(f.layers[1].layer, 2);
  EXPECT_EQ(f.layers[1].total(), 3 * 1048576.0);
  EXPECT_TRUE(f.layers[1].needs_input_grad);
  EXPECT_EQ(f.layers[2].total(), 3 * 10240.0);
  EXPECT_EQ(f.per_sample(), 6387712.0);
}

// A layer without parameters first (flatten) changes nothing: the first dense layer's input
// gradient still has no consumer. A batch norm first has parameters: then it is needed.
TEST(StepFlops, TheInputGradientCountsOnlyAfterALayerWithParameters) {
  std::vector<LayerPtr> a;
  a.push_back(std::make_unique<Flatten>("flatten"));
  a.push_back(std::make_unique<Dense>("dense", 10));
  EXPECT_EQ(useful_flops(*model_of({1, 28, 28}, std::move(a))).per_sample(), 2 * 15680.0);

  std::vector<LayerPtr> b;
  b.push_back(std::make_unique<BatchNorm>("bn"));
  b.push_back(std::make_unique<Dense>("dense", 10));
  const StepFlops f = useful_flops(*model_of({784}, std::move(b)));
  ASSERT_EQ(f.layers.size(), 1u);
  EXPECT_EQ(f.layers[0].layer, 1);
  EXPECT_TRUE(f.layers[0].needs_input_grad);
  EXPECT_EQ(f.per_sample(), 3 * 15680.0);
}

TEST(StepFlops, ConvNet) {
  const StepFlops f = useful_flops(*small_cnn());
  ASSERT_EQ(f.layers.size(), 3u);
  // conv1: |W| = 16 * 1 * 5 * 5 = 400 at 24 * 24 = 576 output pixels: 460,800 per product,
  // forward and weight gradient only (the first layer).
  EXPECT_EQ(f.layers[0].kind, "conv2d");
  EXPECT_EQ(f.layers[0].forward, 460800.0);
  EXPECT_EQ(f.layers[0].total(), 2 * 460800.0);
  // conv2 on the pooled [16, 12, 12]: |W| = 32 * 16 * 25 = 12,800 at 8 * 8 pixels.
  EXPECT_EQ(f.layers[1].layer, 3);
  EXPECT_EQ(f.layers[1].total(), 3 * 1638400.0);
  // dense 2048 -> 10 after the flatten.
  EXPECT_EQ(f.layers[2].layer, 5);
  EXPECT_EQ(f.layers[2].total(), 3 * 40960.0);
  EXPECT_EQ(f.per_sample(), 5959680.0);
}

// A transposed convolution applies its kernel at its input pixels: the mirror of a strided
// convolution does the same work as the convolution (|W| = 36 at 7 * 7 positions for both).
TEST(StepFlops, TransposedConvCountsItsInputPixels) {
  const StepFlops f = useful_flops(*conv_and_transpose());
  ASSERT_EQ(f.layers.size(), 2u);
  EXPECT_EQ(f.layers[0].forward, 3528.0);
  EXPECT_EQ(f.layers[0].total(), 2 * 3528.0);
  EXPECT_EQ(f.layers[1].kind, "conv_transpose2d");
  EXPECT_EQ(f.layers[1].forward, 3528.0);
  EXPECT_EQ(f.layers[1].total(), 3 * 3528.0);
  EXPECT_EQ(f.per_sample(), 17640.0);
}

TEST(StepFlops, LayersWithoutProductsCountZero) {
  std::vector<LayerPtr> l;
  l.push_back(std::make_unique<Flatten>("flatten"));
  l.push_back(relu("relu"));
  EXPECT_TRUE(useful_flops(*model_of({1, 4, 4}, std::move(l))).layers.empty());
}

}  // namespace
}  // namespace nnlab::test
