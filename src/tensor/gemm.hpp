// Matrix products. The fast path is oneDNN's sgemm (AVX-512 JIT kernels, threaded with the
// budget set by set_threads); gemm_reference is the plain loop every test compares it with.
#pragma once

#include <cstdint>

namespace nnlab {

/// Row-major C[m x n] = alpha * op(A) * op(B) + beta * C, where op(A) is m x k and op(B) is
/// k x n; trans_a / trans_b say whether A / B are stored transposed. lda, ldb, ldc are the row
/// strides of A, B, C as stored.
struct GemmArgs {
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float beta = 0.0f;
  float* c = nullptr;
  int64_t ldc = 0;
};

void gemm(const GemmArgs& g);
void gemm_reference(const GemmArgs& g);

/// C = alpha * op(A) op(B) + beta * C for dense row-major matrices with natural strides.
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          const float* b, float beta, float* c);

}  // namespace nnlab
