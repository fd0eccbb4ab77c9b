// S1's inactive-neuron diagnostic: the share of a hidden layer's neurons whose gradient is
// (almost) zero, measured every few batches.
#pragma once

#include <string>
#include <vector>

#include "train/callback_state.hpp"

namespace nnlab {

/// A neuron of a hidden dense layer counts as inactive in a batch when the gradient of the loss
/// with respect to its bias (the batch's summed gradient at its pre-activation) is below
/// `threshold` in absolute value.
class InactiveNeurons : public StatefulCallback {
 public:
  struct Row {
    int64_t step;
    int epoch;  // 1-based
    std::string layer;
    double percent;
  };

  InactiveNeurons(float threshold, int every);
  void on_batch_end(TrainState& s) override;
  void save(CheckpointState& state) const override;
  void load(const CheckpointState& state) override;

  const std::vector<Row>& rows() const { return rows_; }

 private:
  float threshold_;
  int every_;
  std::vector<Row> rows_;
};

/// "step,epoch,layer,inactive_percent" and one line per row.
std::string inactive_csv(const std::vector<InactiveNeurons::Row>& rows);

/// Records the loss of every `every`-th batch (the learning-rate sweep's curves).
class BatchLosses : public Callback {
 public:
  explicit BatchLosses(int every) : every_(every) {}
  void on_batch_end(TrainState& s) override;
  struct Point {
    int epoch;  // 1-based
    int64_t step;
    double loss;
  };
  const std::vector<Point>& points() const { return points_; }

 private:
  int every_;
  std::vector<Point> points_;
};

}  // namespace nnlab
