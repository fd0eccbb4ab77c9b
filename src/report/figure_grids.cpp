#include "report/figure_grids.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/html.hpp"
#include "report/png_image.hpp"
#include "tensor/error.hpp"

namespace nnlab::report {
namespace {

constexpr int kTilePixels = 56;  // on-screen size of a tile's longer side
constexpr int kMaxScale = 10;
constexpr int kPad = 2;

float finite(float v) { return std::isfinite(v) ? v : 0.0f; }

uint8_t level(double t) {  // t in [0, 1]
  return static_cast<uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0));
}

}  // namespace

std::vector<uint8_t> to_grey(std::span<const float> values, int64_t unit, GreyScale scale) {
  NNLAB_CHECK(unit > 0, "grey scale: normalization unit must be positive, got {}", unit);
  std::vector<uint8_t> out(values.size());
  for (size_t begin = 0; begin < values.size(); begin += static_cast<size_t>(unit)) {
    const size_t end = std::min(values.size(), begin + static_cast<size_t>(unit));
    float lo = finite(values[begin]), hi = lo;
    for (size_t i = begin; i < end; ++i) {
      lo = std::min(lo, finite(values[i]));
      hi = std::max(hi, finite(values[i]));
    }
    for (size_t i = begin; i < end; ++i) {
      const double v = finite(values[i]);
      if (scale == GreyScale::min_max) {
        out[i] = hi > lo ? level((v - lo) / (static_cast<double>(hi) - lo)) : 0;
      } else {
        const double m = std::max(std::abs(lo), std::abs(hi));
        out[i] = m > 0 ? level(0.5 + 0.5 * v / m) : 128;
      }
    }
  }
  return out;
}

int display_scale(int h, int w) {
  return std::clamp(kTilePixels / std::max({h, w, 1}), 1, kMaxScale);
}

std::string grid_image(const Tiles& tiles, int cols, std::string_view alt) {
  NNLAB_CHECK(tiles.grey.size() == static_cast<size_t>(tiles.count) * tiles.h * tiles.w,
              "image grid: {} grey values for {} tiles of {}x{}", tiles.grey.size(), tiles.count,
              tiles.h, tiles.w);
  const GrayImage image = tile_images(tiles.grey.data(), tiles.count, tiles.h, tiles.w, cols,
                                      display_scale(tiles.h, tiles.w), kPad);
  return fmt::format("<img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\">", png_data_uri(image),
                     image.width, image.height, html::escape(alt));
}

std::string figure(const std::string& content, std::string_view caption) {
  return "<figure class=\"plate\">" + content + "<figcaption>" + html::escape(caption) +
         "</figcaption></figure>\n";
}

}  // namespace nnlab::report
