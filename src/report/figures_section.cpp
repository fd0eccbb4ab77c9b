// Figures that explain a trained network, from a run's figures.safetensors (written by the run
// after training; tensor names in docs/output-format.md), and the augmentation preview from
// augmented.safetensors. Every figure is left out when its tensors are absent.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "io/safetensors.hpp"
#include "report/figure_grids.hpp"
#include "report/html.hpp"
#include "report/report_data.hpp"
#include "tensor/error.hpp"

namespace nnlab::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kFirstConvFilters = 256;  // "every filter" of the first conv layer, bounded
constexpr int64_t kDeeperFilters = 32;
constexpr int64_t kInputChannels = 8;    // input channels shown per filter of deeper layers
constexpr int64_t kMaxFeatureMaps = 64;  // channels shown per conv layer
constexpr int kGridCols = 16;
constexpr int64_t kHeatmapWidth = 512;  // pixels a layer's units share in a profile row
constexpr int64_t kAugmentedPairs = 12;

// One file's tensors, and errors that name the file.
struct Figures {
  std::string path;
  SafeTensors st;

  std::string meta(const std::string& key) const {
    const auto it = st.metadata.find(key);
    return it == st.metadata.end() ? "" : it->second;
  }

  // The F32 tensor `name`, which must have `rank` dimensions.
  std::vector<float> f32(const std::string& name, size_t rank) const {
    const SafeTensor& t = st.at(name);
    NNLAB_CHECK(t.dtype == "F32" && t.shape.size() == rank,
                "{}: '{}' must be F32 of rank {}, is {} {}", path, name, rank, t.dtype,
                shape_str(t.shape));
    return st.f32(name);
  }

  // The U8 tensor `name` ([K, ..., W], rank >= 2) as K grey tiles of (product of the middle
  // dimensions) x W: channels of an image stack vertically.
  Tiles images(const std::string& name) const {
    const SafeTensor& t = st.at(name);
    NNLAB_CHECK(t.dtype == "U8" && t.shape.size() >= 2 && shape_size(t.shape) > 0,
                "{}: '{}' must be non-empty U8 images [K, ..., W], is {} {}", path, name, t.dtype,
                shape_str(t.shape));
    const int64_t w = t.shape.back();
    const int64_t k = t.shape.size() == 2 ? 1 : t.shape[0];
    return {t.bytes, static_cast<int>(k), static_cast<int>(shape_size(t.shape) / k / w),
            static_cast<int>(w)};
  }

  // The layer names L of the tensors "PREFIX/L", in model order: layer names end in their
  // position in model.layers ("conv2"), so a shorter name with the same stem comes first.
  std::vector<std::string> layers(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& [name, t] : st.tensors)
      if (name.starts_with(prefix + "/")) out.push_back(name.substr(prefix.size() + 1));
    std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    return out;
  }
};

std::optional<Figures> load(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  return Figures{path.string(), load_safetensors(path.string())};
}

// "#7 (label 3)" for each sample of the metadata `key` (JSON array of test indices) and
// `key`_labels (their class names, absent for regression).
std::vector<std::string> sample_names(const Figures& f, const std::string& key) {
  const json i = json::parse(f.meta(key), nullptr, false);
  const json l = json::parse(f.meta(key + "_labels"), nullptr, false);
  std::vector<std::string> out;
  if (!i.is_array()) return out;
  for (size_t k = 0; k < i.size(); ++k) {
    const bool labelled = l.is_array() && k < l.size() && l[k].is_string();
    out.push_back(fmt::format("#{}{}", i[k].dump(),
                              labelled ? fmt::format(" (label {})", l[k].get<std::string>()) : ""));
  }
  return out;
}

// "test sample #7 (label 3)" for the first of `names`.
std::string test_sample(const std::vector<std::string>& names) {
  return names.empty() ? "the chosen test sample" : fmt::format("test sample {}", names.front());
}

// "all 8" or "the first 8 of 64".
std::string how_many(int64_t shown, int64_t total) {
  return shown == total ? fmt::format("all {}", total)
                        : fmt::format("the first {} of {}", shown, total);
}

