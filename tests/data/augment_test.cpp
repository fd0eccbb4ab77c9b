#include "data/augment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "data/catalog.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

constexpr int64_t kH = 9, kW = 11;

// A [1, 9, 11] image with distinct values (x + 11 y) / 99 in (0, 1].
std::vector<float> ramp() {
  std::vector<float> v(static_cast<size_t>(kH * kW));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i + 1) / (kH * kW);
  return v;
}

float at(const std::vector<float>& img, int64_t y, int64_t x, int64_t w = kW) {
  return img[static_cast<size_t>(y * w + x)];
}

std::vector<float> augment_once(const AugmentConfig& c, const std::vector<float>& in, uint64_t seed,
                                const Shape& shape = {1, kH, kW}) {
  const Augmenter a(c, shape);
  std::vector<float> out(in.size());
  Rng rng(seed);
  AugmentBuffers buffers;
  a.apply(in.data(), out.data(), rng, buffers);
  return out;
}

TEST(Augment, IdentityConfigLeavesImagesUnchanged) {
  const auto img = ramp();
  EXPECT_FALSE(AugmentConfig{}.enabled());
  EXPECT_EQ(augment_once({}, img, 1), img);
  // elastic_alpha = 0 turns the elastic distortion off whatever the sigma.
  EXPECT_EQ(augment_once({.elastic_alpha = 0, .elastic_sigma = 2}, img, 1), img);
  // probability 0: nothing is augmented.
  EXPECT_EQ(augment_once({.shift = 2, .noise = 0.1f, .probability = 0}, img, 1), img);
  // The warp with the identity transform and zero fields is exact.
  const Augmenter a({}, {1, kH, kW});
  std::vector<float> out(img.size()), zeros(img.size(), 0.f);
  a.warp(img.data(), out.data(), Affine{}, zeros.data(), zeros.data());
  EXPECT_EQ(out, img);
}

TEST(Augment, ShiftByOnePixelMovesTheImage) {
  const auto img = ramp();
  const Augmenter a({}, {1, kH, kW});
  std::vector<float> right(img.size()), down(img.size()), half(img.size());
  a.warp(img.data(), right.data(), {.dx = 1}, nullptr, nullptr);
  a.warp(img.data(), down.data(), {.dy = 1}, nullptr, nullptr);
  a.warp(img.data(), half.data(), {.dx = 0.5f}, nullptr, nullptr);
  for (int64_t y = 0; y < kH; ++y) {
    for (int64_t x = 0; x < kW; ++x) {
      EXPECT_EQ(at(right, y, x), x == 0 ? 0.f : at(img, y, x - 1));
      EXPECT_EQ(at(down, y, x), y == 0 ? 0.f : at(img, y - 1, x));
      const float left = x == 0 ? 0.f : at(img, y, x - 1);
      EXPECT_NEAR(at(half, y, x), 0.5f * (left + at(img, y, x)), 1e-6f);
    }
  }
}

TEST(Augment, RotationTurnsCounterClockwise) {
  // A plus sign about the centre of a 9x9 image is the same after a quarter turn; a bar to the
  // right of the centre goes to the top.
  const int64_t n = 9, c = 4;
  std::vector<float> plus(81, 0.f), bar(81, 0.f), top(81, 0.f);
  for (int64_t k = 1; k <= 3; ++k) {
    for (const auto& [y, x] : {std::pair{c, c + k}, {c, c - k}, {c + k, c}, {c - k, c}})
      plus[static_cast<size_t>(y * n + x)] = 1.f;
    bar[static_cast<size_t>(c * n + c + k)] = 1.f;
    top[static_cast<size_t>((c - k) * n + c)] = 1.f;
  }
  const Augmenter a({}, {1, n, n});
  std::vector<float> out(81);
  for (const float degrees : {90.f, -90.f, 180.f}) {
    a.warp(plus.data(), out.data(), {.degrees = degrees}, nullptr, nullptr);
    for (size_t i = 0; i < 81; ++i) EXPECT_NEAR(out[i], plus[i], 1e-5f) << degrees << " " << i;
  }
  a.warp(bar.data(), out.data(), {.degrees = 90}, nullptr, nullptr);
  for (size_t i = 0; i < 81; ++i) EXPECT_NEAR(out[i], top[i], 1e-5f) << i;
}

