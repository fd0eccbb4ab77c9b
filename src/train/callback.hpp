// Callbacks: the small hooks the training loop calls (early stopping, checkpoints, progress,
// diagnostics), so the loop itself stays one screen long (STYLE.md rule 8).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/model.hpp"
#include "optim/optimizer.hpp"
#include "train/history.hpp"

namespace nnlab {

/// A divergence the run rolled back from (train.on_divergence = "rollback"): where it diverged
/// (1-based, as the message says), why, and the base learning rate training went on with.
struct Rollback {
  int epoch = 0;
  int64_t batch = 0;
  float lr = 0;
  std::string diverged;  // the divergence message
};

/// What the loop shows its callbacks. Callbacks may set `stop` (with a reason) at epoch end, or
/// after a batch to end the epoch there (a deadline).
struct TrainState {
  TrainState(Model& m, Optimizer& o, History& h) : model(m), optimizer(o), history(h) {}
  Model& model;
  Optimizer& optimizer;
  History& history;
  int epoch = 0;      // 0-based, the current one
  int epochs = 0;     // where training stops at the latest
  int64_t step = 0;   // batches done since the start of training
  int64_t batch = 0;  // batch index within the epoch
  int64_t batches_per_epoch = 0;
  int64_t batch_size = 0;
  double batch_loss = 0;      // loss of the last batch (before penalties)
  float lr = 0;               // the learning rate of the current step
  double epoch_loss_sum = 0;  // running sums over the epoch, for the progress bar
  int64_t epoch_correct = 0, epoch_samples = 0;
  double epoch_seconds = 0;  // training time so far in this epoch
  bool stop = false;
  std::string stop_reason;  // "early_stopping", ...
  double first_loss = 0;    // the run's first positive batch loss: max_loss_growth's reference
  // At epoch end, the weights validation scored: their moving average with train.ema, else the
  // model's values (which are what training goes on from either way).
  std::span<const float> scored;
  std::vector<Rollback> rollbacks;  // the run's so far; the last one's lr is the base rate
};

/// Where a run continues from: the epoch after its last checkpoint, and whether a callback had
/// already stopped it there (so a resumed run trains no epoch an uninterrupted one would not).
struct ResumePoint {
  int epoch = 0;
  bool stop = false;
  std::string stop_reason;
  // Carried over so that a resumed run is judged and stepped exactly as an uninterrupted one.
  double first_loss = 0;
  std::vector<Rollback> rollbacks = {};
};

class Callback {
 public:
  virtual ~Callback() = default;
  /// Once, before the first step of a fit (after a resume's or a rollback's restore).
  virtual void on_train_begin(TrainState& /*s*/) {}
  /// After backward and before the optimizer step: parameter gradients are those of this batch.
  virtual void on_batch_end(TrainState& /*s*/) {}
  /// After validation; history.back() is this epoch's record.
  virtual void on_epoch_end(TrainState& /*s*/) {}
  /// Once, when the loop ends (normally or by a stop).
  virtual void on_train_end(TrainState& /*s*/) {}
};

}  // namespace nnlab