Tiles tiles(std::vector<uint8_t> grey, int64_t count, int64_t h, int64_t w) {
  return {std::move(grey), static_cast<int>(count), static_cast<int>(h), static_cast<int>(w)};
}

std::string kernels(const Figures& f) {
  std::string out;
  bool first = true;
  for (const std::string& layer : f.layers("kernels")) {
    const std::vector<float> w = f.f32("kernels/" + layer, 4);
    const Shape& s = f.st.at("kernels/" + layer).shape;  // [O, I, kh, kw]
    if (w.empty()) continue;
    const int64_t o = std::min(s[0], first ? kFirstConvFilters : kDeeperFilters);
    const int64_t in = std::min(s[1], kInputChannels), k = s[2] * s[3];
    std::vector<float> shown;  // [o, in, kh, kw]
    for (int64_t a = 0; a < o; ++a)
      for (int64_t b = 0; b < in; ++b)
        shown.insert(shown.end(), w.begin() + (a * s[1] + b) * k,
                     w.begin() + (a * s[1] + b + 1) * k);
    const std::string scale =
        "Grey is diverging per filter: 0 is mid-grey, the filter's largest |weight| white "
        "(positive) or black (negative).";
    std::string caption, what = fmt::format("{} {}", layer, shape_str(s));
    if (s[1] == 1) {
      caption = fmt::format("{}: {} filters ({}x{} each, rows of {}). {}", what, how_many(o, s[0]),
                            s[2], s[3], kGridCols, scale);
    } else {
      caption = fmt::format(
          "{}: filters 1-{} of {}, one per row; input channels 1-{} of {} in the columns. {} "
          "All shown channels of a filter share its scale.",
          what, o, s[0], in, s[1], scale);
    }
    const int cols = s[1] == 1 ? kGridCols : static_cast<int>(in);
    out +=
        figure(grid_image(tiles(to_grey(shown, in * k, GreyScale::diverging), o * in, s[2], s[3]),
                          cols, "kernels of " + layer),
               caption);
    first = false;
  }
  return out;
}

std::string feature_maps(const Figures& f) {
  std::string out;
  const std::vector<std::string> names = sample_names(f, "figure_input");
  for (const std::string& layer : f.layers("feature_maps")) {
    const std::string name = "feature_maps/" + layer;
    const std::vector<float> maps = f.f32(name, 3);
    const Shape& s = f.st.at(name).shape;  // [C, H, W]
    if (maps.empty()) continue;
    const int64_t c = std::min(s[0], kMaxFeatureMaps);
    const std::string source = f.meta(name);
    const std::string caption = fmt::format(
        "{}: {} channels ({}x{} each) for {}, the output of {}. Each map is scaled "
        "min-max on its own: its minimum black, its maximum white (a constant map is black).",
        layer, how_many(c, s[0]), s[1], s[2], test_sample(names),
        source.empty() || source == layer ? layer : source + " after " + layer);
    out +=
        figure(grid_image(tiles(to_grey(std::span(maps).first(static_cast<size_t>(c * s[1] * s[2])),
                                        s[1] * s[2], GreyScale::min_max),
                                c, s[1], s[2]),
                          kGridCols, "feature maps of " + layer),
               caption);
  }
  if (out.empty()) return "";  // no input image without maps to explain
  std::string input;
  if (f.st.contains("input/figure"))
    input = figure(grid_image(f.images("input/figure"), 1, "input"),
                   "The input: " + test_sample(names) + ", chosen by diagnostics.figure_input.");
  return input + out;
}

