// `nnlab run --resume` after the process was killed (SIGKILL) at each phase of a run: during
// training, right after early stopping, during the refit, after the refit, between the weights
// and the figures, after result.json. Each must end with the numbers of metrics.json and the
// weights byte-identical to an uninterrupted run. NNLAB_CRASH_AT names the moment
// (src/train/crash_point.hpp).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/nnlab_binary.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small run that stops early, then refits on train + validation on a cosine schedule.
constexpr const char* kResumeStudy = R"toml(
name = "resume-phases"
seed = 3
[data]
dataset = "mnist"
train_limit = 1500
validation = 500
[model]
activation = "relu"
layers = [{type = "dense", units = 24}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 30
batch = 50
refit = true
optimizer = {type = "adam", lr = 0.01}
schedule = {type = "cosine"}
early_stopping = {monitor = "val_loss", patience = 2}
[diagnostics]
misclassified = 8
[[runs]]
name = "mlp"
)toml";

/// Exit status of `nnlab run ... ARGS` (-SIGNAL when a signal ended it), with NNLAB_CRASH_AT =
/// `crash`; its output goes to OUT.log.
int run_study(const fs::path& study, const fs::path& out, const std::string& crash,
              const std::string& args) {
  const std::string cmd =
      (crash.empty() ? std::string("env -u NNLAB_CRASH_AT ") : "NNLAB_CRASH_AT=" + crash + " ") +
      nnlab::test::nnlab_binary() + " run " + study.string() + " --out " + out.string() +
      " --threads 1 --no-progress --data-dir " + nnlab::test::shared_data_dir().string() + " " +
      args + " >" + (out.string() + ".log") + " 2>&1 </dev/null";
  const int raw = std::system(cmd.c_str());
  if (WIFEXITED(raw)) {
    const int code = WEXITSTATUS(raw);
    return code > 128 ? -(code - 128) : code;  // the shell reports a killed child as 128 + N
  }
  return WIFSIGNALED(raw) ? -WTERMSIG(raw) : -1;
}

int run_study(const fs::path& study, const fs::path& out, const std::string& crash, bool resume) {
  return run_study(study, out, crash, std::string(resume ? "--resume" : ""));
}

/// metrics.json without what a clock measures.
json timeless(json j) {
  if (j.is_object()) {
    json out = json::object();
    for (auto& [k, v] : j.items())
      if (k.find("seconds") == std::string::npos && k != "samples_per_second" && k != "environment")
        out[k] = timeless(v);
    return out;
  }
  if (j.is_array())
    for (auto& v : j) v = timeless(v);
  return j;
}

