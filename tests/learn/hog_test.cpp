// HOG against scikit-image 0.19's skimage.feature.hog: 1,000 real MNIST test images with every
// block norm (every feature within 1e-4), other shapes and options on random and on quantised
// images (whose gradients put many pixels exactly on bin boundaries), known facts and the
// checks.
#include "learn/hog.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "data/catalog.hpp"
#include "support/test_support.hpp"
#include "tensor/rng.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using Norm = HogOptions::Norm;

constexpr Norm kNorms[] = {Norm::l1, Norm::l1_sqrt, Norm::l2, Norm::l2_hys};

// Reads images.f32 ([n, h, w] float32, the very floats our hog saw) and writes
// hog_<norm>.f32 ([n, F] float32) for each block norm.
constexpr const char* kHogScript = R"(
import sys
try:
    import numpy as np
    from skimage.feature import hog
except ImportError:
    sys.exit(77)
d = sys.argv[1]
n, h, w, orientations, cell, block, root = map(int, sys.argv[2:9])
images = np.fromfile(f"{d}/images.f32", dtype=np.float32).reshape(n, h, w)
for i, norm in enumerate(("L1", "L1-sqrt", "L2", "L2-Hys")):
    out = np.stack([hog(im, orientations=orientations, pixels_per_cell=(cell, cell),
                        cells_per_block=(block, block), block_norm=norm,
                        transform_sqrt=bool(root), feature_vector=True) for im in images])
    out.astype(np.float32).tofile(f"{d}/hog_{i}.f32")
)";

void write_binary(const fs::path& path, const Tensor& t) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(t.data()),
            static_cast<std::streamsize>(t.size() * static_cast<int64_t>(sizeof(float))));
}

