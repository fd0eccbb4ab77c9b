// nnlab data info NAME / nnlab data fetch NAME / nnlab data generate multi-mnist: what a dataset
// holds and where it was found; downloading MNIST; writing Multi-MNIST as IDX files.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "data/catalog.hpp"
#include "data/idx.hpp"
#include "data/multi_mnist.hpp"
#include "tensor/error.hpp"

namespace nnlab::cli {

namespace {

void check_known(const std::string& name) {
  const auto names = dataset_names();
  NNLAB_CHECK(std::find(names.begin(), names.end(), name) != names.end(),
              "unknown dataset '{}'; known datasets: {}", name, fmt::join(names, ", "));
}

std::string found_in(const std::string& name, const std::string& data_dir) {
  for (const auto& dir : dataset_search_path(name, data_dir)) {
    std::error_code ec;
    if (!dir.empty() && std::filesystem::is_directory(dir, ec) &&
        !std::filesystem::is_empty(dir, ec))
      return dir;
  }
  return "?";
}

void print_split(const char* label, const Dataset& d) {
  fmt::print("{}: {} samples, shape [{}]\n", label, d.size(), fmt::join(d.sample_shape, ", "));
  const auto counts = d.class_counts();
  for (size_t c = 0; c < counts.size(); ++c)
    fmt::print("  {:>12}: {}\n", c < d.class_names.size() ? d.class_names[c] : "?", counts[c]);
  if (!d.is_images()) return;
  double sum = 0, sum_sq = 0;
  for (uint8_t p : d.pixels) {
    const double v = p / 255.0;
    sum += v;
    sum_sq += v * v;
  }
  const double n = static_cast<double>(d.pixels.size());
  const double mean = n > 0 ? sum / n : 0;
  const double var = n > 0 ? std::max(0.0, sum_sq / n - mean * mean) : 0;
  fmt::print("  pixel mean {:.4f}, std {:.4f} (on the [0, 1] scale)\n", mean, std::sqrt(var));
}

// nnlab data generate multi-mnist --out DIR [settings]: the four IDX files (gzipped, MNIST's
// names) of the Multi-MNIST a study with the same [data.generate] settings trains on.
void add_generate_command(CLI::App& data) {
  struct GenerateArgs {
    std::string name, out, data_dir;
    MultiMnistConfig config;
  };
  auto args = std::make_shared<GenerateArgs>();
  MultiMnistConfig& c = args->config;
  auto* cmd = data.add_subcommand("generate", "Write a generated dataset as IDX files");
  cmd->add_option("name", args->name, "Dataset to generate (multi-mnist)")->required();
  cmd->add_option("--out", args->out, "Directory for the four .gz IDX files")->required();
  // CLI11 would wrap "-3" around to 2^64 - 3 in an unsigned seed.
  cmd->add_option("--seed", c.seed, "The data's seed")->check(CLI::NonNegativeNumber);
  cmd->add_option("--train-count", c.train_count, "Training images (50 to 10,000,000)");
  cmd->add_option("--test-count", c.test_count, "Test images (50 to 10,000,000)");
  cmd->add_option("--profile", c.profile, "Class profile: published (imbalanced) or uniform");
  cmd->add_option("--width", c.width, "Image width, 28 to 56 (overlap = 56 - width)");
  cmd->add_option("--shift", c.shift, "Largest offset of each digit per axis, 0 to 8 pixels");
  cmd->add_option("--intensity-min", c.intensity_min, "Lowest digit intensity, in (0, 1]");
  cmd->add_option("--intensity-max", c.intensity_max, "Highest digit intensity, in [min, 1]");
  cmd->add_option("--combine", c.combine, "How overlapping digits combine: sum (clipped) or max");
  cmd->add_option("--data-dir", args->data_dir,
                  "The directory holding MNIST (the only one searched)");
  cmd->callback([args] {
    NNLAB_CHECK(args->name == "multi-mnist",
                "nnlab data generate: unknown dataset '{}'; it generates multi-mnist", args->name);
    check_multi_mnist_config(args->config);  // before reading MNIST
    const DataPair pair = make_multi_mnist(load_dataset("mnist", args->data_dir), args->config);
    const std::filesystem::path out(args->out);
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    NNLAB_CHECK(!ec, "{}: cannot create directory: {}", args->out, ec.message());
    const auto file = [&](const char* name) { return (out / name).string(); };
    write_idx_dataset(pair.train, file("train-images-idx3-ubyte.gz"),
                      file("train-labels-idx1-ubyte.gz"));
    write_idx_dataset(pair.test, file("t10k-images-idx3-ubyte.gz"),
                      file("t10k-labels-idx1-ubyte.gz"));
    fmt::print("multi-mnist ({}): {} training and {} test images of 28 x {}, labels 1..50, in {}\n",
               describe(args->config), pair.train.size(), pair.test.size(), args->config.width,
               args->out);
  });
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Inspect, download or generate datasets");
  data->require_subcommand(1);

  struct InfoArgs {
    std::string name, data_dir;
  };
  auto info_args = std::make_shared<InfoArgs>();
  auto* info = data->add_subcommand("info", "Counts, shape, classes and pixel statistics");
  info->add_option("name", info_args->name, "Dataset name (mnist, fashion-mnist, multi-mnist)")
      ->required();
  info->add_option("--data-dir", info_args->data_dir,
                   "The directory holding the datasets (the only one searched)");
  info->callback([info_args] {
    check_known(info_args->name);
    const DataPair pair = load_dataset(info_args->name, info_args->data_dir);
    fmt::print("dataset {} ({} {})\n", info_args->name,
               info_args->name == "multi-mnist" ? "generated from the MNIST in" : "found in",
               found_in(info_args->name, info_args->data_dir));
    fmt::print("classes ({}): {}\n", pair.train.num_classes(),
               fmt::join(pair.train.class_names, ", "));
    print_split("train", pair.train);
    print_split("test", pair.test);
  });

  struct FetchArgs {
    std::string name, dir = "data";
  };
  auto fetch_args = std::make_shared<FetchArgs>();
  auto* fetch = data->add_subcommand("fetch", "Download a dataset and verify its checksums");
  fetch->add_option("name", fetch_args->name, "Dataset name (mnist)")->required();
  fetch->add_option("--dir", fetch_args->dir, "Where to put NAME/");
  fetch->callback([fetch_args] {
    check_known(fetch_args->name);
    fetch_dataset(fetch_args->name, fetch_args->dir);
    fmt::print("{}\n", (std::filesystem::path(fetch_args->dir) / fetch_args->name).string());
  });

  add_generate_command(*data);
}

}  // namespace nnlab::cli
