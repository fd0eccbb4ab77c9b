// Tiled image grids for the report's figures: learned kernels, feature maps, receptive fields,
// sample images. Float tiles are first mapped to grey levels, then laid out and inlined as PNG.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nnlab::report {

/// How float values become grey levels, each normalization unit (a tile, or a group of tiles)
/// scaled on its own.
enum class GreyScale {
  min_max,    // the unit's minimum black (0), its maximum white (255); a constant unit black
  diverging,  // 0 mid-grey (128); the unit's largest |value| white if positive, black if negative
};

/// Grey levels of `values`, normalized in consecutive units of `unit` values (the last unit may
/// be shorter). Non-finite values count as 0.
std::vector<uint8_t> to_grey(std::span<const float> values, int64_t unit, GreyScale scale);

/// Grey tiles of h x w pixels stored one after the other.
struct Tiles {
  std::vector<uint8_t> grey;
  int count = 0;
  int h = 0;
  int w = 0;
};

/// How many times each pixel of an h x w tile is repeated on screen: tiles come out roughly 56
/// pixels on their longer side (at most 10x, at least 1x).
int display_scale(int h, int w);

/// The general grid: an <img> (PNG data URI) of the tiles in `cols` columns, each pixel repeated
/// display_scale(h, w) times, 2 white pixels between tiles. `alt` is escaped.
std::string grid_image(const Tiles& tiles, int cols, std::string_view alt);

/// <figure> around `content` (HTML) with an escaped caption.
std::string figure(const std::string& content, std::string_view caption);

}  // namespace nnlab::report
