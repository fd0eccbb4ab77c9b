// The augmentation's warp and elastic field against scipy.ndimage (map_coordinates with linear
// interpolation and zeros outside, mode="grid-constant"; gaussian_filter with mode="constant"),
// within 1e-5 (STYLE.md rule 7). Skipped without /usr/bin/python3 and scipy (test::run_oracle).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/augment.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

// Reads img, fx, fy, raw ([H, W] each, whitespace-separated) and writes the warped image and
// the blurred field, flattened row-major, one per line. The inverse map is Augmenter::warp's.
constexpr const char* kAugmentScipyScript = R"(
import sys
try:
    import numpy as np
    from scipy.ndimage import gaussian_filter, map_coordinates
except ImportError:
    sys.exit(77)
d = sys.argv[1]
h, w = int(sys.argv[2]), int(sys.argv[3])
dx, dy, degrees, scale, alpha, sigma = (float(v) for v in sys.argv[4:10])
load = lambda name: np.loadtxt(f"{d}/{name}").reshape(h, w)
img, fx, fy, raw = load("img.txt"), load("fx.txt"), load("fy.txt"), load("raw.txt")
cx, cy = (w - 1) / 2, (h - 1) / 2
y, x = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
u, v = x - cx - dx, y - cy - dy
c, s = np.cos(np.radians(degrees)) / scale, np.sin(np.radians(degrees)) / scale
sx = cx + c * u - s * v + fx
sy = cy + s * u + c * v + fy
warped = map_coordinates(img, [sy, sx], order=1, mode="grid-constant", cval=0.0)
field = gaussian_filter(raw, sigma, mode="constant", cval=0.0, truncate=3.0) * alpha
with open(f"{d}/out.txt", "w") as out:
    for t in (warped, field):
        out.write(" ".join(repr(float(v)) for v in t.reshape(-1)) + "\n")
)";

void write(const std::filesystem::path& path, const std::vector<float>& v) {
  std::ofstream out(path);
  out.precision(9);
  for (const float f : v) out << f << ' ';
}

TEST(AugmentScipy, WarpAndElasticFieldMatchScipy) {
  const int64_t h = 28, w = 39;
  const Affine affine{.dx = 1.3f, .dy = -0.7f, .degrees = 17, .scale = 1.08f};
  const AugmentConfig config{.elastic_alpha = 34, .elastic_sigma = 4};
  const Augmenter augmenter(config, {1, h, w});
  const auto hw = static_cast<size_t>(h * w);

  std::vector<float> img(hw), fx(hw), fy(hw), raw(hw), field, tmp, warped(hw);
  Rng rng(8);
  for (size_t i = 0; i < hw; ++i) {
    img[i] = rng.uniform();
    fx[i] = rng.uniform(-2, 2);
    fy[i] = rng.uniform(-2, 2);
  }
  // The field's raw values are the first H*W uniforms of the generator it is given.
  Rng field_rng(9), copy = field_rng;
  for (float& r : raw) r = copy.uniform(-1, 1);
  augmenter.elastic_field(field_rng, field, tmp);
  augmenter.warp(img.data(), warped.data(), affine, fx.data(), fy.data());

  const auto dir = test::temp_dir();
  write(dir / "img.txt", img);
  write(dir / "fx.txt", fx);
  write(dir / "fy.txt", fy);
  write(dir / "raw.txt", raw);
  if (!test::run_oracle(
          kAugmentScipyScript,
          fmt::format("{} {} {} {} {} {} {} {} {}", dir.string(), h, w, affine.dx, affine.dy,
                      affine.degrees, affine.scale, config.elastic_alpha, config.elastic_sigma)))
    return;

  std::ifstream in(dir / "out.txt");
  double v = NAN;
  int64_t outside = 0;
  for (size_t i = 0; i < hw; ++i) {
    in >> v;
    EXPECT_NEAR(warped[i], v, 1e-5) << "warped pixel " << i;
    outside += v == 0;
  }
  EXPECT_GT(outside, 0);  // the transform moves some sampling points outside the image
  double mean_abs = 0;
  for (size_t i = 0; i < hw; ++i) {
    in >> v;
    EXPECT_NEAR(field[i], v, 1e-5 * 34) << "field value " << i;
    mean_abs += std::abs(v) / static_cast<double>(hw);
  }
  ASSERT_TRUE(in.good()) << "short oracle output";
  EXPECT_GT(mean_abs, 0.5);  // about a pixel: Simard's typical displacement
}

}  // namespace
}  // namespace nnlab
