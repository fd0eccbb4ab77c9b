#include "train/early_stopping.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"

namespace nnlab {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : options_(std::move(options)), maximize_(options_.monitor.ends_with("accuracy")) {
  const bool known = options_.monitor == "val_loss" || options_.monitor == "val_accuracy" ||
                     options_.monitor == "train_loss" || options_.monitor == "train_accuracy";
  NNLAB_CHECK(known,
              "train.early_stopping.monitor must be one of val_loss, val_accuracy, train_loss, "
              "train_accuracy; got '{}'",
              options_.monitor);
}

double EarlyStopping::figure(const EpochStats& e) const {
  if (options_.monitor == "val_loss") return e.val_loss;
  if (options_.monitor == "val_accuracy") return e.val_accuracy;
  if (options_.monitor == "train_loss") return e.train_loss;
  return e.train_accuracy;
}

void EarlyStopping::on_epoch_end(TrainState& s) {
  const double v = figure(s.history.back());
  NNLAB_CHECK(!std::isnan(v),
              "early stopping monitors {}, which this run does not measure (no validation set?)",
              options_.monitor);
  const bool improved = best_epoch_ < 0 || (maximize_ ? v > best_ + options_.min_delta
                                                      : v < best_ - options_.min_delta);
  if (improved) {
    best_ = v;
    best_epoch_ = s.epoch;
    wait_ = 0;
    if (options_.restore_best) {
      // The buffers too: the best epoch's running statistics belong with its weights.
      // The weights validation scored: with train.ema, their average.
      best_values_.assign(s.scored.begin(), s.scored.end());
      best_values_.insert(best_values_.end(), s.model.buffer_values().begin(),
                          s.model.buffer_values().end());
    }
    return;
  }
  if (++wait_ >= options_.patience) {
    s.stop = true;
    s.stop_reason = "early_stopping";
    stopped_epoch_ = s.epoch;
  }
}

std::string EarlyStopping::message() const {
  if (stopped_epoch_ < 0) return "";
  const std::string best = fmt::format("{} {:.4g}", options_.monitor, best_);
  if (options_.restore_best)
    return fmt::format("Epoch {}: early stopping; restoring the weights of epoch {} ({})",
                       stopped_epoch_ + 1, best_epoch_ + 1, best);
  return fmt::format("Epoch {}: early stopping; keeping the last weights (best: epoch {}, {})",
                     stopped_epoch_ + 1, best_epoch_ + 1, best);
}

void EarlyStopping::on_train_end(TrainState& s) {
  if (!options_.restore_best || best_values_.empty()) return;
  const std::span<float> values = s.model.values(), buffers = s.model.buffer_values();
  NNLAB_CHECK(best_values_.size() == values.size() + buffers.size(),
              "early stopping: the saved best weights ({} values) do not fit this model ({} + {})",
              best_values_.size(), values.size(), buffers.size());
  const auto split = best_values_.begin() + static_cast<std::ptrdiff_t>(values.size());
  std::copy(best_values_.begin(), split, values.begin());
  std::copy(split, best_values_.end(), buffers.begin());
}

void EarlyStopping::save(CheckpointState& state) const {
  state.meta["early_stopping"] = {{"best", best_}, {"best_epoch", best_epoch_}, {"wait", wait_}};
  state.tensors["early_stopping.best_values"] = best_values_;
}

void EarlyStopping::load(const CheckpointState& state) {
  const auto& m = state.meta.at("early_stopping");
  best_ = m.at("best").get<double>();
  best_epoch_ = checkpoint_integer<int>(m.at("best_epoch"), "early stopping's best_epoch");
  wait_ = checkpoint_integer<int>(m.at("wait"), "early stopping's wait");
  const auto best = state.tensors.find("early_stopping.best_values");
  NNLAB_CHECK(best != state.tensors.end(), "no tensor 'state.early_stopping.best_values'");
  best_values_ = best->second;
}

}  // namespace nnlab
