// An autoencoder's two halves as passes of their own over one model split at its code layer
// (nn/code.hpp): encode images into codes, decode codes into images. Eval mode, batch by batch,
// nothing of the model's training state touched.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.hpp"
#include "nn/model.hpp"

namespace nnlab {

/// Throws naming `what` (a file) when the model has no code layer or nothing after it.
void check_autoencoder(const Model& model, const std::string& what);

/// The codes of data's samples at `indices`, in that order: [N, code size] (the code layer's
/// output, flattened per sample).
Tensor encode(Model& model, const Dataset& data, std::span<const int64_t> indices,
              int64_t batch = 1000);

/// The codes of samples already in memory: rows [N, ...] with the model's input size each
/// (as floats the model takes) -> [N, code size].
Tensor encode_rows(Model& model, const Tensor& rows, int64_t batch = 1000);

/// The decoder's predictions for `codes` ([N, code size]): the layers after the code layer,
/// then the model's head (a sigmoid head gives values in [0, 1]). [N, output size].
Tensor decode(Model& model, const Tensor& codes, int64_t batch = 1000);

/// Predictions in [0, 1] as 8-bit grey levels (clipped, rounded), for images and IDX files.
std::vector<uint8_t> to_bytes(std::span<const float> values);

}  // namespace nnlab
