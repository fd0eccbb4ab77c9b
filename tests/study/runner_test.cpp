// A tiny study end to end: MNIST subset, training with validation and refit, outputs, report.
#include "study/runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "data/catalog.hpp"
#include "eval/ensemble.hpp"
#include "eval/evaluate.hpp"
#include "io/atomic_file.hpp"
#include "study/version.hpp"
#include "support/test_support.hpp"
#include "train/model_file.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRunnerStudy = R"toml(
name = "tiny"
seed = 3
repeats = 2
[data]
dataset = "mnist"
train_limit = 600
test_limit = 300
validation = 100
[model]
activation = "relu"
layers = [
  {type = "dense", units = 32},
  {type = "dropout", rate = 0.2},
  {type = "dense", units = 10, activation = "softmax"},
]
[train]
epochs = 3
batch = 50
refit = true
optimizer = {type = "adam", lr = 1e-3}
early_stopping = {monitor = "val_loss", patience = 1}
[diagnostics]
inactive_neurons = true
inactive_every = 2
[[runs]]
name = "a"
reference = {test_accuracy = 0.9}
)toml";

nlohmann::json run_tiny(const fs::path& out, bool resume = false) {
  const Study study = parse_study(kRunnerStudy, "tiny.toml", {});
  run_study(study, {.out_dir = out.string(),
                    .data_dir = test::shared_data_dir().string(),
                    .threads = 2,
                    .resume = resume,
                    .progress = false,
                    .only_runs = {},
                    .command = "nnlab run tiny.toml --out " + out.string()});
  return nlohmann::json::parse(read_file((out / "metrics.json").string()));
}

