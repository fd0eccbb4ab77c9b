// nnlab data info NAME / nnlab data fetch NAME: what a dataset holds and where it was found;
// downloading MNIST.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "data/catalog.hpp"
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

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Inspect or download datasets");
  data->require_subcommand(1);

  struct InfoArgs {
    std::string name, data_dir;
  };
  auto info_args = std::make_shared<InfoArgs>();
  auto* info = data->add_subcommand("info", "Counts, shape, classes and pixel statistics");
  info->add_option("name", info_args->name, "Dataset name (mnist, fashion-mnist)")->required();
  info->add_option("--data-dir", info_args->data_dir, "Directory searched first");
  info->callback([info_args] {
    check_known(info_args->name);
    const DataPair pair = load_dataset(info_args->name, info_args->data_dir);
    fmt::print("dataset {} (found in {})\n", info_args->name,
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
}

}  // namespace nnlab::cli
