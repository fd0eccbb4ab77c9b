// Checkpoints: before the first step and after every epoch the whole training state (weights,
// buffers such as batch norm's running statistics, optimizer moments, history, stateful
// callbacks, the loss growth's reference, the rollbacks) is written atomically, so `--resume`
// continues an interrupted run to the same result and a diverged run always has a last good
// state.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "train/callback_state.hpp"

namespace nnlab {

/// A rollback as checkpoints and result.json hold it: {"epoch", "batch", "lr", "diverged"}.
void to_json(nlohmann::json& j, const Rollback& r);
void from_json(const nlohmann::json& j, Rollback& r);

class Checkpointer : public Callback {
 public:
  /// `parts`: the stateful callbacks whose state the checkpoint carries.
  Checkpointer(std::string path, std::vector<StatefulCallback*> parts);
  void on_train_begin(TrainState& s) override;
  void on_epoch_end(TrainState& s) override;

  /// Restores model, optimizer, history and parts from `path` and says where training goes on
  /// (the epoch after the checkpoint's, whether a callback had stopped the run there, the loss
  /// growth's reference and the rollbacks so far);
  /// nullopt when there is no checkpoint. A checkpoint of another model, one whose contents do
  /// not match the checksum written with them (a flipped byte, an edited history), and one
  /// holding NaN or infinite weights or state throw naming the file.
  std::optional<ResumePoint> restore(Model& model, Optimizer& optimizer, History& history) const;

  const std::string& path() const { return path_; }

 private:
  void write(const TrainState& s) const;

  std::string path_;
  std::vector<StatefulCallback*> parts_;
};

}  // namespace nnlab
