// Runs the built `nnlab` binary with bad inputs (exit status and stderr text), and once on a
// tiny study.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/nnlab_binary.hpp"
#include "study/output_dir.hpp"
#include "support/test_support.hpp"

namespace {

using nnlab::test::nnlab_binary;
using Result = nnlab::test::CommandResult;

Result run(const std::string& args) { return nnlab::test::run_nnlab(args); }

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(nnlab_binary()))
      nnlab::test::skip_for_missing(nnlab_binary() + " not built");
  }
};

TEST_F(Cli, MissingStudyFile) {
  const Result r = run("run /nonexistent/s.toml --out /tmp/nnlab-cli-none");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nnlab: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/s.toml"), std::string::npos) << r.err;
}

TEST_F(Cli, UnknownKeyInStudy) {
  const auto dir = nnlab::test::temp_dir();
  const auto study = dir / "bad.toml";
  std::ofstream(study) << "name = \"x\"\n[train]\nepoch = 3\n";
  const Result r = run("run " + study.string() + " --out " + (dir / "out").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("bad.toml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key 'train.epoch'; did you mean 'train.epochs'?"),
            std::string::npos)
      << r.err;
}

TEST_F(Cli, SetUnknownKey) {
  const auto study = std::filesystem::path(NNLAB_SOURCE_DIR) / "experiments" / "quickstart.toml";
  const Result r = run("bench " + study.string() + " --run quickstart --set train.epoch=2");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--set train.epoch=2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'train.epochs'"), std::string::npos) << r.err;
}

