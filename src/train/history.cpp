#include "train/history.hpp"

#include <fmt/format.h>

namespace nnlab {

StepPhases& StepPhases::operator+=(const StepPhases& o) {
  steps += o.steps;
  loader += o.loader;
  forward += o.forward;
  loss += o.loss;
  backward += o.backward;
  optimizer += o.optimizer;
  other += o.other;
  return *this;
}
namespace {

std::string cell(double v) { return std::isnan(v) ? std::string() : fmt::format("{:.6g}", v); }

}  // namespace

std::string history_csv(const History& h) {
  std::string out = "epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n";
  for (const EpochStats& e : h) {
    out += fmt::format("{},{},{},{},{},{},{:.4f}\n", e.epoch + 1, cell(e.lr), cell(e.train_loss),
                       cell(e.train_accuracy), cell(e.val_loss), cell(e.val_accuracy), e.seconds);
  }
  return out;
}

}  // namespace nnlab
