// Preprocessing drawn images against known facts: MNIST's own digits (already made this way)
// come back unchanged, black-on-white and enlarged copies come back as the digit, and each
// step does what its header says.
#include "data/preprocess.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/catalog.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

const Dataset& mnist_test() {
  static const DataPair pair = load_dataset("mnist", test::shared_data_dir().string());
  return pair.test;
}

FloatImage mnist_digit(int64_t i) {
  const Dataset& d = mnist_test();
  return image_from_bytes(d.pixels.data() + i * d.sample_size(), 28, 28);
}

float max_abs_diff(const FloatImage& a, const FloatImage& b) {
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.width, b.width);
  float m = 0;
  for (size_t i = 0; i < a.values.size(); ++i) m = std::max(m, std::abs(a.values[i] - b.values[i]));
  return m;
}

FloatImage inverted(FloatImage image) {
  for (float& v : image.values) v = 1 - v;
  return image;
}

// Each pixel repeated k times down and across (nearest-neighbour enlargement).
FloatImage enlarged(const FloatImage& image, int k) {
  FloatImage out{image.height * k, image.width * k, {}};
  for (int r = 0; r < out.height; ++r)
    for (int c = 0; c < out.width; ++c) out.values.push_back(image.at(r / k, c / k));
  return out;
}

TEST(Preprocess, MnistTestDigitsComeBackUnchanged) {
  const Preprocess& mnist = preprocess_recipe("mnist");
  int unchanged = 0, close = 0;
  for (int64_t i = 0; i < 100; ++i) {
    const FloatImage digit = mnist_digit(i);
    const float diff = max_abs_diff(preprocess(digit, mnist, 28, 28), digit);
    unchanged += diff == 0;
    close += diff <= 0.1f;
  }
  // Of the first 100, 22 lose a faint rim (below 0.1) outside their ink's box and one moves by
  // a pixel (its centre of mass rounds the other way); the rest are bit for bit the same.
  EXPECT_GE(unchanged, 75);
  EXPECT_GE(close, 98);
}

TEST(Preprocess, BlackOnWhiteAndEnlargedDigitsBecomeTheDigit) {
  const Preprocess& mnist = preprocess_recipe("mnist");
  for (int64_t i = 0; i < 20; ++i) {
    const FloatImage digit = mnist_digit(i);
    const FloatImage expected = preprocess(digit, mnist, 28, 28);
    EXPECT_LE(max_abs_diff(preprocess(inverted(digit), mnist, 28, 28), expected), 1e-6f) << i;
    // 7x: the ink's box is 7 times 20 pixels and area averaging undoes the enlargement.
    EXPECT_LE(max_abs_diff(preprocess(inverted(enlarged(digit, 7)), mnist, 28, 28), expected),
              1e-5f)
        << i;
  }
}

TEST(Preprocess, LevelBackgroundInvertsLightPaperAndMakesItBlack) {
  FloatImage grey{6, 6, std::vector<float>(36, 0.8f)};
  grey.values[2 * 6 + 3] = 0.2f;  // a dark stroke on light grey paper
  const FloatImage out = level_background(grey);
  for (size_t i = 0; i < out.values.size(); ++i)
    EXPECT_NEAR(out.values[i], i == 2 * 6 + 3 ? 0.75f : 0.0f, 1e-6) << i;
  // Light on black with a black border: unchanged.
  FloatImage dark{6, 6, std::vector<float>(36, 0.0f)};
  dark.values[14] = 0.6f;
  EXPECT_EQ(level_background(dark).values, dark.values);
}

TEST(Preprocess, InkBoxAndCrop) {
  FloatImage image{5, 7, std::vector<float>(35, 0.0f)};
  image.values[1 * 7 + 2] = 0.5f;
  image.values[3 * 7 + 5] = 0.2f;
  image.values[4 * 7 + 6] = 0.05f;  // below the threshold
  const Box box = ink_box(image, 0.1f);
  EXPECT_EQ(box.top, 1);
  EXPECT_EQ(box.left, 2);
  EXPECT_EQ(box.height, 3);
  EXPECT_EQ(box.width, 4);
  const FloatImage c = crop(image, box);
  EXPECT_EQ(c.at(0, 0), 0.5f);
  EXPECT_EQ(c.at(2, 3), 0.2f);
  const std::string message = test::error_of([] {
    ink_box(FloatImage{3, 4, std::vector<float>(12, 0.0f)}, 0.1f);
  });
  EXPECT_NE(message.find("no ink"), std::string::npos) << message;
  EXPECT_NE(message.find("3x4"), std::string::npos) << message;
}

