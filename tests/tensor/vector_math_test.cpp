#include "tensor/vector_math.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tensor/elementwise.hpp"

namespace nnlab {
namespace {

// How many float ulps `got` is from the exact `want` (in units of the spacing of floats at want).
double ulps(float got, double want) {
  const auto w = static_cast<float>(want);
  const double spacing = std::nextafter(std::abs(w), std::numeric_limits<float>::infinity()) -
                         static_cast<double>(std::abs(w));
  return std::abs(static_cast<double>(got) - want) / spacing;
}

// Every 97th float of [lo, hi], 0 <= lo < hi (stepping through their bit patterns, which order
// non-negative floats), times `sign`; and hi.
std::vector<float> floats_between(float lo, float hi, float sign = 1.0f) {
  std::vector<float> v;
  for (uint32_t b = std::bit_cast<uint32_t>(lo); b < std::bit_cast<uint32_t>(hi); b += 97)
    v.push_back(sign * std::bit_cast<float>(b));
  v.push_back(sign * hi);
  return v;
}

TEST(VectorMath, ExpOfNonPositiveWithinTwoUlps) {
  // From where e^x leaves the normal floats to 0, densest near 0 where floats are.
  std::vector<float> xs = floats_between(1.0f, 87.3f, -1.0f);
  for (float x : floats_between(1e-6f, 1.0f, -1.0f)) xs.push_back(x);
  std::vector<float> got(xs.size());
  elementwise(static_cast<int64_t>(xs.size()), [&](int64_t i) {
    got[static_cast<size_t>(i)] = exp_nonpositive(xs[static_cast<size_t>(i)]);
  });
  double worst = 0.0;
  float worst_x = 0.0f;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double e = ulps(got[i], std::exp(static_cast<double>(xs[i])));
    if (e > worst) worst = e, worst_x = xs[i];
  }
  EXPECT_LE(worst, 2.0) << "at x = " << worst_x;
  EXPECT_GT(xs.size(), size_t{1000000});
}

TEST(VectorMath, ExpOfNonPositiveAtItsEnds) {
  EXPECT_EQ(exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive(-0.0f), 1.0f);
  EXPECT_EQ(exp_nonpositive(-87.4f), 0.0f);
  EXPECT_EQ(exp_nonpositive(-1e30f), 0.0f);
  EXPECT_EQ(exp_nonpositive(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isnan(exp_nonpositive(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_GT(exp_nonpositive(-87.3f), 0.0f);
  EXPECT_TRUE(std::isnormal(exp_nonpositive(-87.3f)));
}

TEST(VectorMath, Log1pOfUnitWithinThreeUlps) {
  // u = e^-|z| of binary cross-entropy: anywhere in [0, 1], tiny values included, where
  // log(1 + u) computed plainly would lose all of u.
  std::vector<float> us = floats_between(0.5f, 1.0f);
  for (float u : floats_between(1e-3f, 0.5f)) us.push_back(u);
  for (float u : {1e-38f, 1e-30f, 1e-20f, 1e-10f, 6e-8f, 1e-7f, 3e-5f}) us.push_back(u);
  double worst = 0.0;
  float worst_u = 0.0f;
  for (float u : us) {
    const double e = ulps(log1p_unit(u), std::log1p(static_cast<double>(u)));
    if (e > worst) worst = e, worst_u = u;
  }
  EXPECT_LE(worst, 3.0) << "at u = " << worst_u;  // 2.8 at u = 0.0619 (2026-12-06)
  EXPECT_EQ(log1p_unit(0.0f), 0.0f);
}

// The same value in a vectorized loop as for one element alone: the functions use exact IEEE
// operations and explicit fmas only.
// (Not inlined, so that the compiler cannot fold these into a vectorized loop of its own.)
[[gnu::noinline]] float exp_alone(float x) { return exp_nonpositive(x); }
[[gnu::noinline]] float log1p_alone(float u) { return log1p_unit(u); }

TEST(VectorMath, VectorLanesComputeWhatOneElementAloneDoes) {
  const int64_t n = 100003;
  std::vector<float> x(static_cast<size_t>(n)), e(x.size()), l(x.size());
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = -87.0f * static_cast<float>(i) / n;
  float* ep = e.data();
  float* lp = l.data();
  const float* xp = x.data();
  elementwise(n, [=](int64_t i) {
    ep[i] = exp_nonpositive(xp[i]);
    lp[i] = log1p_unit(ep[i]);
  });
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(e[i], exp_alone(x[i])) << "x = " << x[i];
    ASSERT_EQ(l[i], log1p_alone(e[i])) << "u = " << e[i];
  }
}

TEST(ElementwiseSum, SameBitsForAnyThreadCountAndCloseToTheExactSum) {
  // Sizes below the thread threshold, between, and above 256 chunks of the smallest size.
  for (const int64_t n :
       {int64_t{0}, int64_t{1}, int64_t{5000}, int64_t{300007}, int64_t{3000001}}) {
    std::vector<float> v(static_cast<size_t>(n));
    long double exact = 0.0L;
    for (int64_t i = 0; i < n; ++i) {
      v[static_cast<size_t>(i)] = std::sin(static_cast<float>(i)) * 1e3f + 0.25f;
      exact += v[static_cast<size_t>(i)];
    }
    const float* p = v.data();
    const auto term = [=](int64_t i) { return static_cast<double>(p[i]); };
    const int before = omp_get_max_threads();
    omp_set_num_threads(1);
    const double one = elementwise_sum(n, term);
    omp_set_num_threads(2);
    const double two = elementwise_sum(n, term);
    omp_set_num_threads(before);
    EXPECT_EQ(one, two) << "n = " << n;
    EXPECT_NEAR(one, static_cast<double>(exact), 1e-9 * static_cast<double>(n) + 1e-12)
        << "n = " << n;
  }
}

TEST(ElementwiseSum, TermsMayWriteTheirElement) {
  const int64_t n = 200000;
  std::vector<float> out(static_cast<size_t>(n), -1.0f);
  float* o = out.data();
  const double sum = elementwise_sum(n, [=](int64_t i) {
    o[i] = static_cast<float>(i % 7);
    return 1.0;
  });
  EXPECT_EQ(sum, static_cast<double>(n));
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[static_cast<size_t>(i)], static_cast<float>(i % 7));
}

}  // namespace
}  // namespace nnlab
