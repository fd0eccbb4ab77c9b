// The whole-pixel augmentations (random crop with padding, horizontal flip) and random erasing.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data/augment.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

constexpr int64_t kChannels = 2, kHeight = 7, kWidth = 10;

// A [2, 7, 10] image with distinct values in (0, 1].
std::vector<float> two_channel_ramp() {
  std::vector<float> v(static_cast<size_t>(kChannels * kHeight * kWidth));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(i + 1) / static_cast<float>(v.size());
  return v;
}

float pixel(const std::vector<float>& img, int64_t c, int64_t y, int64_t x) {
  return img[static_cast<size_t>((c * kHeight + y) * kWidth + x)];
}

std::vector<float> augment(const Augmenter& a, const std::vector<float>& in, Rng& rng) {
  std::vector<float> out(in.size());
  AugmentBuffers buffers;
  a.apply(in.data(), out.data(), rng, buffers);
  return out;
}

// in moved by (dx, dy), zero outside, then mirrored when `flip`: written out pixel by pixel.
std::vector<float> moved(const std::vector<float>& in, int64_t dx, int64_t dy, bool flip) {
  std::vector<float> out(in.size(), 0.f);
  for (int64_t c = 0; c < kChannels; ++c)
    for (int64_t y = 0; y < kHeight; ++y)
      for (int64_t x = 0; x < kWidth; ++x) {
        const int64_t tx = x + dx, ty = y + dy;  // where pixel (y, x) lands before the mirror
        if (tx < 0 || tx >= kWidth || ty < 0 || ty >= kHeight) continue;
        const int64_t fx = flip ? kWidth - 1 - tx : tx;
        out[static_cast<size_t>((c * kHeight + ty) * kWidth + fx)] = pixel(in, c, y, x);
      }
  return out;
}

TEST(AugmentCrop, EveryOffsetWithinThePaddingAppearsAndNothingIsResampled) {
  const Augmenter a({.crop = 2}, {kChannels, kHeight, kWidth});
  const auto img = two_channel_ramp();
  Rng rng(3);
  std::set<std::pair<int64_t, int64_t>> seen;
  for (int i = 0; i < 400; ++i) {
    const auto out = augment(a, img, rng);
    bool found = false;
    for (int64_t dy = -2; dy <= 2 && !found; ++dy)
      for (int64_t dx = -2; dx <= 2 && !found; ++dx)
        if (out == moved(img, dx, dy, false)) {
          seen.insert({dx, dy});
          found = true;
        }
    ASSERT_TRUE(found) << "draw " << i << " is no whole-pixel move within the padding";
  }
  EXPECT_EQ(seen.size(), 25u);  // every offset in [-2, 2]^2: 400 draws miss one with p < 1e-6
}

TEST(AugmentFlip, MirrorsAboutHalfTheImagesAndLeavesTheOthers) {
  const Augmenter a({.hflip = true}, {kChannels, kHeight, kWidth});
  const auto img = two_channel_ramp(), mirror = moved(img, 0, 0, true);
  EXPECT_EQ(pixel(mirror, 1, 3, 0), pixel(img, 1, 3, kWidth - 1));
  Rng rng(5);
  int flipped = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto out = augment(a, img, rng);
    ASSERT_TRUE(out == img || out == mirror);
    flipped += out == mirror;
  }
  EXPECT_NEAR(flipped, 500, 60);  // 4 standard deviations of a fair coin's count
}

TEST(AugmentCropFlip, TheFlipFollowsTheMove) {
  const Augmenter a({.crop = 1, .hflip = true}, {kChannels, kHeight, kWidth});
  const auto img = two_channel_ramp();
  std::vector<float> out(img.size());
  a.move_whole_pixels(img.data(), out.data(), 1, -1, true);
  EXPECT_EQ(out, moved(img, 1, -1, true));
  EXPECT_EQ(pixel(out, 0, 0, kWidth - 1),
            0.f);  // column 0 came from outside: mirrored to the right
  EXPECT_EQ(pixel(out, 0, kHeight - 1, 0), 0.f);  // the last row came from below the image
}

