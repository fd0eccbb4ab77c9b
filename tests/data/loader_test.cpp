#include "data/loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

// n images of 2x3 bytes, sample i filled with (i * 7 + j) % 256, label i % 3.
Dataset toy(int64_t n) {
  Dataset d;
  d.name = "toy";
  d.sample_shape = {1, 2, 3};
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 6; ++j) d.pixels.push_back(static_cast<uint8_t>((i * 7 + j) % 256));
    d.labels.push_back(static_cast<int32_t>(i % 3));
  }
  d.class_names = {"a", "b", "c"};
  return d;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

std::vector<int64_t> epoch_order(Loader& loader, int epoch) {
  loader.start_epoch(epoch);
  std::vector<int64_t> order;
  Batch b;
  while (loader.next(b)) order.insert(order.end(), b.index.begin(), b.index.end());
  return order;
}

TEST(Loader, EveryIndexOncePerEpochAndLastBatchPartial) {
  const Dataset d = toy(103);
  Loader loader(d, iota(103), {.batch = 10, .shuffle = true, .seed = 42});
  EXPECT_EQ(loader.batches_per_epoch(), 11);
  Batch b;
  std::vector<int64_t> seen;
  int batches = 0;
  loader.start_epoch(0);
  while (loader.next(b)) {
    ++batches;
    const int64_t want = batches == 11 ? 3 : 10;
    ASSERT_EQ(b.size(), want);
    EXPECT_EQ(b.x.shape(), (Shape{want, 1, 2, 3}));
    ASSERT_EQ(b.labels.size(), static_cast<size_t>(want));
    EXPECT_TRUE(b.targets.empty());
    for (int64_t r = 0; r < want; ++r) {
      const int64_t i = b.index[static_cast<size_t>(r)];
      EXPECT_EQ(b.labels[static_cast<size_t>(r)], d.labels[static_cast<size_t>(i)]);
      for (int64_t j = 0; j < 6; ++j) {
        const float v = b.x[r * 6 + j];
        ASSERT_GE(v, 0.f);
        ASSERT_LE(v, 1.f);
        ASSERT_FLOAT_EQ(v, d.pixels[static_cast<size_t>(i * 6 + j)] / 255.f);
      }
    }
    seen.insert(seen.end(), b.index.begin(), b.index.end());
  }
  EXPECT_EQ(batches, 11);
  EXPECT_FALSE(loader.next(b));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, iota(103));
}

TEST(Loader, OrderDependsOnSeedAndEpochOnly) {
  const Dataset d = toy(50);
  Loader a(d, iota(50), {.batch = 8, .shuffle = true, .seed = 1});
  Loader b(d, iota(50), {.batch = 8, .shuffle = true, .seed = 1});
  Loader c(d, iota(50), {.batch = 8, .shuffle = true, .seed = 2});
  const auto a0 = epoch_order(a, 0), a1 = epoch_order(a, 1);
  EXPECT_NE(a0, a1);
  EXPECT_NE(a0, epoch_order(c, 0));
  // b runs epoch 1 without epoch 0 first (a resume): same batches.
  EXPECT_EQ(epoch_order(b, 1), a1);
  EXPECT_EQ(epoch_order(b, 0), a0);
}

TEST(Loader, UnshuffledSubsetKeepsItsOrder) {
  const Dataset d = toy(20);
  Loader loader(d, {5, 3, 17}, {.batch = 2, .shuffle = false, .seed = 0});
  EXPECT_EQ(loader.size(), 3);
  EXPECT_EQ(epoch_order(loader, 4), (std::vector<int64_t>{5, 3, 17}));
  EXPECT_THROW(Loader(d, {20}, {.batch = 2, .shuffle = false, .seed = 0}), Error);
  EXPECT_THROW(Loader(d, {1}, {.batch = 0, .shuffle = false, .seed = 0}), Error);
}

