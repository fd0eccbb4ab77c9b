// What a checkpoint holds besides the model: each stateful callback adds its own part.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tensor/error.hpp"

namespace nnlab {

struct CheckpointState {
  nlohmann::json meta = nlohmann::json::object();     // small values, by owner name
  std::map<std::string, std::vector<float>> tensors;  // large float state, by name
};

/// `v` as the integer type T; anything else throws nnlab::Error saying `what`: a checkpoint may
/// come from anyone, and json's own get<T>() of a fraction or of 1e308 is undefined behaviour.
template <class T>
T checkpoint_integer(const nlohmann::json& v, const char* what) {
  if (v.is_number_unsigned() && std::in_range<T>(v.get<uint64_t>()))
    return static_cast<T>(v.get<uint64_t>());
  if (v.is_number_integer() && !v.is_number_unsigned() && std::in_range<T>(v.get<int64_t>()))
    return static_cast<T>(v.get<int64_t>());
  throw Error(fmt::format("{} is not an integer from {} to {}", what, std::numeric_limits<T>::min(),
                          std::numeric_limits<T>::max()));
}

}  // namespace nnlab
