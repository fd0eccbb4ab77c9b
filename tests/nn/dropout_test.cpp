#include "nn/dropout.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

using test::ones;

TEST(Dropout, DropsAboutRateAndKeepsTheMean) {
  Dropout layer("dropout1", 0.3f);
  layer.build({1000});
  const Tensor x = ones({20, 1000});
  Rng rng(2);
  LayerContext ctx;
  ctx.exec = &test::exec();
  ctx.rng = &rng;
  layer.forward(x, ctx);
  int64_t zeros = 0;
  double sum = 0;
  for (float v : ctx.y.span()) {
    zeros += v == 0.0f;
    sum += v;
  }
  EXPECT_NEAR(static_cast<double>(zeros) / 20000.0, 0.3, 0.01);
  EXPECT_NEAR(sum / 20000.0, 1.0, 0.02);  // inverted dropout keeps the expectation
  ctx.mode = Mode::eval;
  layer.forward(x, ctx);
  for (int64_t i = 0; i < x.size(); ++i) ASSERT_EQ(ctx.y[i], x[i]);
}

}  // namespace
}  // namespace nnlab
