#include "nn/reshape.hpp"

#include <algorithm>

#include "tensor/error.hpp"

namespace nnlab {

namespace {

/// [N, sample...]
Shape with_batch(int64_t n, const Shape& sample) {
  Shape s = {n};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

}  // namespace

Reshape::Reshape(std::string name, Shape shape) : Layer(std::move(name)), shape_(std::move(shape)) {
  NNLAB_CHECK(
      !shape_.empty() &&
          std::all_of(shape_.begin(), shape_.end(), [](int64_t d) { return d > 0 || d == -1; }) &&
          std::count(shape_.begin(), shape_.end(), -1) <= 1,
      "reshape layer '{}': the shape must list positive sizes and at most one -1, got [{}]",
      this->name(), fmt::join(shape_, ", "));
}

std::string Reshape::describe() const {
  return fmt::format("reshape([{}])", fmt::join(shape_, ", "));
}

Shape Reshape::build_impl(const Shape& in) {
  const int64_t have = shape_size(in);
  int64_t known = 1;
  for (int64_t d : shape_)
    if (d > 0) known *= d;
  Shape out = shape_;
  const auto free = std::find(out.begin(), out.end(), -1);
  if (free != out.end()) {
    NNLAB_CHECK(have % known == 0,
                "reshape layer '{}': [{}] cannot hold the {} values per sample of the input {} "
                "({} is not a multiple of {})",
                name(), fmt::join(shape_, ", "), have, shape_str(in), have, known);
    *free = have / known;
  }
  NNLAB_CHECK(shape_size(out) == have,
              "reshape layer '{}': [{}] needs {} values per sample, the input {} has {}", name(),
              fmt::join(shape_, ", "), shape_size(out), shape_str(in), have);
  return out;
}

// Views, not copies (see the header). Tensor::view takes a non-const pointer; the next layer
// (or the previous one's backward) only reads through it.
void Reshape::forward_impl(const Tensor& x, LayerContext& ctx) {
  ctx.y = Tensor::view(const_cast<float*>(x.data()), with_batch(x.rows(), output_shape()));
}

void Reshape::backward_impl(LayerContext& ctx, const Tensor& dy) {
  ctx.dx = Tensor::view(const_cast<float*>(dy.data()), ctx.x->shape());
}

}  // namespace nnlab
