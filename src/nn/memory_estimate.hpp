// What training a model will cost in memory, from its layers' shapes alone: a study that asks
// for more than the machine holds is refused with the numbers before anything is allocated,
// rather than failing in std::bad_alloc (or the kernel's OOM killer) minutes in.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/tensor.hpp"

namespace nnlab {

/// 64-bit arithmetic that stops at INT64_MAX instead of wrapping: a hostile model's size is
/// "more than anything", never a small or negative number. Arguments are >= 0.
int64_t saturating_add(int64_t a, int64_t b);
int64_t saturating_mul(int64_t a, int64_t b);
/// The number of elements of `shape`, saturated.
int64_t saturating_size(const Shape& shape);

/// The bytes a model needs to train: its parameters and the activations of one training batch
/// and one evaluation batch (a trainer keeps its training pass while it evaluates).
struct MemoryEstimate {
  int64_t parameters = 0;   // trainable values
  int64_t activations = 0;  // the elements of every layer's output, for one sample
  int64_t batch = 0, eval_batch = 0;

  /// 4 floats a parameter: its value, its gradient and an optimizer's two moments (Adam).
  int64_t parameter_bytes() const;
  /// 3 floats an output element a training sample (the output, what backward keeps, its
  /// gradient), 1 an evaluation sample (the output).
  int64_t activation_bytes() const;
  int64_t bytes() const { return saturating_add(parameter_bytes(), activation_bytes()); }
};

/// model.max_memory_gb's default: 16 GB or the machine's physical memory, whichever is smaller.
double default_max_memory_gb();

/// "37.2 GB": decimal units, 3 significant digits; "more than 9.22 EB" when saturated.
std::string format_bytes(int64_t bytes);

/// Throws nnlab::Error "the model needs about 37.2 GB to train (parameters 1.2 GB, activations of
/// a training batch of 512 and an evaluation batch of 1000: 36 GB), over the limit of 16 GB
/// (model.max_memory_gb)" when the estimate exceeds `max_gb` (0: default_max_memory_gb()).
void check_memory(const MemoryEstimate& estimate, double max_gb);

}  // namespace nnlab
