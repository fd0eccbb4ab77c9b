// The tiled image grid behind every figure: grey-level normalization, layout and PNG size.
#include "report/figure_grids.hpp"

#include <gtest/gtest.h>

#include "report/png_image.hpp"

namespace nnlab::report {
namespace {

// Width and height from a PNG's IHDR chunk (big-endian, right after the signature).
std::pair<int, int> png_size(const std::string& png) {
  auto be32 = [&](size_t at) {
    int v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(png[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

TEST(FigureGrids, MinMaxMapsEachUnitsMinimumTo0AndMaximumTo255) {
  const std::vector<float> v = {-2, 0, 2, 6};
  EXPECT_EQ(to_grey(v, 4, GreyScale::min_max), (std::vector<uint8_t>{0, 64, 128, 255}));
  // Units of 2: each pair scaled on its own; a constant unit is black.
  const std::vector<float> pairs = {1, 3, 10, 20, 5, 5};
  EXPECT_EQ(to_grey(pairs, 2, GreyScale::min_max), (std::vector<uint8_t>{0, 255, 0, 255, 0, 0}));
}

TEST(FigureGrids, DivergingKeepsZeroMidGrey) {
  const std::vector<float> v = {-1, 0, 0.5f, 0, 0};
  EXPECT_EQ(to_grey(v, 3, GreyScale::diverging), (std::vector<uint8_t>{0, 128, 191, 128, 128}));
  const std::vector<float> positive = {0, 2, 4};
  EXPECT_EQ(to_grey(positive, 3, GreyScale::diverging), (std::vector<uint8_t>{128, 191, 255}));
}

TEST(FigureGrids, TenTilesInFourColumns) {
  // Tile t is filled with the value t.
  std::vector<uint8_t> tiles;
  for (uint8_t t = 0; t < 10; ++t) tiles.insert(tiles.end(), 3 * 4, t);
  const GrayImage image = tile_images(tiles.data(), 10, 3, 4, 4, 2, 1);
  // 4 columns of (4 * 2 + 1) - 1 pad, 3 rows of (3 * 2 + 1) - 1.
  ASSERT_EQ(image.width, 35);
  ASSERT_EQ(image.height, 20);
  auto at = [&](int x, int y) { return image.pixels[static_cast<size_t>(y * image.width + x)]; };
  EXPECT_EQ(at(0, 0), 0);
  EXPECT_EQ(at(9, 7), 5);      // tile 5: second row, second column
  EXPECT_EQ(at(8, 7), 255);    // the pad between columns
  EXPECT_EQ(at(0, 6), 255);    // the pad between rows
  EXPECT_EQ(at(9, 14), 9);     // tile 9: third row, second column
  EXPECT_EQ(at(18, 14), 255);  // no tile 10: white

  // grid_image scales 28x28 tiles twice and pads by 2: the PNG is 4 * 58 - 2 by 3 * 58 - 2.
  const Tiles digits{std::vector<uint8_t>(10 * 28 * 28, 7), 10, 28, 28};
  const std::string img = grid_image(digits, 4, "digits");
  EXPECT_NE(img.find("width=\"230\" height=\"172\""), std::string::npos) << img.substr(0, 80);
  const GrayImage expected = tile_images(digits.grey.data(), 10, 28, 28, 4, 2, 2);
  EXPECT_NE(img.find(png_data_uri(expected)), std::string::npos);
  EXPECT_EQ(png_size(encode_png_gray(expected.pixels.data(), expected.width, expected.height)),
            std::make_pair(230, 172));
}

TEST(FigureGrids, DisplayScale) {
  EXPECT_EQ(display_scale(28, 28), 2);
  EXPECT_EQ(display_scale(3, 3), 10);
  EXPECT_EQ(display_scale(14, 7), 4);
  EXPECT_EQ(display_scale(100, 300), 1);
}

TEST(FigureGrids, FigureEscapesItsCaption) {
  EXPECT_EQ(figure("<img>", "a < b"),
            "<figure class=\"plate\"><img><figcaption>a &lt; b</figcaption></figure>\n");
}

}  // namespace
}  // namespace nnlab::report