TEST(Runner, TinyStudyWritesEverythingAndIsReproducible) {
  const fs::path dir = test::temp_dir();
  const auto first = run_tiny(dir / "one");
  ASSERT_EQ(first["runs"].size(), 2u);
  for (const char* f :
       {"report.html", "study.toml", "runs/a/r0/history.csv", "runs/a/r0/refit_history.csv",
        "runs/a/r0/confusion.csv", "runs/a/r0/classification_report.csv",
        "runs/a/r0/misclassified.csv", "runs/a/r0/misclassified.safetensors",
        "runs/a/r0/inactive.csv", "runs/a/r0/weights.safetensors", "runs/a/r1/weights.safetensors"})
    EXPECT_TRUE(fs::exists(dir / "one" / f)) << f;
  EXPECT_FALSE(fs::exists(dir / "one/runs/a/r0/checkpoint.safetensors"));

  const auto& r0 = first["runs"][0];
  EXPECT_EQ(r0["train_samples"], 500);
  EXPECT_GT(r0["test"]["accuracy"].get<double>(), 0.5);  // 600 images, 3 epochs: well above chance
  EXPECT_EQ(first["summary"][0]["repeats"], 2);
  EXPECT_EQ(first["summary"][0]["epochs_mean"], (first["runs"][0]["epochs_run"].get<double>() +
                                                 first["runs"][1]["epochs_run"].get<double>()) /
                                                    2);
  EXPECT_TRUE(fs::exists(dir / "one/study.json"));
  // What the report's environment table shows.
  EXPECT_EQ(r0["data"],
            (nlohmann::json{{"dataset", "mnist"}, {"train", 500}, {"val", 100}, {"test", 300}}));
  const auto& env = first["environment"];
  EXPECT_EQ(env["command"], "nnlab run tiny.toml --out " + (dir / "one").string());
  EXPECT_EQ(env["nnlab_version"], kVersion);
  EXPECT_EQ(env["nnlab_commit"], kCommit);
  EXPECT_GT(env["wall_seconds"].get<double>(), 0);
  EXPECT_EQ(env["threads"], 2);
  EXPECT_EQ(env["date"].get<std::string>().size(), std::string("2025-06-01T12:00:00Z").size());

  // Same study, seed and threads: the same numbers.
  const auto second = run_tiny(dir / "two");
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(first["runs"][k]["test"], second["runs"][k]["test"]);
    EXPECT_EQ(first["runs"][k]["val"], second["runs"][k]["val"]);
  }
  // Different seeds (repeats) give different models.
  EXPECT_NE(first["runs"][0]["val"]["loss"], first["runs"][1]["val"]["loss"]);

  // The saved model reproduces the test accuracy when evaluated on its own.
  LoadedModel m = load_model((dir / "one/runs/a/r0/weights.safetensors").string(), test::exec());
  EXPECT_EQ(m.model->parameter_count(), r0["params"].get<int64_t>());
  const DataPair mnist = load_dataset("mnist", test::shared_data_dir().string());
  std::vector<int64_t> first300(300);
  std::iota(first300.begin(), first300.end(), int64_t{0});
  Rng rng(0);
  const Evaluation e = evaluate(*m.model, *m.loss, mnist.test, first300, {.batch = 100}, rng);
  EXPECT_NEAR(e.accuracy, r0["test"]["accuracy"].get<double>(), 1e-12);

  // The two repeats are one ensemble: their probabilities averaged, recomputed here from the
  // saved models (each row of an evaluation's probabilities is a distribution whose argmax is the
  // prediction).
  ASSERT_TRUE(first.contains("ensembles")) << first.dump(1);
  ASSERT_EQ(first["ensembles"].size(), 1u);
  const auto& ensemble = first["ensembles"][0];
  EXPECT_EQ(ensemble["name"], "a");
  EXPECT_EQ(ensemble["members"], nlohmann::json({"a r0", "a r1"}));
  LoadedModel m1 = load_model((dir / "one/runs/a/r1/weights.safetensors").string(), test::exec());
  const Evaluation e1 = evaluate(*m1.model, *m1.loss, mnist.test, first300, {.batch = 100}, rng);
  ASSERT_EQ(e.probabilities.size(), 3000u);
  int64_t right = 0;
  for (size_t i = 0; i < 300; ++i) {
    double sum = 0;
    size_t best = 0;
    std::vector<double> mean(10);
    for (size_t c = 0; c < 10; ++c) {
      sum += e.probabilities[i * 10 + c];
      mean[c] = (double{e.probabilities[i * 10 + c]} + e1.probabilities[i * 10 + c]) / 2;
      if (mean[c] > mean[best]) best = c;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_EQ(e.confidence[i], e.probabilities[i * 10 + static_cast<size_t>(e.predicted[i])]);
    right += static_cast<int32_t>(best) == mnist.test.labels[i];
  }
  EXPECT_NEAR(ensemble["test_accuracy"].get<double>(), static_cast<double>(right) / 300, 1e-12);
  EXPECT_NEAR(ensemble["members_test_accuracy_mean"].get<double>(), (e.accuracy + e1.accuracy) / 2,
              1e-12);

  // Resuming a finished study changes nothing.
  const auto resumed = run_tiny(dir / "one", true);
  EXPECT_EQ(resumed["runs"][1]["test"], first["runs"][1]["test"]);
}

// Rerunning one run (--run b) into a study's folder keeps the other runs' finished repeats in
// metrics.json and the report: they are read back from their result.json, which holds all of
// a run's entry (the data sizes included).
TEST(Runner, ARunLeftOutByOnlyRunsKeepsItsResults) {
  const fs::path dir = test::temp_dir();
  const Study study = parse_study(
      std::string(kRunnerStudy) + "[[runs]]\nname = \"b\"\nrepeats = 1\n", "tiny.toml", {});
  RunOptions options{.out_dir = dir.string(),
                     .data_dir = test::shared_data_dir().string(),
                     .threads = 2,
                     .resume = false,
                     .progress = false,
                     .only_runs = {}};
  run_study(study, options);
  const auto all = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  ASSERT_EQ(all["runs"].size(), 3u);
  const auto on_disk = nlohmann::json::parse(read_file((dir / "runs/a/r1/result.json").string()));
  EXPECT_EQ(on_disk["data"], all["runs"][1]["data"]);

  options.only_runs = {"b"};
  const StudyResult again = run_study(study, options);
  const auto metrics = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  ASSERT_EQ(metrics["runs"].size(), 3u) << metrics["runs"].dump(1);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(metrics["runs"][i]["name"], all["runs"][i]["name"]);
    EXPECT_EQ(metrics["runs"][i]["test"], all["runs"][i]["test"]);  // b retrained: same seed
    EXPECT_EQ(metrics["runs"][i]["data"], all["runs"][i]["data"]);
  }
  EXPECT_EQ(metrics["summary"].size(), 2u);
  const std::string html = read_file(again.report);
  EXPECT_NE(html.find(">Run: a</h"), std::string::npos);
  EXPECT_NE(html.find(">Run: b</h"), std::string::npos);
}

