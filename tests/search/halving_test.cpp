#include "search/halving.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

TEST(Halving, RungsGrowByEtaUpToTheMaximum) {
  EXPECT_EQ(rung_epochs(1, 3, 27), (std::vector<int>{1, 3, 9, 27}));
  EXPECT_EQ(rung_epochs(2, 3, 40), (std::vector<int>{2, 6, 18, 40}));
  EXPECT_EQ(rung_epochs(5, 2, 5), (std::vector<int>{5}));
  EXPECT_FALSE(test::error_of([] { rung_epochs(0, 3, 9); }).empty());
  EXPECT_FALSE(test::error_of([] { rung_epochs(1, 1, 9); }).empty());
}

TEST(Halving, PromotesTheTopThirdOnceEachHighestRungFirst) {
  // Rung 0: 6 finished (lower is better): the top 6/3 = 2 are configs 4 and 1.
  std::vector<std::vector<RungResult>> rungs = {
      {{0, 0.5}, {1, 0.2}, {2, 0.9}, {3, 0.7}, {4, 0.1}, {5, 0.6}}, {}, {}};
  std::vector<std::set<int64_t>> promoted(3);
  auto p = asha_promotion(rungs, promoted, 3, false);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, std::make_pair(0, int64_t{4}));
  promoted[0].insert(4);
  EXPECT_EQ(*asha_promotion(rungs, promoted, 3, false), std::make_pair(0, int64_t{1}));
  promoted[0].insert(1);
  EXPECT_FALSE(asha_promotion(rungs, promoted, 3, false));  // the rest are not in the top third
  // Three finished on rung 1: its best goes up before anything of rung 0.
  rungs[1] = {{4, 0.05}, {1, 0.15}, {7, 0.3}};
  rungs[0].push_back({6, 0.05});
  rungs[0].push_back({7, 0.06});
  rungs[0].push_back({8, 0.07});
  EXPECT_EQ(*asha_promotion(rungs, promoted, 3, false), std::make_pair(1, int64_t{4}));
  // Maximizing reverses the order.
  std::vector<std::set<int64_t>> none(3);
  const std::vector<std::vector<RungResult>> acc = {{{0, 0.9}, {1, 0.1}, {2, 0.5}}, {}, {}};
  EXPECT_EQ(*asha_promotion(acc, none, 3, true), std::make_pair(0, int64_t{0}));
}

TEST(Halving, NothingToPromoteBeforeEtaResults) {
  const std::vector<std::vector<RungResult>> rungs = {{{0, 0.5}, {1, 0.2}}, {}};
  EXPECT_FALSE(asha_promotion(rungs, std::vector<std::set<int64_t>>(2), 3, false));
}

}  // namespace
}  // namespace nnlab
