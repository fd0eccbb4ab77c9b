// Callbacks: the small hooks the training loop calls (early stopping, checkpoints, progress,
// diagnostics), so the loop itself stays one screen long (STYLE.md rule 8).
#pragma once

#include <cstdint>
#include <string>

#include "nn/model.hpp"
#include "optim/optimizer.hpp"
#include "train/history.hpp"

namespace nnlab {

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
};

/// Where a run continues from: the epoch after its last checkpoint, and whether a callback had
/// already stopped it there (so a resumed run trains no epoch an uninterrupted one would not).
struct ResumePoint {
  int epoch = 0;
  bool stop = false;
  std::string stop_reason;
};

class Callback {
 public:
  virtual ~Callback() = default;
  /// After backward and before the optimizer step: parameter gradients are those of this batch.
  virtual void on_batch_end(TrainState& /*s*/) {}
  /// After validation; history.back() is this epoch's record.
  virtual void on_epoch_end(TrainState& /*s*/) {}
  /// Once, when the loop ends (normally or by a stop).
  virtual void on_train_end(TrainState& /*s*/) {}
};

}  // namespace nnlab
