// A training session: the model, loss and optimizer a run spec describes, and one call that
// trains them with the callbacks the run asks for. Shared by runs, refits, the learning-rate
// sweep and the benchmark, so that all of them train exactly the same way.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "nn/loss.hpp"
#include "nn/model.hpp"
#include "optim/optimizer.hpp"
#include "study/study.hpp"
#include "train/callback.hpp"
#include "train/history.hpp"
#include "train/inactive_neurons.hpp"
#include "train/progress.hpp"

namespace nnlab {

struct Session {
  std::unique_ptr<Loss> loss;
  std::unique_ptr<Model> model;
  std::unique_ptr<Optimizer> optimizer;
};

/// Builds the run's model (initialized from `seed`, computing on `exec`), loss and optimizer;
/// checks the parameter budget (model.max_params) and the memory training takes
/// (model.max_memory_gb) before allocating, naming the study file.
Session make_session(ExecContext& exec, const RunSpec& run, const Shape& input, uint64_t seed,
                     const std::string& study_path);

struct TrainHooks {
  int schedule_epochs = 0;        // the schedule's planned length when it differs from the
                                  // epochs trained (a refit); 0: the epochs trained
  bool early_stopping = false;    // use run.train.early_stopping
  bool inactive_neurons = false;  // record run.diagnostics' inactive neurons
  int loss_every = 0;             // record every n-th batch loss (0: off)
  std::string checkpoint;         // path; empty: no checkpoints
  bool resume = false;            // continue from the checkpoint when it exists
  std::string label;              // progress prefix
  // The repeat's place in its study, for the progress display.
  std::optional<StudyPosition> study = std::nullopt;
  bool progress = true;
  // Training stops at this time, mid-epoch, as "stopped": "deadline" (a search's budget).
  std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt;
  // The caller's own callbacks, called after the session's (nnlab bench's limit rounds).
  std::vector<Callback*> callbacks = {};
};

struct TrainOutcome {
  History history;
  int best_epoch = -1;              // with early stopping: 0-based best epoch, else the last
  std::string stopped = "epochs";   // epochs | early_stopping | diverged
  std::string diverged;             // the divergence message
  std::vector<Rollback> rollbacks;  // train.on_divergence = "rollback": each one, in order
  std::vector<InactiveNeurons::Row> inactive;
  std::vector<BatchLosses::Point> losses;
  double seconds() const;
  int epochs_run() const { return static_cast<int>(history.size()); }
};

/// Trains `s` on `train` (validating on `val` when non-null) for `epochs` epochs. The training
/// batches get run.data.augment; `val` is never augmented. Progress goes to the model's
/// execution context's log.
TrainOutcome train_session(Session& s, const RunSpec& run, const DataView& train,
                           const DataView* val, int epochs, uint64_t seed, const TrainHooks& hooks);

}  // namespace nnlab
