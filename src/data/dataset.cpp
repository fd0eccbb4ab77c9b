#include "data/dataset.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// byte / 255 for every byte value: one load per pixel instead of a conversion and a divide.
const std::array<float, 256>& pixel_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int b = 0; b < 256; ++b) t[static_cast<size_t>(b)] = static_cast<float>(b) / 255.f;
    return t;
  }();
  return table;
}

template <class T>
void append_rows(std::vector<T>& out, const std::vector<T>& in, int64_t row_size, int64_t row) {
  const auto first = in.begin() + row * row_size;
  out.insert(out.end(), first, first + row_size);
}

}  // namespace

int64_t Dataset::sample_size() const { return shape_size(sample_shape); }

int64_t Dataset::size() const {
  const int64_t ss = sample_size();
  if (ss > 0 && !pixels.empty()) return static_cast<int64_t>(pixels.size()) / ss;
  if (ss > 0 && !features.empty()) return static_cast<int64_t>(features.size()) / ss;
  if (!labels.empty()) return static_cast<int64_t>(labels.size());
  if (target_dim > 0) return static_cast<int64_t>(targets.size()) / target_dim;
  return 0;
}

void Dataset::read_sample(int64_t i, float* out) const {
  const int64_t ss = sample_size();
  if (is_images()) {
    // The pixel table's values (b / 255, exact IEEE division), computed rather than looked up:
    // the division vectorizes, a table gather does not.
    const uint8_t* src = pixels.data() + i * ss;
#pragma omp simd
    for (int64_t j = 0; j < ss; ++j) out[j] = static_cast<float>(src[j]) / 255.f;
  } else {
    std::memcpy(out, features.data() + i * ss, static_cast<size_t>(ss) * sizeof(float));
  }
}

Dataset Dataset::subset(std::span<const int64_t> indices) const {
  Dataset out;
  out.name = name;
  out.sample_shape = sample_shape;
  out.target_dim = target_dim;
  out.class_names = class_names;
  const int64_t n = size(), ss = sample_size();
  const auto count = indices.size();
  if (is_images()) out.pixels.reserve(count * static_cast<size_t>(ss));
  if (!features.empty()) out.features.reserve(count * static_cast<size_t>(ss));
  if (!labels.empty()) out.labels.reserve(count);
  if (!targets.empty()) out.targets.reserve(count * static_cast<size_t>(target_dim));
  for (const int64_t i : indices) {
    NNLAB_CHECK(i >= 0 && i < n, "{}: subset index {} out of range (size {})", name, i, n);
    if (is_images()) append_rows(out.pixels, pixels, ss, i);
    if (!features.empty()) append_rows(out.features, features, ss, i);
    if (!labels.empty()) out.labels.push_back(labels[static_cast<size_t>(i)]);
    if (!targets.empty()) append_rows(out.targets, targets, target_dim, i);
  }
  return out;
}

Dataset Dataset::concat(const Dataset& other) const {
  NNLAB_CHECK(sample_shape == other.sample_shape,
              "cannot concatenate {} (samples {}) and {} (samples {})", name,
              shape_str(sample_shape), other.name, shape_str(other.sample_shape));
  NNLAB_CHECK(class_names == other.class_names && target_dim == other.target_dim,
              "cannot concatenate {} and {}: different classes or targets", name, other.name);
  NNLAB_CHECK(is_images() == other.is_images() || size() == 0 || other.size() == 0,
              "cannot concatenate {} and {}: one holds images, the other feature rows", name,
              other.name);
  NNLAB_CHECK(labels.empty() == other.labels.empty() || size() == 0 || other.size() == 0,
              "cannot concatenate {} and {}: only one has labels", name, other.name);
  Dataset out = *this;
  out.pixels.insert(out.pixels.end(), other.pixels.begin(), other.pixels.end());
  out.features.insert(out.features.end(), other.features.begin(), other.features.end());
  out.labels.insert(out.labels.end(), other.labels.begin(), other.labels.end());
  out.targets.insert(out.targets.end(), other.targets.begin(), other.targets.end());
  return out;
}

std::vector<int64_t> Dataset::class_counts() const {
  int classes = num_classes();
  for (const int32_t l : labels) classes = std::max(classes, l + 1);
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (const int32_t l : labels)
    if (l >= 0) ++counts[static_cast<size_t>(l)];
  return counts;
}

DataView DataView::all(std::shared_ptr<const Dataset> d) {
  std::vector<int64_t> idx(static_cast<size_t>(d->size()));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  return {std::move(d), std::move(idx)};
}

std::vector<int32_t> DataView::labels() const {
  std::vector<int32_t> out;
  if (data->labels.empty()) return out;
  out.reserve(indices.size());
  for (const int64_t i : indices) out.push_back(data->labels[static_cast<size_t>(i)]);
  return out;
}

std::vector<int64_t> DataView::class_counts() const {
  std::vector<int64_t> counts(static_cast<size_t>(data->num_classes()), 0);
  for (const int32_t l : labels()) {
    if (l < 0) continue;
    if (static_cast<size_t>(l) >= counts.size()) counts.resize(static_cast<size_t>(l) + 1, 0);
    ++counts[static_cast<size_t>(l)];
  }
  return counts;
}

Dataset add_noisy_copies(const Dataset& d, int copies, float sigma, Rng& rng) {
  NNLAB_CHECK(copies >= 0, "{}: noisy copies must be >= 0, got {}", d.name, copies);
  NNLAB_CHECK(sigma >= 0.f, "{}: noise sigma must be >= 0, got {}", d.name, sigma);
  NNLAB_CHECK(d.is_images(), "{}: noisy copies need an image dataset", d.name);
  const int64_t n = d.size(), ss = d.sample_size();
  Dataset out = d;
  out.pixels.resize(static_cast<size_t>((1 + copies) * n * ss));
  // One generator per copied sample, forked from a single draw of rng: the result is the same
  // for any number of threads, and rng advances by exactly one step.
  const Rng base(rng.next_u64());
  const auto& table = pixel_table();
  const int64_t total = copies * n;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < total; ++c) {
    Rng r = base.fork(static_cast<uint64_t>(c));
    const uint8_t* src = d.pixels.data() + (c % n) * ss;
    uint8_t* dst = out.pixels.data() + (n + c) * ss;
    for (int64_t j = 0; j < ss; ++j) {
      const float v = std::clamp(table[src[j]] + r.normal(0.f, sigma), 0.f, 1.f);
      dst[j] = static_cast<uint8_t>(std::lround(v * 255.f));
    }
  }
  for (int c = 0; c < copies; ++c) {
    out.labels.insert(out.labels.end(), d.labels.begin(), d.labels.end());
    out.targets.insert(out.targets.end(), d.targets.begin(), d.targets.end());
  }
  return out;
}

}  // namespace nnlab
