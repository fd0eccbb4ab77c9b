// The MNIST preprocessing of a drawn image against an independent NumPy/SciPy version of the
// recipe: the area average computed by repeating each pixel out-size times and averaging
// in-size blocks, the centre of mass by scipy.ndimage.center_of_mass. Within 1e-5. Skipped only
// when /usr/bin/python3 lacks NumPy or SciPy (the script exits 77).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/preprocess.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

// Reads in.txt (H*W bytes) and writes out.txt (the 28x28 result) and com.txt (the result's
// centre of mass).
constexpr const char* kPreprocessScipyScript = R"(
import sys
try:
    import numpy as np
    from scipy import ndimage
except ImportError:
    sys.exit(77)
d, h, w = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
img = np.loadtxt(f"{d}/in.txt").reshape(h, w) / 255.0
border = np.concatenate([img[0], img[-1], img[1:-1, 0], img[1:-1, -1]])
if border.mean() > 0.5:
    img, border = 1 - img, 1 - border
level = np.median(border)
img = np.clip((img - level) / (1 - level), 0, 1)
ys, xs = np.nonzero(img > 0.1)
img = img[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
bh, bw = img.shape
scale = 20 / max(bh, bw)
oh, ow = (max(1, int(np.floor(n * scale + 0.5))) for n in (bh, bw))
big = np.repeat(np.repeat(img, oh, axis=0), ow, axis=1)
small = big.reshape(oh, bh, ow, bw).mean(axis=(1, 3))
cy, cx = ndimage.center_of_mass(small)
top, left = int(np.floor(14 - cy + 0.5)), int(np.floor(14 - cx + 0.5))
out = np.zeros((28, 28))
out[top:top + oh, left:left + ow] = small
np.savetxt(f"{d}/out.txt", out.reshape(-1))
np.savetxt(f"{d}/com.txt", np.array(ndimage.center_of_mass(out)))
)";

// A dark ring and a diagonal stroke, anti-aliased, on light grey paper (byte 230).
std::vector<uint8_t> drawing(int h, int w) {
  std::vector<uint8_t> bytes;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const double ring = std::abs(std::hypot((r - 55.0) / 40, (c - 45.0) / 28) - 1) * 30;
      const double line = std::abs((r - 20) - 1.3 * (c - 30)) / std::hypot(1, 1.3);
      const double dist = std::min(ring, r > 30 && r < 140 && c > 40 ? line : 1e9);
      const double ink = std::clamp(4 - dist, 0.0, 1.0);  // strokes 8 pixels wide, 1-pixel rim
      auto b = static_cast<uint8_t>(std::lround(230 - 200 * ink));
      // No pixel exactly at the ink threshold (0.1 after levelling), where float and double
      // rounding could disagree.
      if (b == 207) b = 206;
      bytes.push_back(b);
    }
  return bytes;
}

TEST(PreprocessScipy, MnistRecipeMatchesNumpy) {
  const int h = 150, w = 110;
  const std::vector<uint8_t> bytes = drawing(h, w);
  const FloatImage out =
      preprocess(image_from_bytes(bytes.data(), h, w), preprocess_recipe("mnist"), 28, 28);

  const auto dir = std::filesystem::path(test::temp_dir().string() + "-data");
  std::filesystem::create_directories(dir);
  {
    std::ofstream in(dir / "in.txt");
    for (const uint8_t b : bytes) in << int{b} << ' ';
  }
  if (!test::run_oracle(kPreprocessScipyScript, fmt::format("{} {} {}", dir.string(), h, w)))
    return;

  std::ifstream expected(dir / "out.txt");
  double v = NAN, ink = 0;
  for (size_t i = 0; i < out.values.size(); ++i) {
    expected >> v;
    EXPECT_NEAR(out.values[i], v, 1e-5) << "pixel " << i / 28 << "," << i % 28;
    ink += v;
  }
  ASSERT_TRUE(expected.good()) << "short oracle output";
  EXPECT_GT(ink, 20);  // a real drawing, not an empty canvas
  std::ifstream com(dir / "com.txt");
  double row = NAN, col = NAN;
  com >> row >> col;
  const Point ours = centre_of_mass(out);
  EXPECT_NEAR(ours.row, row, 1e-5);
  EXPECT_NEAR(ours.col, col, 1e-5);
  EXPECT_NEAR(row, 14, 0.5);
  EXPECT_NEAR(col, 14, 0.5);
}

}  // namespace
}  // namespace nnlab
