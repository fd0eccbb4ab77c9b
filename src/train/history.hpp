// The per-epoch record of a training run.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace nnlab {

/// Where an epoch's training steps spent their wall time (nnlab bench prints it per step): the
/// loader's batch, the forward pass, the loss and its gradient, the backward pass, the
/// optimizer's step; `other` is the rest of the step (callbacks, accounting).
struct StepPhases {
  int64_t steps = 0;
  double loader = 0, forward = 0, loss = 0, backward = 0, optimizer = 0, other = 0;

  StepPhases& operator+=(const StepPhases& o);
};

struct EpochStats {
  int epoch = 0;  // 0-based
  double lr = 0;
  double train_loss = NAN, train_accuracy = NAN;  // means over the epoch's batches (train mode)
  double val_loss = NAN, val_accuracy = NAN;      // NaN without a validation set
  double seconds = 0;                             // training time of the epoch (no validation)
  int64_t samples = 0;
  StepPhases phases;  // not in history.csv or checkpoints: a benchmark's figure
};

using History = std::vector<EpochStats>;

/// "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds" and one row per epoch
/// (epochs counted from 1; empty cells for NaN).
std::string history_csv(const History& h);

}  // namespace nnlab
