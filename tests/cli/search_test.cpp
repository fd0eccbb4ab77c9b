// `nnlab search` and searches inside `nnlab run`: the trials table, the refit of the best
// configuration, trials identical alone or side by side, a search killed and resumed, and eight
// processes sharing one trial store while one of them is killed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "cli/nnlab_binary.hpp"
#include "io/csv.hpp"
#include "search/trial_store.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A search over a tiny net on S3's shipped curve: `grid` configurations x `folds` folds.
std::string study_text(const std::string& space, int folds, int epochs,
                       const std::string& extra = "") {
  const std::string data = std::string(NNLAB_SOURCE_DIR) + "/experiments/data/";
  return R"toml(
name = "search-test"
task = "regress"
seed = 2
[data]
dataset = "csv"
csv = {train = ")toml" +
         data + R"toml(s3-curve-train.csv", test = ")toml" + data +
         R"toml(s3-curve-test.csv", inputs = ["x"], targets = ["y"]}
[model]
layers = [{type = "dense", units = 8, activation = "tanh"}, {type = "dense", units = 1}]
[train]
loss = "mse"
epochs = )toml" +
         std::to_string(epochs) + R"toml(
batch = 10
optimizer = {type = "adam", lr = 1e-2}
[diagnostics]
figures = false
[[runs]]
name = "s"
[runs.search]
metric = "mse"
folds = )toml" +
         std::to_string(folds) + "\n" + extra + R"toml(
[[runs.search.stages]]
space = )toml" +
         space + "\n";
}

fs::path write_study(const fs::path& dir, const std::string& text) {
  const fs::path p = dir / "study.toml";
  std::ofstream(p) << text;
  return p;
}

json metrics_of(const fs::path& out) {
  std::ifstream in(out / "metrics.json");
  return json::parse(in);
}

/// The trials table with the timing columns blanked: what two runs of one search must share.
std::vector<std::vector<std::string>> table_without_times(const fs::path& out) {
  auto rows = read_csv((out / "search/s/trials.csv").string());
  const auto& head = rows.at(0);
  for (size_t c = 0; c < head.size(); ++c)
    if (head[c] == "seconds")
      for (auto& r : rows) r[c] = "";
  return rows;
}

