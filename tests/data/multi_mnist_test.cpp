// Multi-MNIST: determinism (seed, thread count), shape, labels and class names, the class
// profiles, which MNIST half each split draws from, and how the two digits combine. Most tests
// use a tiny synthetic MNIST whose digits say where they came from; the last ones real MNIST.
#include "data/multi_mnist.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "data/catalog.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using test::error_of;

// The ink value of digit d in the tiny MNIST: the left and right digits of an image can be told
// apart by value (25 .. 250).
uint8_t ink(int d) { return static_cast<uint8_t>(25 * (d + 1)); }

/// `per_digit` images of each digit 0..9: a block of ink(d) in rows [top, top + 7) and columns
/// [4, 24) of the 28 x 28 box, black elsewhere. Train and test use different rows, so an image
/// shows which half its digits came from.
Dataset tiny_digits(const std::string& name, int top, int per_digit) {
  Dataset d;
  d.name = name;
  d.sample_shape = {1, 28, 28};
  for (int k = 0; k < 10; ++k) d.class_names.push_back(std::to_string(k));
  for (int digit = 0; digit < 10; ++digit)
    for (int k = 0; k < per_digit; ++k) {
      std::vector<uint8_t> image(28 * 28, 0);
      for (int y = top; y < top + 7; ++y)
        for (int x = 4; x < 24; ++x) image[static_cast<size_t>(y * 28 + x)] = ink(digit);
      d.pixels.insert(d.pixels.end(), image.begin(), image.end());
      d.labels.push_back(digit);
    }
  return d;
}

constexpr int kTrainTop = 4, kTestTop = 17;  // ink rows 4..10 (train) and 17..23 (test)

const DataPair& tiny_mnist() {
  static const DataPair pair{tiny_digits("tiny/train", kTrainTop, 3),
                             tiny_digits("tiny/test", kTestTop, 2)};
  return pair;
}

MultiMnistConfig small(uint64_t seed = 1) {
  MultiMnistConfig c;
  c.seed = seed;
  c.train_count = 600;
  c.test_count = 200;
  return c;
}

uint8_t pixel(const Dataset& d, int64_t i, int y, int x) {
  const int64_t w = d.sample_shape[2];
  return d.pixels[static_cast<size_t>(i * d.sample_size() + y * w + x)];
}

double mean(const std::vector<int64_t>& v) {
  return static_cast<double>(std::accumulate(v.begin(), v.end(), int64_t{0})) /
         static_cast<double>(v.size());
}

double stddev(const std::vector<int64_t>& v) {
  const double m = mean(v);
  double ss = 0;
  for (const int64_t x : v) ss += (static_cast<double>(x) - m) * (static_cast<double>(x) - m);
  return std::sqrt(ss / static_cast<double>(v.size()));
}

TEST(MultiMnist, SameSeedSameBytesAnyThreadCountOtherSeedOtherBytes) {
  const auto make = [](uint64_t seed, int threads) {
    return test::on_worker(
        threads, [&](ExecContext&) { return make_multi_mnist(tiny_mnist(), small(seed)); });
  };
  const DataPair a = make(1, 1), b = make(1, 3), c = make(2, 2);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_EQ(a.train.labels, b.train.labels);
  EXPECT_EQ(a.test.pixels, b.test.pixels);
  EXPECT_EQ(a.test.labels, b.test.labels);
  EXPECT_NE(a.train.pixels, c.train.pixels);
  EXPECT_NE(a.train.labels, c.train.labels);
  EXPECT_NE(a.test.pixels, c.test.pixels);
}