TEST(Preprocess, AreaResizeKeepsTheMeanAndAveragesBlocks) {
  FloatImage image{13, 9, {}};
  Rng rng(3);
  for (int i = 0; i < 13 * 9; ++i) image.values.push_back(rng.uniform());
  double mean_in = 0;
  for (float v : image.values) mean_in += v / image.values.size();
  for (const auto& [h, w] : {std::pair{5, 4}, std::pair{20, 14}, std::pair{13, 9}}) {
    const FloatImage out = area_resize(image, h, w);
    double mean_out = 0;
    for (float v : out.values) mean_out += v / out.values.size();
    EXPECT_NEAR(mean_out, mean_in, 1e-6) << h << "x" << w;
  }
  EXPECT_LE(max_abs_diff(area_resize(image, 13, 9), image), 1e-7f);
  // Halving a 2x2 checkerboard block by block gives its mean.
  const FloatImage board{2, 4, {1, 0, 1, 1, 0, 1, 1, 1}};
  const FloatImage half = area_resize(board, 1, 2);
  EXPECT_FLOAT_EQ(half.at(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(half.at(0, 1), 1.0f);
}

TEST(Preprocess, CentringByMassAndByBox) {
  // A wide bar: fitted to 28 wide (Fashion-MNIST) it is 28x9, centred by its box.
  FloatImage bar{40, 60, std::vector<float>(2400, 0.0f)};
  for (int r = 5; r < 15; ++r)
    for (int c = 20; c < 50; ++c) bar.values[static_cast<size_t>(r * 60 + c)] = 1.0f;
  const FloatImage f = preprocess(bar, preprocess_recipe("fashion-mnist"), 28, 28);
  const Box fb = ink_box(f, 0.5f);
  EXPECT_EQ(fb.width, 28);
  EXPECT_EQ(fb.height, 9);
  EXPECT_EQ(fb.top, 9);  // (28 - 9) / 2, the odd pixel below
  // MNIST: 20x7 with its centre of mass at (14, 14).
  const FloatImage m = preprocess(bar, preprocess_recipe("mnist"), 28, 28);
  const Box mb = ink_box(m, 0.5f);
  EXPECT_EQ(mb.width, 20);
  EXPECT_EQ(mb.height, 7);
  const Point c = centre_of_mass(m);
  EXPECT_NEAR(c.row, 14, 0.5);
  EXPECT_NEAR(c.col, 14, 0.5);
}

TEST(Preprocess, NoneNeedsTheModelsSizeAndChangesNothing) {
  const Preprocess& none = preprocess_recipe("none");
  const FloatImage digit = mnist_digit(0);
  EXPECT_EQ(preprocess(digit, none, 28, 28).values, digit.values);
  const std::string message = test::error_of([&] { preprocess(enlarged(digit, 2), none, 28, 28); });
  EXPECT_NE(message.find("56x56"), std::string::npos) << message;
  EXPECT_NE(message.find("28x28"), std::string::npos) << message;
}

TEST(Preprocess, UnknownRecipeListsTheKnownOnes) {
  const std::string message = test::error_of([] { preprocess_recipe("lecun"); });
  EXPECT_NE(message.find("'lecun'"), std::string::npos) << message;
  EXPECT_NE(message.find("mnist, fashion-mnist, none"), std::string::npos) << message;
}

TEST(Preprocess, EachDatasetRecordsItsRecipe) {
  EXPECT_EQ(data_origin("mnist").preprocess, "mnist");
  EXPECT_EQ(data_origin("fashion-mnist").preprocess, "fashion-mnist");
  EXPECT_EQ(data_origin("mnist").scaling, "byte/255");
  for (const std::string& name : dataset_names()) preprocess_recipe(data_origin(name).preprocess);
}

}  // namespace
}  // namespace nnlab
