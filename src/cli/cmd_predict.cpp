// nnlab predict MODEL.safetensors IMAGE.png...: the likeliest classes of each image, by a saved
// model, after preparing the image the way the model's training images were made. A file that
// cannot be read is reported and skipped; the exit status is 1 when any was.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/commands.hpp"
#include "data/preprocess.hpp"
#include "report/png_read.hpp"
#include "tensor/error.hpp"
#include "tensor/rng.hpp"
#include "tensor/tensor.hpp"
#include "train/model_file.hpp"

namespace nnlab::cli {

namespace {

using nlohmann::json;

struct PredictArgs {
  std::string model, preprocess;
  std::vector<std::string> images;
  int top = 3;
  bool json = false, no_preprocess = false;
};

struct Ranked {
  std::string name;
  double probability = 0;
};

/// The recipe asked for, else the model file's, else none (files written before it was
/// recorded), with a note saying so on stderr.
const Preprocess& choose_recipe(const PredictArgs& args, const DataOrigin& origin) {
  if (args.no_preprocess) return preprocess_recipe("none");
  if (!args.preprocess.empty()) return preprocess_recipe(args.preprocess);
  if (!origin.preprocess.empty()) return preprocess_recipe(origin.preprocess);
  fmt::print(stderr,
             "nnlab: note: {} does not record how its training images were made; images are read "
             "as they are (choose with --preprocess {})\n",
             args.model, fmt::join(preprocess_names(), "|"));
  return preprocess_recipe("none");
}

/// The PNG at `path` prepared for a model taking height x width images; errors name the file.
FloatImage load_image(const std::string& path, const Preprocess& recipe, int height, int width) {
  const GrayImage png = read_png_gray(path);
  try {
    return preprocess(image_from_bytes(png.pixels.data(), png.height, png.width), recipe, height,
                      width);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", "Classify PNG images with a saved model");
  cmd->add_option("model", args->model, "A model file (weights.safetensors of a run)")->required();
  cmd->add_option("images", args->images, "PNG images (any size and colour type)")->required();
  cmd->add_option("--top", args->top, "How many of the likeliest classes to print")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--preprocess", args->preprocess,
                  "How to prepare each image: mnist, fashion-mnist or none (default: the recipe "
                  "of the model's training data, from the model file)");
  cmd->add_flag("--no-preprocess", args->no_preprocess,
                "Feed the images as they are (same as --preprocess none)");
  cmd->add_flag("--json", args->json, "Print one JSON document instead of lines");
  cmd->callback([args] {
    ExecContext exec(0);  // all cores, this thread
    LoadedModel loaded = load_model(args->model, exec);
    const Shape& input = loaded.model->input_shape();
    NNLAB_CHECK(input.size() >= 2, "{}: the model's input [{}] is not an image", args->model,
                input.size());
    const int64_t h = input[input.size() - 2], w = input[input.size() - 1];
    const int64_t size = std::accumulate(input.begin(), input.end(), int64_t{1},
                                         [](int64_t a, int64_t b) { return a * b; });
    NNLAB_CHECK(size == h * w, "{}: the model takes {}-channel images; predict reads grey ones",
                args->model, size / (h * w));
    const Preprocess& recipe = choose_recipe(*args, loaded.description.data);
    const std::vector<std::string>& classes = loaded.description.class_names;

    json out = {{"model", args->model}, {"preprocess", recipe.name}, {"images", json::array()}};
    if (!args->json)
      fmt::print(stderr, "nnlab: preprocessing '{}': {}\n", recipe.name, recipe.what);
    Shape shape{1};
    shape.insert(shape.end(), input.begin(), input.end());
    Tensor x(shape), probs;
    Rng rng(0);
    int failed = 0;
    for (const std::string& path : args->images) {
      std::vector<Ranked> ranked;
      try {
        const FloatImage image = load_image(path, recipe, static_cast<int>(h), static_cast<int>(w));
        std::copy(image.values.begin(), image.values.end(), x.data());
        loaded.model->predict(x, probs, rng);
        for (int64_t c = 0; c < probs.size(); ++c)
          ranked.push_back({static_cast<size_t>(c) < classes.size()
                                ? classes[static_cast<size_t>(c)]
                                : std::to_string(c),
                            probs.data()[c]});
      } catch (const Error& e) {
        const std::string message = e.what();
        fmt::print(stderr, "nnlab: error: {}\n", message);
        out["images"].push_back({{"file", path}, {"error", message}});
        ++failed;
        continue;
      }
      std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
        return a.probability > b.probability;
      });
      ranked.resize(std::min(ranked.size(), static_cast<size_t>(args->top)));
      json top = json::array();
      std::string line;
      for (const Ranked& r : ranked) {
        top.push_back({{"class", r.name}, {"probability", r.probability}});
        line += fmt::format("{}{} ({:.4f})", line.empty() ? "" : ", ", r.name, r.probability);
      }
      out["images"].push_back({{"file", path}, {"top", top}});
      if (!args->json) fmt::print("{}: {}\n", path, line);
    }
    if (args->json) fmt::print("{}\n", out.dump(2));
    NNLAB_CHECK(failed == 0, "{} of {} images could not be classified", failed,
                args->images.size());
  });
}

}  // namespace nnlab::cli
