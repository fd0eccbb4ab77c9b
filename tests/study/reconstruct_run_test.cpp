// A reconstruct run end to end: a small denoising autoencoder on MNIST trains on corrupted
// inputs against clean targets, is scored by MSE, and leaves its corruption table,
// reconstruction grids and latent projection; the report shows them.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "study/runner.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kReconstructRunStudy = R"toml(
name = "ae"
task = "reconstruct"
seed = 3
[data]
dataset = "mnist"
train_limit = 5000
test_limit = 200
validation = 500
corrupt = "gaussian:0.2"
[model]
layers = [
  {type = "flatten"},
  {type = "dense", units = 32, activation = "relu"},
  {type = "dense", units = 8, activation = "relu"},
  {type = "code"},
  {type = "dense", units = 32, activation = "relu"},
  {type = "dense", units = 784, activation = "sigmoid"},
  {type = "reshape", shape = [1, 28, 28]},
]
[train]
loss = "mse"
epochs = 15
batch = 100
optimizer = {type = "adam", lr = 3e-3, weight_decay = 1e-5, decay = "coupled"}
[diagnostics]
corruptions = ["gaussian:0.5", "occlusion:14", "uniform"]
reconstructions = 6
figures = false
[[runs]]
name = "ed8"
reference = {test_mse = 0.027}
)toml";

TEST(ReconstructRun, ScoresByMseAndWritesItsFigures) {
  const fs::path dir = test::temp_dir();
  const StudyResult result = run_study(parse_study(kReconstructRunStudy, "ae.toml", {}),
                                       {.out_dir = dir.string(),
                                        .data_dir = test::shared_data_dir().string(),
                                        .threads = 2,
                                        .resume = false,
                                        .progress = false,
                                        .only_runs = {}});
  const auto metrics = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  const auto& r0 = metrics["runs"][0];
  // Scored by MSE; no accuracy, no confusion matrix.
  ASSERT_TRUE(r0["test"].contains("mse")) << r0.dump(2);
  EXPECT_FALSE(r0["test"].contains("accuracy"));
  EXPECT_FALSE(fs::exists(dir / "runs/ed8/r0/confusion.csv"));
  const double mse = r0["test"]["mse"];
  EXPECT_GT(mse, 0.0);
  EXPECT_LT(mse, 0.06);  // below the ~0.067 of predicting the mean image
  EXPECT_DOUBLE_EQ(metrics["summary"][0]["test_mse_mean"].get<double>(), mse);

  // The corruption table: "none" first (the test MSE itself), then the study's, each worse.
  const auto& rows = r0["corruptions"];
  ASSERT_EQ(rows.size(), 4u) << rows.dump();
  EXPECT_EQ(rows[0]["corruption"], "none");
  EXPECT_DOUBLE_EQ(rows[0]["mse"].get<double>(), mse);
  EXPECT_EQ(rows[1]["corruption"], "gaussian:0.5");
  EXPECT_EQ(rows[2]["corruption"], "occlusion:14");
  for (size_t i = 1; i < rows.size(); ++i)
    EXPECT_GT(rows[i]["mse"].get<double>(), mse) << rows[i].dump();

  // Grids of 6 images per corruption, and the latent projection of the 200 test codes.
  const SafeTensors grids =
      load_safetensors((dir / "runs/ed8/r0/reconstructions.safetensors").string());
  EXPECT_EQ(grids.at("clean").shape, (Shape{6, 28, 28}));
  for (const char* c : {"none", "gaussian:0.5", "occlusion:14", "uniform"}) {
    EXPECT_EQ(grids.at(std::string("input/") + c).shape, (Shape{6, 28, 28})) << c;
    EXPECT_EQ(grids.at(std::string("output/") + c).shape, (Shape{6, 28, 28})) << c;
  }
  // The uncorrupted input is the clean image; an occluded one has a 14x14 square of zeros more.
  EXPECT_EQ(grids.at("input/none").bytes, grids.at("clean").bytes);
  EXPECT_NE(grids.at("input/occlusion:14").bytes, grids.at("clean").bytes);
  EXPECT_EQ(r0["latent"]["dim"], 8);
  EXPECT_EQ(r0["latent"]["std"].size(), 8u);
  const std::string latent = read_file((dir / "runs/ed8/r0/latent.csv").string());
  EXPECT_EQ(std::count(latent.begin(), latent.end(), '\n'), 201);

  const std::string html = read_file(result.report);
  for (const char* section : {"Test scores under corruption", "Reconstructions",
                              "Latent space (PCA of the test codes)", "test mse (mean ± std)"})
    EXPECT_NE(html.find(section), std::string::npos) << section;
}

