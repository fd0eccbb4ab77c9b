// A callback whose state must survive an interruption (early stopping's best weights, the
// diagnostics recorded so far) saves and restores it through the checkpoint.
#pragma once

#include "train/callback.hpp"
#include "train/checkpoint_state.hpp"

namespace nnlab {

class StatefulCallback : public Callback {
 public:
  virtual void save(CheckpointState& state) const = 0;
  virtual void load(const CheckpointState& state) = 0;
};

}  // namespace nnlab
