// The limit's bookkeeping (never its speed): which products it times, with what FLOPs, and that
// it leaves the model's weights and gradients as it found them.
#include "perf/step_limit.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "perf/models.hpp"
#include "perf/step_flops.hpp"

namespace nnlab::test {
namespace {

constexpr LimitOptions kQuick{.warmup = 1, .min_calls = 3, .min_seconds = 0, .max_calls = 3};

TEST(StepLimit, TimesEachCountedDenseProduct) {
  const auto m = s2_mlp();
  const StepLimit l = measure_step_limit(*m, 32, kQuick);
  ASSERT_EQ(l.products.size(), 8u);  // 2 + 3 + 3: the first layer has no input gradient
  // The forward: the faster of sgemm and the layer's own matmul (nn/dense.hpp).
  EXPECT_TRUE(l.products[0].label == "dense1 forward: gemm 32x1024x784" ||
              l.products[0].label == "dense1 forward: matmul 32x1024x784")
      << l.products[0].label;
  EXPECT_EQ(l.products[1].label, "dense1 weight gradient: gemm 1024x784x32");
  EXPECT_EQ(l.products[4].label, "dense2 input gradient: gemm 32x1024x512");
  EXPECT_EQ(l.batch, 32);
  EXPECT_EQ(l.flops, 32 * useful_flops(*m).per_sample());
  double sum = 0;
  for (const ProductTime& p : l.products) {
    EXPECT_EQ(p.calls, 3) << p.label;
    EXPECT_GT(p.seconds, 0) << p.label;
    sum += p.seconds;
  }
  EXPECT_DOUBLE_EQ(l.seconds, sum);
  EXPECT_GT(l.gflops(), 0);
}

TEST(StepLimit, RunsConvLayersAloneAndRestoresTheGradients) {
  const auto m = conv_and_transpose();
  for (size_t i = 0; i < m->grads().size(); ++i) m->grads()[i] = static_cast<float>(i % 7);
  const std::vector<float> grads(m->grads().begin(), m->grads().end());
  const std::vector<float> values(m->values().begin(), m->values().end());
  const StepLimit l = measure_step_limit(*m, 8, kQuick);
  ASSERT_EQ(l.products.size(), 4u);
  EXPECT_EQ(l.products[0].label, "conv forward");
  EXPECT_EQ(l.products[1].label, "conv backward (no input gradient)");
  EXPECT_EQ(l.products[1].flops, 8 * 3528.0);
  EXPECT_EQ(l.products[3].label, "deconv backward");
  EXPECT_EQ(l.products[3].flops, 8 * 2 * 3528.0);
  EXPECT_EQ(l.flops, 8 * 17640.0);
  EXPECT_EQ(std::vector<float>(m->grads().begin(), m->grads().end()), grads);
  EXPECT_EQ(std::vector<float>(m->values().begin(), m->values().end()), values);
}

// The limit gives a conv layer its input and output gradient in the step's own layouts: here
// blocked (on any CPU with AVX2) from the first convolution's output to the second's, plain
// after the flatten.
TEST(StepLimit, KnowsTheLayoutsOfTheStep) {
  const auto m = small_cnn();
  const std::vector<int> blocks = step_layouts(*m, 4);
  ASSERT_EQ(blocks.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_GT(blocks[i], 0) << m->layer(i).name();
  EXPECT_EQ(blocks[4], 0);
  EXPECT_EQ(blocks[5], 0);
}

TEST(StepLimit, AModelWithoutProductsHasNoLimit) {
  std::vector<LayerPtr> l;
  l.push_back(std::make_unique<Flatten>("flatten"));
  const StepLimit s = measure_step_limit(*model_of({1, 4, 4}, std::move(l)), 4, kQuick);
  EXPECT_TRUE(s.products.empty());
  EXPECT_EQ(s.gflops(), 0);
}

}  // namespace
}  // namespace nnlab::test
