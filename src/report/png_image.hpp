// Grey images for the report as in-memory PNG files (libpng) inside data: URIs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nnlab {

/// Base64 (RFC 4648, with padding).
std::string base64(std::string_view bytes);

/// PNG bytes of a grey 8-bit image, `height` rows of `width` pixels. Throws nnlab::Error when
/// libpng fails.
std::string encode_png_gray(const uint8_t* pixels, int width, int height);

/// Lays out `count` grey images of h x w pixels (stored one after the other) in a grid of
/// `cols` columns, each pixel repeated `scale` times and images separated by `pad` white
/// pixels, and returns it as "data:image/png;base64,...".
std::string png_grid_data_uri(const uint8_t* images, int count, int h, int w, int cols,
                              int scale = 2, int pad = 2);

}  // namespace nnlab
