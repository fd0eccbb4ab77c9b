// Scoring a model on a dataset (eval mode, no gradients), and the small statistics the
// training diagnostics record (weight histograms, inactive units).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "data/corruption.hpp"
#include "data/dataset.hpp"
#include "data/task.hpp"
#include "learn/learner.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "tensor/rng.hpp"

namespace nnlab {

struct Evaluation {
  double loss = 0;                 // mean over the samples
  double accuracy = 0;             // classify only
  double mse = 0;                  // regress, reconstruct: the predictions (head applied) against
                                   // the targets, mean over samples and values
  std::vector<int32_t> predicted;  // [count] argmax class per sample; classify only
  std::vector<float> confidence;   // [count] the predicted class's probability
  // classify, networks only: [count, classes] the head's probabilities (softmax over the
  // logits, a sigmoid head's per class, a linear output as it is); empty for learners.
  std::vector<float> probabilities;
  int64_t classes = 0;
  int64_t count = 0;  // samples evaluated
};

/// The most random views test-time augmentation draws per image: each is a forward pass over
/// the whole evaluation set.
inline constexpr int kMaxTtaRandomViews = 256;

/// Test-time augmentation: a classifier scored on several views of each image, its
/// probabilities averaged. The views: the image; its mirror (hflip); the image moved by `shift`
/// whole pixels left, right, up and down, zeros filling in (and, with hflip, each move of the
/// mirror too); then `random_views` more, each the image transformed by `augment` (the
/// transforms of data.augment) with draws of its own (tta_view_rng): a view depends on the
/// evaluation's seed, the sample's index in the dataset and the view's number, not on the batch,
/// the thread count or the other samples.
struct TtaConfig {
  bool hflip = false;
  int shift = 0;
  int random_views = 0;
  AugmentConfig augment = {};
  bool enabled() const { return hflip || shift > 0 || random_views > 0; }
  /// The fixed views as (dx, dy, mirrored), the image itself first.
  struct View {
    int dx = 0, dy = 0;
    bool flip = false;
  };
  std::vector<View> views() const;
  /// Every view of an image: the fixed ones and the random ones.
  size_t view_count() const { return views().size() + static_cast<size_t>(random_views); }
  /// Throws unless the views fit samples of shape `sample`: images [C, H, W], moved at most
  /// their size; random views with a transform, in [0, kMaxTtaRandomViews], a transform only with
  /// random views. `key` names the setting in the message ("train.tta", "--tta").
  void check_fits(const Shape& sample, const std::string& key) const;
};

/// The generator that random view `view` of the sample at dataset index `index` draws from, in
/// an evaluation with seed `seed` (EvalOptions::seed).
Rng tta_view_rng(uint64_t seed, int64_t index, int view);

struct EvalOptions {
  Task task = Task::classify;
  int64_t batch = 1000;
  // classify with a softmax or sigmoid head and images only; the loss is then the cross-entropy
  // of the averaged probabilities (no label smoothing).
  TtaConfig tta = {};
  CorruptionSpec corrupt = {};  // applied to the inputs only: a reconstruction is scored
                                // against the clean image
  uint64_t seed = 0;            // the corruption's and the random views' draws
};

/// Runs the model in eval mode over data's samples at `indices`, `options.batch` at a time, in
/// that order, on a pass of its own, with the batches (input, target) of the task. With a
/// softmax head the confidence is the softmax of the logits at the predicted class; otherwise
/// it is the model's output there.
Evaluation evaluate(Model& model, const Loss& loss, const Dataset& data,
                    std::span<const int64_t> indices, const EvalOptions& options, Rng& rng);

/// A classical learner's evaluation, from its predictions alone: accuracy against `labels`,
/// the predictions and their confidence; no loss (NaN).
Evaluation evaluate_predictions(Predictions predictions, std::span<const int32_t> labels);

/// Counts of `v` in `bins` equal bins over [lo, hi], as numpy.histogram: values outside are
/// left out, hi falls in the last bin, NaNs are ignored; lo == hi widens the range by 0.5 on
/// each side.
std::vector<double> histogram(std::span<const float> v, int bins, float lo, float hi);

/// Percentage (0-100) of the entries with |g| < threshold; 0 for an empty span.
double inactive_percent(std::span<const float> grad, float threshold);

}  // namespace nnlab