std::vector<float> read_binary(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> v(static_cast<size_t>(in.tellg()) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

// Compares our hog of images [N, H, W] with skimage's for every block norm; features are
// expected within 1e-4 (absolute). (They come out bit-identical in float: the arithmetic and its
// precisions are skimage's.)
void expect_matches_skimage(const Tensor& images, HogOptions options) {
  const int64_t n = images.dim(0), h = images.dim(1), w = images.dim(2);
  const auto dir = test::temp_dir();
  write_binary(dir / "images.f32", images);
  if (!test::run_oracle(kHogScript, fmt::format("{} {} {} {} {} {} {} {}", dir.string(), n, h, w,
                                                options.orientations, options.cell, options.block,
                                                options.sqrt ? 1 : 0)))
    return;
  for (int i = 0; i < 4; ++i) {
    options.norm = kNorms[i];
    const Tensor ours = hog(images, options);
    const std::vector<float> theirs = read_binary(dir / fmt::format("hog_{}.f32", i));
    ASSERT_EQ(static_cast<int64_t>(theirs.size()), ours.size()) << "norm " << i;
    double worst = 0;
    int64_t bad = 0;
    for (int64_t j = 0; j < ours.size(); ++j) {
      const double diff = std::abs(double(ours[j]) - double(theirs[static_cast<size_t>(j)]));
      worst = std::max(worst, diff);
      if (diff > 1e-4 && ++bad <= 5)
        ADD_FAILURE() << "norm " << i << ": image " << j / ours.dim(1) << " feature "
                      << j % ours.dim(1) << ": ours " << ours[j] << " vs skimage "
                      << theirs[static_cast<size_t>(j)];
    }
    EXPECT_EQ(bad, 0) << "norm " << i << ": features beyond 1e-4";
    EXPECT_LT(worst, 1e-4) << "norm " << i;
  }
}

Tensor random_images(int64_t n, int64_t h, int64_t w, uint64_t seed, int levels = 0) {
  Tensor x({n, h, w});
  Rng rng(seed);
  rng.fill_uniform(x.span(), 0.f, 1.f);
  if (levels > 0)  // values k / levels: many gradients exactly 0, equal or opposite
    for (float& v : x.span()) v = std::floor(v * float(levels + 1)) / float(levels);
  return x;
}

TEST(Hog, MatchesScikitImageOnMnist) {
  if (!fs::exists(test::shared_data_dir() / "mnist")) {
    test::skip_for_missing("MNIST in " + (test::shared_data_dir() / "mnist").string());
    return;
  }
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  const int64_t n = 1000;
  Tensor images({n, 28, 28});
  for (int64_t i = 0; i < n; ++i) mnist.test.read_sample(i, images.row(i));
  expect_matches_skimage(images, {.orientations = 9, .cell = 7, .block = 2});
}

TEST(Hog, MatchesScikitImageOnOtherShapes) {
  // The brief's shape: 16 x 20, cells of 4, blocks of 3, 6 orientations, transform_sqrt.
  expect_matches_skimage(random_images(40, 16, 20, 1),
                         {.orientations = 6, .cell = 4, .block = 3, .sqrt = true});
  // Pixels beyond the last whole cell (23 x 17 with cells of 5), an odd bin count.
  expect_matches_skimage(random_images(40, 23, 17, 2), {.orientations = 7, .cell = 5});
  // One block covering the image; one orientation.
  expect_matches_skimage(random_images(10, 9, 9, 3), {.orientations = 1, .cell = 3, .block = 3});
}

TEST(Hog, MatchesScikitImageAtBinBoundaries) {
  // Quarter-step pixels: gradients at 0, 45, 90 and 135 degrees and at 180 (-> 0), all bin
  // boundaries for 4 and 8 orientations (and 90 for 6).
  const Tensor images = random_images(60, 12, 12, 4, 4);
  expect_matches_skimage(images, {.orientations = 4, .cell = 3, .block = 2});
  expect_matches_skimage(images, {.orientations = 8, .cell = 3, .block = 2});
  expect_matches_skimage(images, {.orientations = 6, .cell = 2, .block = 2, .sqrt = true});
}

TEST(Hog, ShapesAndKnownFacts) {
  EXPECT_EQ(hog_feature_count(28, 28, {}), 324);
  EXPECT_EQ(hog_feature_count(16, 20, {.orientations = 6, .cell = 4, .block = 3}), 2 * 3 * 9 * 6);

  const Tensor x = random_images(5, 28, 28, 5);
  const Tensor y = hog(x);
  ASSERT_EQ(y.shape(), (Shape{5, 324}));
  // [N, 1, H, W] is the same image; the transform is the function.
  Tensor nchw({5, 1, 28, 28});
  std::copy(x.data(), x.data() + x.size(), nchw.data());
  const Tensor y4 = hog(nchw);
  HogTransform transform;
  transform.fit(test::exec(), nchw);
  const Tensor yt = transform.apply(test::exec(), nchw);
  EXPECT_EQ(transform.name(), "hog");
  for (int64_t i = 0; i < y.size(); ++i) {
    ASSERT_EQ(y4[i], y[i]);
    ASSERT_EQ(yt[i], y[i]);
  }
  // L2-Hys blocks are unit vectors with entries at most 0.2 before the renormalisation.
  for (int64_t b = 0; b < 5 * 324 / 36; ++b) {
    double sum = 0;
    for (int k = 0; k < 36; ++k) sum += double(y[b * 36 + k]) * y[b * 36 + k];
    EXPECT_NEAR(sum, 1.0, 1e-4) << "block " << b;
  }
  // A constant image has no gradient: all features 0.
  Tensor flat({1, 14, 14});
  flat.fill(0.5f);
  const Tensor zero = hog(flat);
  for (const float v : zero.span()) EXPECT_EQ(v, 0.f);
  // No images: no rows, the same width.
  EXPECT_EQ(hog(Tensor({0, 28, 28})).shape(), (Shape{0, 324}));
}

TEST(Hog, SameFeaturesForAnyThreadCount) {
  const Tensor x = random_images(37, 28, 28, 6);
  const Tensor one = test::on_worker(1, [&](ExecContext&) { return hog(x); });
  const Tensor two = test::on_worker(2, [&](ExecContext&) { return hog(x); });
  for (int64_t i = 0; i < one.size(); ++i) ASSERT_EQ(one[i], two[i]) << i;
}

TEST(Hog, RejectsBadOptionsAndImages) {
  const Tensor x = random_images(2, 28, 28, 7);
  auto message = [&](HogOptions o) { return test::error_of([&] { hog(x, o); }); };
  EXPECT_NE(message({.orientations = 0}).find("orientations must be in [1, 360]"),
            std::string::npos);
  EXPECT_NE(message({.orientations = 361}).find("orientations"), std::string::npos);
  EXPECT_NE(message({.cell = 0}).find("cell"), std::string::npos);
  EXPECT_NE(message({.block = 0}).find("block"), std::string::npos);
  EXPECT_NE(message({.cell = 10, .block = 3}).find("fewer than one block"), std::string::npos);
  EXPECT_NE(test::error_of([] { HogTransform({.cell = -1}); }).find("cell"), std::string::npos);

  // Feature counts past the limit, and products that would overflow int64.
  EXPECT_NE(test::error_of([] {
              hog_feature_count(4096, 4096, {.orientations = 360, .cell = 1, .block = 1});
            }).find("more than"),
            std::string::npos);
  EXPECT_NE(test::error_of([] {
              hog_feature_count(int64_t{1} << 40, int64_t{1} << 40,
                                {.orientations = 360, .cell = 1, .block = 1 << 30});
            }).find("more than"),
            std::string::npos);

  EXPECT_NE(test::error_of([] { hog(Tensor({2, 784})); }).find("grey images"), std::string::npos);
  EXPECT_NE(test::error_of([] {
              hog(Tensor({2, 3, 28, 28}));
            }).find("grey images"),
            std::string::npos);
  Tensor bad = x;
  bad[100] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(test::error_of([&] { hog(bad); }).find("NaN"), std::string::npos);
  bad[100] = -0.5f;
  EXPECT_NO_THROW(hog(bad));
  EXPECT_NE(test::error_of([&] { hog(bad, {.sqrt = true}); }).find(">= 0"), std::string::npos);
}

}  // namespace
}  // namespace nnlab
