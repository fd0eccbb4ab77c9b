#include "learn/dataset_rows.hpp"

#include "tensor/error.hpp"

namespace nnlab {

Tensor rows_of(const Dataset& data, std::span<const int64_t> indices) {
  Shape shape = data.sample_shape;
  shape.insert(shape.begin(), static_cast<int64_t>(indices.size()));
  Tensor rows(shape);
  const int64_t width = data.sample_size();
  const int64_t n = static_cast<int64_t>(indices.size());
  for (const int64_t i : indices)  // checked here: an exception cannot leave an OpenMP loop
    NNLAB_CHECK(i >= 0 && i < data.size(), "{}: sample {} out of range [0, {})", data.name, i,
                data.size());
#pragma omp parallel for if (n * width > (1 << 18))
  for (int64_t r = 0; r < n; ++r)
    data.read_sample(indices[static_cast<size_t>(r)], rows.data() + r * width);
  return rows;
}

Dataset feature_dataset(const Tensor& rows, const Dataset& from, std::span<const int64_t> picked,
                        const std::string& what) {
  const int64_t n = static_cast<int64_t>(picked.size());
  NNLAB_CHECK(rows.rows() == n, "{}: {} feature rows for {} samples", from.name, rows.rows(), n);
  Dataset d;
  d.name = from.name + "+" + what;
  d.sample_shape = {rows.cols()};
  d.features.assign(rows.data(), rows.data() + rows.size());
  d.class_names = from.class_names;
  d.target_dim = from.target_dim;
  for (const int64_t i : picked) {
    if (!from.labels.empty()) d.labels.push_back(from.labels[static_cast<size_t>(i)]);
    const auto t = from.targets.begin() + i * from.target_dim;
    d.targets.insert(d.targets.end(), t, t + from.target_dim);
  }
  return d;
}

}  // namespace nnlab
