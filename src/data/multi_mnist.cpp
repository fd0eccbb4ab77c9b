#include "data/multi_mnist.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tensor/error.hpp"
#include "tensor/rng.hpp"

namespace nnlab {

// w(r) = 65 + 3533.3 ((r + 0.5) / 50)^1.2, rounded, for the class of rank r in the order
//   50 43 30 19 17 34 39 5 41 3 40 32 35 26 46 20 14 23 37 42 47 36 4 2 7
//   21 33 49 13 18 45 24 6 25 44 12 22 38 48 29 27 31 9 8 11 1 10 16 15 28
// (rarest first: the report's rarest classes, then a fixed shuffle with 11 near the top). The
// curve's constants give mean 1,671 and standard deviation 1,045 over 50 classes, the published
// statistics; kept as integers so that every platform shares the same counts.
const std::array<int32_t, kMultiMnistClasses> kMultiMnistPublishedCounts = {
    3220, 1493, 547,  1420, 428,  2172, 1566, 3055, 2972, 3304,  // 1..10
    3137, 2408, 1865, 999,  3471, 3387, 261,  1941, 210,  932,   // 11..20
    1640, 2487, 1067, 2095, 2250, 799,  2809, 3556, 2728, 162,   // 21..30
    2890, 671,  1714, 315,  734,  1348, 1137, 2567, 370,  608,   // 31..40
    486,  1206, 118,  2329, 2017, 865,  1277, 2647, 1789, 79,    // 41..50
};

namespace {

constexpr int kSide = 28;  // an MNIST digit is kSide x kSide

std::string range_error(const char* key, const std::string& range, const std::string& got) {
  return fmt::format("multi-mnist: {} must be {}, got {}", key, range, got);
}

void check_count(const char* key, int64_t count) {
  NNLAB_CHECK(count >= kMultiMnistMinCount && count <= kMultiMnistMaxCount, "{}",
              range_error(key, fmt::format("in [{}, {}]", kMultiMnistMinCount, kMultiMnistMaxCount),
                          std::to_string(count)));
}

void check_profile(const std::string& profile) {
  const auto profiles = multi_mnist_profiles();
  NNLAB_CHECK(std::find(profiles.begin(), profiles.end(), profile) != profiles.end(), "{}",
              range_error("profile", fmt::format("one of {}", fmt::join(profiles, ", ")),
                          "'" + profile + "'"));
}

/// Every index of `digits` per MNIST label 0..9.
std::array<std::vector<int64_t>, 10> by_digit(const Dataset& digits) {
  std::array<std::vector<int64_t>, 10> of;
  for (int64_t i = 0; i < digits.size(); ++i)
    of[static_cast<size_t>(digits.labels[static_cast<size_t>(i)])].push_back(i);
  for (int d = 0; d < 10; ++d)
    NNLAB_CHECK(!of[static_cast<size_t>(d)].empty(),
                "multi-mnist: {} has no digit {}; every digit is needed", digits.name, d);
  return of;
}

void check_digits(const Dataset& d) {
  NNLAB_CHECK(d.sample_shape == (Shape{1, kSide, kSide}) && d.is_images(),
              "multi-mnist: {} must hold 28 x 28 images, found {}", d.name,
              shape_str(d.sample_shape));
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(std::to_string(i));
  NNLAB_CHECK(d.class_names == names, "multi-mnist: {} must have MNIST's classes 0..9, found {}",
              d.name, fmt::join(d.class_names, ", "));
}

/// Combines `digit` (28 x 28 bytes), scaled by q / 256, into the image with its top left corner
/// at column x0, row y0; what falls outside the image is dropped.
void place(uint8_t* image, int width, const uint8_t* digit, int x0, int y0, uint32_t q, bool sum) {
  for (int y = 0; y < kSide; ++y) {
    const int ty = y + y0;
    if (ty < 0 || ty >= kSide) continue;
    for (int x = 0; x < kSide; ++x) {
      const int tx = x + x0;
      if (tx < 0 || tx >= width) continue;
      // Integer scaling: the same bytes on every platform, whatever its float rounding.
      const uint32_t v = (digit[y * kSide + x] * q + 128) >> 8;
      uint8_t& out = image[ty * width + tx];
      out =
          static_cast<uint8_t>(sum ? std::min<uint32_t>(255, out + v) : std::max<uint32_t>(out, v));
    }
  }
}

/// One split: `count` samples from `digits`, drawn from `samples` (sample i from fork(i)) in a
/// class order shuffled by `order`.
Dataset make_split(const Dataset& digits, int64_t count, const MultiMnistConfig& c,
                   const Rng& samples, Rng order, std::string name) {
  check_digits(digits);
  const auto of = by_digit(digits);
  const auto counts = multi_mnist_class_counts(c.profile, count);
  Dataset d;
  d.name = std::move(name);
  d.sample_shape = multi_mnist_sample_shape(c);
  for (int k = 1; k <= kMultiMnistClasses; ++k) d.class_names.push_back(std::to_string(k));
  d.labels.reserve(static_cast<size_t>(count));
  for (int k = 0; k < kMultiMnistClasses; ++k)
    d.labels.insert(d.labels.end(), static_cast<size_t>(counts[static_cast<size_t>(k)]), k);
  order.shuffle(std::span<int32_t>(d.labels));

  const int64_t size = d.sample_size();
  d.pixels.assign(static_cast<size_t>(count * size), 0);
  // Intensities as integers q / 256, q in [lo, hi] (256 = 1: a byte stays as it is).
  const auto lo = static_cast<uint32_t>(std::max(1L, std::lround(c.intensity_min * 256)));
  const auto hi = static_cast<uint32_t>(std::lround(c.intensity_max * 256));
  const bool sum = c.combine == "sum";
  const uint64_t offsets = 2 * static_cast<uint64_t>(c.shift) + 1;
  const int right = c.width - kSide;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    Rng r = samples.fork(static_cast<uint64_t>(i));
    const int number = d.labels[static_cast<size_t>(i)] + 1;
    uint8_t* image = d.pixels.data() + i * size;
    // The left digit (tens) first, then the right one (units): a fixed order of draws.
    for (const int side : {0, 1}) {
      const auto& pool = of[static_cast<size_t>(side == 0 ? number / 10 : number % 10)];
      const int64_t src = pool[static_cast<size_t>(r.below(pool.size()))];
      const auto q = lo + static_cast<uint32_t>(r.below(hi - lo + 1));
      const int dx = static_cast<int>(r.below(offsets)) - c.shift;
      const int dy = static_cast<int>(r.below(offsets)) - c.shift;
      place(image, c.width, digits.pixels.data() + src * kSide * kSide,
            (side == 0 ? 0 : right) + dx, dy, q, sum);
    }
  }
  return d;
}

}  // namespace

