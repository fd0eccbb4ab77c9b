#include "tensor/gemm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tensor/rng.hpp"

namespace nnlab {
namespace {

// The oneDNN path against the plain loop, for every transposition and beta.
TEST(Gemm, MatchesReferenceForAllTranspositions) {
  Rng rng(7);
  const int64_t m = 37, n = 53, k = 29;
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      for (float beta : {0.0f, 1.0f}) {
        std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)),
            c1(static_cast<size_t>(m * n)), c2;
        rng.fill_normal(a, 0, 1);
        rng.fill_normal(b, 0, 1);
        rng.fill_normal(c1, 0, 1);
        c2 = c1;
        GemmArgs g{.trans_a = ta == 1,
                   .trans_b = tb == 1,
                   .m = m,
                   .n = n,
                   .k = k,
                   .alpha = 0.5f,
                   .a = a.data(),
                   .lda = ta ? m : k,
                   .b = b.data(),
                   .ldb = tb ? k : n,
                   .beta = beta,
                   .c = c1.data(),
                   .ldc = n};
        gemm(g);
        g.c = c2.data();
        gemm_reference(g);
        for (size_t i = 0; i < c1.size(); ++i) ASSERT_NEAR(c1[i], c2[i], 1e-4f) << i;
      }
    }
  }
}

}  // namespace
}  // namespace nnlab
