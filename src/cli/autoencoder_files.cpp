#include "cli/autoencoder_files.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "data/idx.hpp"
#include "eval/autoencoder.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "report/png_image.hpp"
#include "tensor/error.hpp"

namespace nnlab::cli {

namespace {

constexpr int kGridImages = 100, kGridColumns = 10;

}  // namespace

void write_codes(const std::string& dir, const Tensor& codes, const Dataset& data,
                 std::span<const int64_t> indices) {
  SafeTensors st;
  st.add_f32("codes", codes.shape(), codes.data());
  const bool labelled = !data.labels.empty();
  std::vector<float> labels;
  std::string csv = "label";
  for (int64_t j = 0; j < codes.cols(); ++j) csv += fmt::format(",c{}", j);
  csv += "\n";
  for (int64_t i = 0; i < codes.rows(); ++i) {
    const int64_t sample = indices[static_cast<size_t>(i)];
    std::string name;
    if (labelled) {
      const int32_t label = data.labels[static_cast<size_t>(sample)];
      labels.push_back(static_cast<float>(label));
      name = data.class_names[static_cast<size_t>(label)];
    }
    csv += name;
    const float* c = codes.row(i);
    for (int64_t j = 0; j < codes.cols(); ++j) csv += fmt::format(",{:.7g}", c[j]);
    csv += "\n";
  }
  if (labelled) st.add_f32("labels", {codes.rows()}, labels.data());
  save_safetensors(dir + "/codes.safetensors", st);
  write_file_atomic(dir + "/codes.csv", csv);
}

void write_images(const std::string& dir, const Tensor& images, const Shape& shape,
                  const std::string& model) {
  NNLAB_CHECK(shape.size() == 3 && shape[0] == 1 && images.cols() == shape[1] * shape[2],
              "{}: the decoder makes samples of {} values; images need a model whose samples are "
              "grey images [1, H, W] (this one's are {})",
              model, images.cols(), shape_str(shape));
  const int h = static_cast<int>(shape[1]), w = static_cast<int>(shape[2]);
  const std::vector<uint8_t> bytes = to_bytes(images.span());
  IdxArray idx{.type = 0x08, .dims = {images.rows(), shape[1], shape[2]}, .data = bytes};
  write_idx(dir + "/images-idx3-ubyte", idx);
  const int shown = static_cast<int>(std::min<int64_t>(images.rows(), kGridImages));
  const GrayImage grid = tile_images(bytes.data(), shown, h, w, kGridColumns, 2, 2);
  write_file_atomic(dir + "/images.png",
                    encode_png_gray(grid.pixels.data(), grid.width, grid.height));
}

}  // namespace nnlab::cli
