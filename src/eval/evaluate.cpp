#include "eval/evaluate.hpp"

#include <algorithm>
#include <cmath>

#include "data/loader.hpp"
#include "nn/activations.hpp"
#include "tensor/error.hpp"

namespace nnlab {

namespace {

/// Sum over a batch of the squared differences between the predictions (the head applied to
/// `out`) and the targets.
double squared_error(const Tensor& out, const Tensor& targets, Head head) {
  double sum = 0;
  const float* o = out.data();
  const float* t = targets.data();
  for (int64_t i = 0; i < out.size(); ++i) {
    const double p = head == Head::sigmoid ? act::Sigmoid::fn(o[i]) : o[i];
    sum += (p - t[i]) * (p - t[i]);
  }
  return sum;
}

/// The predicted class, its confidence and every class's probability for each row of a batch's
/// outputs.
void classify_rows(const Tensor& out, Head head, int64_t first, Evaluation& ev) {
  const int64_t k = out.cols();
  ev.classes = k;
  ev.probabilities.resize(static_cast<size_t>(ev.count * k));
  for (int64_t i = 0; i < out.rows(); ++i) {
    const float* row = out.row(i);
    const int64_t best = std::max_element(row, row + k) - row;
    const auto pos = static_cast<size_t>(first + i);
    float* probs = ev.probabilities.data() + pos * static_cast<size_t>(k);
    if (head == Head::softmax) {
      // exp(l_j - l_max) / sum_j exp(l_j - l_max): the argmax's is exp(0) / sum.
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(row[j] - row[best]));
      for (int64_t j = 0; j < k; ++j)
        probs[j] = static_cast<float>(std::exp(static_cast<double>(row[j] - row[best])) / sum);
      probs[best] = static_cast<float>(1.0 / sum);
    } else {
      for (int64_t j = 0; j < k; ++j)
        probs[j] = head == Head::sigmoid ? act::Sigmoid::fn(row[j]) : row[j];
    }
    ev.predicted[pos] = static_cast<int32_t>(best);
    ev.confidence[pos] = probs[best];
  }
}

}  // namespace

Evaluation evaluate(Model& model, const Loss& loss, const Dataset& data,
                    std::span<const int64_t> indices, const EvalOptions& options, Rng& rng) {
  NNLAB_CHECK(options.batch > 0, "evaluation batch size must be > 0, got {}", options.batch);
  Loader loader(data, {indices.begin(), indices.end()},
                {.task = options.task,
                 .batch = options.batch,
                 .shuffle = false,
                 .seed = options.seed,
                 .corrupt = options.corrupt});
  const int64_t n = loader.size();
  const bool classify = options.task == Task::classify;

  Evaluation ev;
  ev.count = n;
  if (classify) {
    ev.predicted.resize(static_cast<size_t>(n));
    ev.confidence.resize(static_cast<size_t>(n));
  }
  Pass pass;
  Batch batch;
  double loss_sum = 0, squared_sum = 0;
  int64_t right = 0, values = 0, first = 0;
  while (loader.next(batch)) {
    const Tensor& out = model.forward(batch.x, Mode::eval, rng, pass);
    loss_sum += loss.compute(out, batch.as_targets(), nullptr) * static_cast<double>(batch.size());
    if (classify) {
      classify_rows(out, model.head(), first, ev);
      for (int64_t i = 0; i < batch.size(); ++i)
        right +=
            ev.predicted[static_cast<size_t>(first + i)] == batch.labels[static_cast<size_t>(i)];
    } else {
      squared_sum += squared_error(out, batch.targets, model.head());
      values += out.size();
    }
    first += batch.size();
  }
  if (n > 0) {
    ev.loss = loss_sum / static_cast<double>(n);
    ev.accuracy = static_cast<double>(right) / static_cast<double>(n);
  }
  if (values > 0) ev.mse = squared_sum / static_cast<double>(values);
  return ev;
}

Evaluation evaluate_predictions(Predictions predictions, std::span<const int32_t> labels) {
  NNLAB_CHECK(
      predictions.classes.size() == labels.size() && predictions.confidence.size() == labels.size(),
      "evaluate_predictions: {} predictions for {} labels", predictions.classes.size(),
      labels.size());
  Evaluation ev;
  ev.loss = NAN;
  ev.count = static_cast<int64_t>(labels.size());
  int64_t right = 0;
  for (size_t i = 0; i < labels.size(); ++i) right += predictions.classes[i] == labels[i];
  ev.accuracy = ev.count > 0 ? static_cast<double>(right) / static_cast<double>(ev.count) : 0.0;
  ev.predicted = std::move(predictions.classes);
  ev.confidence = std::move(predictions.confidence);
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
