// Loader: shuffled minibatches of a dataset, converted from bytes to floats per batch.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "data/augment.hpp"
#include "data/corruption.hpp"
#include "data/dataset.hpp"
#include "data/task.hpp"
#include "nn/loss.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

/// A batch of (input, target) pairs; which target depends on the task.
struct Batch {
  Tensor x;                     // [B, sample_shape...] the model's input
  std::vector<int32_t> labels;  // [B], classify
  Tensor targets;               // regress: [B, target_dim]; reconstruct: the clean input
  // Reconstruct without a corruption: x itself is the target, so no copy of it is made (on a
  // dense autoencoder the copy was a serial pass over the batch in every step).
  bool x_is_target = false;
  std::vector<int64_t> index;  // position of each sample in the dataset

  int64_t size() const { return x.rows(); }
  /// The target values (regress, reconstruct), or null (classify).
  const Tensor* target_values() const {
    if (x_is_target) return &x;
    return targets.empty() ? nullptr : &targets;
  }
  Targets as_targets() const { return {labels, target_values()}; }
};

struct LoaderOptions {
  Task task = Task::classify;
  int64_t batch = 64;
  bool shuffle = false;
  uint64_t seed = 1;
  AugmentConfig augment = {};   // training only; zeros = off
  CorruptionSpec corrupt = {};  // applied to the input after the target is taken (denoising)
};

/// Iterates over `indices` of `data` in batches of `options.batch` (the last may be smaller).
/// With shuffle, each epoch has its own order drawn from rng.fork(epoch), so an epoch's
/// batches do not depend on what ran before it (resume gives the same batches).
/// With an enabled `augment` (training only: [C, H, W] images), every sample is augmented after
/// its conversion to floats; sample p of epoch e draws from a generator forked from (seed, e, p),
/// so a batch is the same for any thread count and on resume. A reconstruct task's target is
/// the (augmented) input; a corruption then alters the input alone, sample p of epoch e drawing
/// from its own generator too.
class Loader {
 public:
  Loader(const Dataset& data, std::vector<int64_t> indices, const LoaderOptions& options);

  /// Starts epoch `epoch` (0-based).
  void start_epoch(int epoch);
  /// Fills the next batch; false at the end of the epoch. The batch's buffers are reused.
  bool next(Batch& batch);

  int64_t size() const { return static_cast<int64_t>(indices_.size()); }
  int64_t batches_per_epoch() const;
  const Dataset& data() const { return data_; }

 private:
  const Dataset& data_;
  std::vector<int64_t> indices_, order_;
  Task task_;
  int64_t batch_size_;
  bool shuffle_;
  Rng rng_;
  std::optional<Augmenter> augmenter_;
  Rng augment_rng_;
  CorruptionSpec corrupt_;
  Rng corrupt_rng_;
  int epoch_ = 0;
  int64_t pos_ = 0;
};

}  // namespace nnlab
