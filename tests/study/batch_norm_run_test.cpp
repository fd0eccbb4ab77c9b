// A run with batch norm and reshape layers end to end: the study's list values reach the layers,
// the refit model's running statistics reach weights.safetensors, and the saved model
// reproduces the test accuracy on its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "data/catalog.hpp"
#include "eval/evaluate.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "study/runner.hpp"
#include "support/test_support.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBatchNormRunStudy = R"toml(
name = "bn"
seed = 5
[data]
dataset = "mnist"
train_limit = 400
test_limit = 200
validation = 100
[model]
layers = [
  {type = "batch_norm"},
  {type = "reshape", shape = [-1]},
  {type = "dense", units = 16, activation = "linear"},
  {type = "batch_norm", momentum = 0.2},
  {type = "relu"},
  {type = "dense", units = 10, activation = "softmax"},
]
[train]
epochs = 2
batch = 50
refit = true
optimizer = {type = "adam", lr = 1e-3, weight_decay = 0.01, decay = "decoupled"}
early_stopping = {patience = 1}
)toml";

TEST(BatchNormRun, RefitModelKeepsItsRunningStatistics) {
  const fs::path dir = test::temp_dir();
  const Study study = parse_study(kBatchNormRunStudy, "bn.toml", {});
  run_study(study, {.out_dir = dir.string(),
                    .data_dir = test::shared_data_dir().string(),
                    .threads = 2,
                    .resume = false,
                    .progress = false,
                    .only_runs = {}});
  const auto metrics = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  const auto& r0 = metrics["runs"][0];
  const std::string weights = (dir / "runs/bn/r0/weights.safetensors").string();
  const SafeTensors file = load_safetensors(weights);
  ASSERT_TRUE(file.contains("batch_norm1.running_var"));
  const std::vector<float> var = file.f32("batch_norm4.running_var");
  EXPECT_EQ(var.size(), 16u);
  EXPECT_NE(var, std::vector<float>(16, 1.0f));  // moved away from its initial value

  LoadedModel m = load_model(weights, test::exec());
  EXPECT_EQ(m.model->parameter_count(), r0["params"].get<int64_t>());
  EXPECT_EQ(m.model->buffer_count(), 2 * 1 + 2 * 16);
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  std::vector<int64_t> first200(200);
  std::iota(first200.begin(), first200.end(), int64_t{0});
  Rng rng(0);
  const Evaluation e = evaluate(*m.model, *m.loss, mnist.test, first200, {.batch = 100}, rng);
  EXPECT_NEAR(e.accuracy, r0["test"]["accuracy"].get<double>(), 1e-12);
  EXPECT_GT(e.accuracy, 0.3);
}

}  // namespace
}  // namespace nnlab
