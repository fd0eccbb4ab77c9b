// `nnlab eval`: the per-class report beside accuracy and loss, --json, and the warning when the
// data set is not the one the model was trained on. An untrained model on MNIST's test set.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/nnlab_binary.hpp"
#include "data/catalog.hpp"
#include "eval/evaluate.hpp"
#include "io/atomic_file.hpp"
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

// --tta-shift 2: the test set scored on 5 views of each image (itself, moved 2 pixels left,
// right, up, down, zeros filling in), the probabilities averaged. Recomputed here by moving the
// images in the test's own loop and scoring each moved copy without augmentation.
TEST_F(Eval, TestTimeAugmentationAveragesTheProbabilitiesOfTheMovedImages) {
  const std::string path = write_model(dir_, "mnist");
  const test::CommandResult r = test::run_nnlab(eval(path, " --tta-shift 2 --json"));
  ASSERT_EQ(r.status, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("tta"), json({{"shift", 2}, {"hflip", false}, {"random_views", 0}}));

  ExecContext exec(1);
  LoadedModel m = load_model(path, exec, 1000);
  const Dataset test = load_dataset("mnist", test::shared_data_dir().string()).test;
  std::vector<int64_t> all(static_cast<size_t>(test.size()));
  std::iota(all.begin(), all.end(), int64_t{0});
  const int64_t n = test.size(), side = 28;
  std::vector<double> mean(static_cast<size_t>(n * 10), 0.0);
  double plain_loss = 0;
  for (const auto& [dx, dy] : {std::pair{0, 0}, {-2, 0}, {2, 0}, {0, -2}, {0, 2}}) {
    Dataset moved = test;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t y = 0; y < side; ++y)
        for (int64_t x = 0; x < side; ++x) {
          const int64_t sx = x - dx, sy = y - dy;
          const bool inside = sx >= 0 && sx < side && sy >= 0 && sy < side;
          moved.pixels[static_cast<size_t>((i * side + y) * side + x)] =
              inside ? test.pixels[static_cast<size_t>((i * side + sy) * side + sx)] : 0;
        }
    Rng rng(0);
    const Evaluation e = evaluate(*m.model, *m.loss, moved, all, {.batch = 1000}, rng);
    if (dx == 0 && dy == 0) plain_loss = e.loss;
    for (size_t k = 0; k < mean.size(); ++k) mean[k] += e.probabilities[k] / 5.0;
  }
  int64_t errors = 0;
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* p = mean.data() + i * 10;
    if (std::max_element(p, p + 10) - p != test.labels[static_cast<size_t>(i)]) ++errors;
    loss -= std::log(p[test.labels[static_cast<size_t>(i)]]) / static_cast<double>(n);
  }
  // Sums in another order and precision: a near tie may fall the other way.
  EXPECT_LE(std::abs(out.at("errors").get<int64_t>() - errors), 2) << errors;
  EXPECT_NEAR(out.at("loss").get<double>(), loss, 1e-4);
  EXPECT_GT(std::abs(loss - plain_loss), 1e-3);  // the views changed the score
}

// --study: a run's saved model scored on the run's own validation split and test set gives the
// scores the study gave it (the split drawn again from the repeat's seed, the run's TTA), and
// --set changes the evaluation's settings.
TEST_F(Eval, StudyScoresARunsModelOnItsOwnData) {
  const fs::path study = dir_ / "s.toml";
  test::write_text(study, R"(name = "s"
seed = 5
repeats = 2
[data]
dataset = "mnist"
validation = 300
train_limit = 1500
test_limit = 400
[model]
layers = [{type = "flatten"}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
batch = 100
tta = {shift = 1}
[diagnostics]
figures = false
[[runs]]
name = "one"
)");
  const std::string data = " --data-dir " + test::shared_data_dir().string();
  const fs::path out = dir_ / "out";
  const test::CommandResult run =
      test::run_nnlab("run " + study.string() + " --out " + out.string() + data + " --threads 1");
  ASSERT_EQ(run.status, 0) << run.err;
  for (const int repeat : {0, 1}) {
    const fs::path dir = out / "runs" / "one" / ("r" + std::to_string(repeat));
    const json result = json::parse(read_file((dir / "result.json").string()));
    const std::string eval = "eval " + (dir / "weights.safetensors").string() + " --study " +
                             study.string() + data + " --repeat " + std::to_string(repeat) +
                             " --json";
    for (const auto& [split, key] : {std::pair{"validation", "val"}, {"test", "test"}}) {
      const test::CommandResult r = test::run_nnlab(eval + " --split " + split);
      ASSERT_EQ(r.status, 0) << r.err;
      const json scored = json::parse(r.out);
      EXPECT_EQ(scored.at("samples"), split == std::string("test") ? 400 : 300);
      EXPECT_EQ(scored.at("tta").at("shift"), 1);
      EXPECT_DOUBLE_EQ(scored.at("accuracy").get<double>(),
                       result.at(key).at("accuracy").get<double>())
          << split << " of repeat " << repeat;
      EXPECT_NEAR(scored.at("loss").get<double>(), result.at(key).at("loss").get<double>(), 1e-6)
          << split << " of repeat " << repeat;
    }
  }
  // Other settings, another score; the study's own checks apply to them.
  const std::string r0 = "eval " + (out / "runs/one/r0/weights.safetensors").string() +
                         " --study " + study.string() + data + " --split validation --json";
  const test::CommandResult views = test::run_nnlab(
      r0 + " --set train.tta.random_views=3 --set 'train.tta.augment={rotation = 15}'");
  ASSERT_EQ(views.status, 0) << views.err;
  const json v = json::parse(views.out);
  EXPECT_EQ(v.at("tta").at("random_views"), 3);
  const json plain = json::parse(test::run_nnlab(r0).out);
  EXPECT_NE(v.at("loss").get<double>(), plain.at("loss").get<double>());
  const test::CommandResult bad = test::run_nnlab(r0 + " --set train.tta.random_views=3");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("train.tta.random_views needs a transform"), std::string::npos) << bad.err;
  const test::CommandResult both = test::run_nnlab(r0 + " --data mnist");
  EXPECT_NE(both.status, 0);
  // The run's train.eval_batch sets the batch: --batch would be ignored, so it is refused.
  const test::CommandResult batch = test::run_nnlab(r0 + " --batch 5");
  EXPECT_NE(batch.status, 0);
  EXPECT_NE(batch.err.find("--batch excludes --study"), std::string::npos) << batch.err;
}

TEST_F(Eval, RejectsTestTimeAugmentationLargerThanTheImages) {
  const test::CommandResult r =
      test::run_nnlab(eval(write_model(dir_, "mnist"), " --tta-shift 29"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--tta-shift must be in [0, 28], got 29 (the images of mnist)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace nnlab