// Zhong et al.'s rectangle: within [min_area, max_area] of the image (up to rounding of its
// sides), aspect ratio within [min_aspect, 1 / min_aspect], strictly inside; its pixels new, the
// others untouched, the same rectangle in every channel.
TEST(AugmentErasing, ErasesOneRectangleOfTheStatedAreaAndAspectWithTheStatedProbability) {
  const AugmentConfig c{.erasing = 0.5f};
  const Augmenter a(c, {kChannels, 20, 24});
  std::vector<float> img(static_cast<size_t>(kChannels * 20 * 24), -1.f);  // -1: never drawn
  Rng rng(7);
  int erased = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto out = augment(a, img, rng);
    int64_t y0 = 20, y1 = -1, x0 = 24, x1 = -1, changed = 0;
    for (int64_t ch = 0; ch < kChannels; ++ch)
      for (int64_t y = 0; y < 20; ++y)
        for (int64_t x = 0; x < 24; ++x) {
          const float v = out[static_cast<size_t>((ch * 20 + y) * 24 + x)];
          if (v == -1.f) continue;
          ASSERT_TRUE(v >= 0.f && v < 1.f) << v;
          ++changed;
          y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
        }
    if (changed == 0) continue;
    ++erased;
    const int64_t h = y1 - y0 + 1, w = x1 - x0 + 1;
    EXPECT_EQ(changed, kChannels * h * w) << "not one filled rectangle in every channel";
    EXPECT_LT(h, 20);
    EXPECT_LT(w, 24);
    // Rounding each side moves the area and the ratio a little: half a pixel a side.
    const double area = static_cast<double>(h * w) / (20.0 * 24.0);
    EXPECT_GE(area, 0.02 * 0.5) << h << "x" << w;
    EXPECT_LE(area, 0.4 * 1.3) << h << "x" << w;
    const double ratio = static_cast<double>(h) / static_cast<double>(w);
    EXPECT_GE(ratio, 0.3 * (h - 0.5) / (h + 0.5) * (w - 0.5) / (w + 0.5)) << h << "x" << w;
    EXPECT_LE(ratio, 1 / 0.3 * (h + 0.5) / (h - 0.5) * (w + 0.5) / (w - 0.5)) << h << "x" << w;
  }
  EXPECT_NEAR(erased, 500, 60);
}

TEST(AugmentErasing, SettingsAreChecked) {
  const auto error = [](const AugmentConfig& c) {
    return test::error_of([&] { Augmenter(c, {1, 28, 28}); });
  };
  EXPECT_NE(error({.crop = 29}).find("crop must be in [0, 28], got 29"), std::string::npos);
  EXPECT_NE(error({.crop = -1}).find("crop must be in"), std::string::npos);
  EXPECT_NE(error({.erasing = 1.5f}).find("erasing must be in [0, 1], got 1.5"), std::string::npos);
  EXPECT_NE(error({.erasing = 0.5f, .erasing_min_area = 0.5f, .erasing_max_area = 0.4f})
                .find("0 < min <= max <= 1"),
            std::string::npos);
  EXPECT_NE(error({.erasing = 0.5f, .erasing_min_aspect = 0}).find("erasing_min_aspect"),
            std::string::npos);
  EXPECT_NE(error({.erasing = NAN}).find("erasing must be in"), std::string::npos);
  EXPECT_TRUE((AugmentConfig{.crop = 1}.enabled()));
  EXPECT_TRUE((AugmentConfig{.hflip = true}.enabled()));
  EXPECT_TRUE((AugmentConfig{.erasing = 0.1f}.enabled()));
  EXPECT_FALSE((AugmentConfig{.crop = 1}.geometric()));  // nothing is resampled
}

}  // namespace
}  // namespace nnlab
