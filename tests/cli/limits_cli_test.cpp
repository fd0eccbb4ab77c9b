// Values that crashed or hung nnlab end in one line and a non-zero exit, before any data is
// loaded: a thread count far above the cores, an integer past int's range, a deeply nested study.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/nnlab_binary.hpp"
#include "support/test_support.hpp"

namespace {

using nnlab::test::nnlab_binary;
using Result = nnlab::test::CommandResult;

const std::string kQuickstart =
    (std::filesystem::path(NNLAB_SOURCE_DIR) / "experiments" / "quickstart.toml").string();

class CliLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(nnlab_binary()))
      nnlab::test::skip_for_missing(nnlab_binary() + " not built");
  }
};

// --threads 100000 crashed in OpenMP; 1,000 made a one-second study take minutes.
TEST_F(CliLimits, ThreadCountsFarAboveTheCoresAreRefused) {
  const auto out = nnlab::test::temp_dir() / "out";
  for (const std::string& command : {"run " + kQuickstart + " --out " + out.string(),
                                     "bench " + kQuickstart + " --run quickstart"}) {
    const Result r = nnlab::test::run_nnlab(command + " --threads 100000");
    EXPECT_EQ(r.status, 2) << command << "\n" << r.err;
    EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("hardware threads, at most 1024), got 100000"), std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

// train.epochs = 2147483648 trained no epoch and exited 0.
TEST_F(CliLimits, AnIntegerPastItsRangeIsAnError) {
  const Result r = nnlab::test::run_nnlab("bench " + kQuickstart +
                                          " --run quickstart --set train.epochs=2147483648");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("nnlab: error: --set train.epochs=2147483648: train.epochs must be in "
                       "[1, 2147483647], got 2147483648"),
            std::string::npos)
      << r.err;
}

// A dotted key of 50,000 parts overflowed the stack inside toml++ (SIGSEGV).
TEST_F(CliLimits, ADeeplyNestedStudyIsAnError) {
  const auto dir = nnlab::test::temp_dir();
  std::string key = "a";
  for (int i = 1; i < 50'000; ++i) key += ".a";
  std::ofstream(dir / "deep.toml") << "name = \"deep\"\n" << key << " = 1\n";
  const Result r = nnlab::test::run_nnlab("run " + (dir / "deep.toml").string() + " --out " +
                                          (dir / "out").string());
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("deep.toml:2: the study nests deeper than 64 levels"), std::string::npos)
      << r.err;
}

}  // namespace