TEST(Loader, LargeBatchesAndRegressionTargets) {
  // Big enough to take the parallel path.
  Dataset d;
  d.name = "rows";
  d.sample_shape = {3000};
  d.target_dim = 2;
  const int64_t n = 64;
  for (int64_t i = 0; i < n * 3000; ++i) d.features.push_back(static_cast<float>(i));
  for (int64_t i = 0; i < n * 2; ++i) d.targets.push_back(static_cast<float>(-i));
  Loader loader(d, iota(n), {.task = Task::regress, .batch = 64, .shuffle = true, .seed = 3});
  Batch b;
  ASSERT_TRUE(loader.next(b));
  EXPECT_TRUE(b.labels.empty());
  ASSERT_EQ(b.targets.shape(), (Shape{64, 2}));
  for (int64_t r = 0; r < 64; ++r) {
    const int64_t i = b.index[static_cast<size_t>(r)];
    EXPECT_EQ(b.x.row(r)[2999], static_cast<float>(i * 3000 + 2999));
    EXPECT_EQ(b.targets.row(r)[1], static_cast<float>(-(i * 2 + 1)));
  }
  EXPECT_NE(b.as_targets().values, nullptr);
}

TEST(Dataset, SubsetConcatAndCounts) {
  const Dataset d = toy(10);
  const std::vector<int64_t> idx = {9, 0};
  const Dataset s = d.subset(idx);
  EXPECT_EQ(s.size(), 2);
  EXPECT_EQ(s.labels, (std::vector<int32_t>{0, 0}));
  EXPECT_EQ(s.pixels[0], d.pixels[54]);
  const Dataset c = d.concat(s);
  EXPECT_EQ(c.size(), 12);
  EXPECT_EQ(c.class_counts(), (std::vector<int64_t>{6, 3, 3}));
}

TEST(Dataset, NoisyCopies) {
  // Mid-grey images so that clipping at 0 and 1 rarely matters.
  Dataset d = toy(200);
  for (auto& p : d.pixels) p = static_cast<uint8_t>(100 + p % 56);
  const float sigma = 0.05f;
  Rng rng(11), rng2(11), rng3(12);
  const Dataset n = add_noisy_copies(d, 1, sigma, rng);
  ASSERT_EQ(n.size(), 400);
  EXPECT_EQ(n.labels.size(), 400u);
  EXPECT_TRUE(std::equal(d.labels.begin(), d.labels.end(), n.labels.begin() + 200));
  EXPECT_TRUE(std::equal(d.pixels.begin(), d.pixels.end(), n.pixels.begin()));
  double diff = 0;
  int64_t changed = 0;
  for (size_t j = 0; j < d.pixels.size(); ++j) {
    const int delta = n.pixels[d.pixels.size() + j] - d.pixels[j];
    diff += std::abs(delta) / 255.0;
    changed += delta != 0;
  }
  diff /= static_cast<double>(d.pixels.size());
  // E|N(0, sigma)| = sigma * sqrt(2 / pi) ~ 0.8 sigma.
  EXPECT_NEAR(diff, sigma * std::sqrt(2.0 / std::numbers::pi), 0.1 * sigma);
  EXPECT_GT(changed, static_cast<int64_t>(d.pixels.size() * 9 / 10));
  EXPECT_EQ(add_noisy_copies(d, 1, sigma, rng2).pixels, n.pixels);
  EXPECT_NE(add_noisy_copies(d, 1, sigma, rng3).pixels, n.pixels);
  EXPECT_EQ(add_noisy_copies(d, 3, sigma, rng).size(), 800);
}

// n 8x8 images of a centred 4x4 square with intensity (i % 5 + 1) / 5.
Dataset squares(int64_t n) {
  Dataset d;
  d.name = "squares";
  d.sample_shape = {1, 8, 8};
  d.class_names = {"a", "b"};
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < 64; ++p) {
      const bool inside = p / 8 >= 2 && p / 8 < 6 && p % 8 >= 2 && p % 8 < 6;
      d.pixels.push_back(inside ? static_cast<uint8_t>(51 * (i % 5 + 1)) : 0);
    }
    d.labels.push_back(static_cast<int32_t>(i % 2));
  }
  return d;
}

std::vector<float> epoch_pixels(Loader& loader, int epoch) {
  loader.start_epoch(epoch);
  std::vector<float> all;
  Batch b;
  while (loader.next(b)) all.insert(all.end(), b.x.data(), b.x.data() + b.x.size());
  return all;
}

const AugmentConfig kAugment{.shift = 1.5f, .rotation = 20, .elastic_alpha = 6, .noise = 0.05f};

