// The training loop: shuffled minibatches, forward, loss, backward, step, then callbacks.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"
#include "tensor/error.hpp"
#include "train/callback.hpp"
#include "train/history.hpp"

namespace nnlab {

struct TrainOptions {
  int epochs = 10;          // where training stops (unless a callback stops it first)
  int schedule_epochs = 0;  // the planned length the schedule is laid over; 0: `epochs`
  float base_lr = 0.01f;
  ScheduleConfig schedule;
  float grad_noise = 0.0f;     // Neelakantan et al. 2015: N(0, grad_noise^2 / (1+t)^0.55)
  uint64_t seed = 1;           // dropout, noise layers and gradient noise draw from forks of it
  Task task = Task::classify;  // what validation measures (the loader makes the batches)
  int64_t eval_batch = 1000;
  // A batch loss over this many times the first positive one of the run is divergence (0: no
  // limit): a learning rate of 1e6 took the loss from 2.3 to 1e15 and beyond, all finite.
  double max_loss_growth = 1e4;
  // On divergence, fit_or_roll_back goes back to the last checkpoint this many times in a run at
  // most, each time with the base learning rate times rollback_lr_factor (0: it stops).
  int max_rollbacks = 0;
  float rollback_lr_factor = 0.5f;
};

/// Thrown within the step where training diverges: a batch's loss NaN, infinite or over
/// max_loss_growth times the run's first, or a gradient or a weight NaN or infinite (the
/// optimizer's pass checks both). The message names the epoch, the batch and the parameter.
class DivergedError : public Error {
 public:
  DivergedError(const std::string& message, int epoch, int64_t batch)
      : Error(message), epoch(epoch), batch(batch) {}
  int epoch;      // 1-based, as the message says
  int64_t batch;  // 1-based within the epoch
};

class Checkpointer;

/// How fit_or_roll_back ended: the rollbacks of the run (a resumed run's earlier ones first) and
/// the divergence message when it stopped diverged ("" otherwise).
struct FitEnd {
  std::vector<Rollback> rollbacks;
  std::string diverged;
};

class Trainer {
 public:
  Trainer(Model& model, const Loss& loss, Optimizer& optimizer, TrainOptions options);

  /// Trains from `resume.epoch` (0, or the epoch after a checkpoint) to options.epochs or until
  /// a callback stops; validates on `val` after each epoch when it is non-null. The history
  /// holds earlier epochs on resume; a run that had already stopped (`resume.stop`) trains no
  /// further but still ends with on_train_end. Throws DivergedError (see there).
  void fit(Loader& train, const DataView* val, History& history, const ResumePoint& resume,
           std::span<Callback* const> callbacks);

  /// fit, and on divergence, while the run has rolled back fewer than options.max_rollbacks
  /// times, restores `checkpoint`'s last good state (weights, optimizer, history, its parts; the
  /// RNG and the batches follow from the epoch) and trains on from there with the base learning
  /// rate times options.rollback_lr_factor, calling `on_rollback` with each rollback. Then, or
  /// without a checkpoint (null), it stops as fit does and says why in FitEnd::diverged.
  FitEnd fit_or_roll_back(Loader& train, const DataView* val, History& history,
                          const ResumePoint& resume, std::span<Callback* const> callbacks,
                          const Checkpointer* checkpoint,
                          const std::function<void(const Rollback&)>& on_rollback);

 private:
  [[noreturn]] static void diverged(int epoch, int64_t batch, const std::string& what);
  void add_gradient_noise(int64_t step, Rng& rng);

  Model& model_;
  const Loss& loss_;
  Optimizer& optimizer_;
  TrainOptions options_;
  Pass pass_;    // the training pass, reused from batch to batch
  Tensor dout_;  // dLoss/dout of the batch
};

}  // namespace nnlab
