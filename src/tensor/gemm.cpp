#include "tensor/gemm.hpp"

#include <dnnl.h>

#include "tensor/error.hpp"

namespace nnlab {

void gemm(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  const dnnl_status_t st = dnnl_sgemm(g.trans_a ? 'T' : 'N', g.trans_b ? 'T' : 'N', g.m, g.n, g.k,
                                      g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc);
  NNLAB_CHECK(st == dnnl_success, "oneDNN sgemm failed (status {}) for m={} n={} k={}",
              static_cast<int>(st), g.m, g.n, g.k);
}

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c) {
  gemm(GemmArgs{.trans_a = trans_a,
                .trans_b = trans_b,
                .m = m,
                .n = n,
                .k = k,
                .alpha = alpha,
                .a = a,
                .lda = trans_a ? m : k,
                .b = b,
                .ldb = trans_b ? k : n,
                .beta = beta,
                .c = c,
                .ldc = n});
}

}  // namespace nnlab
