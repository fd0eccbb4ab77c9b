// The files `nnlab encode`, `decode` and `generate` write: codes beside their labels, and
// decoded images as a PNG grid and an IDX file that any MNIST reader takes.
#pragma once

#include <span>
#include <string>

#include "data/dataset.hpp"
#include "tensor/tensor.hpp"

namespace nnlab::cli {

/// DIR/codes.safetensors (F32 "codes" [N, D]; with labels, F32 "labels" [N], the class
/// indices) and DIR/codes.csv ("label,c0,...,c{D-1}", the class names).
void write_codes(const std::string& dir, const Tensor& codes, const Dataset& data,
                 std::span<const int64_t> indices);

/// DIR/images.png (the first 100 images in rows of 10) and DIR/images-idx3-ubyte (all of them)
/// from predictions [N, H*W] of a model whose samples are `shape` = [1, H, W]; `model` names
/// the file in errors.
void write_images(const std::string& dir, const Tensor& images, const Shape& shape,
                  const std::string& model);

}  // namespace nnlab::cli
