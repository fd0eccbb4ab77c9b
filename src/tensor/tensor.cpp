#include "tensor/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "tensor/error.hpp"

namespace nnlab {

int64_t shape_size(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

void Tensor::FreeDeleter::operator()(float* p) const { std::free(p); }

Tensor::Tensor(Shape shape) {
  resize(shape);
  fill(0.0f);
}

Tensor Tensor::view(float* data, Shape shape) {
  Tensor t;
  t.size_ = shape_size(shape);
  t.capacity_ = t.size_;
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor::Tensor(const Tensor& other) {
  resize(other.shape_);
  channel_block_ = other.channel_block_;
  if (size_ > 0) std::memcpy(data_, other.data_, static_cast<size_t>(size_) * sizeof(float));
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this == &other) return *this;
  resize(other.shape_);
  channel_block_ = other.channel_block_;
  if (size_ > 0) std::memcpy(data_, other.data_, static_cast<size_t>(size_) * sizeof(float));
  return *this;
}

// Every member is exchanged, not copied: a defaulted move would copy data_ and size_, leaving
// the source a "view" into its new owner's memory that a later resize() would write through.
Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::exchange(other.shape_, {})),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      channel_block_(std::exchange(other.channel_block_, 0)),
      storage_(std::move(other.storage_)),
      data_(std::exchange(other.data_, nullptr)) {}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  shape_ = std::exchange(other.shape_, {});
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, 0);
  channel_block_ = std::exchange(other.channel_block_, 0);
  storage_ = std::move(other.storage_);
  data_ = std::exchange(other.data_, nullptr);
  return *this;
}

void Tensor::resize(const Shape& shape) {
  const int64_t n = shape_size(shape);
  NNLAB_CHECK(n >= 0, "tensor shape {} has a negative dimension", shape_str(shape));
  if (is_view()) {
    NNLAB_CHECK(n == size_, "cannot resize a tensor view from {} to {}", shape_str(shape_),
                shape_str(shape));
  } else if (n > capacity_) {
    // 64-byte alignment lets oneDNN and the vectorized loops use aligned AVX-512 loads.
    const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
    float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
    NNLAB_CHECK(p != nullptr, "out of memory allocating a tensor of shape {}", shape_str(shape));
    storage_.reset(p);
    data_ = p;
    capacity_ = n;
  }
  if (shape_ != shape) shape_ = shape;
  size_ = n;
  channel_block_ = 0;
}

void Tensor::set_channel_block(int block) {
  NNLAB_CHECK(block == 0 || (block > 1 && rank() == 4 && dim(1) % block == 0),
              "a tensor of shape {} cannot hold its channels in blocks of {}", shape_str(shape_),
              block);
  channel_block_ = block;
}

void Tensor::fill(float value) {
  for (int64_t i = 0; i < size_; ++i) data_[i] = value;
}

}  // namespace nnlab