TEST(MultiMnist, ShapeLabelsAndClassNames) {
  const DataPair p = make_multi_mnist(tiny_mnist(), small());
  std::vector<std::string> names;
  for (int k = 1; k <= 50; ++k) names.push_back(std::to_string(k));
  for (const Dataset* d : {&p.train, &p.test}) {
    EXPECT_EQ(d->sample_shape, (Shape{1, 28, 39}));
    EXPECT_EQ(d->class_names, names);  // index i is the number i + 1: no class 0
    EXPECT_EQ(static_cast<int64_t>(d->pixels.size()), d->size() * 28 * 39);
    for (const int32_t l : d->labels) {
      EXPECT_GE(l, 0);
      EXPECT_LT(l, 50);
    }
  }
  EXPECT_EQ(p.train.size(), 600);
  EXPECT_EQ(p.test.size(), 200);
  EXPECT_EQ(p.train.name, "multi-mnist/train");
  MultiMnistConfig wide = small();
  wide.width = 45;
  EXPECT_EQ(make_multi_mnist(tiny_mnist(), wide).test.sample_shape, (Shape{1, 28, 45}));
  EXPECT_EQ(multi_mnist_sample_shape(wide), (Shape{1, 28, 45}));
}

// The tens digit is drawn on the left, the units digit on the right: read back from the ink
// values where only one digit reaches (columns 4..14 and 25..38 with no shift).
TEST(MultiMnist, LabelIsTheNumberReadLeftToRight) {
  MultiMnistConfig c = small();
  c.shift = 0;
  c.intensity_min = c.intensity_max = 1.0;
  for (const std::string combine : {"sum", "max"}) {
    c.combine = combine;
    const DataPair p = make_multi_mnist(tiny_mnist(), c);
    for (int64_t i = 0; i < p.train.size(); ++i) {
      const int number = p.train.labels[static_cast<size_t>(i)] + 1;
      EXPECT_EQ(pixel(p.train, i, kTrainTop + 2, 6), ink(number / 10)) << combine << " " << i;
      EXPECT_EQ(pixel(p.train, i, kTrainTop + 2, 30), ink(number % 10)) << combine << " " << i;
    }
  }
}

// Train images have ink only in the rows of MNIST-train digits (shifted by at most 1), test
// images only in those of MNIST-test digits.
TEST(MultiMnist, EachSplitDrawsOnlyFromItsOwnMnistHalf) {
  MultiMnistConfig c = small();
  c.shift = 1;
  const DataPair p = make_multi_mnist(tiny_mnist(), c);
  for (const auto& [d, top] : {std::pair{&p.train, kTrainTop}, {&p.test, kTestTop}}) {
    int64_t outside = 0, inside = 0;
    for (int64_t i = 0; i < d->size(); ++i)
      for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 39; ++x) {
          const bool rows = y >= top - 1 && y < top + 8;
          (rows ? inside : outside) += pixel(*d, i, y, x) > 0;
        }
    EXPECT_EQ(outside, 0) << d->name;
    EXPECT_GT(inside, 0) << d->name;
  }
}

// Digits at half intensity: the 17 shared columns hold the sum of both (clipped) or their max,
// the others one digit alone.
TEST(MultiMnist, OverlapCombinesBothDigits) {
  Dataset solid = tiny_digits("solid", 0, 1);
  std::fill(solid.pixels.begin(), solid.pixels.end(), uint8_t{200});
  const DataPair mnist{solid, solid};
  MultiMnistConfig c = small();
  c.shift = 0;
  c.intensity_min = c.intensity_max = 0.5;  // 200 -> 100
  for (const std::string combine : {"sum", "max"}) {
    c.combine = combine;
    const Dataset d = make_multi_mnist(mnist, c).train;
    const uint8_t shared = combine == "sum" ? 200 : 100;
    for (int x = 0; x < 39; ++x) {
      const bool overlap = x >= 11 && x < 28;
      EXPECT_EQ(pixel(d, 0, 14, x), overlap ? shared : 100) << combine << " column " << x;
    }
  }
  c.combine = "sum";
  c.intensity_min = c.intensity_max = 1.0;  // 200 + 200 clips at 255
  EXPECT_EQ(pixel(make_multi_mnist(mnist, c).train, 0, 14, 20), 255);
  c.width = 56;  // side by side: nothing shared
  const Dataset apart = make_multi_mnist(mnist, c).train;
  for (int x = 0; x < 56; ++x) EXPECT_EQ(pixel(apart, 0, 14, x), 200) << "column " << x;
}

