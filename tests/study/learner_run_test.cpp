// Classical learners and transforms in studies, end to end on small MNIST subsets: a k-NN on
// HOG features scores exactly what the learner scores on the same features outside a study,
// the report's misclassified images are the untransformed test images, a network learns from
// HOG rows, a sweep of learner.C is drawn against C, and the study keys are checked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "data/catalog.hpp"
#include "eval/autoencoder.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "learn/dataset_rows.hpp"
#include "learn/hog.hpp"
#include "learn/knn.hpp"
#include "learn/scaling.hpp"
#include "study/runner.hpp"
#include "support/test_support.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kLearnerRunStudy = R"toml(
name = "classical"
seed = 2
[data]
dataset = "mnist"
train_limit = 500
test_limit = 200
[model]
activation = "relu"
layers = [{type = "dense", units = 32}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 5
batch = 50
optimizer = {type = "adam", lr = 3e-3}
[diagnostics]
figures = false
misclassified = 50
[[runs]]
name = "hog-knn"
transforms = [{type = "hog", orientations = 9, cell = 7, block = 2}]
learner = {type = "knn", k = 3}
[[runs]]
name = "hog-mlp"
transforms = [{type = "hog"}]
[[runs]]
name = "svm"
transforms = [{type = "standardize"}, {type = "pca", components = 20}]
learner = {type = "svm", kernel = "rbf"}
sweep = {"learner.C" = [0.01, 1, 100]}
)toml";

json run_classical(const fs::path& out) {
  const Study study = parse_study(kLearnerRunStudy, "classical.toml", {});
  run_study(study, {.out_dir = out.string(),
                    .data_dir = test::shared_data_dir().string(),
                    .threads = 2,
                    .resume = false,
                    .progress = false,
                    .only_runs = {},
                    .command = "nnlab run classical.toml"});
  return json::parse(read_file((out / "metrics.json").string()));
}

const json& run_named(const json& m, const std::string& name) {
  for (const json& r : m["runs"])
    if (r["name"] == name) return r;
  throw std::runtime_error("no run " + name);
}

TEST(LearnerRun, ClassicalLearnersAndTransformsRunInStudies) {
  const fs::path dir = test::temp_dir();
  const json m = run_classical(dir);

  // The k-NN's accuracy is the learner's on the same HOG rows, computed here outside a study.
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  std::vector<int64_t> train(500), test(200);
  std::iota(train.begin(), train.end(), 0);
  std::iota(test.begin(), test.end(), 0);
  ExecContext exec(2, nullptr);
  const HogOptions hog_options;
  KNearest knn(KnnOptions{});
  knn.fit(exec, hog(rows_of(mnist.train, train), hog_options),
          std::span(mnist.train.labels).first(500), 10);
  const Predictions p = knn.predict(exec, hog(rows_of(mnist.test, test), hog_options));
  int right = 0;
  for (size_t i = 0; i < 200; ++i) right += p.classes[i] == mnist.test.labels[i];
  const json& knn_run = run_named(m, "hog-knn");
  EXPECT_DOUBLE_EQ(knn_run["test"]["accuracy"].get<double>(), right / 200.0);
  EXPECT_EQ(knn_run["test"]["errors"], 200 - right);
  EXPECT_EQ(knn_run["learner"], "knn");
  EXPECT_FALSE(knn_run["test"].contains("loss"));
  EXPECT_GT(knn_run["test"]["accuracy"].get<double>(), 0.8);
  EXPECT_TRUE(fs::exists(dir / "runs/hog-knn/r0/confusion.csv"));
  EXPECT_FALSE(fs::exists(dir / "runs/hog-knn/r0/weights.safetensors"));

  // Misclassified images are the test images themselves, not their features.
  const SafeTensors shown =
      load_safetensors((dir / "runs/hog-knn/r0/misclassified.safetensors").string());
  std::ifstream csv(dir / "runs/hog-knn/r0/misclassified.csv");
  std::string line;
  std::getline(csv, line);  // header
  ASSERT_TRUE(std::getline(csv, line));
  const int64_t first = std::stoll(line.substr(0, line.find(',')));
  const auto& images = shown.at("images");
  ASSERT_EQ(images.shape, (Shape{200 - right, 28, 28}));
  EXPECT_TRUE(std::equal(images.bytes.begin(), images.bytes.begin() + 784,
                         mnist.test.pixels.begin() + first * 784));

  // The network learns from the 324 HOG values of each image.
  const json& mlp = run_named(m, "hog-mlp");
  EXPECT_EQ(mlp["params"], 324 * 32 + 32 + 32 * 10 + 10);
  EXPECT_GT(mlp["test"]["accuracy"].get<double>(), 0.5);

  // The sweep over C: three runs, recorded with their value, and drawn against C.
  int swept = 0;
  for (const json& s : m["summary"])
    if (s.contains("sweep")) {
      EXPECT_EQ(s["sweep"]["of"], "svm");
      EXPECT_TRUE(s["sweep"]["values"].contains("learner.C"));
      ++swept;
    }
  EXPECT_EQ(swept, 3);
  const std::string report = read_file((dir / "report.html").string());
  EXPECT_NE(report.find("svm: accuracy against learner.C"), std::string::npos);
}