/// history.csv without its seconds column (the last one).
std::string without_seconds(const std::string& csv) {
  std::istringstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

TEST(Resume, AKillAtAnyPhaseThenResumeEndsIdenticalToAnUninterruptedRun) {
  if (!fs::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  ASSERT_TRUE(fs::exists(nnlab::test::shared_data_dir() / "mnist"))
      << "MNIST is missing from " << nnlab::test::shared_data_dir();
  const fs::path dir = nnlab::test::temp_dir();
  const fs::path study = dir / "study.toml";
  std::ofstream(study) << kResumeStudy;

  const fs::path whole = dir / "whole";
  ASSERT_EQ(run_study(study, whole, "", false), 0) << slurp(whole.string() + ".log");
  const fs::path run_dir = fs::path("runs") / "mlp" / "r0";
  const json result = json::parse(slurp(whole / run_dir / "result.json"));
  ASSERT_EQ(result["stopped"], "early_stopping") << "the study must stop early to test it";
  const int stop_epoch = result["epochs_run"];
  const int refit_epochs = result["refit"]["epochs"];
  ASSERT_GE(refit_epochs, 2);
  const json expected = timeless(json::parse(slurp(whole / "metrics.json")));
  // The refit trains its epochs on the schedule the validation phase planned (train.epochs),
  // so each refit epoch starts at the rate the same epoch of the validation phase started at.
  const auto lr_column = [](const std::string& csv) {
    std::istringstream in(csv);
    std::vector<std::string> lr;
    for (std::string line; std::getline(in, line);) {
      const size_t a = line.find(','), b = line.find(',', a + 1);
      lr.push_back(line.substr(a + 1, b - a - 1));
    }
    return lr;
  };
  const auto phase_lr = lr_column(slurp(whole / run_dir / "history.csv"));
  const auto refit_lr = lr_column(slurp(whole / run_dir / "refit_history.csv"));
  ASSERT_EQ(refit_lr.size(), static_cast<size_t>(refit_epochs) + 1);  // with the header
  EXPECT_TRUE(std::equal(refit_lr.begin(), refit_lr.end(), phase_lr.begin()));

  const std::vector<std::string> moments = {
      "checkpoint.0",                                      // before the first step
      "checkpoint.1",                                      // during training
      "checkpoint." + std::to_string(stop_epoch),          // right after early stopping
      "trained",                                           // phase 1's files written
      "refit_checkpoint.0",                                // the refit's initial state
      "refit_checkpoint.1",                                // during the refit
      "refit_checkpoint." + std::to_string(refit_epochs),  // the refit's last epoch
      "refit_done",
      "weights_written",  // between the test's files and the figures
      "figures_written",
      "result_written",
  };
  for (const std::string& moment : moments) {
    SCOPED_TRACE(moment);
    const fs::path out = dir / ("killed-" + moment);
    ASSERT_EQ(run_study(study, out, moment, false), -SIGKILL) << slurp(out.string() + ".log");
    ASSERT_EQ(run_study(study, out, "", true), 0) << slurp(out.string() + ".log");
    EXPECT_EQ(timeless(json::parse(slurp(out / "metrics.json"))), expected);
    EXPECT_EQ(slurp(out / run_dir / "weights.safetensors"),
              slurp(whole / run_dir / "weights.safetensors"));
    EXPECT_EQ(slurp(out / run_dir / "figures.safetensors"),
              slurp(whole / run_dir / "figures.safetensors"));
    for (const char* csv : {"history.csv", "refit_history.csv"})
      EXPECT_EQ(without_seconds(slurp(out / run_dir / csv)),
                without_seconds(slurp(whole / run_dir / csv)))
          << csv;
    EXPECT_FALSE(fs::exists(out / run_dir / "checkpoint.safetensors"));
    EXPECT_FALSE(fs::exists(out / run_dir / "refit_checkpoint.safetensors"));
  }
}

/// The lr column of a history.csv, one entry per epoch.
std::vector<std::string> lr_column(const std::string& csv) {
  std::istringstream in(csv);
  std::vector<std::string> lr;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    const size_t a = line.find(','), b = line.find(',', a + 1);
    lr.push_back(line.substr(a + 1, b - a - 1));
  }
  return lr;
}

constexpr const char* kShortStudy = R"toml(
name = "resume-changed"
seed = 5
[data]
dataset = "mnist"
train_limit = 600
test_limit = 200
[model]
activation = "relu"
layers = [{type = "dense", units = 16}, {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 3
batch = 60
optimizer = {type = "adam", lr = 0.01}
[diagnostics]
misclassified = 4
[[runs]]
name = "mlp"
)toml";

// A study resumed with other settings is refused, naming the settings that differ and the flag
// that takes them; with --resume-changed the run continues on the new settings (the rest of its
// epochs at the new rate) and metrics.json records what changed.
TEST(Resume, AChangedStudyNeedsResumeChangedAndIsRecorded) {
  if (!fs::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  ASSERT_TRUE(fs::exists(nnlab::test::shared_data_dir() / "mnist"));
  const fs::path dir = nnlab::test::temp_dir();
  const fs::path study = dir / "study.toml";
  std::ofstream(study) << kShortStudy;
  const fs::path out = dir / "changed";
  const std::string log = out.string() + ".log";
  ASSERT_EQ(run_study(study, out, "checkpoint.1", false), -SIGKILL) << slurp(log);

  const std::string lower = "--set train.optimizer.lr=0.005";
  ASSERT_EQ(run_study(study, out, "", lower + " --resume"), 1) << slurp(log);
  const std::string refused = slurp(log);
  EXPECT_NE(refused.find("with other settings (train.optimizer.lr: 0.01 -> 0.005)"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("--resume-changed"), std::string::npos) << refused;
  EXPECT_FALSE(fs::exists(out / "metrics.json"));  // refused before anything was written

  ASSERT_EQ(run_study(study, out, "", lower + " --resume-changed"), 0) << slurp(log);
  const json metrics = json::parse(slurp(out / "metrics.json"));
  ASSERT_TRUE(metrics.contains("resume_changes")) << metrics.dump(2);
  ASSERT_EQ(metrics["resume_changes"].size(), 1u);
  EXPECT_EQ(metrics["resume_changes"][0]["changed"],
            json::parse(R"([{"key": "train.optimizer.lr", "was": "0.01", "now": "0.005"}])"));
  EXPECT_NE(metrics["resume_changes"][0]["command"].get<std::string>().find("--resume-changed"),
            std::string::npos);
  EXPECT_EQ(lr_column(slurp(out / "runs" / "mlp" / "r0" / "history.csv")),
            (std::vector<std::string>{"0.01", "0.005", "0.005"}));

  // The folder now holds the changed study: plain --resume takes it, and refuses the old one.
  EXPECT_EQ(run_study(study, out, "", lower + " --resume"), 0) << slurp(log);
  EXPECT_TRUE(json::parse(slurp(out / "metrics.json")).contains("resume_changes"));
  ASSERT_EQ(run_study(study, out, "", true), 1) << slurp(log);
  EXPECT_NE(slurp(log).find("train.optimizer.lr: 0.005 -> 0.01"), std::string::npos) << slurp(log);
}

// train.on_divergence = "rollback" from the command line: a rate far too high diverges, each
// rollback lowers it 10,000-fold until training holds; the run ends with its weights and test
// score, each rollback in result.json and in the log, and a run killed after a rollback
// resumes to the same numbers.
TEST(Resume, ARolledBackRunEndsTrainedAndResumesIdentically) {
  if (!fs::exists(nnlab::test::nnlab_binary()))
    return nnlab::test::skip_for_missing(nnlab::test::nnlab_binary() + " not built");
  ASSERT_TRUE(fs::exists(nnlab::test::shared_data_dir() / "mnist"));
  const fs::path dir = nnlab::test::temp_dir();
  const fs::path study = dir / "study.toml";
  std::ofstream(study) << kShortStudy;
  const std::string sets =
      "--set train.optimizer.lr=1e6 --set train.on_divergence=rollback "
      "--set train.rollback_lr_factor=0.0001 --set train.max_rollbacks=4";
  const fs::path whole = dir / "whole";
  ASSERT_EQ(run_study(study, whole, "", sets), 0) << slurp(whole.string() + ".log");
  const fs::path r0 = fs::path("runs") / "mlp" / "r0";
  const json result = json::parse(slurp(whole / r0 / "result.json"));
  ASSERT_TRUE(result.contains("rollbacks")) << result.dump(2);
  const json& rollbacks = result["rollbacks"];
  ASSERT_GE(rollbacks.size(), 1u);
  EXPECT_LE(rollbacks.size(), 4u);
  EXPECT_EQ(result["stopped"], "epochs");
  EXPECT_GT(result["test"]["accuracy"].get<double>(), 0.5);
  const float last_lr = rollbacks.back()["lr"];
  float lr = 1e6f;  // lowered in float, as the trainer does
  for (size_t i = 0; i < rollbacks.size(); ++i) lr *= 0.0001f;
  EXPECT_EQ(last_lr, lr);
  EXPECT_EQ(lr_column(slurp(whole / r0 / "history.csv")).back(), fmt::format("{:g}", last_lr));
  const std::string log = slurp(whole.string() + ".log");
  EXPECT_NE(
      log.find(fmt::format("training diverged at epoch {}, batch {}; rolled back",
                           rollbacks[0]["epoch"].get<int>(), rollbacks[0]["batch"].get<int>())),
      std::string::npos)
      << log;
  EXPECT_TRUE(fs::exists(whole / r0 / "weights.safetensors"));

  // Killed at the end of the last epoch, after the rollbacks: the checkpoint carries them.
  const fs::path killed = dir / "killed";
  ASSERT_EQ(run_study(study, killed, "checkpoint.3", sets), -SIGKILL)
      << slurp(killed.string() + ".log");
  ASSERT_EQ(run_study(study, killed, "", sets + " --resume"), 0) << slurp(killed.string() + ".log");
  EXPECT_EQ(timeless(json::parse(slurp(killed / "metrics.json"))),
            timeless(json::parse(slurp(whole / "metrics.json"))));
  EXPECT_EQ(slurp(killed / r0 / "weights.safetensors"), slurp(whole / r0 / "weights.safetensors"));
}

}  // namespace
