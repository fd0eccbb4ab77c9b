// Float functions written to vectorize inside `omp simd` loops, for fused element-wise passes.
//
// Why by hand: GCC has no vector libm to call without -ffast-math, so std::exp in a loop stays
// scalar (10-40 ns an element); oneDNN's eltwise primitives are vectorized but are whole passes
// over memory of their own, and a pass that needs e^x beside other arithmetic (binary
// cross-entropy's loss and gradient) would pay one such pass per function. These use only
// IEEE arithmetic, each multiply-add an explicit fma, so a value never depends on its position
// in the loop (vector body or remainder) or on the thread count. (A build for a CPU without FMA,
// -DNNLAB_NATIVE=OFF on plain x86-64, gets the same values from libm's fmaf, scalar and slower.)
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "tensor/elementwise.hpp"

namespace nnlab {

/// e^x for x <= 0, within 2 float ulps (0 below -87.3, where e^x leaves the normal floats; NaN
/// stays NaN). Cephes' expf: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by a degree-7 polynomial,
/// times 2^n built in the exponent bits.
inline float exp_nonpositive(float x) {
  constexpr float kLow = -87.3f;
  const float xc = std::max(x, kLow);  // std::max returns its first argument for a NaN
  // n = round(x / ln 2): adding 1.5 * 2^23 leaves n in the low mantissa bits (one rounding, by
  // the fma), and subtracting it gives n as a float, exactly.
  constexpr float kShift = 12582912.0f;
  const float t = std::fma(xc, 1.44269504088896341f, kShift);
  const float n = t - kShift;
  // r = x - n ln 2, ln 2 in two parts so that n ln 2's high part is exact.
  const float r = std::fma(n, 2.12194440e-4f, std::fma(n, -0.693359375f, xc));
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  const float er = std::fma(p, r * r, r) + 1.0f;
  // 2^n for n in [-126, 0]: the biased exponent n + 127 (unsigned, so that a NaN's garbage
  // integer wraps rather than overflows; the NaN then comes through er).
  const uint32_t biased =
      std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(kShift) + uint32_t{127};
  return pick(x < kLow, 0.0f, er * std::bit_cast<float>(biased << 23));
}

/// log(1 + u) for u in [0, 1], within 3 float ulps, relative for small u too: 2 atanh(s) with
/// s = u / (2 + u) <= 1/3, by its series 2s (1 + w/3 + w^2/5 + ... + w^7/15) in w = s^2 <= 1/9
/// (the first term left out is under 3e-9 of the sum).
inline float log1p_unit(float u) {
  const float s = u / (2.0f + u), w = s * s;
  float p = 1.0f / 15.0f;
  p = std::fma(p, w, 1.0f / 13.0f);
  p = std::fma(p, w, 1.0f / 11.0f);
  p = std::fma(p, w, 1.0f / 9.0f);
  p = std::fma(p, w, 1.0f / 7.0f);
  p = std::fma(p, w, 1.0f / 5.0f);
  p = std::fma(p, w, 1.0f / 3.0f);
  p = std::fma(p, w, 1.0f);
  return (2.0f * s) * p;
}

}  // namespace nnlab
