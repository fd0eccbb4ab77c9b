// Each image is computed by one thread into that thread's scratch buffers (gradients, per-pixel
// magnitude and bin, cell histograms), allocated once per parallel region, never per pixel.
// The arithmetic follows skimage's own step by step, including its precisions (float gradients,
// double magnitudes and angles, float cell sums, double block norms): the features then agree
// with skimage's to float rounding, and a pixel at a bin boundary lands in the same bin.
#include "learn/hog.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

constexpr double kEps = 1e-5;  // skimage's _hog_normalize_block eps

int64_t checked_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  NNLAB_CHECK(!__builtin_mul_overflow(a, b, &out) && out <= kHogMaxFeatures,
              "hog: more than {} features per image", kHogMaxFeatures);
  return out;
}

struct Geometry {
  int64_t h = 0, w = 0;                // image
  int64_t cells_r = 0, cells_c = 0;    // whole cells
  int64_t blocks_r = 0, blocks_c = 0;  // block positions
  int64_t features = 0;
};

Geometry geometry(int64_t h, int64_t w, const HogOptions& o) {
  NNLAB_CHECK(o.orientations >= 1 && o.orientations <= 360,
              "hog: orientations must be in [1, 360], got {}", o.orientations);
  NNLAB_CHECK(o.cell >= 1, "hog: cell (pixels per cell) must be >= 1, got {}", o.cell);
  NNLAB_CHECK(o.block >= 1, "hog: block (cells per block) must be >= 1, got {}", o.block);
  Geometry g{.h = h, .w = w};
  g.cells_r = h / o.cell;
  g.cells_c = w / o.cell;
  NNLAB_CHECK(g.cells_r >= o.block && g.cells_c >= o.block,
              "hog: a {}x{} image holds {}x{} cells of {} pixels, fewer than one block of {}x{} "
              "cells; it needs at least {} pixels a side",
              h, w, g.cells_r, g.cells_c, o.cell, o.block, o.block,
              int64_t{o.cell} * int64_t{o.block});
  g.blocks_r = g.cells_r - o.block + 1;
  g.blocks_c = g.cells_c - o.block + 1;
  g.features = checked_mul(checked_mul(checked_mul(g.blocks_r, g.blocks_c), int64_t{o.block}),
                           checked_mul(int64_t{o.block}, int64_t{o.orientations}));
  return g;
}

// numpy's float remainder a % b for b > 0 (npy_divmod): fmod, moved into [0, b) when negative,
// and a zero result is +0. A tiny negative a gives b itself after the rounding of a + b.
double numpy_mod(double a, double b) {
  const double m = std::fmod(a, b);
  if (m == 0) return 0.0;
  return m < 0 ? m + b : m;
}

struct Scratch {
  std::vector<float> root;    // [H, W] the square-rooted image (sqrt only)
  std::vector<float> g_row;   // [Wr] one row of gradients
  std::vector<float> g_col;   // [Wr]
  std::vector<double> mag;    // [Hr, Wr] magnitudes over the whole cells
  std::vector<int16_t> bin;   // [Hr, Wr] orientation bin, -1: no contribution
  std::vector<float> hist;    // [cells_r, cells_c, n]
  std::vector<double> block;  // [b, b, n]
};

