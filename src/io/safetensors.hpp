// The Hugging Face safetensors format, so PyTorch and NumPy users can read nnlab's weights:
//   [8 bytes: header length N, little-endian u64]
//   [N bytes: JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {}},
//             padded with spaces to a multiple of 8]
//   [data: each tensor's little-endian bytes at [begin, end) relative to the end of the header]
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/tensor.hpp"

namespace nnlab {

/// One tensor as stored: dtype "F32" or "U8", its shape and raw little-endian bytes.
struct SafeTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// A whole file: tensors by name (stored in name order) and string metadata.
struct SafeTensors {
  std::map<std::string, SafeTensor> tensors;
  std::map<std::string, std::string> metadata;

  /// Adds (or replaces) an F32 tensor of `shape` copied from shape_size(shape) floats at `data`.
  void add_f32(const std::string& name, const Shape& shape, const float* data);
  /// Adds (or replaces) a U8 tensor of `shape` copied from shape_size(shape) bytes at `data`.
  void add_u8(const std::string& name, const Shape& shape, const uint8_t* data);
  bool contains(const std::string& name) const { return tensors.count(name) != 0; }
  /// The named tensor; throws nnlab::Error naming it when absent.
  const SafeTensor& at(const std::string& name) const;
  /// The named F32 tensor's values. Throws when it is absent, not F32, or (when `expected` is
  /// not empty) of another shape.
  std::vector<float> f32(const std::string& name, const Shape& expected = {}) const;
  /// The named tensor as an owning Tensor (F32 only).
  Tensor tensor(const std::string& name) const;
};

/// Bytes of the safetensors file holding `st`.
std::string encode_safetensors(const SafeTensors& st);
/// Parses and validates a safetensors file, refusing what the reference reader (Hugging Face's
/// Rust crate) refuses: a header over 100 MB or past the end of the file, not UTF-8 JSON (NUL
/// padding included), not an object, or repeating a key; a dtype other than F32 and U8; shapes
/// and data_offsets that are not non-negative integers; begin > end; element counts that
/// overflow or exceed the data; end - begin != prod(shape) * dtype size; tensors that do not
/// tile the data exactly (overlap, gap, trailing bytes); __metadata__ not an object of strings.
/// No allocation depends on a size before it is checked against the file's. Errors name
/// `name_for_errors`.
SafeTensors decode_safetensors(std::string_view bytes, const std::string& name_for_errors);

/// encode_safetensors, written atomically to `path`.
void save_safetensors(const std::string& path, const SafeTensors& st);
/// read_file + decode_safetensors.
SafeTensors load_safetensors(const std::string& path);

}  // namespace nnlab
