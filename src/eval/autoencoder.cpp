#include "eval/autoencoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/loader.hpp"
#include "nn/activation_layer.hpp"
#include "tensor/error.hpp"

namespace nnlab {

void check_autoencoder(const Model& model, const std::string& what) {
  const int code = model.code_layer();
  NNLAB_CHECK(code >= 0,
              "{}: the model has no code layer; an autoencoder marks the end of its encoder with "
              "{{type = \"code\"}} in model.layers",
              what);
  NNLAB_CHECK(code + 1 < model.layer_count(),
              "{}: the model's code layer is its last: there is no decoder", what);
}

Tensor encode(Model& model, const Dataset& data, std::span<const int64_t> indices, int64_t batch) {
  const int code = model.code_layer();
  NNLAB_CHECK(code >= 0, "encode: the model has no code layer");
  // Images may have no labels and rows no targets: the codes need neither.
  Loader loader(data, {indices.begin(), indices.end()},
                {.task = Task::reconstruct, .batch = batch, .shuffle = false});
  const int64_t width = shape_size(model.layer(code).output_shape());
  Tensor codes({loader.size(), width});
  Pass pass;
  Batch b;
  Rng rng(0);  // eval mode draws no random numbers
  int64_t row = 0;
  while (loader.next(b)) {
    const Tensor& y = model.forward(b.x, Mode::eval, rng, pass, 0, code + 1);
    std::memcpy(codes.row(row), y.data(), static_cast<size_t>(y.size()) * sizeof(float));
    row += b.size();
  }
  return codes;
}

Tensor encode_rows(Model& model, const Tensor& rows, int64_t batch) {
  const int code = model.code_layer();
  NNLAB_CHECK(code >= 0, "encode: the model has no code layer");
  NNLAB_CHECK(batch > 0, "encode: batch size must be > 0, got {}", batch);
  Shape in = model.input_shape();
  const int64_t width = shape_size(in), n = rows.rows();
  NNLAB_CHECK(n == 0 || rows.size() / n == width,
              "encode: the model takes samples of {} values, given rows of {}", width,
              rows.size() / n);
  Tensor codes({n, shape_size(model.layer(code).output_shape())}), x;
  Pass pass;
  Rng rng(0);  // eval mode draws no random numbers
  in.insert(in.begin(), 0);
  for (int64_t first = 0; first < n; first += batch) {
    in[0] = std::min(batch, n - first);
    x.resize(in);
    std::memcpy(x.data(), rows.data() + first * width, sizeof(float) * x.size());
    const Tensor& y = model.forward(x, Mode::eval, rng, pass, 0, code + 1);
    std::memcpy(codes.row(first), y.data(), sizeof(float) * y.size());
  }
  return codes;
}

Tensor decode(Model& model, const Tensor& codes, int64_t batch) {
  const int code = model.code_layer();
  NNLAB_CHECK(code >= 0 && code + 1 < model.layer_count(), "decode: the model has no decoder");
  NNLAB_CHECK(batch > 0, "decode: batch size must be > 0, got {}", batch);
  const Shape& code_shape = model.layer(code).output_shape();
  NNLAB_CHECK(codes.rank() == 2 && codes.cols() == shape_size(code_shape),
              "decode: the model's codes have {} values, got codes of shape {}",
              shape_size(code_shape), shape_str(codes.shape()));
  const int64_t n = codes.rows();
  const int64_t out_size = shape_size(model.output_shape());
  Tensor out({n, out_size});
  Shape in_shape = code_shape;
  in_shape.insert(in_shape.begin(), 0);
  Tensor x;
  Pass pass;
  Rng rng(0);
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t b = std::min(batch, n - first);
    in_shape[0] = b;
    x.resize(in_shape);
    std::memcpy(x.data(), codes.row(first), static_cast<size_t>(x.size()) * sizeof(float));
    const Tensor& y = model.forward(x, Mode::eval, rng, pass, code + 1);
    float* o = out.row(first);
    std::memcpy(o, y.data(), static_cast<size_t>(y.size()) * sizeof(float));
    if (model.head() == Head::sigmoid) sigmoid_values(o, o, y.size());
    if (model.head() == Head::softmax) softmax_rows(o, o, b, out_size);
  }
  return out;
}

std::vector<uint8_t> to_bytes(std::span<const float> values) {
  std::vector<uint8_t> bytes(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = std::isfinite(values[i]) ? std::clamp(values[i], 0.0f, 1.0f) : 0.0f;
    bytes[i] = static_cast<uint8_t>(std::lround(v * 255.0f));
  }
  return bytes;
}

}  // namespace nnlab