std::vector<std::string> multi_mnist_profiles() { return {"published", "uniform"}; }
std::vector<std::string> multi_mnist_combines() { return {"sum", "max"}; }

void check_multi_mnist_config(const MultiMnistConfig& c) {
  check_count("train_count", c.train_count);
  check_count("test_count", c.test_count);
  check_profile(c.profile);
  NNLAB_CHECK(
      c.width >= kMultiMnistMinWidth && c.width <= kMultiMnistMaxWidth, "{}",
      range_error("width", fmt::format("in [{}, {}]", kMultiMnistMinWidth, kMultiMnistMaxWidth),
                  std::to_string(c.width)));
  NNLAB_CHECK(c.shift >= 0 && c.shift <= kMultiMnistMaxShift, "{}",
              range_error("shift", fmt::format("in [0, {}]", kMultiMnistMaxShift),
                          std::to_string(c.shift)));
  NNLAB_CHECK(c.intensity_min > 0 && c.intensity_min <= 1, "{}",
              range_error("intensity_min", "in (0, 1]", fmt::format("{}", c.intensity_min)));
  NNLAB_CHECK(
      c.intensity_max >= c.intensity_min && c.intensity_max <= 1, "{}",
      range_error("intensity_max", fmt::format("in [intensity_min ({}), 1]", c.intensity_min),
                  fmt::format("{}", c.intensity_max)));
  const auto combines = multi_mnist_combines();
  NNLAB_CHECK(std::find(combines.begin(), combines.end(), c.combine) != combines.end(), "{}",
              range_error("combine", fmt::format("one of {}", fmt::join(combines, ", ")),
                          "'" + c.combine + "'"));
}

std::string describe(const MultiMnistConfig& c) {
  return fmt::format(
      "seed={} train_count={} test_count={} profile={} width={} shift={} intensity_min={} "
      "intensity_max={} combine={}",
      c.seed, c.train_count, c.test_count, c.profile, c.width, c.shift, c.intensity_min,
      c.intensity_max, c.combine);
}

Shape multi_mnist_sample_shape(const MultiMnistConfig& c) { return {1, kSide, c.width}; }

std::vector<int64_t> multi_mnist_class_counts(const std::string& profile, int64_t count) {
  check_count("count", count);
  check_profile(profile);
  std::vector<int64_t> weights(kMultiMnistClasses, 1);
  if (profile == "published")
    std::copy(kMultiMnistPublishedCounts.begin(), kMultiMnistPublishedCounts.end(),
              weights.begin());
  // One sample each, the rest shared in proportion to the weights by largest remainders
  // (Hamilton's method), in integers so that no platform rounds differently.
  const int64_t total = std::accumulate(weights.begin(), weights.end(), int64_t{0});
  const int64_t rest = count - kMultiMnistClasses;
  std::vector<int64_t> counts(kMultiMnistClasses), remainder(kMultiMnistClasses);
  int64_t given = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    counts[k] = 1 + rest * weights[k] / total;
    remainder[k] = rest * weights[k] % total;
    given += counts[k] - 1;
  }
  std::vector<size_t> by_remainder(counts.size());
  std::iota(by_remainder.begin(), by_remainder.end(), size_t{0});
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (int64_t k = 0; k < rest - given; ++k) ++counts[by_remainder[static_cast<size_t>(k)]];
  return counts;
}

DataPair make_multi_mnist(const DataPair& mnist, const MultiMnistConfig& c) {
  check_multi_mnist_config(c);
  const Rng root(c.seed);
  // Streams: 0 and 1 draw the training samples and their order, 2 and 3 the test ones.
  return {
      make_split(mnist.train, c.train_count, c, root.fork(0), root.fork(1), "multi-mnist/train"),
      make_split(mnist.test, c.test_count, c, root.fork(2), root.fork(3), "multi-mnist/test")};
}

}  // namespace nnlab
