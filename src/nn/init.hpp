// Weight initializers, looked up by name from a study's `init` key (Keras' names and defaults).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"

namespace nnlab {

enum class InitKind { glorot_uniform, glorot_normal, he_normal, he_uniform };

/// "glorot_uniform" -> InitKind::glorot_uniform. Unknown names throw nnlab::Error listing the
/// valid ones.
InitKind init_kind(const std::string& name);
std::string init_name(InitKind kind);
/// Every initializer name, in the order of InitKind.
std::vector<std::string> init_names();

/// Fills `w` for a layer with `fan_in` inputs and `fan_out` outputs per weight:
///   glorot_uniform  U(-a, a), a = sqrt(6 / (fan_in + fan_out))   (the default)
///   glorot_normal   N(0, sqrt(2 / (fan_in + fan_out)))
///   he_normal       N(0, sqrt(2 / fan_in))   (Keras truncates at 2 sigma; this is a plain normal)
///   he_uniform      U(-a, a), a = sqrt(6 / fan_in)
/// Biases are not initialized here: they start at zero.
void init_weight(Tensor& w, int64_t fan_in, int64_t fan_out, InitKind kind, Rng& rng);

}  // namespace nnlab
