// Hand-written: no Debian library does per-sample random warps of tiny images without a heavy
// dependency (OpenCV); an affine map, a separable blur and bilinear sampling are a few loops.
#include "data/augment.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// Truncated at 3 sigma (the tail beyond holds 0.3% of the weight), rounded as scipy does.
// check_augment bounds sigma first: 1e9 overflowed the int, and 1e7 made a short run take
// minutes.
std::vector<float> gaussian_kernel(float sigma) {
  const int radius = static_cast<int>(3.f * sigma + 0.5f);
  std::vector<float> k(static_cast<size_t>(2 * radius + 1));
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) {
    const double w = std::exp(-0.5 * i * i / (static_cast<double>(sigma) * sigma));
    k[static_cast<size_t>(i + radius)] = static_cast<float>(w);
    sum += w;
  }
  for (float& w : k) w = static_cast<float>(w / sum);
  return k;
}

// dst = src ([rows, cols]) blurred along its columns by `kernel` times `scale`, zeros outside.
void blur_columns(const float* src, float* dst, int64_t rows, int64_t cols,
                  const std::vector<float>& kernel, float scale) {
  std::fill(dst, dst + rows * cols, 0.f);
  const auto r = static_cast<int64_t>(kernel.size() / 2);
  for (int64_t k = -r; k <= r; ++k) {
    const float wk = kernel[static_cast<size_t>(k + r)] * scale;
    const float* shifted = src + k * cols;  // dst row y takes src row y + k
    const int64_t end = std::min(rows, rows - k) * cols;
    for (int64_t i = std::max<int64_t>(0, -k) * cols; i < end; ++i) dst[i] += wk * shifted[i];
  }
}

// dst [cols, rows] = src [rows, cols] transposed.
void transpose(const float* src, float* dst, int64_t rows, int64_t cols) {
  for (int64_t y = 0; y < rows; ++y)
    for (int64_t x = 0; x < cols; ++x) dst[x * rows + y] = src[y * cols + x];
}

}  // namespace

bool AugmentConfig::enabled() const {
  return probability > 0 && (geometric() || crop > 0 || hflip || noise > 0 || erasing > 0);
}

bool AugmentConfig::geometric() const {
  return shift > 0 || rotation > 0 || scale > 0 || elastic_alpha > 0;
}

void check_augment(const AugmentConfig& c, const Shape& sample_shape, const std::string& prefix) {
  NNLAB_CHECK(sample_shape.size() == 3, "augmentation needs images [C, H, W], got samples {}",
              shape_str(sample_shape));
  const auto in = [&](const char* name, float value, float max) {
    NNLAB_CHECK(value >= 0 && value <= max, "{}{} must be in [0, {}], got {}", prefix, name, max,
                value);  // false for nan
  };
  const auto side = static_cast<float>(std::max(sample_shape[1], sample_shape[2]));
  in("shift", c.shift, side);
  in("rotation", c.rotation, kMaxAugmentRotation);
  NNLAB_CHECK(c.scale >= 0 && c.scale < 1, "{}scale must be in [0, 1), got {}", prefix, c.scale);
  in("elastic_alpha", c.elastic_alpha, kMaxElasticAlpha);
  NNLAB_CHECK(c.elastic_alpha == 0 || (c.elastic_sigma > 0 && c.elastic_sigma <= kMaxElasticSigma),
              "{}elastic_sigma must be in (0, {}], got {}", prefix, kMaxElasticSigma,
              c.elastic_sigma);
  NNLAB_CHECK(c.crop >= 0 && static_cast<float>(c.crop) <= side,
              "{}crop must be in [0, {}], got {}", prefix, side, c.crop);
  in("noise", c.noise, kMaxAugmentNoise);
  in("erasing", c.erasing, 1);
  NNLAB_CHECK(
      c.erasing_min_area > 0 && c.erasing_min_area <= c.erasing_max_area && c.erasing_max_area <= 1,
      "{}erasing_min_area and erasing_max_area must satisfy 0 < min <= max <= 1, got {} "
      "and {}",
      prefix, c.erasing_min_area, c.erasing_max_area);
  NNLAB_CHECK(c.erasing_min_aspect > 0 && c.erasing_min_aspect <= 1,
              "{}erasing_min_aspect must be in (0, 1], got {}", prefix, c.erasing_min_aspect);
  in("probability", c.probability, 1);
}