TEST(MultiMnist, IntensitiesStayInTheirRange) {
  MultiMnistConfig c = small();
  c.shift = 0;
  c.intensity_min = 0.25;
  c.intensity_max = 0.75;
  const Dataset d = make_multi_mnist(tiny_mnist(), c).train;
  double lo = 1, hi = 0;
  for (int64_t i = 0; i < d.size(); ++i) {
    // The left digit alone: ink scaled by q / 256, q in [64, 192], rounded.
    const int value = ink((d.labels[static_cast<size_t>(i)] + 1) / 10);
    const int got = pixel(d, i, kTrainTop + 2, 6);
    EXPECT_GE(got, (value * 64 + 128) >> 8) << i;
    EXPECT_LE(got, (value * 192 + 128) >> 8) << i;
    lo = std::min(lo, got / static_cast<double>(value));
    hi = std::max(hi, got / static_cast<double>(value));
  }
  EXPECT_LT(lo, 0.35);  // the whole range is used
  EXPECT_GT(hi, 0.65);
}

// At the published size (83,550 over train + test) the published profile has the published
// statistics: mean 1,671 and standard deviation about 1,045 per class.
TEST(MultiMnist, PublishedProfileStatistics) {
  const MultiMnistConfig c;
  EXPECT_EQ(c.train_count + c.test_count, 83'550);
  const auto train = multi_mnist_class_counts("published", c.train_count);
  const auto test = multi_mnist_class_counts("published", c.test_count);
  std::vector<int64_t> total(50);
  for (size_t k = 0; k < 50; ++k) total[k] = train[k] + test[k];
  EXPECT_NEAR(mean(total), 1671.0, 0.01);
  EXPECT_NEAR(stddev(total), 1045.0, 10.0);
  EXPECT_NEAR(static_cast<double>(total[10]), 3112.0, 40.0);  // class 11
  EXPECT_NEAR(static_cast<double>(total[42]), 117.0, 5.0);    // class 43
  // The classes the report's most frequent confusions sit in are the rarest.
  std::vector<int> order(50);
  std::iota(order.begin(), order.end(), 1);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return total[static_cast<size_t>(a - 1)] < total[static_cast<size_t>(b - 1)];
  });
  std::vector<int> rarest(order.begin(), order.begin() + 7);
  std::sort(rarest.begin(), rarest.end());
  EXPECT_EQ(rarest, (std::vector<int>{17, 19, 30, 34, 39, 43, 50}));
  // Train and test follow the same profile.
  for (size_t k = 0; k < 50; ++k)
    EXPECT_NEAR(static_cast<double>(train[k]) / static_cast<double>(total[k]), 0.8, 0.02) << k + 1;
}

TEST(MultiMnist, CountsSumExactlyAndKeepEveryClass) {
  for (const std::string profile : {"published", "uniform"})
    for (const int64_t n : {50, 51, 99, 1000, 66'840, 10'000'000}) {
      const auto counts = multi_mnist_class_counts(profile, n);
      ASSERT_EQ(counts.size(), 50u);
      EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), int64_t{0}), n) << profile << n;
      EXPECT_GE(*std::min_element(counts.begin(), counts.end()), 1) << profile << n;
    }
  const auto flat = multi_mnist_class_counts("uniform", 5000);
  EXPECT_EQ(*std::min_element(flat.begin(), flat.end()), 100);
  EXPECT_EQ(*std::max_element(flat.begin(), flat.end()), 100);
  const auto uneven = multi_mnist_class_counts("uniform", 5049);
  EXPECT_EQ(*std::max_element(uneven.begin(), uneven.end()) -
                *std::min_element(uneven.begin(), uneven.end()),
            1);
  // The dataset holds exactly the counts its profile gives.
  MultiMnistConfig c = small();
  c.profile = "uniform";
  EXPECT_EQ(make_multi_mnist(tiny_mnist(), c).train.class_counts(),
            multi_mnist_class_counts("uniform", 600));
  c.profile = "published";
  EXPECT_EQ(make_multi_mnist(tiny_mnist(), c).test.class_counts(),
            multi_mnist_class_counts("published", 200));
}

