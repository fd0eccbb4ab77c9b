#include "eval/evaluate.hpp"

#include <algorithm>
#include <cmath>

#include "nn/activations.hpp"
#include "tensor/error.hpp"

namespace nnlab {

Evaluation evaluate(Model& model, const Loss& loss, const Dataset& data,
                    std::span<const int64_t> indices, int64_t batch_size, Rng& rng) {
  NNLAB_CHECK(batch_size > 0, "evaluation batch size must be > 0, got {}", batch_size);
  const bool classify = !data.labels.empty();
  NNLAB_CHECK(classify || data.target_dim > 0, "dataset {} has neither labels nor targets",
              data.name);
  const int64_t n = static_cast<int64_t>(indices.size());
  const int64_t sample = data.sample_size();

  Evaluation ev;
  ev.count = n;
  if (classify) {
    ev.predicted.resize(static_cast<size_t>(n));
    ev.confidence.resize(static_cast<size_t>(n));
  }
  // Reused from batch to batch: the last, smaller batch shrinks them without reallocating.
  Tensor x, targets;
  std::vector<int32_t> labels;
  Shape x_shape = data.sample_shape;
  x_shape.insert(x_shape.begin(), 0);

  double loss_sum = 0;
  int64_t right = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min(batch_size, n - start);
    x_shape[0] = b;
    x.resize(x_shape);
    labels.clear();
    if (!classify) targets.resize({b, data.target_dim});
    for (int64_t i = 0; i < b; ++i) {
      const int64_t idx = indices[static_cast<size_t>(start + i)];
      NNLAB_CHECK(idx >= 0 && idx < data.size(), "sample index {} is outside dataset {} ({})", idx,
                  data.name, data.size());
      data.read_sample(idx, x.data() + i * sample);
      if (classify) {
        labels.push_back(data.labels[static_cast<size_t>(idx)]);
      } else {
        std::copy_n(data.targets.begin() + idx * data.target_dim, data.target_dim, targets.row(i));
      }
    }

    const Tensor& out = model.forward(x, Mode::eval, rng);
    const Targets t{labels, classify ? nullptr : &targets};
    loss_sum += loss.compute(out, t, nullptr) * static_cast<double>(b);
    if (!classify) continue;

    const int64_t k = out.cols();
    for (int64_t i = 0; i < b; ++i) {
      const float* row = out.row(i);
      const int64_t best = std::max_element(row, row + k) - row;
      float conf = row[best];
      if (model.head() == Head::softmax) {
        // softmax at the argmax: exp(0) / sum_j exp(l_j - l_max).
        double sum = 0;
        for (int64_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(row[j] - row[best]));
        conf = static_cast<float>(1.0 / sum);
      }
      if (model.head() == Head::sigmoid) conf = act::Sigmoid::fn(row[best]);
      const auto pos = static_cast<size_t>(start + i);
      ev.predicted[pos] = static_cast<int32_t>(best);
      ev.confidence[pos] = conf;
      right += ev.predicted[pos] == labels[static_cast<size_t>(i)];
    }
  }
  if (n > 0) {
    ev.loss = loss_sum / static_cast<double>(n);
    ev.accuracy = static_cast<double>(right) / static_cast<double>(n);
  }
  return ev;
}

std::vector<double> histogram(std::span<const float> v, int bins, float lo, float hi) {
  NNLAB_CHECK(bins > 0, "histogram needs at least one bin, got {}", bins);
  NNLAB_CHECK(lo <= hi, "histogram range [{}, {}] is empty", lo, hi);
  double a = lo, b = hi;
  if (a == b) {
    a -= 0.5;
    b += 0.5;
  }
  std::vector<double> counts(static_cast<size_t>(bins), 0.0);
  const double scale = bins / (b - a);
  for (float f : v) {
    const double x = f;
    if (!(x >= a && x <= b)) continue;  // also drops NaN
    const int i = std::min(static_cast<int>((x - a) * scale), bins - 1);
    counts[static_cast<size_t>(i)] += 1.0;
  }
  return counts;
}

double inactive_percent(std::span<const float> grad, float threshold) {
  if (grad.empty()) return 0.0;
  int64_t inactive = 0;
  for (float g : grad) inactive += std::abs(g) < threshold;
  return 100.0 * static_cast<double>(inactive) / static_cast<double>(grad.size());
}

}  // namespace nnlab
