#include "train/checkpoint.hpp"

#include <cstring>
#include <filesystem>

#include "io/safetensors.hpp"
#include "tensor/error.hpp"
#include "train/crash_point.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

using nlohmann::json;

json history_json(const History& h) {
  json a = json::array();
  for (const EpochStats& e : h)
    a.push_back({e.epoch, e.lr, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy,
                 e.seconds, e.samples});
  return a;
}

double number(const json& v) { return v.is_null() ? NAN : v.get<double>(); }

}  // namespace

Checkpointer::Checkpointer(std::string path, std::vector<StatefulCallback*> parts)
    : path_(std::move(path)), parts_(std::move(parts)) {}

void Checkpointer::on_epoch_end(TrainState& s) {
  SafeTensors file;
  add_parameters(file, s.model);
  const std::vector<Tensor*> opt = s.optimizer.state();
  for (size_t i = 0; i < opt.size(); ++i)
    file.add_f32("optimizer." + std::to_string(i), {opt[i]->size()}, opt[i]->data());
  CheckpointState state;
  for (const StatefulCallback* p : parts_) p->save(state);
  for (const auto& [name, v] : state.tensors)
    file.add_f32("state." + name, {static_cast<int64_t>(v.size())}, v.data());
  // The stop flag too: a run resumed after early stopping must not train another epoch.
  file.metadata["nnlab.checkpoint"] = json{
      {"history", history_json(s.history)},
      {"state", state.meta},
      {"stop", s.stop},
      {"stop_reason", s.stop_reason}}.dump();
  save_safetensors(path_, file);
  crash_point(fmt::format("{}.{}", std::filesystem::path(path_).stem().string(), s.epoch + 1));
}

std::optional<ResumePoint> Checkpointer::restore(Model& model, Optimizer& optimizer,
                                                 History& history) const {
  if (!std::filesystem::exists(path_)) return std::nullopt;
  const SafeTensors file = load_safetensors(path_);
  const auto meta = file.metadata.find("nnlab.checkpoint");
  NNLAB_CHECK(meta != file.metadata.end(), "{}: not an nnlab checkpoint", path_);
  read_parameters(file, model, path_);
  const std::vector<Tensor*> opt = optimizer.state();
  for (size_t i = 0; i < opt.size(); ++i) {
    const auto it = file.tensors.find("optimizer." + std::to_string(i));
    NNLAB_CHECK(it != file.tensors.end() &&
                    it->second.bytes.size() == static_cast<size_t>(opt[i]->size()) * sizeof(float),
                "{}: the optimizer state does not match this run's optimizer", path_);
    std::memcpy(opt[i]->data(), it->second.bytes.data(), it->second.bytes.size());
  }
  const json j = json::parse(meta->second);
  CheckpointState state;
  state.meta = j.at("state");
  for (const auto& [name, t_] : file.tensors)
    if (name.starts_with("state.")) state.tensors[name.substr(6)] = file.f32(name);
  for (StatefulCallback* p : parts_) p->load(state);
  history.clear();
  for (const json& e : j.at("history")) {
    history.push_back({.epoch = e[0].get<int>(),
                       .lr = e[1].get<double>(),
                       .train_loss = number(e[2]),
                       .train_accuracy = number(e[3]),
                       .val_loss = number(e[4]),
                       .val_accuracy = number(e[5]),
                       .seconds = e[6].get<double>(),
                       .samples = e[7].get<int64_t>(),
                       .phases = {}});
  }
  return ResumePoint{.epoch = static_cast<int>(history.size()),
                     .stop = j.value("stop", false),
                     .stop_reason = j.value("stop_reason", std::string())};
}

}  // namespace nnlab
