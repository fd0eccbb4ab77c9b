#include "data/oversample.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace nnlab {
namespace {

// Classes 0..3 with 20, 10, 5 and 1 samples of 4x4 pixels; every pixel of a class-c sample is
// 10 * c + 1, so a copy's class can be read off its pixels.
Dataset imbalanced() {
  Dataset d;
  d.name = "imbalanced";
  d.sample_shape = {1, 4, 4};
  d.class_names = {"a", "b", "c", "d", "e"};  // "e" has no samples
  for (const auto& [label, count] : {std::pair{0, 20}, {1, 10}, {2, 5}, {3, 1}}) {
    for (int i = 0; i < count; ++i) {
      d.labels.push_back(label);
      d.pixels.insert(d.pixels.end(), 16, static_cast<uint8_t>(10 * label + 1));
    }
  }
  return d;
}

TEST(Oversample, FullBalanceNoneAndHalf) {
  const Dataset d = imbalanced();
  Rng rng(1);
  EXPECT_EQ(oversample_classes(d, {.p = 1}, rng).class_counts(),
            (std::vector<int64_t>{20, 20, 20, 20, 0}));
  EXPECT_EQ(oversample_classes(d, {.p = 0}, rng).pixels, d.pixels);
  // Gaps 10, 15 and 19 halved (rounded): 5, 8 and 10 copies.
  EXPECT_EQ(oversample_classes(d, {.p = 0.5f}, rng).class_counts(),
            (std::vector<int64_t>{20, 15, 13, 11, 0}));
}

TEST(Oversample, CopiesComeFromTheirClassAndFollowTheOriginals) {
  const Dataset d = imbalanced();
  Rng rng(2);
  const Dataset o = oversample_classes(d, {.p = 1}, rng);
  ASSERT_EQ(o.size(), 80);
  EXPECT_TRUE(std::equal(d.pixels.begin(), d.pixels.end(), o.pixels.begin()));
  for (int64_t i = d.size(); i < o.size(); ++i) {
    const int32_t label = o.labels[static_cast<size_t>(i)];
    EXPECT_GT(label, 0);
    for (int64_t j = 0; j < 16; ++j)
      EXPECT_EQ(o.pixels[static_cast<size_t>(i * 16 + j)], 10 * label + 1);
  }
}

TEST(Oversample, AugmentedAndReproducible) {
  const Dataset d = imbalanced();
  const OversampleConfig c{.p = 1, .augment = {.shift = 1, .rotation = 20, .noise = 0.1f}};
  Rng a(3), b(3), other(4);
  const Dataset x = oversample_classes(d, c, a);
  EXPECT_EQ(oversample_classes(d, c, b).pixels, x.pixels);
  EXPECT_NE(oversample_classes(d, c, other).pixels, x.pixels);
  // Noise and shifts make the copies differ from their flat originals.
  int64_t changed = 0;
  for (size_t j = d.pixels.size(); j < x.pixels.size(); ++j)
    changed += x.pixels[j] != 10 * x.labels[j / 16] + 1;
  EXPECT_GT(changed, static_cast<int64_t>(x.pixels.size() - d.pixels.size()) / 2);
}

TEST(Oversample, Errors) {
  const Dataset d = imbalanced();
  Rng rng(1);
  EXPECT_NE(test::error_of([&] { oversample_classes(d, {.p = 1.5f}, rng); }).find("[0, 1]"),
            std::string::npos);
  Dataset unlabeled = d;
  unlabeled.labels.clear();
  EXPECT_NE(test::error_of([&] { oversample_classes(unlabeled, {}, rng); }).find("labels"),
            std::string::npos);
}

}  // namespace
}  // namespace nnlab