TEST(Augment, ScaleAboutTheCentre) {
  // Doubling the content: the pixel two to the right of the centre samples one to the right.
  const auto img = ramp();
  const Augmenter a({}, {1, kH, kW});
  std::vector<float> out(img.size());
  a.warp(img.data(), out.data(), {.scale = 2}, nullptr, nullptr);
  EXPECT_FLOAT_EQ(at(out, 4, 5), at(img, 4, 5));
  EXPECT_FLOAT_EQ(at(out, 4, 7), at(img, 4, 6));
  EXPECT_FLOAT_EQ(at(out, 2, 5), at(img, 3, 5));
}

TEST(Augment, SameRngSameImageOtherwiseDifferent) {
  const AugmentConfig c{.shift = 2,
                        .rotation = 10,
                        .scale = 0.1f,
                        .elastic_alpha = 8,
                        .elastic_sigma = 2,
                        .noise = 0.05f};
  const auto img = ramp();
  const auto a = augment_once(c, img, 5);
  EXPECT_EQ(augment_once(c, img, 5), a);
  EXPECT_NE(augment_once(c, img, 6), a);
  EXPECT_NE(a, img);
  for (const float v : a) {
    EXPECT_GE(v, 0.f);
    EXPECT_LE(v, 1.f);
  }
}

TEST(Augment, NoiseHasItsStdAndIsClipped) {
  std::vector<float> grey(100 * 100, 0.5f);
  const auto out = augment_once({.noise = 0.1f}, grey, 3, {1, 100, 100});
  double sum = 0, sum2 = 0;
  for (const float v : out) sum += v - 0.5, sum2 += (v - 0.5) * (v - 0.5);
  const double n = static_cast<double>(out.size());
  EXPECT_NEAR(sum / n, 0.0, 0.005);
  EXPECT_NEAR(std::sqrt(sum2 / n), 0.1, 0.005);
  for (const float v : augment_once({.noise = 1}, grey, 3, {1, 100, 100})) {
    EXPECT_GE(v, 0.f);
    EXPECT_LE(v, 1.f);
  }
}

TEST(Augment, NonSquareMultiChannelImages) {
  // S5's 28x39 images; every channel gets the same warp.
  const int64_t h = 28, w = 39;
  std::vector<float> img(static_cast<size_t>(2 * h * w));
  for (size_t i = 0; i < img.size() / 2; ++i) img[i] = img[i + img.size() / 2] = (i % 7) / 7.f;
  const auto out =
      augment_once({.shift = 3, .rotation = 20, .elastic_alpha = 20}, img, 9, {2, h, w});
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + h * w, out.begin() + h * w));
  EXPECT_NE(out, img);
}

// Mean and smallest and largest ratio of an image's mass after and before augmentation.
struct MassRatios {
  double mean = 0, min = 1e9, max = 0;
};

MassRatios mass_ratios(const Dataset& d, const AugmentConfig& c, int n) {
  const Augmenter a(c, d.sample_shape);
  AugmentBuffers buffers;
  std::vector<float> in(static_cast<size_t>(d.sample_size())), out(in.size());
  MassRatios r;
  for (int i = 0; i < n; ++i) {
    d.read_sample(i, in.data());
    Rng rng(static_cast<uint64_t>(i));
    a.apply(in.data(), out.data(), rng, buffers);
    const double ratio =
        std::accumulate(out.begin(), out.end(), 0.0) / std::accumulate(in.begin(), in.end(), 0.0);
    r.mean += ratio / n;
    r.min = std::min(r.min, ratio);
    r.max = std::max(r.max, ratio);
  }
  return r;
}

