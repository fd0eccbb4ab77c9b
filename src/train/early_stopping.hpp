// Early stopping: stop when the monitored figure has not improved by more than min_delta for
// `patience` epochs, and optionally restore the weights of the best epoch.
#pragma once

#include <string>
#include <vector>

#include "train/callback_state.hpp"

namespace nnlab {

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";  // val_loss | val_accuracy | train_loss | train_accuracy
  int patience = 5;
  double min_delta = 0.0;
  bool restore_best = true;
};

class EarlyStopping : public StatefulCallback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options);
  void on_epoch_end(TrainState& s) override;
  void on_train_end(TrainState& s) override;
  void save(CheckpointState& state) const override;
  void load(const CheckpointState& state) override;

  /// The 0-based epoch whose figure was best (-1 before the first epoch).
  int best_epoch() const { return best_epoch_; }
  /// What a person should read when it stopped the run, as Keras says it ("Epoch 12: early
  /// stopping; restoring the weights of epoch 7 (val_loss 0.0712)", epochs 1-based); "" when it
  /// did not stop the run.
  std::string message() const;

 private:
  double figure(const EpochStats& e) const;

  EarlyStoppingOptions options_;
  bool maximize_;
  double best_ = 0;
  int best_epoch_ = -1;
  int wait_ = 0;
  int stopped_epoch_ = -1;  // 0-based epoch after which it stopped training (-1: it did not)
  std::vector<float> best_values_;  // the best epoch's parameter values, then its buffers
};

}  // namespace nnlab
