// Tensor: float32, contiguous, row-major (NCHW for images). Either owns its storage or views
// memory owned elsewhere (a model's parameter arena).
//
// An image batch [N, C, H, W] may instead hold its channels in blocks of b (oneDNN's nChw8c or
// nChw16c: [N, C/b, H, W, b], C a multiple of b), the layout oneDNN's convolution kernels compute
// in. Convolution, pooling and element-wise layers pass such a batch along as it is, so a chain
// of them reorders nothing between its layers; every other reader gets plain NCHW (Layer::forward
// converts for it). The shape is always the logical [N, C, H, W].
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nnlab {

using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for the empty shape).
int64_t shape_size(const Shape& shape);
/// "[64, 784]"
std::string shape_str(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  /// Owning tensor of the given shape, zero-filled.
  explicit Tensor(Shape shape);
  /// Non-owning view of `size(shape)` floats at `data`; the caller keeps them alive.
  static Tensor view(float* data, Shape shape);

  Tensor(const Tensor& other);                 // deep copy (a view's copy owns its data)
  Tensor& operator=(const Tensor& other);      // copies values; keeps storage when sizes match
  Tensor(Tensor&& other) noexcept;             // takes the storage; `other` is left empty
  Tensor& operator=(Tensor&& other) noexcept;  // takes the storage; `other` is left empty

  /// Gives the tensor `shape`, reusing its storage when it is large enough: after the first
  /// batch this never allocates. Contents are unspecified afterwards. Not allowed on views
  /// unless the size is unchanged.
  void resize(const Shape& shape);

  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// First dimension (the batch), and the product of the others.
  int64_t rows() const { return shape_.empty() ? 1 : shape_[0]; }
  int64_t cols() const { return rows() == 0 ? 0 : size_ / rows(); }

  float* data() { return data_; }
  const float* data() const { return data_; }
  std::span<float> span() { return {data_, static_cast<size_t>(size_)}; }
  std::span<const float> span() const { return {data_, static_cast<size_t>(size_)}; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }
  /// Pointer to row `r` (first dimension).
  float* row(int64_t r) { return data_ + r * cols(); }
  const float* row(int64_t r) const { return data_ + r * cols(); }

  void fill(float value);
  bool is_view() const { return !storage_ && data_ != nullptr; }

  /// 0: plain; b > 1: channels in blocks of b (see the top of the file). resize() makes a tensor
  /// plain again: a layer that writes the blocked layout says so after resizing.
  int channel_block() const { return channel_block_; }
  bool plain() const { return channel_block_ == 0; }
  void set_channel_block(int block);

 private:
  struct FreeDeleter {
    void operator()(float* p) const;
  };
  Shape shape_;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
  int channel_block_ = 0;
  std::unique_ptr<float[], FreeDeleter> storage_;  // 64-byte aligned; null for views
  float* data_ = nullptr;
};

}  // namespace nnlab
