#include "nn/noise.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::ones;

double stddev_of_difference(const Tensor& a, const Tensor& b) {
  double sq = 0;
  for (int64_t i = 0; i < a.size(); ++i) sq += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(sq / static_cast<double>(a.size()));
}

TEST(Noise, GaussianNoiseAddsNoiseInTrainOnly) {
  GaussianNoise layer("gaussian_noise1", 0.5f);
  layer.build({1000});
  const Tensor x = ones({10, 1000});
  Rng rng(1);
  LayerContext ctx;
  ctx.exec = &test::exec();
  ctx.rng = &rng;
  layer.forward(x, ctx);
  EXPECT_NEAR(stddev_of_difference(ctx.y, x), 0.5, 0.02);
  ctx.mode = Mode::eval;
  layer.forward(x, ctx);
  EXPECT_EQ(stddev_of_difference(ctx.y, x), 0.0);
}

TEST(Noise, GradientNoiseIsIdentityForwardAndNoisyBackward) {
  GradientNoise layer("gradient_noise1", 0.25f);
  layer.build({1000});
  const Tensor x = ones({10, 1000}), dy = ones({10, 1000});
  Rng rng(1);
  LayerContext ctx;
  ctx.exec = &test::exec();
  ctx.rng = &rng;
  layer.forward(x, ctx);
  EXPECT_EQ(stddev_of_difference(ctx.y, x), 0.0);
  layer.backward(ctx, dy);
  EXPECT_NEAR(stddev_of_difference(ctx.dx, dy), 0.25, 0.01);
  ctx.mode = Mode::eval;
  layer.forward(x, ctx);
  layer.backward(ctx, dy);
  EXPECT_EQ(stddev_of_difference(ctx.dx, dy), 0.0);
}

}  // namespace
}  // namespace nnlab