// `nnlab bench --json` names the model it timed by its parameter count, which
// bench/compare_pytorch.py checks against PyTorch's: the quick start's CNN has 16 5x5 kernels
// (416), 32 5x5x16 kernels (12,832), 512 -> 100 (51,300) and 100 -> 10 (1,010).
TEST_F(Cli, BenchJsonGivesTheParameterCount) {
  const auto study = std::filesystem::path(NNLAB_SOURCE_DIR) / "experiments" / "quickstart.toml";
  const Result r = run("bench " + study.string() +
                       " --run quickstart --epochs 1 --threads 1 --json --set data.train_limit=200 "
                       "--data-dir " +
                       nnlab::test::shared_data_dir().string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"parameters\": 65558}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("65558 parameters"), std::string::npos) << r.out;
}

// A study whose second run cannot be built: `nnlab run` stops before it reads the data or
// writes DIR, naming the run; --run and --set name what they cannot find.
class CliStudy : public Cli {
 protected:
  void SetUp() override {
    Cli::SetUp();
    dir = nnlab::test::temp_dir();
    study = dir / "two.toml";
    std::ofstream(study) << "[data]\ntrain_limit = 100\n[model]\nlayers = [{type = \"dense\", "
                            "units = 8}, {type = \"dense\", units = 10, activation = "
                            "\"softmax\"}]\n[train]\nepochs = 1\n[[runs]]\nname = \"a\"\n"
                            "[[runs]]\nname = \"b\"\nmodel.max_params = 10\n";
  }
  Result run_study(const std::string& extra) {
    return run("run " + study.string() + " --out " + (dir / "out").string() +
               " --no-progress --data-dir " + nnlab::test::shared_data_dir().string() + " " +
               extra);
  }
  std::filesystem::path dir, study;
};

TEST_F(CliStudy, ABadRunFailsBeforeAnythingIsWritten) {
  const Result r = run_study("");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("two.toml: run 'b': model.max_params is 10 but the model has 6370 "
                       "parameters"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << "run 'a' trained first";
}

TEST_F(CliStudy, RunAndSetNameWhatTheyCannotFind) {
  Result r = run_study("--run a --run c");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--run 'c': no such run in " + study.string() + "; runs: a, b"),
            std::string::npos)
      << r.err;
  r = run_study("--run a --set 'model.layers[2].units=4'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--set model.layers[2].units=4: model.layers[2].units: index 2 is out of "
                       "range: model.layers has 2 layers (0 to 1)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

// Two studies never share an output folder: the second is refused in one line, exit 1, and the
// folder is left as it was; so is an edited study resumed into its old folder.
TEST_F(Cli, RunRefusesAFolderHoldingAnotherStudy) {
  const auto dir = nnlab::test::temp_dir();
  const std::string body =
      "[model]\nlayers = [{type = \"dense\", units = 10, activation = \"softmax\"}]\n"
      "[train]\nepochs = 1\n[[runs]]\nname = \"a\"\n";
  std::ofstream(dir / "first.toml") << "name = \"first\"\n" << body;
  std::ofstream(dir / "second.toml") << "name = \"second\"\n" << body;
  const auto out = dir / "out";
  // The folder as a run of first.toml leaves it (its marker first of all, then its files).
  nnlab::claim_output_dir(nnlab::load_study((dir / "first.toml").string(), {}), out.string());
  std::ofstream(out / "metrics.json") << "{}";
  const auto listing = [&] {
    std::string names;
    for (const auto& e : std::filesystem::recursive_directory_iterator(out))
      names += e.path().string() + "\n";
    return names;
  };
  const std::string before = listing();

  Result r = run("run " + (dir / "second.toml").string() + " --out " + out.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(out.string() + " holds study 'first' (from " +
                       (dir / "first.toml").string() + "), not 'second'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(listing(), before);

  std::ofstream(dir / "first.toml") << "name = \"first\"\n" << body << "train.epochs = 2\n";
  r = run("run " + (dir / "first.toml").string() + " --out " + out.string() + " --resume");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("holds study 'first' with other settings"), std::string::npos) << r.err;
  EXPECT_EQ(listing(), before);
}

TEST_F(Cli, ReportOnEmptyDir) {
  const auto dir = nnlab::test::temp_dir() / "empty";
  std::filesystem::create_directories(dir);
  const Result r = run("report " + dir.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("metrics.json"), std::string::npos) << r.err;
}

TEST_F(Cli, DataInfoUnknownName) {
  const Result r = run("data info nosuch");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nosuch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mnist"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fashion-mnist"), std::string::npos) << r.err;
}

TEST_F(Cli, UnknownSubcommandIsAParseError) {
  const Result r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
}

TEST_F(Cli, RunRecordsItsCommandLineForTheReport) {
  const auto out = nnlab::test::temp_dir() / "out dir";  // a space: quoted in the record
  const std::string study = NNLAB_SOURCE_DIR "/experiments/quickstart.toml";
  const std::string data = nnlab::test::shared_data_dir().string();
  const Result r =
      run("run " + study + " --out '" + out.string() +
          "' --set data.train_limit=300 --set data.validation=50 --set data.test_limit=100 --set "
          "train.epochs=1 --threads 1 --data-dir " +
          data + " --no-progress");
  ASSERT_EQ(r.status, 0) << r.err;
  std::ifstream in(out / "metrics.json");
  std::stringstream metrics;
  metrics << in.rdbuf();
  const std::string expected =
      "nnlab run " + study + " --out '" + out.string() +
      "' --set data.train_limit=300 --set data.validation=50 --set data.test_limit=100 --set "
      "train.epochs=1 --threads 1 --data-dir " +
      data;
  EXPECT_NE(metrics.str().find("\"command\": \"" + expected + "\""), std::string::npos)
      << metrics.str().substr(0, 600);
}

TEST_F(Cli, HelpAndVersion) {
  Result r = run("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("run"), std::string::npos);
  r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("nnlab 0."), std::string::npos);
  EXPECT_NE(r.out.find("(commit "), std::string::npos);
  r = run("run --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--set"), std::string::npos);
}

// The commit --version (and metrics.json) names is the source tree's as it was built, not as it
// was when CMake configured the build folder: a build after a commit stamps the new commit.
// ("unknown" outside a git checkout, where git describe fails.)
TEST_F(Cli, TheVersionNamesTheCommitTheSourcesAreAt) {
  const auto described =
      nnlab::test::run_command("git -C '" + std::string(NNLAB_SOURCE_DIR) +
                               "' describe --always --dirty --abbrev=12 --match '^$' 2>/dev/null");
  std::string commit = described.out.substr(0, described.out.find('\n'));
  if (described.status != 0 || commit.empty()) commit = "unknown";
  const Result r = run("--version");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("(commit " + commit + ")"), std::string::npos)
      << r.out << " (the sources: " << commit << "; a binary older than the last edit fails)";
}

}  // namespace
