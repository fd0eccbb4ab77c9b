// `nnlab run --resume` after the process was killed (SIGKILL) at each phase of a run: during
// training, right after early stopping, during the refit, after the refit, between the weights
// and the figures, after result.json. Each must end with the numbers of metrics.json and the
// weights byte-identical to an uninterrupted run. NNLAB_CRASH_AT names the moment
// (src/train/crash_point.hpp).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
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
constexpr const char* kStudy = R"toml(
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

/// Exit status of `nnlab run` (-SIGNAL when a signal ended it), with NNLAB_CRASH_AT = `crash`.
int run_study(const fs::path& study, const fs::path& out, const std::string& crash, bool resume) {
  const std::string cmd =
      (crash.empty() ? std::string("env -u NNLAB_CRASH_AT ") : "NNLAB_CRASH_AT=" + crash + " ") +
      nnlab::test::nnlab_binary() + " run " + study.string() + " --out " + out.string() +
      " --threads 1 --no-progress --data-dir " + nnlab::test::shared_data_dir().string() +
      (resume ? " --resume" : "") + " >" + (out.string() + ".log") + " 2>&1 </dev/null";
  const int raw = std::system(cmd.c_str());
  if (WIFEXITED(raw)) {
    const int code = WEXITSTATUS(raw);
    return code > 128 ? -(code - 128) : code;  // the shell reports a killed child as 128 + N
  }
  return WIFSIGNALED(raw) ? -WTERMSIG(raw) : -1;
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
  std::ofstream(study) << kStudy;

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
      "checkpoint.1",                                      // during training
      "checkpoint." + std::to_string(stop_epoch),          // right after early stopping
      "trained",                                           // phase 1's files written
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

}  // namespace
