#include "report/png_image.hpp"

#include <png.h>

#include <algorithm>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

void append_png(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void flush_png(png_structp) {}

// libpng reports errors through longjmp by default; throwing from the error callback instead
// keeps C++ destructors running (libpng's manual allows it; x86-64 and arm64 C code carries the
// unwind tables it needs). Only a programming error can reach it: the sink never fails.
[[noreturn]] void png_error_fn(png_structp, png_const_charp message) {
  throw Error(fmt::format("PNG encoding failed: {}", message));
}

void png_warning_fn(png_structp, png_const_charp) {}

}  // namespace

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16 |
                       static_cast<uint8_t>(bytes[i + 1]) << 8 | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string encode_png_gray(const uint8_t* pixels, int width, int height) {
  NNLAB_CHECK(width > 0 && height > 0, "PNG encoding: bad image size {}x{}", width, height);
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_error_fn, png_warning_fn);
  NNLAB_CHECK(png != nullptr, "PNG encoding: cannot create the libpng writer");
  png_infop info = png_create_info_struct(png);
  std::string out;
  try {
    NNLAB_CHECK(info != nullptr, "PNG encoding: cannot create the libpng info");
    png_set_write_fn(png, &out, append_png, flush_png);
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
                 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int r = 0; r < height; ++r)
      png_write_row(png, const_cast<png_bytep>(pixels + static_cast<size_t>(r) * width));
    png_write_end(png, nullptr);
  } catch (...) {
    png_destroy_write_struct(&png, &info);
    throw;
  }
  png_destroy_write_struct(&png, &info);
  return out;
}

GrayImage tile_images(const uint8_t* images, int count, int h, int w, int cols, int scale,
                      int pad) {
  NNLAB_CHECK(count > 0 && h > 0 && w > 0 && cols > 0 && scale > 0 && pad >= 0,
              "PNG grid: bad layout ({} images of {}x{}, {} columns)", count, h, w, cols);
  cols = std::min(cols, count);
  const int rows = (count + cols - 1) / cols;
  const int cell_w = w * scale + pad, cell_h = h * scale + pad;
  GrayImage out{.width = cols * cell_w - pad, .height = rows * cell_h - pad, .pixels = {}};
  out.pixels.assign(static_cast<size_t>(out.width) * out.height, 255);
  for (int i = 0; i < count; ++i) {
    const uint8_t* img = images + static_cast<size_t>(i) * h * w;
    const int x0 = (i % cols) * cell_w, y0 = (i / cols) * cell_h;
    for (int y = 0; y < h * scale; ++y)
      for (int x = 0; x < w * scale; ++x)
        out.pixels[static_cast<size_t>(y0 + y) * out.width + x0 + x] =
            img[static_cast<size_t>(y / scale) * w + x / scale];
  }
  return out;
}

std::string png_data_uri(const GrayImage& image) {
  return "data:image/png;base64," +
         base64(encode_png_gray(image.pixels.data(), image.width, image.height));
}

}  // namespace nnlab
