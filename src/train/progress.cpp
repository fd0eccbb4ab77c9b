#include "train/progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace nnlab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string clock_str(double seconds) {
  const auto s = static_cast<int64_t>(std::max(0.0, seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string figure(double v) { return std::isnan(v) ? "-" : fmt::format("{:.4f}", v); }

// Columns of the terminal `out` is, or 0 when unknown. A redrawn line longer than that would wrap
// and every redraw would start a new line.
int terminal_columns(std::FILE* out) {
  winsize w{};
  if (ioctl(fileno(out), TIOCGWINSZ, &w) != 0) return 0;
  return w.ws_col;
}

}  // namespace

Progress::Progress(std::string label, std::FILE* out, std::optional<StudyPosition> study)
    : label_(std::move(label)), out_(out), terminal_(isatty(fileno(out)) != 0), study_(study) {}

std::string Progress::prefix() const {
  if (!study_) return label_;
  return fmt::format("[{}/{}] {}", study_->index + 1, study_->total, label_);
}

std::string Progress::timing(double run_eta) const {
  const double run_elapsed = seconds_since(start_);
  if (!study_) return fmt::format("{} elapsed, ETA {}", clock_str(run_elapsed), clock_str(run_eta));
  // The repeats to come are assumed to take as long as this one will in all.
  const int after = study_->total - study_->index - 1;
  const double study_eta = run_eta + after * (run_elapsed + run_eta);
  return fmt::format("{} elapsed, ETA {} run, {} study", clock_str(seconds_since(study_->start)),
                     clock_str(run_eta), clock_str(study_eta));
}

void Progress::on_batch_end(TrainState& s) {
  if (!terminal_) return;
  const auto now = Clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && s.batch + 1 < s.batches_per_epoch)
    return;
  last_draw_ = now;
  const double done = static_cast<double>(s.batch + 1) / static_cast<double>(s.batches_per_epoch);
  const double rate = static_cast<double>(s.epoch_samples) / std::max(1e-9, s.epoch_seconds);
  const double loss = s.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, s.epoch_samples));
  const double acc = static_cast<double>(s.epoch_correct) /
                     static_cast<double>(std::max<int64_t>(1, s.epoch_samples));
  const double eta =
      s.epoch_seconds / done - s.epoch_seconds + s.epoch_seconds / done * (s.epochs - s.epoch - 1);
  const std::string head = fmt::format("{} epoch {}/{} ", prefix(), s.epoch + 1, s.epochs);
  const std::string tail = fmt::format(" {}/{} loss {:.4f} acc {:.4f} {:.0f}/s | {}", s.batch + 1,
                                       s.batches_per_epoch, loss, acc, rate, timing(eta));
  // The bar takes what the terminal has left, up to 24 columns; the line never wraps.
  const int columns = terminal_columns(out_);
  const int room = columns > 0 ? columns - 1 - static_cast<int>(head.size() + tail.size()) : 26;
  const int width = std::clamp(room - 2, 0, 24);
  const int filled = static_cast<int>(done * width);
  std::string line = head;
  if (width >= 4)
    line += fmt::format("[{}{}]", std::string(static_cast<size_t>(filled), '#'),
                        std::string(static_cast<size_t>(width - filled), '.'));
  line += tail;
  if (columns > 0 && static_cast<int>(line.size()) >= columns)
    line.resize(static_cast<size_t>(columns - 1));
  fmt::print(out_, "\r{}\033[K", line);
  std::fflush(out_);
}

void Progress::on_epoch_end(TrainState& s) {
  const EpochStats& e = s.history.back();
  ++epochs_seen_;  // not e.epoch + 1: a resumed run saw only the epochs since it resumed
  const double remaining = seconds_since(start_) / epochs_seen_ * (s.epochs - e.epoch - 1);
  if (terminal_) fmt::print(out_, "\r\033[K");
  fmt::print(out_, "{} epoch {}/{}: loss {} acc {} | val loss {} acc {} | {:.0f}/s | {}\n",
             prefix(), e.epoch + 1, s.epochs, figure(e.train_loss), figure(e.train_accuracy),
             figure(e.val_loss), figure(e.val_accuracy),
             static_cast<double>(e.samples) / std::max(1e-9, e.seconds), timing(remaining));
  std::fflush(out_);
}

}  // namespace nnlab
