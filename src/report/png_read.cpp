#include "report/png_read.hpp"

#include <png.h>

#include <filesystem>

#include "tensor/error.hpp"

namespace nnlab {

GrayImage read_png_gray(const std::string& path) {
  std::error_code ec;
  NNLAB_CHECK(std::filesystem::is_regular_file(path, ec), "{}: no such file", path);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  // libpng's simplified API: no longjmp reaches us, failures come back as a message.
  const bool begun = png_image_begin_read_from_file(&image, path.c_str()) != 0;
  NNLAB_CHECK(begun, "{}: not a PNG image ({})", path, image.message);
  image.format = PNG_FORMAT_GRAY;
  GrayImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  const png_color white{255, 255, 255};
  const int ok = png_image_finish_read(&image, &white, out.pixels.data(), 0, nullptr);
  const std::string message = image.message;
  png_image_free(&image);
  NNLAB_CHECK(ok != 0, "{}: cannot read the PNG image: {}", path, message);
  return out;
}

}  // namespace nnlab
