// Progress: a live bar (loss, accuracy, throughput, ETA) on a terminal, one line per epoch
// otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "train/callback.hpp"

namespace nnlab {

class Progress : public Callback {
 public:
  /// `label` prefixes every line ("relu r2").
  Progress(std::string label, std::FILE* out);
  void on_batch_end(TrainState& s) override;
  void on_epoch_end(TrainState& s) override;

 private:
  std::string label_;
  std::FILE* out_;
  bool terminal_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace nnlab
