#include "train/inactive_neurons.hpp"

#include <fmt/format.h>

#include "eval/evaluate.hpp"

namespace nnlab {

InactiveNeurons::InactiveNeurons(float threshold, int every)
    : threshold_(threshold), every_(std::max(1, every)) {}

void InactiveNeurons::on_batch_end(TrainState& s) {
  if (s.step % every_ != 0) return;
  // Hidden layers only: the output layer's units are the classes, not neurons to diagnose.
  int last_dense = -1;
  for (int i = 0; i < s.model.layer_count(); ++i)
    if (s.model.layer(i).kind() == "dense") last_dense = i;
  for (int i = 0; i < last_dense; ++i) {
    Layer& layer = s.model.layer(i);
    if (layer.kind() != "dense") continue;
    const Parameter& bias = layer.parameters().back();
    rows_.push_back(
        {s.step, s.epoch + 1, layer.name(), inactive_percent(bias.grad.span(), threshold_)});
  }
}

std::string inactive_csv(const std::vector<InactiveNeurons::Row>& rows) {
  std::string out = "step,epoch,layer,inactive_percent\n";
  for (const auto& r : rows)
    out += fmt::format("{},{},{},{:.4f}\n", r.step, r.epoch, r.layer, r.percent);
  return out;
}

void InactiveNeurons::save(CheckpointState& state) const {
  auto rows = nlohmann::json::array();
  for (const Row& r : rows_) rows.push_back({r.step, r.epoch, r.layer, r.percent});
  state.meta["inactive_neurons"] = rows;
}

void InactiveNeurons::load(const CheckpointState& state) {
  rows_.clear();
  for (const auto& r : state.meta.at("inactive_neurons"))
    rows_.push_back({checkpoint_integer<int64_t>(r.at(0), "an inactive-neurons row's step"),
                     checkpoint_integer<int>(r.at(1), "an inactive-neurons row's epoch"),
                     r.at(2).get<std::string>(), r.at(3).get<double>()});
}

void BatchLosses::on_batch_end(TrainState& s) {
  if (s.step % every_ == 0) points_.push_back({s.epoch + 1, s.step, s.batch_loss});
}

}  // namespace nnlab
