// nnlab predict MODEL.safetensors IMAGE.png...: the class of each image, by a saved model.
#include <fmt/format.h>
#include <png.h>

#include <memory>

#include "cli/commands.hpp"
#include "tensor/error.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"
#include "train/model_file.hpp"

namespace nnlab::cli {

namespace {

struct GreyImage {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> pixels;  // [height * width], row-major
};

// Any PNG (grey, RGB, palette, 16-bit, alpha) read as 8-bit grey by libpng's simplified API.
GreyImage read_png_grey(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  NNLAB_CHECK(png_image_begin_read_from_file(&image, path.c_str()) != 0, "{}: cannot read PNG: {}",
              path, image.message);
  image.format = PNG_FORMAT_GRAY;
  GreyImage out;
  out.height = image.height;
  out.width = image.width;
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  const int ok = png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr);
  const std::string message = image.message;
  png_image_free(&image);
  NNLAB_CHECK(ok != 0, "{}: cannot read PNG: {}", path, message);
  return out;
}

}  // namespace

void add_predict_command(CLI::App& app) {
  struct PredictArgs {
    std::string model;
    std::vector<std::string> images;
  };
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", "Classify PNG images with a saved model");
  cmd->add_option("model", args->model, "A model file (weights.safetensors of a run)")->required();
  cmd->add_option("images", args->images, "PNG images (grey or RGB, the model's size)")->required();
  cmd->callback([args] {
    std::vector<std::string> classes;
    auto model = load_model_file(args->model, &classes);
    const Shape& input = model->input_shape();
    NNLAB_CHECK(input.size() >= 2, "{}: the model's input [{}] is not an image", args->model,
                input.size());
    const int64_t h = input[input.size() - 2], w = input[input.size() - 1];
    int64_t size = 1;
    for (int64_t d : input) size *= d;
    NNLAB_CHECK(size == h * w, "{}: the model takes {}-channel images; predict reads grey ones",
                args->model, size / (h * w));
    Rng rng(0);
    for (const auto& path : args->images) {
      const GreyImage image = read_png_grey(path);
      NNLAB_CHECK(image.height == h && image.width == w,
                  "{}: the image is {}x{} pixels, the model takes {}x{}", path, image.height,
                  image.width, h, w);
      Shape shape{1};
      shape.insert(shape.end(), input.begin(), input.end());
      Tensor x(shape), probs;
      for (int64_t i = 0; i < size; ++i)
        x.data()[i] = image.pixels[static_cast<size_t>(i)] / 255.0f;
      model->predict(x, probs, rng);
      int64_t best = 0;
      for (int64_t c = 1; c < probs.size(); ++c)
        if (probs.data()[c] > probs.data()[best]) best = c;
      const std::string name = static_cast<size_t>(best) < classes.size()
                                   ? classes[static_cast<size_t>(best)]
                                   : std::to_string(best);
      fmt::print("{}: {} ({:.4f})\n", path, name, probs.data()[best]);
    }
  });
}

}  // namespace nnlab::cli
