// Dense's forward is a oneDNN matmul cached per batch size, thread count and post-op
// (nn/dense.hpp): each must compute x W^T + b, checked against the plain reference product.
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

}  // namespace
}  // namespace nnlab::test