// diagnostics.generation end to end: a classifier run trains first, the autoencoder run after
// it generates from samplers fitted on its training codes and the classifier judges the images;
// the files, the result and the report's section follow. Run alone into a fresh folder, the
// autoencoder is refused before it trains, naming the missing weights.
constexpr const char* kGenerationStudy = R"toml(
name = "gen"
seed = 5
[data]
dataset = "mnist"
train_limit = 2000
test_limit = 300
[model]
layers = [
  {type = "flatten"},
  {type = "dense", units = 32, activation = "relu"},
  {type = "dense", units = 10, activation = "softmax"},
]
[train]
epochs = 3
batch = 100
optimizer = {type = "adam", lr = 3e-3}
[diagnostics]
figures = false
[[runs]]
name = "cls"
[[runs]]
name = "ae"
task = "reconstruct"
train.loss = "binary_cross_entropy"
model.layers = [
  {type = "flatten"},
  {type = "dense", units = 64, activation = "relu"},
  {type = "dense", units = 6, activation = "linear"},
  {type = "code"},
  {type = "dense", units = 64, activation = "relu"},
  {type = "dense", units = 784, activation = "sigmoid"},
  {type = "reshape", shape = [1, 28, 28]},
]
diagnostics.generation = {samplers = ["uniform", "gaussian"], count = 200, fit_limit = 500, classifier = "cls"}
)toml";

TEST(ReconstructRun, GenerationIsJudgedByAnEarlierClassifierRun) {
  const fs::path dir = test::temp_dir();
  RunOptions options{.out_dir = dir.string(),
                     .data_dir = test::shared_data_dir().string(),
                     .threads = 2,
                     .resume = false,
                     .progress = false,
                     .only_runs = {}};
  const Study study = parse_study(kGenerationStudy, "gen.toml", {});
  const StudyResult result = run_study(study, options);
  const auto metrics = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  const auto& rows = metrics["runs"][1]["generation"];
  ASSERT_EQ(rows.size(), 2u) << metrics["runs"][1].dump(2);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["sampler"], i == 0 ? "uniform" : "gaussian");
    EXPECT_EQ(rows[i]["count"], 200);
    const double share = rows[i]["confident_share"];
    EXPECT_GE(share, 0.0);
    EXPECT_LE(share, 1.0);
    EXPECT_GT(rows[i]["frechet"].get<double>(), 0.0);
    EXPECT_GE(rows[i]["kl"].get<double>(), 0.0);
    EXPECT_GT(rows[i]["real_entropy"].get<double>(), 2.0);  // ten classes, near log(10) = 2.30
  }
  const std::string csv = read_file((dir / "runs/ae/r0/generation.csv").string());
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "sampler,count,confident_share,entropy,real_entropy,kl,frechet");
  const SafeTensors images = load_safetensors((dir / "runs/ae/r0/generated.safetensors").string());
  EXPECT_EQ(images.at("uniform").shape, (Shape{20, 28, 28}));
  EXPECT_EQ(images.at("gaussian").shape, (Shape{20, 28, 28}));
  EXPECT_NE(images.at("uniform").bytes, images.at("gaussian").bytes);
  const std::string html = read_file(result.report);
  EXPECT_NE(html.find(">Generated images</h"), std::string::npos);
  EXPECT_NE(html.find("confident share"), std::string::npos);

  // The autoencoder alone, without the classifier's weights: refused before any training.
  const fs::path alone = test::temp_dir();
  options.out_dir = alone.string();
  options.only_runs = {"ae"};
  try {
    run_study(study, options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("diagnostics.generation.classifier = 'cls' has no weights at " +
                           (alone / "runs/cls/r0/weights.safetensors").string()),
              std::string::npos)
        << message;
  }
  EXPECT_FALSE(fs::exists(alone / "runs/ae"));
}

}  // namespace
}  // namespace nnlab
