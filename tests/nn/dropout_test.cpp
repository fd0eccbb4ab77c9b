#include "nn/dropout.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "support/test_support.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/rng.hpp"

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

// The mask's rule, drawn here one row and one number at a time: the batch's generator is seeded
// by one number of the run's; row r draws from its fork r, one 64-bit number per two units (the
// low 32 bits for the first), and keeps a unit when its 32 bits are >= rate * 2^32.
TEST(Dropout, EachRowDrawsItsMaskFromItsOwnFork) {
  const float rate = 0.6f;
  const auto threshold = static_cast<uint64_t>(static_cast<double>(rate) * 4294967296.0);
  for (const auto& [rows, cols] : {std::pair<int64_t, int64_t>{13, 37}, {64, 500}, {9, 1}}) {
    for (int threads : {1, 2}) {
      ExecContext exec(threads);
      Dropout layer("dropout1", rate);
      layer.build({cols});
      Tensor x({rows, cols});
      for (int64_t i = 0; i < x.size(); ++i) x[i] = 1.0f + static_cast<float>(i % 7);
      Rng rng(5), expected_rng(5);
      LayerContext ctx;
      ctx.exec = &exec;
      ctx.rng = &rng;
      layer.forward(x, ctx);
      const Rng batch(expected_rng.next_u64());
      for (int64_t r = 0; r < rows; ++r) {
        Rng row = batch.fork(static_cast<uint64_t>(r));
        uint64_t bits = 0;
        for (int64_t c = 0; c < cols; ++c) {
          if (c % 2 == 0) bits = row.next_u64();
          const uint64_t u = c % 2 == 0 ? bits & 0xffffffffu : bits >> 32;
          const int64_t i = r * cols + c;
          const float want = u >= threshold ? x[i] * (1.0f / (1.0f - rate)) : 0.0f;
          ASSERT_EQ(ctx.y[i], want)
              << rows << "x" << cols << ", " << threads << " threads, row " << r << ", unit " << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace nnlab
