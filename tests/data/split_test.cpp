#include "data/split.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// 0..n-1 exactly once across both lists.
void expect_partition(const Split& s, int64_t n) {
  std::vector<int64_t> all = s.train;
  all.insert(all.end(), s.val.begin(), s.val.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> want(static_cast<size_t>(n));
  std::iota(want.begin(), want.end(), int64_t{0});
  EXPECT_EQ(all, want);
}

// Unbalanced classes: 0 has 50, 1 has 30, 2 has 13, 3 has 7 samples, interleaved.
std::vector<int32_t> toy_labels() {
  std::vector<int32_t> labels;
  const int counts[4] = {50, 30, 13, 7};
  for (int round = 0; labels.size() < 100; ++round)
    for (int c = 0; c < 4; ++c)
      if (round < counts[c]) labels.push_back(c);
  return labels;
}

std::vector<int64_t> counts_of(const std::vector<int64_t>& idx, const std::vector<int32_t>& l) {
  std::vector<int64_t> counts(4, 0);
  for (const int64_t i : idx) ++counts[static_cast<size_t>(l[static_cast<size_t>(i)])];
  return counts;
}

TEST(Holdout, UnshuffledTakesTheLastSamples) {
  Rng rng(1);
  const Split s = holdout(10, {}, {.count = 3, .shuffle = false}, rng);
  EXPECT_EQ(s.train, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s.val, (std::vector<int64_t>{7, 8, 9}));
}

TEST(Holdout, ShuffledFractionIsDisjointCompleteAndDeterministic) {
  Rng a(7), b(7), c(8);
  const HoldoutConfig cfg{.fraction = 0.2};
  const Split s = holdout(1000, {}, cfg, a);
  EXPECT_EQ(s.val.size(), 200u);
  EXPECT_EQ(s.train.size(), 800u);
  expect_partition(s, 1000);
  const Split again = holdout(1000, {}, cfg, b);
  EXPECT_EQ(s.train, again.train);
  EXPECT_EQ(s.val, again.val);
  EXPECT_NE(s.val, holdout(1000, {}, cfg, c).val);
  EXPECT_FALSE(std::is_sorted(s.val.begin(), s.val.end()));
}

TEST(Holdout, StratifiedKeepsEachClassProportion) {
  const auto labels = toy_labels();
  Rng rng(3);
  const Split s = holdout(100, labels, {.fraction = 0.3, .stratified = true}, rng);
  expect_partition(s, 100);
  EXPECT_EQ(s.val.size(), 30u);
  const auto val = counts_of(s.val, labels);
  const double share[4] = {50 * 0.3, 30 * 0.3, 13 * 0.3, 7 * 0.3};
  for (size_t c = 0; c < 4; ++c) EXPECT_LE(std::abs(val[c] - share[c]), 1.0) << "class " << c;
  Rng again(3);
  EXPECT_EQ(holdout(100, labels, {.fraction = 0.3, .stratified = true}, again).val, s.val);
}

TEST(Holdout, MustLeaveTrainingSamples) {
  Rng rng(1);
  EXPECT_THROW(holdout(10, {}, {.count = 10}, rng), Error);
  EXPECT_THROW(holdout(10, {}, {.fraction = 1.0}, rng), Error);
  EXPECT_THROW(holdout(10, {}, {.fraction = 0.96}, rng), Error);  // rounds to 10
  EXPECT_THROW(holdout(10, {}, {.count = -1}, rng), Error);
  EXPECT_THROW(holdout(3, std::vector<int32_t>{0, 1}, {.count = 1, .stratified = true}, rng),
               Error);
  EXPECT_EQ(holdout(10, {}, {.count = 9}, rng).train.size(), 1u);
}

TEST(Kfold, FoldsPartitionTheSet) {
  Rng rng(5);
  const auto folds = kfold(103, 5, {}, false, rng);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<int64_t> all_val;
  for (const auto& f : folds) {
    expect_partition(f, 103);
    EXPECT_GE(f.val.size(), 20u);
    EXPECT_LE(f.val.size(), 21u);
    all_val.insert(all_val.end(), f.val.begin(), f.val.end());
  }
  std::sort(all_val.begin(), all_val.end());
  EXPECT_EQ(std::adjacent_find(all_val.begin(), all_val.end()), all_val.end());
  EXPECT_EQ(all_val.size(), 103u);
  Rng again(5);
  EXPECT_EQ(kfold(103, 5, {}, false, again)[2].val, folds[2].val);
}

TEST(Kfold, StratifiedFoldsKeepClassShares) {
  const auto labels = toy_labels();
  Rng rng(9);
  const auto folds = kfold(100, 3, labels, true, rng);
  std::vector<int64_t> all_val;
  for (const auto& f : folds) {
    expect_partition(f, 100);
    const auto val = counts_of(f.val, labels);
    const double share[4] = {50 / 3.0, 30 / 3.0, 13 / 3.0, 7 / 3.0};
    for (size_t c = 0; c < 4; ++c) EXPECT_LE(std::abs(val[c] - share[c]), 1.0) << "class " << c;
    all_val.insert(all_val.end(), f.val.begin(), f.val.end());
  }
  std::sort(all_val.begin(), all_val.end());
  EXPECT_EQ(std::unique(all_val.begin(), all_val.end()) - all_val.begin(), 100);
}

TEST(Kfold, ValidatesK) {
  Rng rng(1);
  EXPECT_THROW(kfold(10, 1, {}, false, rng), Error);
  EXPECT_THROW(kfold(3, 4, {}, false, rng), Error);
  EXPECT_EQ(kfold(4, 4, {}, false, rng).size(), 4u);
}

}  // namespace
}  // namespace nnlab
