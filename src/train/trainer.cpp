#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>

#include "eval/evaluate.hpp"
#include "train/checkpoint.hpp"

namespace nnlab {
namespace {

using Clock = std::chrono::steady_clock;

/// Correct argmax predictions of a batch of outputs against its labels.
int64_t count_correct(const Tensor& out, std::span<const int32_t> labels) {
  if (labels.empty()) return 0;
  int64_t correct = 0;
  const int64_t k = out.cols();
  for (int64_t i = 0; i < out.rows(); ++i) {
    const float* r = out.row(i);
    correct += (std::max_element(r, r + k) - r) == labels[static_cast<size_t>(i)];
  }
  return correct;
}

}  // namespace

Trainer::Trainer(Model& model, const Loss& loss, Optimizer& optimizer, TrainOptions options)
    : model_(model), loss_(loss), optimizer_(optimizer), options_(std::move(options)) {}

void Trainer::fit(Loader& train, const DataView* val, History& history, const ResumePoint& resume,
                  std::span<Callback* const> callbacks) {
  TrainState s{model_, optimizer_, history};
  s.epochs = options_.epochs;
  s.batches_per_epoch = train.batches_per_epoch();
  s.step = static_cast<int64_t>(resume.epoch) * s.batches_per_epoch;
  s.stop = resume.stop;
  s.stop_reason = resume.stop_reason;
  s.first_loss = resume.first_loss;
  s.rollbacks = resume.rollbacks;
  const float base_lr = s.rollbacks.empty() ? options_.base_lr : s.rollbacks.back().lr;
  const int planned = options_.schedule_epochs > 0 ? options_.schedule_epochs : options_.epochs;
  const SchedulePlan plan{.steps_per_epoch = s.batches_per_epoch,
                          .total_steps = int64_t{planned} * s.batches_per_epoch};
  const Rng run_rng(options_.seed);
  Batch batch;
  for (Callback* c : callbacks) c->on_train_begin(s);

  for (int epoch = resume.epoch; epoch < options_.epochs && !s.stop; ++epoch) {
    // Each epoch draws from its own fork, so a resumed run repeats the same epochs exactly.
    Rng rng = run_rng.fork(static_cast<uint64_t>(epoch));
    // The history's rate is the epoch's first; the schedule moves every step.
    EpochStats stats{.epoch = epoch,
                     .lr = learning_rate(options_.schedule, base_lr, s.step, plan),
                     .phases = {}};
    s.epoch = epoch;
    s.batch = 0;
    s.epoch_loss_sum = 0;
    s.epoch_correct = s.epoch_samples = 0;
    s.epoch_seconds = 0;
    const auto t0 = Clock::now();

    train.start_epoch(epoch);
    // Clock reads between the phases (a few per step, tens of nanoseconds each).
    auto mark = Clock::now();
    const auto lap = [&mark](double& phase) {
      const auto now = Clock::now();
      phase += std::chrono::duration<double>(now - mark).count();
      mark = now;
    };
    while (train.next(batch)) {
      lap(stats.phases.loader);
      const Tensor& out = model_.forward(batch.x, Mode::train, rng, pass_);
      lap(stats.phases.forward);
      const double loss = loss_.compute(out, batch.as_targets(), &dout_);
      lap(stats.phases.loss);
      // The run's first, not the fit's: the checkpoint carries it, so a resumed run is judged
      // against the same reference as an uninterrupted one.
      if (s.first_loss <= 0.0 && loss > 0.0) s.first_loss = loss;
      if (!std::isfinite(loss)) diverged(epoch, s.batch, fmt::format("the loss is {}", loss));
      if (options_.max_loss_growth > 0 && loss > options_.max_loss_growth * s.first_loss)
        diverged(epoch, s.batch,
                 fmt::format("the loss {:.4g} is over {:g} times the first batch's {:.4g}", loss,
                             options_.max_loss_growth, s.first_loss));
      model_.backward(pass_, dout_);
      lap(stats.phases.backward);
      if (options_.grad_noise > 0) add_gradient_noise(s.step, rng);

      s.lr = learning_rate(options_.schedule, base_lr, s.step, plan);
      s.batch_size = batch.size();
      s.batch_loss = loss;
      s.epoch_loss_sum += loss * static_cast<double>(batch.size());
      s.epoch_correct += count_correct(out, batch.labels);
      s.epoch_samples += batch.size();
      s.epoch_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      for (Callback* c : callbacks) c->on_batch_end(s);

      lap(stats.phases.other);
      // Penalties, decay, the update and max-norm in one pass over the parameters.
      const StepHealth health = optimizer_.step(s.lr);
      if (!health.bad_gradient.empty())
        diverged(epoch, s.batch,
                 fmt::format("a gradient of {} is NaN or infinite", health.bad_gradient));
      if (!health.bad_value.empty())
        diverged(
            epoch, s.batch,
            fmt::format("a value of {} is NaN or infinite after the update", health.bad_value));
      lap(stats.phases.optimizer);
      ++stats.phases.steps;
      ++s.step;
      ++s.batch;
      if (s.stop) break;
    }
    stats.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    stats.samples = s.epoch_samples;
    stats.train_loss =
        s.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, s.epoch_samples));
    const bool classify = options_.task == Task::classify;
    if (classify && s.epoch_samples > 0)
      stats.train_accuracy =
          static_cast<double>(s.epoch_correct) / static_cast<double>(s.epoch_samples);
    if (val) {
      // With train.ema the averaged weights are scored, then training goes on from its own.
      const bool average = optimizer_.has_average();
      if (average) optimizer_.swap_average();
      const Evaluation e = evaluate(model_, loss_, *val->data, val->indices,
                                    {.task = options_.task, .batch = options_.eval_batch}, rng);
      if (average) optimizer_.swap_average();
      stats.val_loss = e.loss;
      if (classify) stats.val_accuracy = e.accuracy;
    }
    s.scored = optimizer_.has_average() ? optimizer_.average() : model_.values();
    history.push_back(stats);
    for (Callback* c : callbacks) c->on_epoch_end(s);
  }
  // With train.ema the run ends with the averaged weights (early stopping's restore may then
  // put back the best epoch's, averaged too).
  if (optimizer_.has_average()) optimizer_.swap_average();
  for (Callback* c : callbacks) c->on_train_end(s);
}

