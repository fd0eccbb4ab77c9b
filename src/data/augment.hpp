// On-the-fly image augmentation: a random affine transform (shift, rotation, scale) combined with
// an elastic distortion (Simard, Steinkraus & Platt 2003), resampled bilinearly; a random crop
// with zero padding and a horizontal flip (whole pixels, nothing resampled); additive Gaussian
// noise; random erasing (Zhong et al. 2017). Shapes: images are [C, H, W] floats in [0, 1]; every
// channel gets the same transform.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// The largest settings an AugmentConfig takes; shift is at most the image's larger side. Beyond
/// them a transform only blanks the image or costs time, and the sampling points stay far from
/// overflowing an integer.
inline constexpr float kMaxAugmentRotation = 180;  // degrees
inline constexpr float kMaxElasticAlpha = 1000;    // pixels
inline constexpr float kMaxElasticSigma = 100;     // pixels: a kernel of at most 601 taps
inline constexpr float kMaxAugmentNoise = 1;       // std: already more than a [0, 1] image holds

/// What to draw for each sample. All zero (the default) leaves images unchanged.
struct AugmentConfig {
  float shift = 0;          // max pixels per axis: offsets uniform in [-shift, shift]
  float rotation = 0;       // max degrees: angle uniform in [-rotation, rotation]
  float scale = 0;          // max relative change: factor uniform in [1 - scale, 1 + scale]
  float elastic_alpha = 0;  // elastic displacement scale in pixels (34 for MNIST); 0 = none
  float elastic_sigma = 4;  // std in pixels of the Gaussian smoothing the displacement field
  int crop = 0;             // random crop with this zero padding: whole-pixel offsets in
                            // [-crop, crop] per axis (torchvision's RandomCrop(padding=crop))
  bool hflip = false;       // mirror left-right with probability 1/2
  float noise = 0;          // std of additive Gaussian noise (result clipped to [0, 1])
  // Random erasing (Zhong et al. 2017, their defaults): with probability `erasing`, a rectangle
  // of erasing_min_area to erasing_max_area of the image, of aspect ratio (height / width) in
  // [erasing_min_aspect, 1 / erasing_min_aspect], is filled with values uniform in [0, 1].
  float erasing = 0;
  float erasing_min_area = 0.02f;
  float erasing_max_area = 0.4f;
  float erasing_min_aspect = 0.3f;
  float probability = 1;  // fraction of samples augmented; the others pass unchanged

  /// True when some transform is on (and probability > 0).
  bool enabled() const;
  /// True when the image is resampled (shift, rotation, scale or elastic).
  bool geometric() const;
};

/// One sample's affine transform about the image centre: the content is scaled by `scale`,
/// turned by `degrees` (counter-clockwise as displayed, y pointing down) and moved by (dx, dy)
/// pixels (right, down).
struct Affine {
  float dx = 0, dy = 0, degrees = 0, scale = 1;
};

/// Per-thread work space of an Augmenter; reused from sample to sample.
struct AugmentBuffers {
  std::vector<float> field_x, field_y, tmp;  // [H, W] each
  std::vector<float> image;                  // [C, H, W]
};

/// Throws unless `sample_shape` is [C, H, W] and every setting is finite and within its range:
/// shift in [0, max(H, W)], rotation in [0, kMaxAugmentRotation], scale in [0, 1), elastic_alpha
/// in [0, kMaxElasticAlpha], elastic_sigma in (0, kMaxElasticSigma] when elastic_alpha > 0,
/// crop in [0, max(H, W)], noise in [0, kMaxAugmentNoise], erasing in [0, 1], 0 <
/// erasing_min_area <= erasing_max_area <= 1, erasing_min_aspect in (0, 1], probability in
/// [0, 1]. Messages name a setting after
/// `prefix` ("data.augment." gives "data.augment.shift must be ...").
void check_augment(const AugmentConfig& config, const Shape& sample_shape,
                   const std::string& prefix);

/// Augments images of one shape with one config; holds the precomputed Gaussian kernel.
/// Const and thread-safe: each thread passes its own Rng and buffers.
class Augmenter {
 public:
  /// `sample_shape` must be [C, H, W]; the config is checked (check_augment).
  Augmenter(const AugmentConfig& config, const Shape& sample_shape);

  /// Writes an augmented copy of the image at `in` to `out` (they must not overlap), drawing
  /// every random number from `rng`: the same rng state gives the same image. The steps run in
  /// this order, each drawing only when it is on: warp, crop, flip, noise, erasing.
  void apply(const float* in, float* out, Rng& rng, AugmentBuffers& buffers) const;

  /// out (y, x) = in (y - dy, x - dx), zero outside the image, mirrored left-right after the
  /// move when `flip`: the random crop with padding and the flip. `in` and `out` must not overlap.
  void move_whole_pixels(const float* in, float* out, int64_t dx, int64_t dy, bool flip) const;

  /// Random erasing of `image` in place: draws a rectangle as Zhong et al.'s code does (up to
  /// 100 tries of an area and an aspect ratio until the rectangle fits, then its corner) and fills
  /// it with values uniform in [0, 1]. Does nothing when no try fits.
  void erase(float* image, Rng& rng) const;

  /// The deterministic part: out(y, x) = in(A^-1 (y, x) + field(y, x)) by bilinear
  /// interpolation, zero outside the image. `field_x` / `field_y` ([H, W] pixel displacements of
  /// the sampling point) may be null for a pure affine warp.
  void warp(const float* in, float* out, const Affine& a, const float* field_x,
            const float* field_y) const;

  /// One elastic displacement field [H, W] (pixels): H*W values uniform in [-1, 1] drawn in
  /// row-major order, smoothed by the Gaussian of std elastic_sigma (zero outside the image, as
  /// scipy's gaussian_filter(mode="constant", truncate=3)) and scaled by elastic_alpha. `tmp`
  /// is work space. Needs elastic_alpha > 0.
  void elastic_field(Rng& rng, std::vector<float>& field, std::vector<float>& tmp) const;

  const AugmentConfig& config() const { return config_; }

 private:
  AugmentConfig config_;
  int64_t channels_, height_, width_;
  std::vector<float> kernel_;  // normalized Gaussian taps, 2 * radius + 1
};

/// Augmented copies of the samples `indices` of image dataset `d` (labels and targets copied,
/// pixels rounded back to bytes). Copy k draws from rng.fork(k), so the result is the same for
/// any number of threads.
Dataset augmented_copies(const Dataset& d, std::span<const int64_t> indices,
                         const AugmentConfig& config, const Rng& rng);

}  // namespace nnlab
