#include "eval/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "data/augment.hpp"
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

/// Every class's probability for each row of a batch's outputs (the head applied: softmax,
/// sigmoid, or the outputs as they are), added to `sum` ([rows, classes]) times `weight`, or
/// written there when `weight` is 0.
void add_probabilities(const Tensor& out, Head head, float* sum, float weight) {
  const int64_t k = out.cols();
  for (int64_t i = 0; i < out.rows(); ++i) {
    const float* row = out.row(i);
    float* probs = sum + i * k;
    const float max = *std::max_element(row, row + k);
    // softmax: exp(l_j - l_max) / sum_c exp(l_c - l_max)
    double total = 0;
    if (head == Head::softmax)
      for (int64_t c = 0; c < k; ++c) total += std::exp(static_cast<double>(row[c] - max));
    for (int64_t j = 0; j < k; ++j) {
      float p = row[j];
      if (head == Head::softmax)
        p = static_cast<float>(std::exp(static_cast<double>(row[j] - max)) / total);
      else if (head == Head::sigmoid)
        p = act::Sigmoid::fn(row[j]);
      probs[j] = weight == 0 ? p : probs[j] + weight * p;
    }
  }
}

/// The predicted class and its confidence of samples [first, first + rows) from their
/// probabilities, already in ev.probabilities.
void classify_rows(int64_t first, int64_t rows, Evaluation& ev) {
  const auto k = static_cast<size_t>(ev.classes);
  for (int64_t i = first; i < first + rows; ++i) {
    const float* probs = ev.probabilities.data() + static_cast<size_t>(i) * k;
    const auto best = static_cast<size_t>(std::max_element(probs, probs + k) - probs);
    ev.predicted[static_cast<size_t>(i)] = static_cast<int32_t>(best);
    ev.confidence[static_cast<size_t>(i)] = probs[best];
  }
}

/// `x` ([B, C, H, W]) as test-time view `v`, into `out`.
void make_view(const Tensor& x, const TtaConfig::View& v, const Augmenter& mover, Tensor& out) {
  out.resize(x.shape());
  const int64_t per_sample = x.size() / x.shape()[0];
  for (int64_t i = 0; i < x.shape()[0]; ++i)
    mover.move_whole_pixels(x.data() + i * per_sample, out.data() + i * per_sample, v.dx, v.dy,
                            v.flip);
}

/// Random view `v` of each image of `batch` ([B, C, H, W]) into `out`, for an evaluation with
/// seed `seed`.
void draw_view(const Batch& batch, int v, const Augmenter& drawer, uint64_t seed, Tensor& out) {
  const Tensor& x = batch.x;
  out.resize(x.shape());
  const int64_t b = x.shape()[0], per_sample = x.size() / b;
#pragma omp parallel if (b > 1)
  {
    AugmentBuffers buffers;  // a few KB per thread and batch, beside a forward pass
#pragma omp for schedule(static)
    for (int64_t i = 0; i < b; ++i) {
      Rng rng = tta_view_rng(seed, batch.index[static_cast<size_t>(i)], v);
      drawer.apply(x.data() + i * per_sample, out.data() + i * per_sample, rng, buffers);
    }
  }
}

}  // namespace

Rng tta_view_rng(uint64_t seed, int64_t index, int view) {
  // A stream of the seed of its own (the corruption's draws come from the loader's streams).
  constexpr uint64_t kRandomViewStream = 0x7474612d76696577;  // "tta-view"
  return Rng(seed)
      .fork(kRandomViewStream)
      .fork(static_cast<uint64_t>(index))
      .fork(static_cast<uint64_t>(view));
}

std::vector<TtaConfig::View> TtaConfig::views() const {
  std::vector<View> out;
  for (const bool flip : {false, true}) {
    if (flip && !hflip) break;
    out.push_back({.dx = 0, .dy = 0, .flip = flip});
    if (shift > 0)
      for (const auto& [dx, dy] : {std::pair{-shift, 0}, {shift, 0}, {0, -shift}, {0, shift}})
        out.push_back({.dx = dx, .dy = dy, .flip = flip});
  }
  return out;
}