TEST(Search, GridTrialsTableAndTheBestRefitOnAllData) {
  const fs::path dir = test::temp_dir();
  const fs::path study = write_study(
      dir,
      study_text(
          R"({"train.optimizer.lr" = [1e-3, 1e-2], units = [4, 8], )"
          R"("model.layers" = [[{type = "dense", units = "$units", activation = "tanh"}, {type = "dense", units = 1}]]})",
          3, 15, "refit = 2\n"));
  const auto r = test::run_nnlab("search " + study.string() + " --out " + (dir / "out").string() +
                                 " --threads 2 --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  // --no-progress hides the progress bar, not the log: one line per finished trial (4
  // configurations x 3 folds), for someone following a long search.
  size_t trial_lines = 0;
  for (size_t at = r.err.find("[search s"); at != std::string::npos;
       at = r.err.find("[search s", at + 1))
    ++trial_lines;
  EXPECT_EQ(trial_lines, 12u) << r.err;
  const json m = metrics_of(dir / "out");
  const json& s = m["search"]["s"];
  ASSERT_EQ(s["trials"].size(), 4u);
  EXPECT_EQ(s["folds"], 3);
  // Ranks order the mean scores; each mean is the mean of its folds; std is the population std.
  std::map<int, double> by_rank;
  for (const json& t : s["trials"]) {
    const auto& f = t["split_scores"];
    ASSERT_EQ(f.size(), 3u);
    const double mean = (f[0].get<double>() + f[1].get<double>() + f[2].get<double>()) / 3;
    EXPECT_NEAR(t["mean_score"].get<double>(), mean, 1e-12);
    double ss = 0;
    for (const auto& x : f) ss += (x.get<double>() - mean) * (x.get<double>() - mean);
    EXPECT_NEAR(t["std_score"].get<double>(), std::sqrt(ss / 3), 1e-12);
    by_rank[t["rank"].get<int>()] = mean;
  }
  ASSERT_EQ(by_rank.size(), 4u);
  for (int k = 1; k < 4; ++k) EXPECT_LE(by_rank[k], by_rank[k + 1]);
  // The two best refit on all 100 points and tested once.
  ASSERT_EQ(m["runs"].size(), 2u);
  EXPECT_EQ(m["runs"][0]["name"], "s");
  EXPECT_EQ(m["runs"][1]["name"], "s#2");
  EXPECT_EQ(m["runs"][0]["train_samples"], 100);
  EXPECT_EQ(m["runs"][0]["search_params"], s["best"]["params"]);
  EXPECT_TRUE(m["runs"][0]["test"]["loss"].is_number());
  // A 1-D regression's refit leaves its points and curve for the report's figure.
  const auto points = read_csv((dir / "out/runs/s/r0/points.csv").string());
  EXPECT_EQ(points.size(), 201u);  // header, 100 training and 100 test points
  EXPECT_EQ(read_csv((dir / "out/runs/s/r0/curve.csv").string()).size(), 202u);
  // The CSV: one column per key that varies (a variable included), the fold scores, the rank.
  const auto rows = read_csv((dir / "out/search/s/trials.csv").string());
  ASSERT_EQ(rows.size(), 5u);
  const auto& head = rows[0];
  for (const char* col : {"param_train.optimizer.lr", "param_units", "mean_score", "std_score",
                          "split0_score", "split2_score", "rank", "seconds"})
    EXPECT_NE(std::find(head.begin(), head.end(), col), head.end()) << col;
}

// A classifier search's top refits are one ensemble beside them (study/ensembles.hpp).
TEST(Search, TheTopRefitsOfAClassifierSearchAreAnEnsemble) {
  const fs::path dir = test::temp_dir();
  const fs::path study = write_study(dir, R"toml(
name = "ensemble-test"
seed = 2
[data]
dataset = "mnist"
train_limit = 400
test_limit = 200
validation = 100
[model]
layers = [{type = "flatten"}, {type = "dense", units = 16, activation = "relu"},
          {type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 2
batch = 50
optimizer = {type = "adam", lr = 1e-3}
[diagnostics]
figures = false
[[runs]]
name = "s"
[runs.search]
metric = "accuracy"
folds = 0
refit = 2
[[runs.search.stages]]
space = {"train.optimizer.lr" = [1e-3, 3e-3]}
)toml");
  const auto r = test::run_nnlab("search " + study.string() + " --out " + (dir / "out").string() +
                                 " --data-dir " + test::shared_data_dir().string() +
                                 " --threads 2 --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  const json m = metrics_of(dir / "out");
  ASSERT_EQ(m["runs"].size(), 2u);
  EXPECT_EQ(m["runs"][1]["ensemble_of"], "s");
  ASSERT_TRUE(m.contains("ensembles")) << m.dump(1);
  ASSERT_EQ(m["ensembles"].size(), 1u);
  const json& e = m["ensembles"][0];
  EXPECT_EQ(e["name"], "s");
  EXPECT_EQ(e["members"], json({"s r0", "s#2 r0"}));
  const double a = m["runs"][0]["test"]["accuracy"], b = m["runs"][1]["test"]["accuracy"];
  EXPECT_DOUBLE_EQ(e["members_test_accuracy_mean"].get<double>(), (a + b) / 2);
  EXPECT_DOUBLE_EQ(e["members_test_accuracy_best"].get<double>(), std::max(a, b));
  EXPECT_GT(e["test_accuracy"].get<double>(), 0.5);
  EXPECT_NE(r.out.find("ensemble of s (2 members): test accuracy"), std::string::npos) << r.out;
}

TEST(Search, TrialsAreTheSameAloneOrSideBySide) {
  const fs::path dir = test::temp_dir();
  const fs::path study = write_study(
      dir,
      study_text(R"({"train.optimizer.lr" = [1e-3, 3e-3, 1e-2], "train.batch" = [5, 20]})", 2, 10));
  for (const char* w : {"1", "3"}) {
    const auto r = test::run_nnlab("search " + study.string() + " --out " +
                                   (dir / (std::string("w") + w)).string() +
                                   " --threads 3 --no-progress --workers " + w);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  EXPECT_EQ(table_without_times(dir / "w1"), table_without_times(dir / "w3"));
  const json alone = metrics_of(dir / "w1")["search"]["s"],
             side = metrics_of(dir / "w3")["search"]["s"];
  EXPECT_EQ(alone["threads_per_worker"], 3);
  EXPECT_EQ(side["threads_per_worker"], 1);
  EXPECT_EQ(side["workers"], 3);
}

TEST(Search, RepeatedFoldsScoreEveryRepeatWithItsOwnSplitAndSeed) {
  const fs::path dir = test::temp_dir();
  const fs::path study = write_study(
      dir, study_text(R"({"train.optimizer.lr" = [1e-3, 1e-2]})", 2, 10, "cv_repeats = 3\n"));
  const auto r = test::run_nnlab("search " + study.string() + " --out " + (dir / "out").string() +
                                 " --threads 2 --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  const json s = metrics_of(dir / "out")["search"]["s"];
  EXPECT_EQ(s["cv_repeats"], 3);
  for (const json& t : s["trials"]) {
    const auto& f = t["split_scores"];
    ASSERT_EQ(f.size(), 6u);  // 3 repeats x 2 folds
    // Each repeat splits and initializes anew: no two repeats score the same.
    EXPECT_NE(f[0], f[2]);
    EXPECT_NE(f[2], f[4]);
    double sum = 0;
    for (const auto& x : f) sum += x.get<double>();
    EXPECT_NEAR(t["mean_score"].get<double>(), sum / 6, 1e-12);
  }
}

TEST(Search, NoTrialTrainsPastTheTimeBudget) {
  const fs::path dir = test::temp_dir();
  // 4 trials of 200,000 epochs (about 10 s each) in a budget of 1.2 s.
  const fs::path study = write_study(
      dir, study_text(R"({"train.optimizer.lr" = [1e-3, 1e-2]})", 2, 200000, "minutes = 0.02\n"));
  const auto r = test::run_nnlab("search " + study.string() + " --out " + (dir / "out").string() +
                                 " --threads 2 --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  const json s = metrics_of(dir / "out")["search"]["s"];
  EXPECT_LT(s["seconds"].get<double>(), 0.02 * 60 + 3.0);  // a trial stops within a batch
  ASSERT_FALSE(s["trials"].empty());
  int cut = 0;
  for (const json& t : s["trials"]) {
    EXPECT_EQ(t["rank"], 0);  // cut short or never started: not ranked, nothing refit
    EXPECT_NE(t.value("error", "").find("time budget"), std::string::npos);
    cut += t.value("error", "").find("stopped at") != std::string::npos;
  }
  EXPECT_GE(cut, 1);
  EXPECT_TRUE(metrics_of(dir / "out")["runs"].empty());
}

/// Starts `nnlab ARGS` in the background; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    const std::string bin = test::nnlab_binary();
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string out = log.string();
    // One file description for both streams, so neither overwrites the other's lines.
    if (!freopen(out.c_str(), "w", stdout) || dup2(STDOUT_FILENO, STDERR_FILENO) < 0) _exit(126);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

/// Waits until `store` has at least `done` finished trials (or 60 s pass).
void wait_for_done(const fs::path& store, int64_t done) {
  for (int i = 0; i < 6000; ++i) {
    if (fs::exists(store) && open_trial_store(store.string())->counts().done >= done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "the search did not get going";
}

TEST(Search, KilledAndResumedGivesTheTableOfAnUninterruptedSearch) {
  const fs::path dir = test::temp_dir();
  const fs::path study = write_study(
      dir, study_text(
               R"({"train.optimizer.lr" = [1e-3, 2e-3, 5e-3, 1e-2], "train.batch" = [5, 10, 20]})",
               2, 400));
  const auto whole = test::run_nnlab("search " + study.string() + " --out " +
                                     (dir / "whole").string() + " --threads 2 --no-progress");
  ASSERT_EQ(whole.status, 0) << whole.err;

  const fs::path out = dir / "killed";
  const pid_t pid =
      spawn({"search", study.string(), "--out", out.string(), "--threads", "2", "--no-progress"},
            dir / "killed.log");
  wait_for_done(out / "search/s/trials.sqlite", 3);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const int64_t before = open_trial_store((out / "search/s/trials.sqlite").string())->counts().done;
  EXPECT_LT(before, 24) << "the search finished before the kill: nothing was tested";

  const auto resumed = test::run_nnlab("search " + study.string() + " --out " + out.string() +
                                       " --threads 2 --no-progress --resume --stale-after 0.5");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(table_without_times(out), table_without_times(dir / "whole"));
  EXPECT_EQ(metrics_of(out)["runs"][0]["test"], metrics_of(dir / "whole")["runs"][0]["test"]);
}

TEST(Search, EightProcessesShareOneStoreEvenWhenOneIsKilled) {
  const fs::path dir = test::temp_dir();
  // 32 configurations x 2 folds = 64 trials.
  const fs::path study = write_study(
      dir,
      study_text(R"({"train.optimizer.lr" = [1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 3e-2, 5e-2], )"
                 R"("train.batch" = [5, 10, 15, 20]})",
                 2, 300));
  const fs::path out = dir / "out";
  std::vector<pid_t> pids;
  // --stale-after 5: the killed worker's trial is taken over 5 s after its last heartbeat. With 1 s
  // (a heartbeat every 0.25 s), 8 sanitized processes on CI's 2 cores beside another test
  // sometimes missed a live trial's heartbeats for a second, and a second trial ran twice.
  for (int i = 0; i < 8; ++i)
    pids.push_back(spawn({"search", study.string(), "--out", out.string(), "--threads", "1",
                          "--workers", "1", "--join", "--stale-after", "5", "--no-progress"},
                         dir / fmt::format("p{}.log", i)));
  const fs::path db = out / "search/s/trials.sqlite";
  wait_for_done(db, 8);
  // Kill a process while it holds a trial.
  pid_t victim = 0;
  for (int i = 0; i < 200 && victim == 0; ++i) {
    for (const Trial& t : open_trial_store(db.string())->trials()) {
      if (t.state != "running") continue;
      const auto pid_text = t.worker.substr(t.worker.find(':') + 1);
      victim = static_cast<pid_t>(std::stol(pid_text.substr(0, pid_text.find(':'))));
      break;
    }
    if (victim == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(victim, 0);
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  int finalized = 0;
  for (int i = 0; i < 8; ++i) {
    int status = 0;
    waitpid(pids[i], &status, 0);
    std::ifstream in(dir / fmt::format("p{}.log", i));
    std::stringstream log;
    log << in.rdbuf();
    if (pids[i] != victim) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "pid " << pids[i] << " status " << status << ":\n"
          << log.str();
    }
    EXPECT_EQ(log.str().find("locked"), std::string::npos) << log.str();
    finalized += log.str().find("Report:") != std::string::npos;
  }
  EXPECT_EQ(finalized, 1);  // one process writes the results
  const auto store = open_trial_store(db.string());
  const TrialCounts c = store->counts();
  EXPECT_EQ(c.done, 64);
  EXPECT_EQ(c.running + c.pending + c.failed, 0);
  int rerun = 0;
  std::set<std::string> workers;
  for (const Trial& t : store->trials()) {
    EXPECT_LE(t.attempts, 2);
    rerun += t.attempts == 2;
    workers.insert(t.worker.substr(0, t.worker.rfind(':')));
  }
  EXPECT_LE(rerun, 1);  // the killed worker's trial, run again by another
  EXPECT_GE(workers.size(), 2u);
  EXPECT_EQ(metrics_of(out)["search"]["s"]["trials"].size(), 32u);
}

}  // namespace
}  // namespace nnlab