// An autoencoder's codes into a k-NN (S5's hybrid, small): the learner sees the code layer's 8
// values; run alone, the hybrid refuses to start without the autoencoder's weights.
constexpr const char* kHybrid = R"toml(
name = "hybrid"
[data]
dataset = "mnist"
train_limit = 300
test_limit = 100
[diagnostics]
figures = false
[[runs]]
name = "ae"
task = "reconstruct"
model.layers = [{type = "flatten"}, {type = "dense", units = 8}, {type = "code"}, {type = "dense", units = 784, activation = "sigmoid"}]
train = {loss = "binary_cross_entropy", epochs = 10, batch = 50, optimizer = {type = "adam", lr = 3e-3}}
[[runs]]
name = "codes-knn"
transforms = [{type = "encoder", run = "ae"}, {type = "standardize"}]
learner = {type = "knn", k = 1}
)toml";

TEST(LearnerRun, EncoderCodesFeedALearner) {
  const fs::path dir = test::temp_dir();
  const Study study = parse_study(kHybrid, "hybrid.toml", {});
  RunOptions options{.out_dir = (dir / "alone").string(),
                     .data_dir = test::shared_data_dir().string(),
                     .threads = 2,
                     .resume = false,
                     .progress = false,
                     .only_runs = {"codes-knn"},
                     .command = "nnlab run hybrid.toml"};
  EXPECT_NE(test::error_of([&] {
              run_study(study, options);
            }).find("the encoder of run 'ae' has no weights at"),
            std::string::npos);
  options.out_dir = (dir / "both").string();
  options.only_runs = {};
  run_study(study, options);
  const json m = json::parse(read_file((dir / "both/metrics.json").string()));
  const json& knn = run_named(m, "codes-knn");
  EXPECT_EQ(knn["learner"], "knn");
  EXPECT_DOUBLE_EQ(knn["train"]["accuracy"].get<double>(), 1.0);  // 1-NN of its own rows
  EXPECT_GT(knn["test"]["accuracy"].get<double>(), 0.2);          // chance is 0.1

  // The same accuracy from the saved autoencoder's codes, made by `nnlab encode`'s path.
  ExecContext exec(2, nullptr);
  const LoadedModel ae = load_model((dir / "both/runs/ae/r0/weights.safetensors").string(), exec);
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  std::vector<int64_t> train(300), test(100);
  std::iota(train.begin(), train.end(), 0);
  std::iota(test.begin(), test.end(), 0);
  Standardize standardize;
  standardize.fit(exec, encode(*ae.model, mnist.train, train));
  KNearest nearest(KnnOptions{.k = 1});
  nearest.fit(exec, standardize.apply(exec, encode(*ae.model, mnist.train, train)),
              std::span(mnist.train.labels).first(300), 10);
  const Predictions p =
      nearest.predict(exec, standardize.apply(exec, encode(*ae.model, mnist.test, test)));
  int right = 0;
  for (size_t i = 0; i < 100; ++i) right += p.classes[i] == mnist.test.labels[i];
  EXPECT_DOUBLE_EQ(knn["test"]["accuracy"].get<double>(), right / 100.0);
}

