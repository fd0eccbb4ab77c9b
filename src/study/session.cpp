#include "study/session.hpp"

#include <filesystem>
#include <numeric>

#include "data/loader.hpp"
#include "nn/model_builder.hpp"
#include "tensor/error.hpp"
#include "train/checkpoint.hpp"
#include "train/deadline.hpp"
#include "train/early_stopping.hpp"
#include "train/progress.hpp"
#include "train/trainer.hpp"

namespace nnlab {

Session make_session(ExecContext& exec, const RunSpec& run, const Shape& input, uint64_t seed,
                     const std::string& study_path) {
  Session s;
  s.loss = make_loss(run.train.loss, run.train.label_smoothing);
  Rng init_rng = Rng(seed).fork(0);
  try {
    s.model = build_model(exec, input, run.model.layers, *s.loss, init_rng, run.model.max_params,
                          {.batch = run.train.batch,
                           .eval_batch = run.train.eval_batch,
                           .max_gb = run.model.max_memory_gb});
  } catch (const Error& e) {  // the layer names its problem; the user needs the file and run too
    throw Error(fmt::format("{}: run '{}': {}", study_path, run.name, e.what()));
  }
  s.optimizer = make_optimizer(run.train.optimizer, s.model->values(), s.model->grads(),
                               s.model->parameters());
  return s;
}

double TrainOutcome::seconds() const {
  double t = 0;
  for (const EpochStats& e : history) t += e.seconds;
  return t;
}

TrainOutcome train_session(Session& s, const RunSpec& run, const DataView& train,
                           const DataView* val, int epochs, uint64_t seed,
                           const TrainHooks& hooks) {
  Loader loader(*train.data, train.indices,
                {.task = run.task,
                 .batch = run.train.batch,
                 .shuffle = run.train.shuffle,
                 .seed = Rng(seed).fork(1).seed(),
                 .augment = run.data.augment,
                 .corrupt = run.data.corrupt});

  const EarlyStoppingConfig& es = run.train.early_stopping;
  EarlyStopping early({.monitor = es.monitor,
                       .patience = es.patience,
                       .min_delta = es.min_delta,
                       .restore_best = es.restore_best});
  InactiveNeurons inactive(run.diagnostics.inactive_threshold, run.diagnostics.inactive_every);
  BatchLosses losses(std::max(1, hooks.loss_every));
  std::FILE* log = s.model->exec().log();
  const bool show = hooks.progress && log != nullptr;
  std::optional<Progress> progress;
  if (show) progress.emplace(hooks.label, log, hooks.study);

  std::vector<Callback*> callbacks;
  std::vector<StatefulCallback*> stateful;
  if (hooks.early_stopping) stateful.push_back(&early);
  if (hooks.inactive_neurons) stateful.push_back(&inactive);
  callbacks.assign(stateful.begin(), stateful.end());
  if (hooks.loss_every > 0) callbacks.push_back(&losses);
  if (progress) callbacks.push_back(&*progress);
  std::optional<Deadline> deadline;
  if (hooks.deadline) {
    deadline.emplace(*hooks.deadline);
    callbacks.push_back(&*deadline);
  }
  Checkpointer checkpointer(hooks.checkpoint, stateful);
  if (!hooks.checkpoint.empty()) callbacks.push_back(&checkpointer);
  callbacks.insert(callbacks.end(), hooks.callbacks.begin(), hooks.callbacks.end());

  TrainOutcome out;
  ResumePoint start;
  if (hooks.resume && !hooks.checkpoint.empty()) {
    if (auto point = checkpointer.restore(*s.model, *s.optimizer, out.history)) {
      start = *point;
      if (show)
        fmt::print(log, "{} resumed after epoch {}{}\n", hooks.label, start.epoch,
                   start.stop ? fmt::format(" ({} had stopped it)", start.stop_reason) : "");
    }
  }

  const bool roll_back = run.train.on_divergence == "rollback";
  Trainer trainer(*s.model, *s.loss, *s.optimizer,
                  {.epochs = epochs,
                   .schedule_epochs = hooks.schedule_epochs,
                   .base_lr = run.train.optimizer.lr,
                   .schedule = run.train.schedule,
                   .grad_noise = run.train.grad_noise,
                   .seed = Rng(seed).fork(2).seed(),
                   .task = run.task,
                   .eval_batch = run.train.eval_batch,
                   .max_rollbacks = roll_back ? run.train.max_rollbacks : 0,
                   .rollback_lr_factor = static_cast<float>(run.train.rollback_lr_factor)});
  // Printed whether or not progress is shown: the run's numbers now come from another rate.
  const auto report_rollback = [&](const Rollback& r) {
    if (log)
      fmt::print(log,
                 "{}: training diverged at epoch {}, batch {}; rolled back to the last "
                 "checkpoint, learning rate now {:g}\n",
                 hooks.label, r.epoch, r.batch, r.lr);
  };
  const FitEnd end =
      trainer.fit_or_roll_back(loader, val, out.history, start, callbacks,
                               hooks.checkpoint.empty() ? nullptr : &checkpointer, report_rollback);
  out.rollbacks = end.rollbacks;
  if (!end.diverged.empty()) {
    out.stopped = "diverged";
    out.diverged = end.diverged;
  } else {
    if (hooks.early_stopping && early.best_epoch() >= 0 && out.epochs_run() < epochs)
      out.stopped = "early_stopping";
    if (deadline && !out.history.empty() && std::chrono::steady_clock::now() >= *hooks.deadline)
      out.stopped = "deadline";
    if (show && !early.message().empty()) fmt::print(log, "{}: {}\n", hooks.label, early.message());
  }
  out.best_epoch =
      hooks.early_stopping && early.best_epoch() >= 0 ? early.best_epoch() : out.epochs_run() - 1;
  out.inactive = inactive.rows();
  out.losses = losses.points();
  return out;
}

}  // namespace nnlab