Augmenter::Augmenter(const AugmentConfig& config, const Shape& sample_shape) : config_(config) {
  check_augment(config, sample_shape, "augmentation: ");
  channels_ = sample_shape[0];
  height_ = sample_shape[1];
  width_ = sample_shape[2];
  if (config.elastic_alpha > 0) kernel_ = gaussian_kernel(config.elastic_sigma);
}

void Augmenter::elastic_field(Rng& rng, std::vector<float>& field, std::vector<float>& tmp) const {
  const auto hw = static_cast<size_t>(height_ * width_);
  field.resize(hw);
  tmp.resize(hw);
  for (float& v : field) v = rng.uniform(-1.f, 1.f);
  // Separable blur with zeros outside (scipy's mode="constant", as in the usual implementations
  // of Simard et al.): along columns, transpose, along columns again, transpose back. Blurring
  // along columns makes every tap one long contiguous loop over the image, which vectorizes.
  blur_columns(field.data(), tmp.data(), height_, width_, kernel_, 1.f);
  transpose(tmp.data(), field.data(), height_, width_);
  blur_columns(field.data(), tmp.data(), width_, height_, kernel_, config_.elastic_alpha);
  transpose(tmp.data(), field.data(), width_, height_);
}

void Augmenter::warp(const float* in, float* out, const Affine& a, const float* field_x,
                     const float* field_y) const {
  const int64_t h = height_, w = width_, plane = h * w;
  const float cx = 0.5f * static_cast<float>(w - 1), cy = 0.5f * static_cast<float>(h - 1);
  const float rad = a.degrees * std::numbers::pi_v<float> / 180.f;
  const float c = std::cos(rad) / a.scale, s = std::sin(rad) / a.scale;
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      // The inverse map: from the output pixel back to where it samples the input.
      const float u = static_cast<float>(x) - cx - a.dx, v = static_cast<float>(y) - cy - a.dy;
      const int64_t p = y * w + x;
      float sx = cx + c * u - s * v, sy = cy + s * u + c * v;
      if (field_x) sx += field_x[p], sy += field_y[p];
      const float fx0 = std::floor(sx), fy0 = std::floor(sy);
      const float fx = sx - fx0, fy = sy - fy0;
      const auto x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {  // the common case: all inside
        for (int64_t ch = 0; ch < channels_; ++ch) {
          const float* q = in + ch * plane + y0 * w + x0;
          out[ch * plane + p] =
              (1 - fy) * ((1 - fx) * q[0] + fx * q[1]) + fy * ((1 - fx) * q[w] + fx * q[w + 1]);
        }
        continue;
      }
      // Weights of the four neighbours, zero for those outside the image.
      const bool in_x0 = x0 >= 0 && x0 < w, in_x1 = x0 + 1 >= 0 && x0 + 1 < w;
      const bool in_y0 = y0 >= 0 && y0 < h, in_y1 = y0 + 1 >= 0 && y0 + 1 < h;
      const float w00 = in_y0 && in_x0 ? (1 - fy) * (1 - fx) : 0.f;
      const float w01 = in_y0 && in_x1 ? (1 - fy) * fx : 0.f;
      const float w10 = in_y1 && in_x0 ? fy * (1 - fx) : 0.f;
      const float w11 = in_y1 && in_x1 ? fy * fx : 0.f;
      const int64_t xa = std::clamp<int64_t>(x0, 0, w - 1),
                    xb = std::clamp<int64_t>(x0 + 1, 0, w - 1);
      const int64_t ya = std::clamp<int64_t>(y0, 0, h - 1),
                    yb = std::clamp<int64_t>(y0 + 1, 0, h - 1);
      for (int64_t ch = 0; ch < channels_; ++ch) {
        const float* img = in + ch * plane;
        out[ch * plane + p] = w00 * img[ya * w + xa] + w01 * img[ya * w + xb] +
                              w10 * img[yb * w + xa] + w11 * img[yb * w + xb];
      }
    }
  }
}

