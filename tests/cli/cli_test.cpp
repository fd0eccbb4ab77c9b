// Runs the built `nnlab` binary with bad inputs (exit status and stderr text), and once on a
// tiny study.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.hpp"

namespace {

std::string binary() {
  const char* env = std::getenv("NNLAB_BIN");
  return env && *env ? env : NNLAB_BINARY_DIR "/nnlab";
}

struct Result {
  int status = -1;
  std::string out, err;
};

Result run(const std::string& args) {
  // Not temp_dir(): that would empty the directory holding the test's own input files.
  // One folder per process: ctest runs the tests of this binary in parallel.
  const auto dir = std::filesystem::path(NNLAB_BINARY_DIR) / "test-tmp" /
                   ("cli-capture-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd =
      binary() + " " + args + " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int raw = std::system(cmd.c_str());
  Result r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(binary())) GTEST_SKIP() << binary() << " not built";
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

}  // namespace
