// HOG: histograms of oriented gradients, exactly as scikit-image 0.19's
// skimage.feature.hog(image, orientations, pixels_per_cell=(cell, cell),
// cells_per_block=(block, block), block_norm, transform_sqrt, feature_vector=True) computes them
// for a grey float image, so that features and classifiers trained on them match the Python
// baselines.
//
//   N = images, H x W = pixels, n = orientations, c = cell (pixels per side), b = block (cells).
//
//   1. transform_sqrt (optional): every pixel becomes its square root (pixels must be >= 0).
//   2. Gradients, in float as skimage computes them for a float32 image: g_row = x[r+1] - x[r-1]
//      and g_col = x[c+1] - x[c-1], 0 on the image's first and last row (column).
//   3. Per pixel, in double: magnitude sqrt(g_row^2 + g_col^2) and orientation
//      atan2(g_row, g_col) in degrees, taken modulo 180 as numpy's % does (a tiny negative
//      angle rounds to 180.0, which no bin holds: such a pixel is dropped, as in skimage).
//   4. Cell histograms: cells tile the image from its top-left corner (H / c by W / c cells;
//      the pixels beyond the last whole cell are ignored). Bin i holds the pixels whose
//      orientation o satisfies (180/n)*i <= o < (180/n)*(i+1), bounds computed in double as
//      skimage's cell_hog does; its value is the sum of their magnitudes, accumulated in float
//      (cell_hog's `float total`), divided by c*c.
//   5. Blocks of b x b cells at every cell position (stride one cell), normalised in double
//      with eps = 1e-5:
//        l1       v / (sum |v| + eps)
//        l1_sqrt  sqrt(v / (sum |v| + eps))
//        l2       v / sqrt(sum v^2 + eps^2)
//        l2_hys   l2, then min(v, 0.2), then l2 again
//   6. Features in skimage's order: block row, block column, cell row in the block, cell
//      column, orientation: F = (H/c - b + 1) * (W/c - b + 1) * b * b * n.
//
// MNIST (28 x 28, c = 7, b = 2, n = 9) gives 324 features. Only grey images: [N, H, W] or
// [N, 1, H, W] (skimage's multichannel mode, the strongest channel per pixel, is not done).
#pragma once

#include <cstdint>
#include <string>

#include "learn/learner.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

struct HogOptions {
  enum class Norm { l1, l1_sqrt, l2, l2_hys };
  int orientations = 9;  // bins over [0, 180) degrees: 1 to 360
  int cell = 7;          // pixels per cell side (square cells)
  int block = 2;         // cells per block side (square blocks)
  Norm norm = Norm::l2_hys;
  bool sqrt = false;  // skimage's transform_sqrt
};

/// The most features one image may have (2^24: 64 MiB of floats per image).
constexpr int64_t kHogMaxFeatures = int64_t{1} << 24;

/// Features per image of height x width pixels; throws when the options are invalid, the image
/// is smaller than one block, or the count exceeds kHogMaxFeatures.
int64_t hog_feature_count(int64_t height, int64_t width, const HogOptions& options);

/// images [N, H, W] or [N, 1, H, W] (finite; >= 0 with sqrt) -> [N, F]. Images are computed in
/// parallel (OpenMP, the calling thread's budget); each image's features depend on it alone.
Tensor hog(const Tensor& images, const HogOptions& options = {});

/// HOG as a Transform: nothing to fit; apply(rows) = hog(rows, options).
class HogTransform : public Transform {
 public:
  /// Checks the options (as for an image of the smallest size they allow).
  explicit HogTransform(HogOptions options = {});
  void fit(ExecContext& exec, const Tensor& rows) override;
  bool learns() const override { return false; }
  Tensor apply(ExecContext& exec, const Tensor& rows) const override;
  std::string name() const override { return "hog"; }
  const HogOptions& options() const { return options_; }

 private:
  HogOptions options_;
};

}  // namespace nnlab
