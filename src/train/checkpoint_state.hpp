// What a checkpoint holds besides the model: each stateful callback adds its own part.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nnlab {

struct CheckpointState {
  nlohmann::json meta = nlohmann::json::object();     // small values, by owner name
  std::map<std::string, std::vector<float>> tensors;  // large float state, by name
};

}  // namespace nnlab
