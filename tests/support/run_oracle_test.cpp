// test::run_oracle: a missing module skips (or fails under NNLAB_NO_SKIP=1), a broken script
// fails with its stderr, a good one passes. The outcomes are caught with gtest's own reporter
// interceptor, so this test itself neither skips nor fails when the helper does.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

// Runs the script through run_oracle; what it reports to gtest goes to `results` instead.
bool run_intercepted(const std::string& script, ::testing::TestPartResultArray& results) {
  const ::testing::ScopedFakeTestPartResultReporter reporter(
      ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
  return run_oracle(script, "");
}

// Sets NNLAB_NO_SKIP for one scope (this test's process only: ctest runs each test alone).
class NoSkip {
 public:
  explicit NoSkip(const char* value) { ::setenv("NNLAB_NO_SKIP", value, 1); }
  NoSkip(const NoSkip&) = delete;
  NoSkip& operator=(const NoSkip&) = delete;
  ~NoSkip() { ::unsetenv("NNLAB_NO_SKIP"); }
};

constexpr const char* kMissingModule = R"(
import sys
try:
    import nnlab_no_such_module
except ImportError:
    sys.exit(77)
)";

class RunOracle : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/python3")) skip_for_missing("no /usr/bin/python3");
  }
};

TEST_F(RunOracle, SucceedsQuietly) {
  ::testing::TestPartResultArray results;
  EXPECT_TRUE(run_intercepted("print('ok')\n", results));
  EXPECT_EQ(results.size(), 0);
}

TEST_F(RunOracle, BrokenScriptFailsAndShowsItsStderr) {
  ::testing::TestPartResultArray results;
  EXPECT_FALSE(
      run_intercepted("import sys\nsys.stderr.write('oracle went wrong')\nsys.exit(3)\n", results));
  ASSERT_EQ(results.size(), 1);
  const ::testing::TestPartResult& r = results.GetTestPartResult(0);
  EXPECT_TRUE(r.failed());
  EXPECT_NE(std::string(r.message()).find("exit status 3"), std::string::npos) << r.message();
  EXPECT_NE(std::string(r.message()).find("oracle went wrong"), std::string::npos) << r.message();
}

TEST_F(RunOracle, PythonErrorIsAFailureNotASkip) {
  ::testing::TestPartResultArray results;
  EXPECT_FALSE(run_intercepted("raise ValueError('bad oracle')\n", results));
  ASSERT_EQ(results.size(), 1);
  EXPECT_TRUE(results.GetTestPartResult(0).failed());
  EXPECT_NE(std::string(results.GetTestPartResult(0).message()).find("ValueError: bad oracle"),
            std::string::npos);
}

TEST_F(RunOracle, MissingModuleSkips) {
  const NoSkip off("0");
  ::testing::TestPartResultArray results;
  EXPECT_FALSE(run_intercepted(kMissingModule, results));
  ASSERT_EQ(results.size(), 1);
  EXPECT_TRUE(results.GetTestPartResult(0).skipped());
}

TEST_F(RunOracle, MissingModuleFailsUnderNoSkip) {
  const NoSkip on("1");
  ::testing::TestPartResultArray results;
  EXPECT_FALSE(run_intercepted(kMissingModule, results));
  ASSERT_EQ(results.size(), 1);
  const ::testing::TestPartResult& r = results.GetTestPartResult(0);
  EXPECT_TRUE(r.failed());
  EXPECT_NE(std::string(r.message()).find("NNLAB_NO_SKIP=1"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace nnlab::test
