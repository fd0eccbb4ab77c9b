#include "tensor/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace nnlab {
namespace {

TEST(Rng, SameSeedSameSequenceAndForksDiffer) {
  Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  Rng f1 = a.fork(1), f2 = a.fork(2);
  EXPECT_NE(f1.next_u64(), f2.next_u64());
}

TEST(RngLanes, EachLaneYieldsTheNumbersOfItsRng) {
  constexpr int kLanes = RngLanes::kLanes;
  std::vector<Rng> alone;
  RngLanes lanes;
  for (int l = 0; l < kLanes; ++l) {
    alone.push_back(Rng(1000 + static_cast<uint64_t>(l)).fork(7));
    alone.back().next_u64();  // a lane continues from where its Rng stands
    lanes.seed(l, alone.back());
  }
  for (int step = 0; step < 1000; ++step) {
    uint64_t out[kLanes];
    lanes.next(out);
    for (int l = 0; l < kLanes; ++l) ASSERT_EQ(out[l], alone[static_cast<size_t>(l)].next_u64());
  }
}

TEST(Rng, NormalHasUnitMomentsAndUniformIsInRange) {
  Rng r(3);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double v = r.normal();
    s += v;
    s2 += v * v;
    const float u = r.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
}

TEST(Rng, PermutationIsAPermutation) {
  Rng r(5);
  auto p = r.permutation(1000);
  std::vector<int> seen(1000, 0);
  for (auto v : p) seen[static_cast<size_t>(v)]++;
  for (int c : seen) EXPECT_EQ(c, 1);
}

}  // namespace
}  // namespace nnlab
