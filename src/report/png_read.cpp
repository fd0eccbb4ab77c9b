#include "report/png_read.hpp"

#include <png.h>

#include <cstdint>
#include <filesystem>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// The largest PNG read: 16384 pixels a side and 2^26 pixels (64 MiB of grey) in all, far above
// any drawing or scan of a digit. A header claiming more is refused before pixels are allocated
// (libpng's own limit, a million pixels a side, would let a 74-byte file ask for 4 GB).
constexpr png_uint_32 kMaxPngSide = 16384;
constexpr uint64_t kMaxPngPixels = uint64_t{1} << 26;
// The pixels a file can hold: its image data inflates at most 1032-fold (deflate's largest
// ratio) and a pixel takes at least one bit of it, so n bytes hold at most 8 x 1032 x n pixels.
// A small file claiming a large image is refused before its pixels are allocated rather than
// when its data runs out.
constexpr uint64_t kMaxPixelsPerFileByte = 8 * 1032;

}  // namespace

GrayImage read_png_gray(const std::string& path) {
  std::error_code ec;
  NNLAB_CHECK(std::filesystem::is_regular_file(path, ec), "{}: no such file", path);
  const uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  NNLAB_CHECK(!ec, "{}: cannot read its size: {}", path, ec.message());
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  // libpng's simplified API: no longjmp reaches us, failures come back as a message.
  const bool begun = png_image_begin_read_from_file(&image, path.c_str()) != 0;
  NNLAB_CHECK(begun, "{}: not a PNG image ({})", path, image.message);
  const uint64_t pixels = uint64_t{image.width} * image.height;  // both below 2^31: no overflow
  if (image.width > kMaxPngSide || image.height > kMaxPngSide || pixels > kMaxPngPixels) {
    png_image_free(&image);
    throw Error(
        fmt::format("{}: the PNG image is {}x{} pixels, more than nnlab reads (at most "
                    "{}x{} and {} pixels)",
                    path, image.width, image.height, kMaxPngSide, kMaxPngSide, kMaxPngPixels));
  }
  if (pixels / kMaxPixelsPerFileByte > file_bytes) {  // the file's size is below 2^64 / 8256
    png_image_free(&image);
    throw Error(
        fmt::format("{}: the PNG header claims {}x{} pixels, more than its {} bytes can "
                    "hold (at most {} pixels a byte)",
                    path, image.width, image.height, file_bytes, kMaxPixelsPerFileByte));
  }
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
