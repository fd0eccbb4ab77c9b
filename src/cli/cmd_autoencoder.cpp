// nnlab encode MODEL --data NAME --out DIR: the codes of a dataset's images by an autoencoder's
// encoder; nnlab decode MODEL CODES --out DIR: the images its decoder makes of codes; nnlab
// generate MODEL --data NAME --sampler S --count N --out DIR: codes drawn from samplers fitted on
// the training codes, decoded, and measured by a classifier when one is given. Both halves come
// from the trained weights alone (the code layer travels with the layers in the file).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <optional>

#include "cli/autoencoder_files.hpp"
#include "cli/commands.hpp"
#include "data/catalog.hpp"
#include "eval/autoencoder.hpp"
#include "eval/generation.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "learn/latent_sampler.hpp"
#include "tensor/error.hpp"
#include "train/model_file.hpp"

namespace nnlab::cli {

namespace {

namespace fs = std::filesystem;

/// The most samples `nnlab encode` takes (a stated limit; MNIST's training half is 60,000).
constexpr int64_t kMaxEncode = 10'000'000;

/// Loads a model file, warning on stderr when it was trained on other data than `data`.
LoadedModel load_for(const std::string& path, const std::string& data, ExecContext& exec) {
  LoadedModel loaded = load_model(path, exec);
  for (const std::string& w : origin_warnings(path, loaded.description.data, data_origin(data)))
    fmt::print(stderr, "nnlab: warning: {}\n", w);
  return loaded;
}

std::vector<int64_t> first(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

}  // namespace

void add_autoencoder_commands(CLI::App& app) {
  struct EncodeArgs {
    std::string model, data, data_dir, split = "test", out;
    int64_t limit = 0, batch = 1000;
  };
  auto enc = std::make_shared<EncodeArgs>();
  auto* encode_cmd = app.add_subcommand("encode", "Write the codes of a dataset by an autoencoder");
  encode_cmd->add_option("model", enc->model, "An autoencoder's weights.safetensors")->required();
  encode_cmd->add_option("--data", enc->data, "Dataset name (mnist, fashion-mnist, ...)")
      ->required();
  encode_cmd->add_option("--data-dir", enc->data_dir,
                         "The directory holding the datasets (the only one searched)");
  encode_cmd->add_option("--split", enc->split, "train or test")
      ->check(CLI::IsMember({"train", "test"}));
  encode_cmd->add_option("--limit", enc->limit, "Encode only the first N samples (0: all)")
      ->check(CLI::Range(int64_t{0}, kMaxEncode));
  encode_cmd->add_option("--batch", enc->batch, "Batch size")->check(CLI::Range(1, 100000));
  encode_cmd->add_option("--out", enc->out, "Output folder: codes.safetensors and codes.csv")
      ->required();
  encode_cmd->callback([enc] {
    ExecContext exec(0);
    LoadedModel loaded = load_for(enc->model, enc->data, exec);
    check_autoencoder(*loaded.model, enc->model);
    const DataPair pair = load_dataset(enc->data, enc->data_dir);
    const Dataset& d = enc->split == "train" ? pair.train : pair.test;
    NNLAB_CHECK(d.sample_shape == loaded.model->input_shape(),
                "{}: the model takes samples of shape {}, {} has {}", enc->model,
                shape_str(loaded.model->input_shape()), enc->data, shape_str(d.sample_shape));
    const int64_t n = enc->limit > 0 ? std::min(enc->limit, d.size()) : d.size();
    const std::vector<int64_t> indices = first(n);
    const Tensor codes = encode(*loaded.model, d, indices, enc->batch);
    fs::create_directories(enc->out);
    write_codes(enc->out, codes, d, indices);
    fmt::print("{} codes of {} values each from {} {} -> {}/codes.safetensors, codes.csv\n", n,
               codes.cols(), enc->data, enc->split, enc->out);
  });

  struct DecodeArgs {
    std::string model, codes, out;
    int64_t batch = 1000;
  };
  auto dec = std::make_shared<DecodeArgs>();
  auto* decode_cmd = app.add_subcommand("decode", "Write the images an autoencoder decodes");
  decode_cmd->add_option("model", dec->model, "An autoencoder's weights.safetensors")->required();
  decode_cmd->add_option("codes", dec->codes, "codes.safetensors (F32 'codes' [N, code size])")
      ->required();
  decode_cmd->add_option("--batch", dec->batch, "Batch size")->check(CLI::Range(1, 100000));
  decode_cmd->add_option("--out", dec->out, "Output folder: images.png and images-idx3-ubyte")
      ->required();
  decode_cmd->callback([dec] {
    ExecContext exec(0);
    LoadedModel loaded = load_model(dec->model, exec);
    check_autoencoder(*loaded.model, dec->model);
    const SafeTensors st = load_safetensors(dec->codes);
    NNLAB_CHECK(st.contains("codes"), "{}: no tensor 'codes'", dec->codes);
    const Tensor codes = st.tensor("codes");
    const int64_t width =
        shape_size(loaded.model->layer(loaded.model->code_layer()).output_shape());
    NNLAB_CHECK(codes.rank() == 2 && codes.cols() == width,
                "{}: 'codes' is {}; the model's codes are [N, {}]", dec->codes,
                shape_str(codes.shape()), width);
    for (int64_t i = 0; i < codes.size(); ++i)
      NNLAB_CHECK(std::isfinite(codes[i]), "{}: code value {} (row {}) is {}", dec->codes, i,
                  i / width, codes[i]);
    const Tensor images = decode(*loaded.model, codes, dec->batch);
    fs::create_directories(dec->out);
    write_images(dec->out, images, loaded.model->input_shape(), dec->model);
    fmt::print("{} images -> {}/images.png, images-idx3-ubyte\n", images.rows(), dec->out);
  });

  struct GenerateArgs {
    std::string model, data, data_dir, classifier, out;
    GenerationOptions options;
  };
  auto gen = std::make_shared<GenerateArgs>();
  auto* generate_cmd =
      app.add_subcommand("generate", "Decode codes drawn from samplers fitted on real codes");
  generate_cmd->add_option("model", gen->model, "An autoencoder's weights.safetensors")->required();
  generate_cmd->add_option("--data", gen->data, "The dataset whose training codes fit the samplers")
      ->required();
  generate_cmd->add_option("--data-dir", gen->data_dir,
                           "The directory holding the datasets (the only one searched)");
  generate_cmd
      ->add_option("--sampler", gen->options.samplers, "uniform, gaussian, full_gaussian, mixture")
      ->check(CLI::IsMember(latent_sampler_kinds()));
  generate_cmd->add_option("--count", gen->options.count, "Images per sampler")
      ->check(CLI::Range(int64_t{2}, kMaxGenerate));
  generate_cmd
      ->add_option("--fit-limit", gen->options.fit_limit, "Training codes the samplers fit on")
      ->check(CLI::Range(int64_t{2}, kMaxEncode));
  generate_cmd
      ->add_option("--components", gen->options.components, "Components of the mixture sampler")
      ->check(CLI::Range(1, 1000));
  generate_cmd->add_option("--seed", gen->options.seed, "Seed of the draws and the mixture's fit");
  generate_cmd->add_option("--classifier", gen->classifier,
                           "A classifier of the same data (weights.safetensors) to measure the "
                           "images with");
  generate_cmd->add_option("--out", gen->out, "Output folder: one folder per sampler, quality.csv")
      ->required();
  generate_cmd->callback([gen] {
    ExecContext exec(0);
    LoadedModel loaded = load_for(gen->model, gen->data, exec);
    check_autoencoder(*loaded.model, gen->model);
    const DataPair pair = load_dataset(gen->data, gen->data_dir);
    NNLAB_CHECK(pair.train.sample_shape == loaded.model->input_shape(),
                "{}: the model takes samples of shape {}, {} has {}", gen->model,
                shape_str(loaded.model->input_shape()), gen->data,
                shape_str(pair.train.sample_shape));
    std::optional<LoadedModel> classifier;
    if (!gen->classifier.empty()) classifier = load_for(gen->classifier, gen->data, exec);
    const std::vector<Generated> sets = generate(
        *loaded.model, pair.train, first(std::min(gen->options.fit_limit, pair.train.size())),
        gen->options, classifier ? classifier->model.get() : nullptr, pair.test);
    for (const Generated& g : sets) {
      const std::string dir = gen->out + "/" + g.sampler;
      fs::create_directories(dir);
      write_images(dir, g.images, loaded.model->input_shape(), gen->model);
      SafeTensors st;
      st.add_f32("codes", g.codes.shape(), g.codes.data());
      save_safetensors(dir + "/codes.safetensors", st);
      if (!g.quality) {
        fmt::print("{}: {} images -> {}/images.png\n", g.sampler, g.images.rows(), dir);
        continue;
      }
      const GenerationQuality& q = *g.quality;
      fmt::print(
          "{:>14}: confident {:.3f}  entropy {:.3f} (real {:.3f})  KL {:.4f}  Frechet {:.3f}\n",
          g.sampler, q.confident_share, q.entropy, q.real_entropy, q.kl, q.frechet);
    }
    if (classifier) write_file_atomic(gen->out + "/quality.csv", generation_quality_csv(sets));
  });
}

}  // namespace nnlab::cli
