// Reading PNG files people make (drawing programs, screenshots, scans) as grey images.
#pragma once

#include <string>

#include "report/png_image.hpp"

namespace nnlab {

/// Any PNG colour type (grey, grey+alpha, RGB, RGBA, palette; 1- to 16-bit) as 8-bit grey
/// (libpng's sRGB luminance). Transparent pixels are composited on white, the paper a drawing
/// program leaves transparent. Throws naming the file when it is missing or not a valid PNG.
GrayImage read_png_gray(const std::string& path);

}  // namespace nnlab