void TtaConfig::check_fits(const Shape& sample, const std::string& key) const {
  NNLAB_CHECK(sample.size() == 3, "{} needs images [C, H, W]; the model's inputs are {}", key,
              shape_str(sample));
  const int64_t side = std::max(sample[1], sample[2]);
  const std::string sep = key.starts_with("--") ? "-" : ".";
  NNLAB_CHECK(shift <= side, "{}{}shift must be in [0, {}], got {}", key, sep, side, shift);
  NNLAB_CHECK(random_views >= 0 && random_views <= kMaxTtaRandomViews,
              "{}{}random_views must be in [0, {}], got {}", key, sep, kMaxTtaRandomViews,
              random_views);
  NNLAB_CHECK(random_views == 0 || augment.enabled(),
              "{}{}random_views needs a transform to draw them with ({}{}augment)", key, sep, key,
              sep);
  NNLAB_CHECK(random_views > 0 || !augment.enabled(),
              "{}{}augment draws nothing without {}{}random_views > 0", key, sep, key, sep);
  if (random_views > 0) check_augment(augment, sample, key + sep + "augment" + sep);
}

Evaluation evaluate(Model& model, const Loss& loss, const Dataset& data,
                    std::span<const int64_t> indices, const EvalOptions& options, Rng& rng) {
  NNLAB_CHECK(options.batch > 0, "evaluation batch size must be > 0, got {}", options.batch);
  const bool tta = options.tta.enabled();
  std::vector<TtaConfig::View> views;
  std::optional<Augmenter> mover;   // moves and mirrors the fixed views' images
  std::optional<Augmenter> drawer;  // draws the random views
  if (tta) {
    const Shape& shape = data.sample_shape;
    NNLAB_CHECK(options.task == Task::classify && model.head() != Head::none && shape.size() == 3,
                "test-time augmentation needs a classifier with a softmax or sigmoid head on "
                "images [C, H, W]; {} has samples {}",
                data.name, shape_str(shape));
    views = options.tta.views();
    mover.emplace(AugmentConfig{.crop = options.tta.shift, .hflip = options.tta.hflip}, shape);
    if (options.tta.random_views > 0) drawer.emplace(options.tta.augment, shape);
  }
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
  Tensor view;
  double loss_sum = 0, squared_sum = 0;
  int64_t right = 0, values = 0, first = 0;
  while (loader.next(batch)) {
    const Tensor& out = model.forward(batch.x, Mode::eval, rng, pass);
    if (classify) {
      ev.classes = out.cols();
      ev.probabilities.resize(static_cast<size_t>(ev.count * ev.classes));
      float* probs = ev.probabilities.data() + first * ev.classes;
      add_probabilities(out, model.head(), probs, 0);
      if (tta) {
        // The average over the views, the image itself included.
        const float weight = 1.0f / static_cast<float>(options.tta.view_count());
        for (int64_t i = 0; i < out.size(); ++i) probs[i] *= weight;
        for (size_t v = 1; v < views.size(); ++v) {
          make_view(batch.x, views[v], *mover, view);
          add_probabilities(model.forward(view, Mode::eval, rng, pass), model.head(), probs,
                            weight);
        }
        for (int v = 0; v < options.tta.random_views; ++v) {
          draw_view(batch, v, *drawer, options.seed, view);
          add_probabilities(model.forward(view, Mode::eval, rng, pass), model.head(), probs,
                            weight);
        }
        for (int64_t i = 0; i < batch.size(); ++i) {
          const float p = probs[i * ev.classes + batch.labels[static_cast<size_t>(i)]];
          loss_sum -= std::log(std::max(static_cast<double>(p), 1e-12));
        }
      }
      classify_rows(first, batch.size(), ev);
      for (int64_t i = 0; i < batch.size(); ++i)
        right +=
            ev.predicted[static_cast<size_t>(first + i)] == batch.labels[static_cast<size_t>(i)];
    }
    if (!tta)
      loss_sum +=
          loss.compute(out, batch.as_targets(), nullptr) * static_cast<double>(batch.size());
    if (!classify) {
      squared_sum += squared_error(out, *batch.target_values(), model.head());
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