// [[ensembles]] averages the repeats of several runs as one model: skipped, naming the run, while
// one of them has no test outputs in the folder; scored once both have trained (here by two
// --run calls, the first run's results read back), as the mean of its members' probabilities.
TEST(Runner, AnEnsembleOfSeveralRunsAveragesAllTheirRepeats) {
  const fs::path dir = test::temp_dir();
  const Study study = parse_study(std::string(kRunnerStudy) +
                                      "[[runs]]\nname = \"b\"\nrepeats = 1\n"
                                      "model.layers = [{type = \"dense\", units = 16}, "
                                      "{type = \"dense\", units = 10, activation = \"softmax\"}]\n"
                                      "[[ensembles]]\nname = \"a and b\"\nruns = [\"a\", \"b\"]\n",
                                  "tiny.toml", {});
  RunOptions options{.out_dir = dir.string(),
                     .data_dir = test::shared_data_dir().string(),
                     .threads = 2,
                     .resume = false,
                     .progress = false,
                     .only_runs = {"a"}};
  run_study(study, options);
  auto metrics = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  ASSERT_EQ(metrics["ensembles"].size(), 2u) << metrics["ensembles"].dump(1);
  EXPECT_EQ(metrics["ensembles"][0]["name"], "a");  // a's own repeats
  EXPECT_EQ(metrics["ensembles"][1]["name"], "a and b");
  EXPECT_NE(metrics["ensembles"][1].value("skipped", "").find("run b kept no test outputs"),
            std::string::npos)
      << metrics["ensembles"][1].dump();

  options.only_runs = {"b"};
  const StudyResult result = run_study(study, options);
  metrics = nlohmann::json::parse(read_file((dir / "metrics.json").string()));
  ASSERT_EQ(metrics["ensembles"].size(), 2u) << metrics["ensembles"].dump(1);
  const auto& both = metrics["ensembles"][1];
  ASSERT_FALSE(both.contains("skipped")) << both.dump();
  EXPECT_EQ(both["members"], nlohmann::json({"a r0", "a r1", "b r0"}));
  // The same score from the three members' saved probabilities, averaged here.
  std::vector<TestOutputs> outs;
  for (const char* member : {"runs/a/r0", "runs/a/r1", "runs/b/r0"})
    outs.push_back(load_test_outputs((dir / member / "test_outputs.safetensors").string()));
  int64_t right = 0;
  for (int64_t i = 0; i < outs[0].count; ++i) {
    int64_t best = 0;
    std::vector<double> mean(10);
    for (int64_t c = 0; c < 10; ++c) {
      for (const TestOutputs& o : outs) mean[c] += o.probabilities[i * 10 + c] / 3.0;
      if (mean[c] > mean[best]) best = c;
    }
    right += best == outs[0].labels[i];
  }
  EXPECT_EQ(outs[0].count, 300);
  EXPECT_NEAR(both["test_accuracy"].get<double>(), static_cast<double>(right) / 300, 1e-12);
  EXPECT_EQ(both["test_errors"], 300 - right);
  double mean_accuracy = 0;
  for (size_t k = 0; k < 3; ++k)
    mean_accuracy += metrics["runs"][k]["test"]["accuracy"].get<double>();
  EXPECT_NEAR(both["members_test_accuracy_mean"].get<double>(), mean_accuracy / 3, 1e-12);
  EXPECT_NE(read_file(result.report).find("a and b"), std::string::npos);
}

TEST(Runner, UnknownRunNameIsAnError) {
  const Study study = parse_study(kRunnerStudy, "tiny.toml", {});
  try {
    run_study(study, {.out_dir = test::temp_dir().string(),
                      .data_dir = test::shared_data_dir().string(),
                      .threads = 1,
                      .resume = false,
                      .progress = false,
                      .only_runs = {"nosuch"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--run 'nosuch': no such run in tiny.toml; runs: a");
  }
}

}  // namespace
}  // namespace nnlab
