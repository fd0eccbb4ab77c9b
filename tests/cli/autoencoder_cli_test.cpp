// `nnlab encode`, `decode` and `generate` on an autoencoder's model file: codes and images
// written where any reader finds them, generated images measured by a classifier, and hostile
// codes refused with the file named.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/nnlab_binary.hpp"
#include "data/catalog.hpp"
#include "data/idx.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

LayerSpec layer(std::string type, std::map<std::string, double> numbers = {},
                std::map<std::string, std::string> strings = {},
                std::map<std::string, std::vector<double>> lists = {}) {
  return {.type = std::move(type),
          .numbers = std::move(numbers),
          .strings = std::move(strings),
          .lists = std::move(lists),
          .where = ""};
}

std::string save(const fs::path& path, const ModelDescription& d) {
  auto loss = make_loss(d.loss);
  Rng rng(4);
  auto model = build_model(test::exec(), d.input, d.layers, *loss, rng);
  save_model_file(path.string(), *model, d);
  return path.string();
}

class AutoencoderCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(test::nnlab_binary()))
      return test::skip_for_missing(test::nnlab_binary() + " not built");
    dir_ = test::temp_dir();
    const std::vector<std::string> digits = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    ae_ = save(
        dir_ / "ae.safetensors",
        {.input = {1, 28, 28},
         .layers = {layer("flatten"), layer("dense", {{"units", 6}}, {{"activation", "relu"}}),
                    layer("code"), layer("dense", {{"units", 784}}, {{"activation", "sigmoid"}}),
                    layer("reshape", {}, {}, {{"shape", {1, 28, 28}}})},
         .loss = "mse",
         .task = Task::reconstruct,
         .class_names = digits,
         .data = data_origin("mnist")});
    classifier_ = save(
        dir_ / "cls.safetensors",
        {.input = {1, 28, 28},
         .layers = {layer("flatten"), layer("dense", {{"units", 16}}, {{"activation", "relu"}}),
                    layer("dense", {{"units", 10}}, {{"activation", "softmax"}})},
         .loss = "cross_entropy",
         .class_names = digits,
         .data = data_origin("mnist")});
  }
  std::string data() const {
    return " --data mnist --data-dir " + test::shared_data_dir().string();
  }
  fs::path dir_;
  std::string ae_, classifier_;
};

TEST_F(AutoencoderCli, EncodeThenDecodeWritesCodesAndImages) {
  const auto enc =
      test::run_nnlab("encode " + ae_ + data() + " --limit 30 --out " + (dir_ / "codes").string());
  ASSERT_EQ(enc.status, 0) << enc.err;
  const SafeTensors codes = load_safetensors((dir_ / "codes/codes.safetensors").string());
  EXPECT_EQ(codes.at("codes").shape, (Shape{30, 6}));
  EXPECT_EQ(codes.at("labels").shape, (Shape{30}));
  const std::string csv = read_file((dir_ / "codes/codes.csv").string());
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "label,c0,c1,c2,c3,c4,c5");
  EXPECT_EQ(csv.substr(csv.find('\n') + 1, 2), "7,");  // MNIST's first test digit is a 7

  const auto dec =
      test::run_nnlab("decode " + ae_ + " " + (dir_ / "codes/codes.safetensors").string() +
                      " --out " + (dir_ / "images").string());
  ASSERT_EQ(dec.status, 0) << dec.err;
  const IdxArray images = read_idx((dir_ / "images/images-idx3-ubyte").string());
  EXPECT_EQ(images.dims, (std::vector<int64_t>{30, 28, 28}));
  EXPECT_TRUE(fs::file_size(dir_ / "images/images.png") > 100);
}

// Encoding other data than the model was trained on works, with a warning naming both.
TEST_F(AutoencoderCli, EncodeWarnsWhenTheDataIsNotTheTrainingData) {
  const auto same =
      test::run_nnlab("encode " + ae_ + data() + " --limit 5 --out " + (dir_ / "a").string());
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_EQ(same.err.find("warning"), std::string::npos) << same.err;
  const auto other = test::run_nnlab("encode " + ae_ + " --data fashion-mnist --limit 5 --out " +
                                     (dir_ / "b").string());
  ASSERT_EQ(other.status, 0) << other.err;
  EXPECT_NE(other.err.find("nnlab: warning: " + ae_ + " was trained on mnist, not fashion-mnist"),
            std::string::npos)
      << other.err;
}

// `nnlab eval` scores an autoencoder by its task: loss and MSE against the clean images.
TEST_F(AutoencoderCli, EvalScoresAReconstructionByItsMse) {
  const auto r = test::run_nnlab("eval " + ae_ + data() + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["task"], "reconstruct");
  EXPECT_EQ(j["samples"], 10000);
  EXPECT_GT(j["mse"].get<double>(), 0.0);
  EXPECT_FALSE(j.contains("accuracy"));
}

TEST_F(AutoencoderCli, GenerateMeasuresEachSamplerWithTheClassifier) {
  const auto r = test::run_nnlab("generate " + ae_ + data() +
                                 " --sampler uniform --sampler gaussian --count 50 --fit-limit 200 "
                                 "--classifier " +
                                 classifier_ + " --out " + (dir_ / "gen").string());
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* s : {"uniform", "gaussian"}) {
    EXPECT_EQ(read_idx((dir_ / "gen" / s / "images-idx3-ubyte").string()).dims,
              (std::vector<int64_t>{50, 28, 28}))
        << s;
    EXPECT_EQ(load_safetensors((dir_ / "gen" / s / "codes.safetensors").string()).at("codes").shape,
              (Shape{50, 6}));
  }
  const std::string quality = read_file((dir_ / "gen/quality.csv").string());
  EXPECT_EQ(quality.substr(0, quality.find('\n')),
            "sampler,count,confident_share,entropy,real_entropy,kl,frechet");
  EXPECT_NE(quality.find("\nuniform,50,"), std::string::npos) << quality;
  EXPECT_NE(quality.find("\ngaussian,50,"), std::string::npos) << quality;
}

TEST_F(AutoencoderCli, HostileCodesAndModelsAreRefusedNamingTheFile) {
  const fs::path bad = dir_ / "bad.safetensors";
  SafeTensors st;
  std::vector<float> nan_codes(12, 0.5f);
  nan_codes[7] = NAN;
  st.add_f32("codes", {2, 6}, nan_codes.data());
  save_safetensors(bad.string(), st);
  auto r =
      test::run_nnlab("decode " + ae_ + " " + bad.string() + " --out " + (dir_ / "x").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find(bad.string() + ": code value 7 (row 1) is nan"), std::string::npos) << r.err;

  const fs::path wide = dir_ / "wide.safetensors";
  SafeTensors w;
  const std::vector<float> codes(14, 0.5f);
  w.add_f32("codes", {2, 7}, codes.data());
  save_safetensors(wide.string(), w);
  r = test::run_nnlab("decode " + ae_ + " " + wide.string() + " --out " + (dir_ / "x").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("'codes' is [2, 7]; the model's codes are [N, 6]"), std::string::npos)
      << r.err;

  r = test::run_nnlab("encode " + classifier_ + data() + " --out " + (dir_ / "x").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find(classifier_ + ": the model has no code layer"), std::string::npos) << r.err;

  r = test::run_nnlab("generate " + ae_ + data() + " --count 1000000000 --out " +
                      (dir_ / "x").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--count"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nnlab