FitEnd Trainer::fit_or_roll_back(Loader& train, const DataView* val, History& history,
                                 const ResumePoint& resume, std::span<Callback* const> callbacks,
                                 const Checkpointer* checkpoint,
                                 const std::function<void(const Rollback&)>& on_rollback) {
  ResumePoint point = resume;
  for (;;) {
    try {
      fit(train, val, history, point, callbacks);
      return {.rollbacks = point.rollbacks, .diverged = ""};
    } catch (const DivergedError& e) {
      std::vector<Rollback> rollbacks = point.rollbacks;
      std::optional<ResumePoint> good;
      if (std::ssize(rollbacks) < options_.max_rollbacks && checkpoint)
        good = checkpoint->restore(model_, optimizer_, history);
      if (!good) return {.rollbacks = rollbacks, .diverged = e.what()};
      // The checkpoint may predate earlier rollbacks (no epoch ended since): they still count.
      const float lr = rollbacks.empty() ? options_.base_lr : rollbacks.back().lr;
      rollbacks.push_back({.epoch = e.epoch,
                           .batch = e.batch,
                           .lr = lr * options_.rollback_lr_factor,
                           .diverged = e.what()});
      point = std::move(*good);
      point.rollbacks = std::move(rollbacks);
      if (on_rollback) on_rollback(point.rollbacks.back());
    }
  }
}

void Trainer::diverged(int epoch, int64_t batch, const std::string& what) {
  throw DivergedError(
      fmt::format("training diverged at epoch {}, batch {}: {}", epoch + 1, batch + 1, what),
      epoch + 1, batch + 1);
}

void Trainer::add_gradient_noise(int64_t step, Rng& rng) {
  const float sigma = options_.grad_noise / std::pow(1.0f + static_cast<float>(step), 0.55f * 0.5f);
  for (float& g : model_.grads()) g += rng.normal(0.0f, sigma);
}

}  // namespace nnlab