TEST(MultiMnist, SettingsOutOfRangeAreNamed) {
  const auto message = [](auto edit) {
    MultiMnistConfig c;
    edit(c);
    return error_of([&] { check_multi_mnist_config(c); });
  };
  EXPECT_EQ(message([](MultiMnistConfig& c) { c.train_count = 3; }),
            "multi-mnist: train_count must be in [50, 10000000], got 3");
  EXPECT_NE(message([](MultiMnistConfig& c) { c.test_count = 10'000'001; }).find("test_count"),
            std::string::npos);
  EXPECT_NE(message([](MultiMnistConfig& c) { c.profile = "zipf"; }).find("published, uniform"),
            std::string::npos);
  EXPECT_NE(message([](MultiMnistConfig& c) { c.width = 27; }).find("width"), std::string::npos);
  EXPECT_NE(message([](MultiMnistConfig& c) { c.shift = 9; }).find("shift"), std::string::npos);
  EXPECT_NE(message([](MultiMnistConfig& c) { c.intensity_min = 0; }).find("intensity_min"),
            std::string::npos);
  EXPECT_NE(message([](MultiMnistConfig& c) { c.intensity_max = 0.1; }).find("intensity_max"),
            std::string::npos);
  EXPECT_NE(message([](MultiMnistConfig& c) { c.combine = "mean"; }).find("sum, max"),
            std::string::npos);
  EXPECT_NE(describe(small(3)).find("seed=3"), std::string::npos);
  EXPECT_NE(describe(small(3)), describe(small(4)));
}

TEST(MultiMnist, SourceWithoutEveryDigitIsRefused) {
  DataPair mnist = tiny_mnist();
  for (int32_t& l : mnist.train.labels)
    if (l == 7) l = 1;
  EXPECT_NE(error_of([&] { make_multi_mnist(mnist, small()); }).find("no digit 7"),
            std::string::npos);
  mnist = tiny_mnist();
  mnist.test.sample_shape = {1, 14, 56};
  EXPECT_NE(error_of([&] { make_multi_mnist(mnist, small()); }).find("28 x 28"), std::string::npos);
}

// Real MNIST: the catalog's multi-mnist (default settings) and a small generation.
class MultiMnistReal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(test::shared_data_dir() / "mnist"))
      test::skip_for_missing("MNIST in " + test::shared_data_dir().string());
  }
};

TEST_F(MultiMnistReal, CatalogGeneratesTheDefaults) {
  const DataPair p = load_dataset("multi-mnist", test::shared_data_dir().string());
  EXPECT_EQ(p.train.size(), 66'840);
  EXPECT_EQ(p.test.size(), 16'710);
  EXPECT_EQ(p.train.sample_shape, (Shape{1, 28, 39}));
  EXPECT_EQ(dataset_sample_shape("multi-mnist"), (Shape{1, 28, 39}));
  EXPECT_EQ(p.train.class_counts(), multi_mnist_class_counts("published", 66'840));
  EXPECT_EQ(p.test.class_names.back(), "50");
  EXPECT_EQ(dataset_search_path("multi-mnist", "/given"), dataset_search_path("mnist", "/given"));
  // Two MNIST digits (mean ink 0.13 of 28 x 28 each) on 28 x 39, scaled by their intensities.
  double sum = 0;
  for (const uint8_t v : p.test.pixels) sum += v / 255.0;
  const double ink = sum / static_cast<double>(p.test.pixels.size());
  EXPECT_GT(ink, 0.05);
  EXPECT_LT(ink, 0.2);
}

}  // namespace
}  // namespace nnlab
