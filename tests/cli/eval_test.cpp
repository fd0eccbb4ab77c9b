// `nnlab eval`: the per-class report beside accuracy and loss, --json, and the warning when the
// data set is not the one the model was trained on. An untrained model on MNIST's test set.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/nnlab_binary.hpp"
#include "data/catalog.hpp"
#include "nn/model_builder.hpp"
#include "support/test_support.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string write_model(const fs::path& dir, const std::string& trained_on) {
  const ModelDescription d{.input = {1, 28, 28},
                           .layers = {{.type = "dense",
                                       .numbers = {{"units", 10}},
                                       .strings = {{"activation", "softmax"}},
                                       .where = ""}},
                           .loss = "cross_entropy",
                           .class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
                           .data = data_origin(trained_on)};
  auto loss = make_loss(d.loss);
  Rng rng(4);
  auto model = build_model(test::exec(), d.input, d.layers, *loss, rng);
  const std::string path = (dir / (trained_on + ".safetensors")).string();
  save_model_file(path, *model, d);
  return path;
}

class Eval : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(test::nnlab_binary()))
      return test::skip_for_missing(test::nnlab_binary() + " not built");
    dir_ = test::temp_dir();
  }
  std::string eval(const std::string& model, const std::string& extra = "") {
    return "eval " + model + " --data mnist --data-dir " + test::shared_data_dir().string() + extra;
  }
  fs::path dir_;
};

TEST_F(Eval, PrintsThePerClassReport) {
  const test::CommandResult r = test::run_nnlab(eval(write_model(dir_, "mnist")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");  // trained on MNIST: no warning
  EXPECT_NE(r.out.find("accuracy "), std::string::npos) << r.out;
  for (const char* word : {"precision", "recall", "f1", "support", "macro avg", "weighted avg"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word << " in\n" << r.out;
  // Class 1 has 1135 test samples, all of them 10000.
  EXPECT_NE(r.out.find("1135\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10000\n"), std::string::npos) << r.out;
}

TEST_F(Eval, JsonHoldsTheSameScores) {
  const test::CommandResult r = test::run_nnlab(eval(write_model(dir_, "mnist"), " --json"));
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("samples"), 10000);
  ASSERT_EQ(out.at("classes").size(), 10u);
  int64_t support = 0;
  double recall_weighted = 0;
  for (const json& c : out["classes"]) {
    support += c.at("support").get<int64_t>();
    recall_weighted += c.at("recall").get<double>() * c.at("support").get<double>();
  }
  EXPECT_EQ(support, 10000);
  EXPECT_EQ(out["classes"][1]["class"], "1");
  EXPECT_EQ(out["classes"][1]["support"], 1135);
  // Weighted recall is accuracy; errors are the rest.
  const double accuracy = out.at("accuracy");
  EXPECT_NEAR(recall_weighted / 10000, accuracy, 1e-9);
  EXPECT_NEAR(out.at("weighted_avg").at("recall").get<double>(), accuracy, 1e-9);
  EXPECT_EQ(out.at("errors").get<int64_t>(), 10000 - std::lround(accuracy * 10000));
  EXPECT_TRUE(out.at("warnings").empty());
}

TEST_F(Eval, WarnsWhenTheDataIsNotWhatTheModelWasTrainedOn) {
  const std::string model = write_model(dir_, "fashion-mnist");
  const test::CommandResult r = test::run_nnlab(eval(model));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("nnlab: warning: " + model + " was trained on fashion-mnist, not mnist"),
            std::string::npos)
      << r.err;
  const test::CommandResult j = test::run_nnlab(eval(model, " --json"));
  EXPECT_EQ(json::parse(j.out).at("warnings").size(), 1u);
}

}  // namespace
}  // namespace nnlab