void Augmenter::apply(const float* in, float* out, Rng& rng, AugmentBuffers& buffers) const {
  const AugmentConfig& c = config_;
  const auto size = static_cast<size_t>(channels_ * height_ * width_);
  if (!c.enabled() || (c.probability < 1 && !rng.bernoulli(c.probability))) {
    std::memcpy(out, in, size * sizeof(float));
    return;
  }
  if (c.geometric()) {
    Affine a;
    if (c.shift > 0) {
      a.dx = rng.uniform(-c.shift, c.shift);
      a.dy = rng.uniform(-c.shift, c.shift);
    }
    if (c.rotation > 0) a.degrees = rng.uniform(-c.rotation, c.rotation);
    if (c.scale > 0) a.scale = rng.uniform(1 - c.scale, 1 + c.scale);
    const bool elastic = c.elastic_alpha > 0;
    if (elastic) {
      elastic_field(rng, buffers.field_x, buffers.tmp);
      elastic_field(rng, buffers.field_y, buffers.tmp);
    }
    warp(in, out, a, elastic ? buffers.field_x.data() : nullptr,
         elastic ? buffers.field_y.data() : nullptr);
  } else {
    std::memcpy(out, in, size * sizeof(float));
  }
  if (c.crop > 0 || c.hflip) {
    const auto offset = [&] {
      return c.crop > 0
                 ? static_cast<int64_t>(rng.below(2 * static_cast<uint64_t>(c.crop) + 1)) - c.crop
                 : 0;
    };
    const int64_t dx = offset(), dy = offset();
    const bool flip = c.hflip && rng.bernoulli(0.5f);
    buffers.image.assign(out, out + size);
    move_whole_pixels(buffers.image.data(), out, dx, dy, flip);
  }
  if (c.noise > 0)
    for (size_t i = 0; i < size; ++i)
      out[i] = std::clamp(out[i] + rng.normal(0.f, c.noise), 0.f, 1.f);
  if (c.erasing > 0 && rng.bernoulli(c.erasing)) erase(out, rng);
}

void Augmenter::move_whole_pixels(const float* in, float* out, int64_t dx, int64_t dy,
                                  bool flip) const {
  const int64_t h = height_, w = width_;
  for (int64_t ch = 0; ch < channels_; ++ch)
    for (int64_t y = 0; y < h; ++y) {
      float* row = out + (ch * h + y) * w;
      const int64_t sy = y - dy;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = (flip ? w - 1 - x : x) - dx;
        row[x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? in[(ch * h + sy) * w + sx] : 0.f;
      }
    }
}

void Augmenter::erase(float* image, Rng& rng) const {
  const AugmentConfig& c = config_;
  const int64_t h = height_, w = width_;
  const auto area = static_cast<float>(h * w);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const float target = rng.uniform(c.erasing_min_area, c.erasing_max_area) * area;
    const float aspect = rng.uniform(c.erasing_min_aspect, 1 / c.erasing_min_aspect);
    const auto eh = static_cast<int64_t>(std::lround(std::sqrt(target * aspect)));
    const auto ew = static_cast<int64_t>(std::lround(std::sqrt(target / aspect)));
    if (eh >= h || ew >= w || eh < 1 || ew < 1) continue;  // Zhong et al.: strictly inside
    const auto y0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(h - eh + 1)));
    const auto x0 = static_cast<int64_t>(rng.below(static_cast<uint64_t>(w - ew + 1)));
    for (int64_t ch = 0; ch < channels_; ++ch)
      for (int64_t y = y0; y < y0 + eh; ++y)
        for (int64_t x = x0; x < x0 + ew; ++x) image[(ch * h + y) * w + x] = rng.uniform();
    return;
  }
}

Dataset augmented_copies(const Dataset& d, std::span<const int64_t> indices,
                         const AugmentConfig& config, const Rng& rng) {
  NNLAB_CHECK(d.is_images(), "{}: augmented copies need an image dataset", d.name);
  const Augmenter augmenter(config, d.sample_shape);
  Dataset out = d.subset(indices);  // labels, targets and the original pixels
  const int64_t n = out.size(), ss = out.sample_size();
#pragma omp parallel
  {
    AugmentBuffers buffers;
    std::vector<float> src(static_cast<size_t>(ss)), dst(static_cast<size_t>(ss));
#pragma omp for schedule(static)
    for (int64_t k = 0; k < n; ++k) {
      out.read_sample(k, src.data());
      Rng r = rng.fork(static_cast<uint64_t>(k));
      augmenter.apply(src.data(), dst.data(), r, buffers);
      uint8_t* px = out.pixels.data() + k * ss;
      for (int64_t j = 0; j < ss; ++j) px[j] = static_cast<uint8_t>(std::lround(dst[j] * 255.f));
    }
  }
  return out;
}

}  // namespace nnlab
