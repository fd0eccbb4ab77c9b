// Deadline: stops training at a wall-clock time, mid-epoch (a search's time budget: no trial
// runs past it).
#pragma once

#include <chrono>

#include "train/callback.hpp"

namespace nnlab {

class Deadline : public Callback {
 public:
  explicit Deadline(std::chrono::steady_clock::time_point at) : at_(at) {}
  void on_batch_end(TrainState& s) override {
    if (std::chrono::steady_clock::now() < at_) return;
    s.stop = true;
    s.stop_reason = "deadline";
  }

 private:
  std::chrono::steady_clock::time_point at_;
};

}  // namespace nnlab
