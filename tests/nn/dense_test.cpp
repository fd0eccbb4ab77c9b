// Dense's forward is a oneDNN matmul cached per batch size, thread count and post-op
// (nn/dense.hpp): each must compute x W^T + b, checked against the plain reference product. Its
// backward runs its two products one after the other, or on two threads side by side: both
// must give the reference products.
#include "nn/dense.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"
#include "support/test_support.hpp"
#include "tensor/gemm.hpp"

namespace nnlab::test {
namespace {

TEST(Dense, ForwardIsTheReferenceProductAtAnyBatchSizeAndThreadCount) {
  Dense layer("dense", 19);
  layer.build({37});
  // Bind the parameters to storage of their own, as a Model would to its arena.
  Tensor w = random_tensor({19, 37}, 1), b = random_tensor({19}, 2);
  layer.weight().value = Tensor::view(w.data(), w.shape());
  layer.bias().value = Tensor::view(b.data(), b.shape());
  const auto check = [&](ExecContext& exec) {
    for (int64_t n : {5, 3, 64}) {
      const Tensor x = random_tensor({n, 37}, 3 + static_cast<uint64_t>(n));
      LayerContext ctx;
      ctx.exec = &exec;
      layer.forward(x, ctx);
      Tensor want({n, 19});
      for (int64_t r = 0; r < n; ++r)
        for (int64_t u = 0; u < 19; ++u) want[r * 19 + u] = b[u];
      gemm_reference({.trans_b = true,
                      .m = n,
                      .n = 19,
                      .k = 37,
                      .a = x.data(),
                      .lda = 37,
                      .b = w.data(),
                      .ldb = 37,
                      .beta = 1.0f,
                      .c = want.data(),
                      .ldc = 19});
      EXPECT_EQ(ctx.y.shape(), want.shape());
      if (ctx.y.shape() != want.shape()) continue;
      for (int64_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(ctx.y[i], want[i], 1e-5) << n << " " << i;
    }
    return exec.threads();
  };
  EXPECT_EQ(check(test::exec()), test::exec().threads());
  EXPECT_EQ(test::on_worker(1, check), 1);
}

TEST(Dense, BackwardIsTheReferenceProductsAtAnyThreadCount) {
  Dense layer("dense", 23);
  layer.build({41});
  Tensor w = random_tensor({23, 41}, 1), b = random_tensor({23}, 2);
  Tensor dw({23, 41}), db({23});
  layer.weight().value = Tensor::view(w.data(), w.shape());
  layer.bias().value = Tensor::view(b.data(), b.shape());
  layer.weight().grad = Tensor::view(dw.data(), dw.shape());
  layer.bias().grad = Tensor::view(db.data(), db.shape());
  const auto check = [&](ExecContext& exec) {
    for (const bool input_grad : {true, false}) {
      const int64_t n = 70;
      const Tensor x = random_tensor({n, 41}, 3), dy = random_tensor({n, 23}, 4);
      LayerContext ctx;
      ctx.exec = &exec;
      ctx.input_grad = input_grad;
      layer.forward(x, ctx);
      layer.backward(ctx, dy);
      Tensor want_dw({23, 41}), want_dx({n, 41});
      gemm_reference({.trans_a = true,
                      .m = 23,
                      .n = 41,
                      .k = n,
                      .a = dy.data(),
                      .lda = 23,
                      .b = x.data(),
                      .ldb = 41,
                      .c = want_dw.data(),
                      .ldc = 41});
      gemm_reference({.m = n,
                      .n = 41,
                      .k = 23,
                      .a = dy.data(),
                      .lda = 23,
                      .b = w.data(),
                      .ldb = 41,
                      .c = want_dx.data(),
                      .ldc = 41});
      for (int64_t i = 0; i < want_dw.size(); ++i)
        EXPECT_NEAR(dw[i], want_dw[i], 1e-4) << exec.threads() << " dW " << i;
      for (int64_t u = 0; u < 23; ++u) {
        double sum = 0;
        for (int64_t r = 0; r < n; ++r) sum += dy[r * 23 + u];
        EXPECT_NEAR(db[u], sum, 1e-4) << exec.threads() << " db " << u;
      }
      EXPECT_EQ(ctx.dx.size(), input_grad ? want_dx.size() : 0) << exec.threads();
      if (!input_grad || ctx.dx.size() != want_dx.size()) continue;
      for (int64_t i = 0; i < want_dx.size(); ++i)
        EXPECT_NEAR(ctx.dx[i], want_dx[i], 1e-4) << exec.threads() << " dx " << i;
    }
    return exec.threads();
  };
  for (int threads : {1, 2, 3}) EXPECT_EQ(test::on_worker(threads, check), threads);
}

}  // namespace
}  // namespace nnlab::test