std::string profiles(const Figures& f) {
  std::string out;
  const std::vector<std::string> names = sample_names(f, "profile_inputs");
  std::optional<Tiles> inputs;
  if (f.st.contains("input/profiles")) inputs = f.images("input/profiles");
  // Each heatmap row is as tall as one input image on screen, so that they line up.
  const int64_t row_h = inputs ? inputs->h * display_scale(inputs->h, inputs->w) : 16;
  for (const std::string& layer : f.layers("profiles")) {
    const std::string name = "profiles/" + layer;
    const std::vector<float> values = f.f32(name, 2);
    const Shape& s = f.st.at(name).shape;  // [K, U]
    if (shape_size(s) == 0) continue;
    const int64_t cell_w = std::max<int64_t>(1, kHeatmapWidth / s[1]);
    const std::vector<uint8_t> grey = to_grey(values, shape_size(s), GreyScale::min_max);
    std::vector<uint8_t> heat;  // each value repeated into a cell_w x row_h block
    for (int64_t k = 0; k < s[0]; ++k)
      for (int64_t y = 0; y < row_h; ++y)
        for (int64_t u = 0; u < s[1]; ++u)
          heat.insert(heat.end(), static_cast<size_t>(cell_w),
                      grey[static_cast<size_t>(k * s[1] + u)]);
    const std::string rows = static_cast<int64_t>(names.size()) == s[0]
                                 ? fmt::format("test samples {}", fmt::join(names, ", "))
                                 : fmt::format("{} test samples", s[0]);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const std::string dense = f.meta(name);
    const std::string caption = fmt::format(
        "{}{}, {} units (one column each), for {}, one per row{}. Grey from the smallest "
        "activation in these rows (black, {:.3g}) to the largest (white, {:.3g}).",
        layer, dense.empty() ? "" : " after " + dense, s[1], rows,
        inputs && inputs->count == s[0] ? ", each beside its image" : "", *lo, *hi);
    std::string content = "<div class=\"charts\">";
    if (inputs && inputs->count == s[0]) content += grid_image(*inputs, 1, "inputs");
    content += grid_image(tiles(std::move(heat), s[0], row_h, s[1] * cell_w), 1,
                          "activations of " + layer) +
               "</div>";
    out += figure(content, caption);
  }
  return out;
}

std::string receptive_fields(const Figures& f) {
  std::string out;
  for (const std::string& layer : f.layers("receptive_fields")) {
    const std::string name = "receptive_fields/" + layer;
    const std::vector<float> w = f.f32(name, 3);
    const Shape& s = f.st.at(name).shape;  // [N, H, W]
    if (shape_size(s) == 0) continue;
    const std::string caption = fmt::format(
        "{}: the incoming weights of its first {} units (diagnostics.receptive_fields), each "
        "drawn as the {}x{} input image. Grey is diverging per unit: 0 is mid-grey, the unit's "
        "largest |weight| white (positive) or black (negative).",
        layer, s[0], s[1], s[2]);
    out += figure(grid_image(tiles(to_grey(w, s[1] * s[2], GreyScale::diverging), s[0], s[1], s[2]),
                             kGridCols, "receptive fields of " + layer),
                  caption);
  }
  return out;
}

}  // namespace

std::string network_figures(const fs::path& run_dir, const std::string& run_id) {
  const auto f = load(run_dir / "figures.safetensors");
  if (!f) return "";
  auto part = [&](const char* title, const std::string& content) {
    return content.empty() ? "" : subheading(run_id, title) + content;
  };
  return part(kKernels, kernels(*f)) + part(kFeatureMaps, feature_maps(*f)) +
         part(kReceptiveFields, receptive_fields(*f)) + part(kProfiles, profiles(*f));
}

std::string augmented_samples(const fs::path& run_dir, const std::string& run_id) {
  const auto f = load(run_dir / "augmented.safetensors");
  if (!f || !f->st.contains("original") || !f->st.contains("augmented")) return "";
  const Tiles original = f->images("original"), augmented = f->images("augmented");
  NNLAB_CHECK(
      original.count == augmented.count && original.h == augmented.h && original.w == augmented.w,
      "{}: 'original' and 'augmented' must have the same shape", f->path);
  const int64_t n = std::min<int64_t>(original.count, kAugmentedPairs);
  const size_t bytes = static_cast<size_t>(n) * original.h * original.w;
  std::vector<uint8_t> grey(original.grey.begin(), original.grey.begin() + bytes);
  grey.insert(grey.end(), augmented.grey.begin(), augmented.grey.begin() + bytes);
  return subheading(run_id, kAugmented) +
         figure(grid_image(tiles(std::move(grey), 2 * n, original.h, original.w),
                           static_cast<int>(n), "augmented samples"),
                fmt::format("Top row: {} training images as loaded; bottom row: the same "
                            "images after augmentation.",
                            how_many(n, original.count)));
}

}  // namespace nnlab::report