TEST(LearnerRun, WhatOnlyTheDataRefusesNamesTheRun) {
  const Study study = parse_study(
      "[data]\ndataset = \"mnist\"\ntrain_limit = 200\ntest_limit = 50\n[[runs]]\n"
      "name = \"a\"\nlearner = {type = \"knn\", k = 500}\n",
      "k.toml", {});
  EXPECT_NE(test::error_of([&] {
              run_study(study, {.out_dir = (test::temp_dir() / "k").string(),
                                .data_dir = test::shared_data_dir().string(),
                                .threads = 1,
                                .resume = false,
                                .progress = false,
                                .only_runs = {},
                                .command = "nnlab run k.toml"});
            }).find("k.toml: run 'a': knn: k = 500 needs at least 500 training rows, got 200"),
            std::string::npos);
}

std::string study_error(const std::string& runs) {
  const std::string text = std::string(R"toml(
[data]
dataset = "mnist"
[model]
layers = [{type = "dense", units = 10, activation = "softmax"}]
)toml") + runs;
  return test::error_of([&] { parse_study(text, "bad.toml", {}); });
}

TEST(LearnerRun, StudyKeysAreChecked) {
  EXPECT_NE(
      study_error("[[runs]]\nname = \"a\"\nlearner = {type = \"svm\", k = 3}\n")
          .find("bad.toml:8: learner.k is a setting of learner.type = \"knn\", not of \"svm\""),
      std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\nlearner = {type = \"forest\"}\n")
                .find("learner.type must be one of knn, linear_svm, network, svm, got 'forest'"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\nlearner = {type = \"svm\", C = -1}\n")
                .find("learner.C must be in (0, 1000000000000], got -1"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\nlearner = {type = \"svm\", C = inf}\n")
                .find("learner.C must be a finite number, got inf"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\ntransforms = [{type = \"pca\"}]\n")
                .find("transforms[0]: a pca transform needs components = N"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\ntransforms = [{type = \"hog\", units = 3}]\n")
                .find("transforms[0].units is not a setting of a hog transform"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\ntransforms = [{type = \"hog\", cell = 0}]\n")
                .find("transforms[0].cell must be in [1, 4096], got 0"),
            std::string::npos);
  EXPECT_NE(
      study_error("[[runs]]\nname = \"a\"\ntransforms = [{type = \"encoder\", run = \"ae\"}]\n")
          .find("transforms[0].run names no run before 'a': 'ae' (runs before it: none)"),
      std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"b\"\n[[runs]]\nname = \"a\"\n"
                        "transforms = [{type = \"encoder\", run = \"b\"}]\n")
                .find("transforms[0].run = 'b' must be an autoencoder"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\ntask = \"reconstruct\"\ntrain.loss = \"mse\"\n"
                        "learner = {type = \"knn\"}\n")
                .find("learner.type = \"knn\" predicts classes: it needs task = \"classify\""),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\ndata.validation = 100\n"
                        "train.early_stopping = {patience = 2}\nlearner = {type = \"knn\"}\n")
                .find("train.early_stopping is for networks"),
            std::string::npos);
  EXPECT_NE(study_error("[[runs]]\nname = \"a\"\ntransforms = {type = \"hog\"}\n")
                .find("transforms must be an array of tables"),
            std::string::npos);
  // A classical learner needs no model.layers.
  EXPECT_NO_THROW(
      parse_study("[data]\ndataset = \"mnist\"\n[learner]\ntype = \"knn\"\n", "ok.toml", {}));
}

}  // namespace
}  // namespace nnlab