TEST(Augment, MassOfMnistDigitsRoughlyPreserved) {
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  // Shifts of 2 pixels keep MNIST's 20x20 digits inside the image; bilinear rotation keeps mass.
  const MassRatios rigid = mass_ratios(mnist.test, {.shift = 2, .rotation = 10}, 200);
  EXPECT_GT(rigid.min, 0.95);
  EXPECT_LT(rigid.max, 1.05);
  // An elastic field compresses some parts and stretches others: with Simard's alpha = 34,
  // sigma = 4, scipy's reference implementation changes single digits' mass by 16% (std, up to
  // +-45%), but not on average.
  const MassRatios all = mass_ratios(
      mnist.test,
      {.shift = 2, .rotation = 10, .scale = 0.1f, .elastic_alpha = 34, .elastic_sigma = 4}, 200);
  EXPECT_NEAR(all.mean, 1.0, 0.05);
  EXPECT_GT(all.min, 0.4);
  EXPECT_LT(all.max, 2.0);
}

TEST(Augment, BadConfigsAndShapes) {
  EXPECT_NE(test::error_of([] {
              Augmenter({.scale = 1.5f}, {1, 4, 4});
            }).find("scale"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              Augmenter({.rotation = -1}, {1, 4, 4});
            }).find("rotation must be in [0, 180], got -1"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              Augmenter({.probability = 2}, {1, 4, 4});
            }).find("probability"),
            std::string::npos);
  EXPECT_NE(test::error_of([] { Augmenter({}, {784}); }).find("[C, H, W]"), std::string::npos);
}

// elastic_sigma = 1e9 overflowed the kernel's radius (a crash), 1e7 allocated a kernel of 60
// million taps and took minutes: the settings are bounded before the kernel exists. A shift
// beyond the image only blanks it, and sampling points far outside overflowed an integer.
TEST(Augment, SettingsAreBoundedBeforeTheKernelIsMade) {
  const auto error = [](const AugmentConfig& c) {
    return test::error_of([&] { Augmenter(c, {1, 28, 28}); });
  };
  for (float sigma : {1e9f, 1e7f, std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN()})
    EXPECT_NE(error({.elastic_alpha = 34, .elastic_sigma = sigma})
                  .find("augmentation: elastic_sigma must be in (0, 100], got"),
              std::string::npos)
        << sigma;
  EXPECT_EQ(error({.shift = 1e30f}), "augmentation: shift must be in [0, 28], got 1e+30");
  EXPECT_NE(error({.elastic_alpha = std::numeric_limits<float>::infinity()})
                .find("elastic_alpha must be in [0, 1000], got inf"),
            std::string::npos);
  EXPECT_NE(
      error({.noise = std::numeric_limits<float>::infinity()}).find("noise must be in [0, 1]"),
      std::string::npos);
  EXPECT_NO_THROW(
      Augmenter({.shift = 28, .elastic_alpha = 1000, .elastic_sigma = 100}, {1, 28, 28}));
}

TEST(Augment, CopiesAreTheSameForAnyThreadCount) {
  Dataset d;
  d.name = "toy";
  d.sample_shape = {1, 12, 12};
  for (int i = 0; i < 40 * 144; ++i) d.pixels.push_back(static_cast<uint8_t>(i * 37 % 256));
  for (int i = 0; i < 40; ++i) d.labels.push_back(i % 4);
  d.class_names = {"a", "b", "c", "d"};
  const std::vector<int64_t> idx = {3, 3, 39, 0, 17};
  const AugmentConfig c{.shift = 1.5f, .rotation = 15, .elastic_alpha = 10, .noise = 0.05f};
  const auto copies_on = [&](int threads) {
    return test::on_worker(threads,
                           [&](ExecContext&) { return augmented_copies(d, idx, c, Rng(4)); });
  };
  const Dataset one = copies_on(1), two = copies_on(2);
  EXPECT_EQ(one.pixels, two.pixels);
  EXPECT_EQ(one.labels, (std::vector<int32_t>{3, 3, 3, 0, 1}));
  ASSERT_EQ(one.size(), 5);
  // The two copies of sample 3 come from different forks.
  EXPECT_FALSE(std::equal(one.pixels.begin(), one.pixels.begin() + 144, one.pixels.begin() + 144));
}

}  // namespace
}  // namespace nnlab
