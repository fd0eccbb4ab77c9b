// Grey images for the report as in-memory PNG files (libpng) inside data: URIs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nnlab {

/// Base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

/// PNG bytes of a grey 8-bit image, `height` rows of `width` pixels. Throws nnlab::Error when
/// libpng fails.
std::string encode_png_gray(const uint8_t* pixels, int width, int height);

/// A grey 8-bit image: `height` rows of `width` pixels.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

/// Lays out `count` grey images of h x w pixels (stored one after the other) in a grid of
/// `cols` columns (fewer when there are fewer images), each pixel repeated `scale` times and
/// images separated by `pad` white pixels: cols * (w * scale + pad) - pad pixels wide.
GrayImage tile_images(const uint8_t* images, int count, int h, int w, int cols, int scale, int pad);

/// "data:image/png;base64,..." holding `image` as a PNG file.
std::string png_data_uri(const GrayImage& image);

}  // namespace nnlab
