#include "train/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace nnlab {
namespace {

std::string clock_str(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, seconds));
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string figure(double v) { return std::isnan(v) ? "-" : fmt::format("{:.4f}", v); }

}  // namespace

Progress::Progress(std::string label, std::FILE* out)
    : label_(std::move(label)), out_(out), terminal_(isatty(fileno(out)) != 0) {}

void Progress::on_batch_end(TrainState& s) {
  if (!terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && s.batch + 1 < s.batches_per_epoch)
    return;
  last_draw_ = now;
  const double done = static_cast<double>(s.batch + 1) / static_cast<double>(s.batches_per_epoch);
  const double rate = static_cast<double>(s.epoch_samples) / std::max(1e-9, s.epoch_seconds);
  const int width = 24;
  const int filled = static_cast<int>(done * width);
  const std::string bar = std::string(static_cast<size_t>(filled), '#') +
                          std::string(static_cast<size_t>(width - filled), '.');
  const double loss = s.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, s.epoch_samples));
  const double acc = static_cast<double>(s.epoch_correct) /
                     static_cast<double>(std::max<int64_t>(1, s.epoch_samples));
  const double eta =
      s.epoch_seconds / done - s.epoch_seconds + s.epoch_seconds / done * (s.epochs - s.epoch - 1);
  fmt::print(out_, "\r{} epoch {}/{} [{}] loss {:.4f} acc {:.4f} {:.0f} samples/s ETA {}  ", label_,
             s.epoch + 1, s.epochs, bar, loss, acc, rate, clock_str(eta));
  std::fflush(out_);
}

void Progress::on_epoch_end(TrainState& s) {
  const EpochStats& e = s.history.back();
  if (terminal_) fmt::print(out_, "\r\033[K");
  fmt::print(out_,
             "{} epoch {}/{}: loss {} acc {} | val loss {} acc {} | {:.1f}s, {:.0f} samples/s\n",
             label_, e.epoch + 1, s.epochs, figure(e.train_loss), figure(e.train_accuracy),
             figure(e.val_loss), figure(e.val_accuracy), e.seconds,
             static_cast<double>(e.samples) / std::max(1e-9, e.seconds));
  std::fflush(out_);
}

}  // namespace nnlab
