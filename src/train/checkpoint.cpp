#include "train/checkpoint.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <span>

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

// zlib's CRC-32 of everything a checkpoint restores, in a fixed order: each tensor's name and
// bytes (in name order), then the checkpoint's metadata. Not a defence against a forger: it
// catches a file corrupted on disk or in transfer, or edited by hand.
std::string checksum(const SafeTensors& file, const std::string& meta) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  const auto add = [&crc](const void* data, size_t n) {
    crc = crc32_z(crc, static_cast<const Bytef*>(data), n);
  };
  for (const auto& [name, t] : file.tensors) {
    add(name.data(), name.size() + 1);  // with its terminating NUL: names cannot run together
    add(t.bytes.data(), t.bytes.size());
  }
  add(meta.data(), meta.size());
  return fmt::format("{:08x}", crc);
}

// A NaN or infinity restored would train on silently (behind a ReLU the loss can stay finite).
void check_finite(std::span<const float> values, const std::string& path, const char* what) {
  NNLAB_CHECK(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }),
              "{}: the checkpoint holds NaN or infinite {}; it cannot be resumed (delete it to "
              "start the run again)",
              path, what);
}

}  // namespace

void to_json(json& j, const Rollback& r) {
  j = {{"epoch", r.epoch}, {"batch", r.batch}, {"lr", r.lr}, {"diverged", r.diverged}};
}

void from_json(const json& j, Rollback& r) {
  r = {.epoch = checkpoint_integer<int>(j.at("epoch"), "a rollback's epoch"),
       .batch = checkpoint_integer<int64_t>(j.at("batch"), "a rollback's batch"),
       .lr = j.at("lr").get<float>(),
       .diverged = j.at("diverged").get<std::string>()};
}

Checkpointer::Checkpointer(std::string path, std::vector<StatefulCallback*> parts)
    : path_(std::move(path)), parts_(std::move(parts)) {}

// Before the first step, so that a run diverging in its first epoch has a last good state too.
// A resume or a rollback to the initial state writes it again (with the rollbacks so far).
void Checkpointer::on_train_begin(TrainState& s) {
  if (s.history.empty()) write(s);
}

void Checkpointer::on_epoch_end(TrainState& s) { write(s); }

void Checkpointer::write(const TrainState& s) const {
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
      {"stop_reason", s.stop_reason},
      {"first_loss", s.first_loss},
      {"rollbacks", s.rollbacks}}.dump();
  file.metadata["nnlab.checksum"] = checksum(file, file.metadata["nnlab.checkpoint"]);
  save_safetensors(path_, file);
  crash_point(fmt::format("{}.{}", std::filesystem::path(path_).stem().string(), s.history.size()));
}

std::optional<ResumePoint> Checkpointer::restore(Model& model, Optimizer& optimizer,
                                                 History& history) const {
  if (!std::filesystem::exists(path_)) return std::nullopt;
  const SafeTensors file = load_safetensors(path_);
  const auto meta = file.metadata.find("nnlab.checkpoint");
  NNLAB_CHECK(meta != file.metadata.end(), "{}: not an nnlab checkpoint", path_);
  const auto sum = file.metadata.find("nnlab.checksum");
  NNLAB_CHECK(sum != file.metadata.end() && sum->second == checksum(file, meta->second),
              "{}: the checkpoint's contents do not match its checksum (the file was corrupted "
              "or edited); delete it to start the run again",
              path_);
  read_parameters(file, model, path_);
  check_finite(model.values(), path_, "weights");
  check_finite(model.buffer_values(), path_, "buffers (batch norm statistics)");
  const std::vector<Tensor*> opt = optimizer.state();
  for (size_t i = 0; i < opt.size(); ++i) {
    const auto it = file.tensors.find("optimizer." + std::to_string(i));
    NNLAB_CHECK(it != file.tensors.end() &&
                    it->second.bytes.size() == static_cast<size_t>(opt[i]->size()) * sizeof(float),
                "{}: the optimizer state does not match this run's optimizer", path_);
    std::memcpy(opt[i]->data(), it->second.bytes.data(), it->second.bytes.size());
    check_finite(opt[i]->span(), path_, "optimizer state");
  }
  // The CRC-32 catches corruption, not a forger: metadata other than what write() makes is
  // refused naming the file, never read past a list's end or into an int it does not fit.
  try {
    const json j = json::parse(meta->second);
    CheckpointState state;
    state.meta = j.at("state");
    for (const auto& [name, t_] : file.tensors)
      if (name.starts_with("state.")) state.tensors[name.substr(6)] = file.f32(name);
    for (StatefulCallback* p : parts_) p->load(state);
    history.clear();
    for (const json& e : j.at("history")) {
      NNLAB_CHECK(e.is_array() && e.size() == 8, "a history entry is not a list of 8 values");
      history.push_back({.epoch = checkpoint_integer<int>(e[0], "a history entry's epoch"),
                         .lr = e[1].get<double>(),
                         .train_loss = number(e[2]),
                         .train_accuracy = number(e[3]),
                         .val_loss = number(e[4]),
                         .val_accuracy = number(e[5]),
                         .seconds = e[6].get<double>(),
                         .samples = checkpoint_integer<int64_t>(e[7], "a history entry's samples"),
                         .phases = {}});
    }
    // A checkpoint written before first_loss was kept measures growth from its resumed first batch.
    return ResumePoint{.epoch = static_cast<int>(history.size()),
                       .stop = j.value("stop", false),
                       .stop_reason = j.value("stop_reason", std::string()),
                       .first_loss = j.value("first_loss", 0.0),
                       .rollbacks = j.value("rollbacks", std::vector<Rollback>())};
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: malformed checkpoint metadata: {}", path_, e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: malformed checkpoint metadata: {}", path_, e.what()));
  }
}

}  // namespace nnlab
