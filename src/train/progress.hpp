// Progress: a live bar (batch counter, loss, accuracy, throughput, elapsed time, ETA of the run
// and of the whole study) on a terminal, one line per epoch otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "train/callback.hpp"

namespace nnlab {

/// Where a training stands in its study: repeat `index` (0-based) of the study's `total`, the
/// study having started at `start`. Progress shows "[k/n]" and estimates the study's remaining
/// time as this repeat's plus as long again for each repeat still to come.
struct StudyPosition {
  int index = 0;
  int total = 1;
  std::chrono::steady_clock::time_point start;
};

class Progress : public Callback {
 public:
  /// `label` prefixes every line ("relu r2"); `study` adds the study-wide counter and ETA.
  Progress(std::string label, std::FILE* out, std::optional<StudyPosition> study = {});
  void on_batch_end(TrainState& s) override;
  void on_epoch_end(TrainState& s) override;

 private:
  /// "[2/6] relu r1" (or just the label outside a study).
  std::string prefix() const;
  /// "0:12 elapsed, ETA 0:20" for the run alone; in a study "1:40 elapsed, ETA 0:20 run, 4:10
  /// study", the elapsed time being the study's.
  std::string timing(double run_eta) const;

  std::string label_;
  std::FILE* out_;
  bool terminal_;
  std::optional<StudyPosition> study_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  int epochs_seen_ = 0;
};

}  // namespace nnlab