// One image x [H, W] -> out [F].
void hog_image(const float* x, const Geometry& g, const HogOptions& o,
               const std::vector<double>& bounds, Scratch& s, float* out) {
  const int64_t h = g.h, w = g.w, c = o.cell, n = o.orientations, b = o.block;
  const int64_t hr = g.cells_r * c, wr = g.cells_c * c;
  if (o.sqrt) {
    s.root.resize(static_cast<size_t>(h * w));
    for (int64_t i = 0; i < h * w; ++i) s.root[static_cast<size_t>(i)] = std::sqrt(x[i]);
    x = s.root.data();
  }
  s.g_row.resize(static_cast<size_t>(wr));
  s.g_col.resize(static_cast<size_t>(wr));
  s.mag.resize(static_cast<size_t>(hr * wr));
  s.bin.resize(static_cast<size_t>(hr * wr));
  float* gr = s.g_row.data();
  float* gc = s.g_col.data();
  const double step = 180.0 / static_cast<double>(n);
  constexpr double kDegrees = 180.0 / std::numbers::pi;  // numpy's rad2deg factor

  for (int64_t r = 0; r < hr; ++r) {
    const float* row = x + r * w;
    // Central differences in float, zero on the image's border rows and columns.
    if (r == 0 || r == h - 1) {
      std::fill(gr, gr + wr, 0.f);
    } else {
      const float* up = row - w;
      const float* down = row + w;
      for (int64_t j = 0; j < wr; ++j) gr[j] = down[j] - up[j];
    }
    const int64_t inner_end = std::min(wr, w - 1);
    gc[0] = 0.f;
    for (int64_t j = 1; j < inner_end; ++j) gc[j] = row[j + 1] - row[j - 1];
    if (wr == w) gc[w - 1] = 0.f;

    double* mag = s.mag.data() + r * wr;
    for (int64_t j = 0; j < wr; ++j) {
      const double dr = gr[j], dc = gc[j];  // squares of floats are exact in double
      mag[j] = std::sqrt(dr * dr + dc * dc);
    }
    int16_t* bin = s.bin.data() + r * wr;
    for (int64_t j = 0; j < wr; ++j) {
      if (mag[j] == 0) {  // adds nothing to any bin
        bin[j] = -1;
        continue;
      }
      const double angle = numpy_mod(
          std::atan2(static_cast<double>(gr[j]), static_cast<double>(gc[j])) * kDegrees, 180.0);
      // The bin whose [bounds[i], bounds[i + 1]) holds the angle, by the same comparisons as
      // cell_hog; the quotient is only a first guess.
      int64_t i = std::clamp(static_cast<int64_t>(angle / step), int64_t{0}, n - 1);
      while (i > 0 && angle < bounds[static_cast<size_t>(i)]) --i;
      while (i < n && angle >= bounds[static_cast<size_t>(i + 1)]) ++i;
      bin[j] = i < n ? static_cast<int16_t>(i) : int16_t{-1};  // 180.0 is in no bin
    }
  }

  // Cell histograms: cell_hog sums into a float (`total += magnitude`, a double, so each sum
  // is rounded to float), then divides by the cell's area in float.
  s.hist.assign(static_cast<size_t>(g.cells_r * g.cells_c * n), 0.f);
  const float area = static_cast<float>(c * c);
  for (int64_t cr = 0; cr < g.cells_r; ++cr)
    for (int64_t cc = 0; cc < g.cells_c; ++cc) {
      float* hist = s.hist.data() + (cr * g.cells_c + cc) * n;
      for (int64_t r = cr * c; r < (cr + 1) * c; ++r) {
        const double* mag = s.mag.data() + r * wr;
        const int16_t* bin = s.bin.data() + r * wr;
        for (int64_t j = cc * c; j < (cc + 1) * c; ++j)
          if (bin[j] >= 0)
            hist[bin[j]] = static_cast<float>(static_cast<double>(hist[bin[j]]) + mag[j]);
      }
      for (int64_t i = 0; i < n; ++i) hist[i] /= area;
    }

  // Blocks, normalised in double (skimage's histogram array is float64).
  const int64_t per_block = b * b * n;
  s.block.resize(static_cast<size_t>(per_block));
  double* v = s.block.data();
  for (int64_t br = 0; br < g.blocks_r; ++br)
    for (int64_t bc = 0; bc < g.blocks_c; ++bc) {
      for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < b; ++j) {
          const float* hist = s.hist.data() + ((br + i) * g.cells_c + (bc + j)) * n;
          for (int64_t k = 0; k < n; ++k) v[(i * b + j) * n + k] = hist[k];
        }
      if (o.norm == HogOptions::Norm::l1 || o.norm == HogOptions::Norm::l1_sqrt) {
        double sum = 0;
        for (int64_t k = 0; k < per_block; ++k) sum += std::abs(v[k]);
        const double scale = 1.0 / (sum + kEps);
        for (int64_t k = 0; k < per_block; ++k) v[k] = v[k] * scale;
        if (o.norm == HogOptions::Norm::l1_sqrt)
          for (int64_t k = 0; k < per_block; ++k) v[k] = std::sqrt(v[k]);
      } else {
        double sum = 0;
        for (int64_t k = 0; k < per_block; ++k) sum += v[k] * v[k];
        double norm = std::sqrt(sum + kEps * kEps);
        for (int64_t k = 0; k < per_block; ++k) v[k] /= norm;
        if (o.norm == HogOptions::Norm::l2_hys) {
          sum = 0;
          for (int64_t k = 0; k < per_block; ++k) {
            v[k] = std::min(v[k], 0.2);
            sum += v[k] * v[k];
          }
          norm = std::sqrt(sum + kEps * kEps);
          for (int64_t k = 0; k < per_block; ++k) v[k] /= norm;
        }
      }
      float* dst = out + (br * g.blocks_c + bc) * per_block;
      for (int64_t k = 0; k < per_block; ++k) dst[k] = static_cast<float>(v[k]);
    }
}

}  // namespace

int64_t hog_feature_count(int64_t height, int64_t width, const HogOptions& options) {
  return geometry(height, width, options).features;
}

Tensor hog(const Tensor& images, const HogOptions& options) {
  const bool grey4 = images.rank() == 4 && images.dim(1) == 1;
  NNLAB_CHECK(images.rank() == 3 || grey4,
              "hog: needs grey images [N, H, W] or [N, 1, H, W], got {}",
              shape_str(images.shape()));
  const int64_t count = images.dim(0);
  const int64_t h = images.dim(images.rank() - 2), w = images.dim(images.rank() - 1);
  const Geometry g = geometry(h, w, options);
  Tensor out({count, g.features});
  if (count == 0) return out;

  const float* x = images.data();
  const int64_t size = images.size();
  bool finite = true, negative = false;
#pragma omp parallel for reduction(&& : finite) reduction(|| : negative)
  for (int64_t i = 0; i < size; ++i) {
    finite = finite && std::isfinite(x[i]);
    negative = negative || x[i] < 0;
  }
  NNLAB_CHECK(finite, "hog: the images hold a NaN or infinite value");
  NNLAB_CHECK(!(options.sqrt && negative),
              "hog: sqrt (transform_sqrt) needs pixels >= 0, and the images hold a negative one");

  // cell_hog's bin bounds: step * i in double.
  std::vector<double> bounds(static_cast<size_t>(options.orientations) + 1);
  const double step = 180.0 / options.orientations;
  for (size_t i = 0; i < bounds.size(); ++i) bounds[i] = step * static_cast<double>(i);

#pragma omp parallel
  {
    Scratch scratch;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < count; ++i)
      hog_image(x + i * h * w, g, options, bounds, scratch, out.row(i));
  }
  return out;
}

HogTransform::HogTransform(HogOptions options) : options_(options) {
  const int64_t side = int64_t{options.cell} * int64_t{options.block};
  geometry(side, side, options_);
}

void HogTransform::fit(ExecContext& /*exec*/, const Tensor& /*rows*/) {}

Tensor HogTransform::apply(ExecContext& /*exec*/, const Tensor& rows) const {
  return hog(rows, options_);
}

}  // namespace nnlab