TEST(Loader, AugmentedBatchesAreTheSameForAnyThreadCount) {
  const Dataset d = squares(50);
  const auto epoch_on = [&](int threads) {
    return test::on_worker(threads, [&](ExecContext&) {
      Loader loader(d, iota(50), {.batch = 16, .shuffle = true, .seed = 7, .augment = kAugment});
      return epoch_pixels(loader, 2);
    });
  };
  const auto a = epoch_on(1), b = epoch_on(2);
  EXPECT_EQ(a, b);
  // And for any batch size: a sample's augmentation depends on its position in the epoch.
  Loader other_batches(d, iota(50), {.batch = 5, .shuffle = true, .seed = 7, .augment = kAugment});
  EXPECT_EQ(epoch_pixels(other_batches, 2), a);
}

TEST(Loader, EachEpochAugmentsAfreshAndResumeRepeatsIt) {
  const Dataset d = squares(20);
  Loader unshuffled(d, iota(20), {.batch = 8, .shuffle = false, .seed = 3, .augment = kAugment});
  const auto e0 = epoch_pixels(unshuffled, 0), e1 = epoch_pixels(unshuffled, 1);
  EXPECT_NE(e0, e1);
  Loader resumed(d, iota(20), {.batch = 8, .shuffle = false, .seed = 3, .augment = kAugment});
  EXPECT_EQ(epoch_pixels(resumed, 1), e1);
  Loader plain(d, iota(20), {.batch = 8, .shuffle = false, .seed = 3});
  const auto clean = epoch_pixels(plain, 0);
  EXPECT_NE(e0, clean);
  for (const float v : e0) {
    ASSERT_GE(v, 0.f);
    ASSERT_LE(v, 1.f);
  }
  // Same labels and order as without augmentation.
  Batch a, b;
  unshuffled.start_epoch(0);
  plain.start_epoch(0);
  ASSERT_TRUE(unshuffled.next(a) && plain.next(b));
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.index, b.index);
}

TEST(Loader, AugmentationNeedsImages) {
  Dataset rows;
  rows.name = "rows";
  rows.sample_shape = {4};
  rows.features.assign(8, 0.5f);
  rows.labels = {0, 1};
  EXPECT_NE(test::error_of([&] {
              Loader(rows, iota(2), {.batch = 2, .shuffle = false, .seed = 0, .augment = kAugment});
            }).find("image"),
            std::string::npos);
  // A disabled config on rows is fine.
  EXPECT_NO_THROW(Loader(rows, iota(2), {.batch = 2, .augment = AugmentConfig{}}));
}

// The task decides a batch's target: a reconstruct batch's target is its own (augmented)
// input, with no labels, x itself unless a corruption alters x, then the clean copy; a task
// the data cannot serve is refused, naming the dataset.
TEST(Loader, TheTaskDecidesTheTarget) {
  const Dataset d = squares(20);
  Loader loader(
      d, iota(20),
      {.task = Task::reconstruct, .batch = 8, .shuffle = true, .seed = 3, .augment = kAugment});
  Batch b;
  ASSERT_TRUE(loader.next(b));
  EXPECT_TRUE(b.labels.empty());
  EXPECT_EQ(b.as_targets().values, &b.x);

  Loader noisy(d, iota(20),
               {.task = Task::reconstruct,
                .batch = 8,
                .shuffle = true,
                .seed = 3,
                .augment = kAugment,
                .corrupt = CorruptionSpec::parse("gaussian:0.5")});
  Batch c;
  ASSERT_TRUE(noisy.next(c));
  ASSERT_NE(c.as_targets().values, nullptr);
  ASSERT_NE(c.as_targets().values, &c.x);
  ASSERT_EQ(c.targets.shape(), b.x.shape());
  int64_t altered = 0;
  for (int64_t i = 0; i < b.x.size(); ++i) {
    ASSERT_EQ(c.targets[i], b.x[i]) << i;  // the same clean (augmented) input as above
    altered += c.x[i] != b.x[i];
  }
  EXPECT_GT(altered, 0);  // the input alone is corrupted

  Dataset rows;
  rows.name = "unlabelled";
  rows.sample_shape = {2};
  rows.features.assign(4, 0.5f);
  rows.target_dim = 0;
  EXPECT_NE(test::error_of([&] {
              Loader(rows, iota(2), {.task = Task::classify});
            }).find("unlabelled: task \"classify\" needs class labels"),
            std::string::npos);
  EXPECT_NE(test::error_of([&] {
              Loader(d, iota(2), {.task = Task::regress});
            }).find("task \"regress\" needs target values"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
