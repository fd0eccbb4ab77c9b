// The per-epoch record of a training run.
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace nnlab {

struct EpochStats {
  int epoch = 0;  // 0-based
  double lr = 0;
  double train_loss = NAN, train_accuracy = NAN;  // means over the epoch's batches (train mode)
  double val_loss = NAN, val_accuracy = NAN;      // NaN without a validation set
  double seconds = 0;                             // training time of the epoch (no validation)
  int64_t samples = 0;
};

using History = std::vector<EpochStats>;

/// "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds" and one row per epoch
/// (epochs counted from 1; empty cells for NaN).
std::string history_csv(const History& h);

}  // namespace nnlab
