#include "data/preprocess.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"

namespace nnlab {
namespace {

// A pixel is ink above this level (after level_background). MNIST's test digits have a
// 20-pixel bounding box at any threshold up to 50/255, so the faint anti-aliased rim counts
// for little; the margin keeps sensor noise and JPEG-like speckle out of the box.
constexpr float kInk = 0.1f;

const std::vector<Preprocess>& recipes() {
  static const std::vector<Preprocess> all = {
      {.name = "mnist",
       .level = true,
       .crop = true,
       .fit = 20,
       .centring = Centring::mass,
       .what = "light background inverted, ink cropped, fitted in 20x20, centred by its centre "
               "of mass"},
      {.name = "fashion-mnist",
       .level = true,
       .crop = true,
       .fit = 28,
       .centring = Centring::box,
       .what = "light background inverted, object cropped, longer side scaled to 28, centred"},
      {.name = "none", .what = "the image as it is (the model's size, light on black)"},
  };
  return all;
}

/// One output pixel's share of each input pixel along one axis: pairs (input index, weight).
using Weights = std::vector<std::vector<std::pair<int, double>>>;

Weights area_weights(int in, int out) {
  const double r = static_cast<double>(in) / out;  // input pixels per output pixel
  Weights w(static_cast<size_t>(out));
  for (int i = 0; i < out; ++i) {
    const double start = i * r, end = (i + 1) * r;
    for (int k = static_cast<int>(std::floor(start));
         k < std::min(in, static_cast<int>(std::ceil(end))); ++k) {
      const double overlap = std::min(end, k + 1.0) - std::max(start, static_cast<double>(k));
      if (overlap > 0) w[static_cast<size_t>(i)].emplace_back(k, overlap / r);
    }
  }
  return w;
}

FloatImage black(int height, int width) {
  return {height, width, std::vector<float>(static_cast<size_t>(height) * width, 0.0f)};
}

}  // namespace

FloatImage image_from_bytes(const uint8_t* pixels, int height, int width) {
  FloatImage out = black(height, width);
  for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = pixels[i] / 255.0f;
  return out;
}

const Preprocess& preprocess_recipe(const std::string& name) {
  for (const Preprocess& p : recipes())
    if (p.name == name) return p;
  throw Error(fmt::format("unknown preprocessing '{}'; known: {}", name,
                          fmt::join(preprocess_names(), ", ")));
}

std::vector<std::string> preprocess_names() {
  std::vector<std::string> names;
  for (const Preprocess& p : recipes()) names.push_back(p.name);
  return names;
}

FloatImage level_background(const FloatImage& image) {
  std::vector<float> border;
  for (int r = 0; r < image.height; ++r)
    for (int c = 0; c < image.width; ++c)
      if (r == 0 || c == 0 || r == image.height - 1 || c == image.width - 1)
        border.push_back(image.at(r, c));
  double mean = 0;
  for (float v : border) mean += v / static_cast<double>(border.size());
  const bool invert = mean > 0.5;
  FloatImage out = image;
  if (invert)
    for (float& v : out.values) v = 1 - v;
  for (float& v : border) v = invert ? 1 - v : v;
  std::nth_element(border.begin(), border.begin() + static_cast<std::ptrdiff_t>(border.size() / 2),
                   border.end());
  const float level = border[border.size() / 2];
  if (level > 0 && level < 1)
    for (float& v : out.values) v = std::clamp((v - level) / (1 - level), 0.0f, 1.0f);
  return out;
}

Box ink_box(const FloatImage& image, float threshold) {
  int top = image.height, bottom = -1, left = image.width, right = -1;
  for (int r = 0; r < image.height; ++r)
    for (int c = 0; c < image.width; ++c)
      if (image.at(r, c) > threshold) {
        top = std::min(top, r);
        bottom = std::max(bottom, r);
        left = std::min(left, c);
        right = std::max(right, c);
      }
  NNLAB_CHECK(bottom >= 0, "no ink: every pixel of the {}x{} image is at the background level",
              image.height, image.width);
  return {top, left, bottom - top + 1, right - left + 1};
}

FloatImage crop(const FloatImage& image, const Box& box) {
  FloatImage out = black(box.height, box.width);
  for (int r = 0; r < box.height; ++r)
    for (int c = 0; c < box.width; ++c)
      out.values[static_cast<size_t>(r) * box.width + c] = image.at(box.top + r, box.left + c);
  return out;
}

FloatImage area_resize(const FloatImage& image, int height, int width) {
  const Weights wy = area_weights(image.height, height), wx = area_weights(image.width, width);
  // Columns first: tmp is [image.height, width].
  std::vector<double> tmp(static_cast<size_t>(image.height) * width, 0.0);
  for (int r = 0; r < image.height; ++r)
    for (int c = 0; c < width; ++c)
      for (const auto& [k, w] : wx[static_cast<size_t>(c)])
        tmp[static_cast<size_t>(r) * width + c] += w * image.at(r, k);
  FloatImage out = black(height, width);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      double v = 0;
      for (const auto& [k, w] : wy[static_cast<size_t>(r)])
        v += w * tmp[static_cast<size_t>(k) * width + c];
      out.values[static_cast<size_t>(r) * width + c] = static_cast<float>(v);
    }
  return out;
}

Point centre_of_mass(const FloatImage& image) {
  double total = 0, row = 0, col = 0;
  for (int r = 0; r < image.height; ++r)
    for (int c = 0; c < image.width; ++c) {
      const double v = image.at(r, c);
      total += v;
      row += v * r;
      col += v * c;
    }
  if (total == 0) return {(image.height - 1) / 2.0, (image.width - 1) / 2.0};
  return {row / total, col / total};
}

FloatImage place(const FloatImage& image, int height, int width, int top, int left) {
  FloatImage out = black(height, width);
  for (int r = std::max(0, top); r < std::min(height, top + image.height); ++r)
    for (int c = std::max(0, left); c < std::min(width, left + image.width); ++c)
      out.values[static_cast<size_t>(r) * width + c] = image.at(r - top, c - left);
  return out;
}

FloatImage preprocess(const FloatImage& image, const Preprocess& recipe, int height, int width) {
  FloatImage img = recipe.level ? level_background(image) : image;
  if (recipe.crop) img = crop(img, ink_box(img, kInk));
  if (recipe.fit > 0) {
    const double scale = static_cast<double>(recipe.fit) / std::max(img.height, img.width);
    img = area_resize(img, std::max(1, static_cast<int>(std::lround(img.height * scale))),
                      std::max(1, static_cast<int>(std::lround(img.width * scale))));
  }
  switch (recipe.centring) {
    case Centring::none:
      NNLAB_CHECK(img.height == height && img.width == width,
                  "the image is {}x{} pixels, the model takes {}x{} (preprocessing '{}': {})",
                  img.height, img.width, height, width, recipe.name, recipe.what);
      return img;
    case Centring::mass: {
      // MNIST's centres of mass average (14.0, 14.0) in 28x28, 0.3 pixels apart: whole-pixel
      // shifts onto (H/2, W/2).
      const Point c = centre_of_mass(img);
      return place(img, height, width, static_cast<int>(std::lround(height / 2.0 - c.row)),
                   static_cast<int>(std::lround(width / 2.0 - c.col)));
    }
    case Centring::box:
      return place(img, height, width, static_cast<int>(std::floor((height - img.height) / 2.0)),
                   static_cast<int>(std::floor((width - img.width) / 2.0)));
  }
  return img;
}

}  // namespace nnlab
