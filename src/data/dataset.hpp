// Dataset: samples kept compactly in memory (images as bytes, converted to float per batch),
// their labels and class names.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

struct Dataset {
  std::string name;             // "mnist/train"
  Shape sample_shape;           // [1, 28, 28] for images, [F] for rows
  std::vector<uint8_t> pixels;  // images: N * prod(sample_shape) bytes, scaled by 1/255 on read
  std::vector<float>
      features;  // rows (CSV): N * prod(sample_shape) floats, used when pixels is empty
  std::vector<int32_t> labels;  // class index per sample; empty for regression
  std::vector<float> targets;   // regression: N * target_dim values
  int64_t target_dim = 0;
  std::vector<std::string> class_names;  // index -> name ("0".."9", "T-shirt/top", ...)

  int64_t size() const;
  int64_t sample_size() const;  // prod(sample_shape)
  int num_classes() const { return static_cast<int>(class_names.size()); }
  bool is_images() const { return !pixels.empty(); }

  /// Writes sample i, as floats in [0, 1] for images, into out[0 .. sample_size()).
  void read_sample(int64_t i, float* out) const;
  /// The samples at `indices`, in that order.
  Dataset subset(std::span<const int64_t> indices) const;
  /// This dataset followed by `other` (same sample shape and classes).
  Dataset concat(const Dataset& other) const;
  /// Number of samples per class.
  std::vector<int64_t> class_counts() const;
};

/// Samples of a shared dataset picked by index, in that order (indices may repeat): a split's
/// part or a fold, without copying a sample. Many views share one dataset.
struct DataView {
  std::shared_ptr<const Dataset> data;
  std::vector<int64_t> indices;

  /// Every sample of `d`, in order.
  static DataView all(std::shared_ptr<const Dataset> d);
  int64_t size() const { return static_cast<int64_t>(indices.size()); }
  bool empty() const { return indices.empty(); }
  /// The labels of the view's samples, in the view's order (empty without labels).
  std::vector<int32_t> labels() const;
  /// Number of the view's samples per class.
  std::vector<int64_t> class_counts() const;
};

/// A named dataset's two halves.
struct DataPair {
  Dataset train;
  Dataset test;
};

/// S1's offline augmentation: appends `copies` copies of every training image with N(0, sigma)
/// noise added (on the [0, 1] scale, clipped and stored back as bytes). Deterministic in rng.
Dataset add_noisy_copies(const Dataset& d, int copies, float sigma, Rng& rng);

}  // namespace nnlab
