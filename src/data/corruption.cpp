// One table row per corruption: its name, its parameter's form and range, and a function that
// corrupts one image in place. Adding a corruption is one function and one row; parse(), the
// error messages and the tests that loop over corruption_forms() pick it up.
#include "data/corruption.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "tensor/elementwise.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

struct Image {
  float* data;
  int64_t channels, height, width;
  int64_t size() const { return channels * height * width; }
};

void apply_none(const Image&, double, Rng&) {}

void apply_gaussian(const Image& im, double stddev, Rng& rng) {
  const auto s = static_cast<float>(stddev);
  for (int64_t i = 0; i < im.size(); ++i)
    im.data[i] = std::clamp(im.data[i] + rng.normal(0.f, s), 0.f, 1.f);
}

void apply_uniform(const Image& im, double, Rng& rng) {
  for (int64_t i = 0; i < im.size(); ++i)
    im.data[i] = std::clamp(im.data[i] + rng.uniform(), 0.f, 1.f);
}

void apply_occlusion(const Image& im, double side, Rng& rng) {
  const auto k = static_cast<int64_t>(side);
  // Both corners drawn so that the square lies fully inside: H - K + 1 top rows are possible.
  const auto top = static_cast<int64_t>(rng.below(static_cast<uint64_t>(im.height - k + 1)));
  const auto left = static_cast<int64_t>(rng.below(static_cast<uint64_t>(im.width - k + 1)));
  for (int64_t c = 0; c < im.channels; ++c)
    for (int64_t y = top; y < top + k; ++y)
      std::fill_n(im.data + (c * im.height + y) * im.width + left, k, 0.f);
}

void apply_salt_pepper(const Image& im, double fraction, Rng& rng) {
  const auto p = static_cast<float>(fraction);
  for (int64_t i = 0; i < im.size(); ++i)
    if (rng.uniform() < p) im.data[i] = rng.uniform() < 0.5f ? 0.f : 1.f;
}

struct Kind {
  std::string_view name;
  std::string_view param;  // its form in messages ("STD"); empty when it takes none
  double lo, hi;           // the parameter's valid range
  bool integer;
  void (*apply)(const Image&, double, Rng&);
};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Kind kKinds[] = {
    {"none", "", 0, 0, false, apply_none},
    {"gaussian", "STD", 0, kInf, false, apply_gaussian},
    {"uniform", "", 0, 0, false, apply_uniform},
    {"occlusion", "SIZE", 1, kInf, true, apply_occlusion},
    {"salt_pepper", "FRACTION", 0, 1, false, apply_salt_pepper},
};

std::string form(const Kind& k) {
  return k.param.empty() ? std::string(k.name) : fmt::format("{}:{}", k.name, k.param);
}

std::string valid_forms() { return fmt::format("{}", fmt::join(corruption_forms(), ", ")); }

// The row of `spec`, after checking its parameter against the row's range.
const Kind& checked_kind(const CorruptionSpec& spec, std::string_view text) {
  const auto* kind = std::find_if(std::begin(kKinds), std::end(kKinds),
                                  [&](const Kind& k) { return k.name == spec.name; });
  NNLAB_CHECK(kind != std::end(kKinds), "corruption '{}': unknown name '{}'; valid: {}", text,
              spec.name, valid_forms());
  if (kind->param.empty()) {
    NNLAB_CHECK(spec.param == 0, "corruption '{}': {} takes no value", text, spec.name);
  } else {
    NNLAB_CHECK(spec.param >= kind->lo && spec.param <= kind->hi && std::isfinite(spec.param) &&
                    (!kind->integer || spec.param == std::floor(spec.param)),
                "corruption '{}': {} must be {} {}", text, kind->param,
                kind->integer ? "an integer" : "a finite number",
                std::isinf(kind->hi) ? fmt::format(">= {}", kind->lo)
                                     : fmt::format("in [{}, {}]", kind->lo, kind->hi));
  }
  return *kind;
}

}  // namespace

std::vector<std::string> corruption_forms() {
  std::vector<std::string> out;
  for (const Kind& k : kKinds) out.push_back(form(k));
  return out;
}

CorruptionSpec CorruptionSpec::parse(std::string_view text) {
  CorruptionSpec spec;
  const size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  const auto* kind = std::find_if(std::begin(kKinds), std::end(kKinds),
                                  [&](const Kind& k) { return k.name == spec.name; });
  if (kind != std::end(kKinds) && !kind->param.empty()) {
    NNLAB_CHECK(colon != std::string_view::npos, "corruption '{}': needs a value, as {}", text,
                form(*kind));
    const std::string_view value = text.substr(colon + 1);
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), spec.param);
    NNLAB_CHECK(ec == std::errc() && end == value.data() + value.size() && !value.empty(),
                "corruption '{}': '{}' is not a number (as {})", text, value, form(*kind));
  } else if (kind != std::end(kKinds)) {
    NNLAB_CHECK(colon == std::string_view::npos, "corruption '{}': {} takes no value", text,
                spec.name);
  }
  checked_kind(spec, text);
  return spec;
}

void check_fits(const CorruptionSpec& spec, int64_t height, int64_t width) {
  NNLAB_CHECK(
      spec.name != "occlusion" ||
          (spec.param <= static_cast<double>(height) && spec.param <= static_cast<double>(width)),
      "corruption {}: the square does not fit in {} x {} images", spec.str(), height, width);
}

std::string CorruptionSpec::str() const {
  const auto* kind = std::find_if(std::begin(kKinds), std::end(kKinds),
                                  [&](const Kind& k) { return k.name == name; });
  if (kind == std::end(kKinds) || kind->param.empty()) return name;
  return fmt::format("{}:{}", name, param);
}

void corrupt(Tensor& x, const CorruptionSpec& spec, const Rng& rng, int64_t first_index,
             int64_t height, int64_t width) {
  const Kind& kind = checked_kind(spec, spec.str());
  if (spec.is_none()) return;  // on any tensor, images or not
  const int rank = x.rank();
  NNLAB_CHECK(rank >= 2 && rank <= 4,
              "corruption {}: needs images [N, C, H, W], [N, H, W] or rows [N, F], got {}",
              spec.str(), shape_str(x.shape()));
  const int64_t n = x.dim(0);
  int64_t features = 1;
  for (int i = 1; i < rank; ++i) features *= x.dim(i);
  if (rank >= 3) {
    NNLAB_CHECK(
        (height == 0 || height == x.dim(rank - 2)) && (width == 0 || width == x.dim(rank - 1)),
        "corruption {}: images {} are not {} x {}", spec.str(), shape_str(x.shape()), height,
        width);
    height = x.dim(rank - 2);
    width = x.dim(rank - 1);
  }
  NNLAB_CHECK(height > 0 && width > 0 && features % (height * width) == 0,
              "corruption {}: rows {} need the image's height and width (got {} x {})", spec.str(),
              shape_str(x.shape()), height, width);
  check_fits(spec, height, width);
  const int64_t channels = features / (height * width);
  if (n == 0) return;

#pragma omp parallel for schedule(static) if (n * features > kRowwiseThreadMin)
  for (int64_t i = 0; i < n; ++i) {
    Rng r = rng.fork(static_cast<uint64_t>(first_index + i));
    kind.apply(Image{x.data() + i * features, channels, height, width}, spec.param, r);
  }
}

}  // namespace nnlab
