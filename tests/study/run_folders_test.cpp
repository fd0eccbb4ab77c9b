// Run names become folders DIR/runs/NAME one to one: names that would share a folder, or leave
// DIR/runs, are refused before anything runs or is written.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "study/output_dir.hpp"
#include "study/study.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

// A study file whose runs have the given names.
Study study_with_runs(const std::vector<std::string>& names) {
  std::string text = R"(
name = "names"
[model]
layers = [{type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 1
)";
  for (const std::string& name : names) text += "[[runs]]\nname = \"" + name + "\"\n";
  return parse_study(text, "names.toml", {});
}

// parse_study refuses them, before any run can start or any file is written.
TEST(RunFolders, NamesSharingAFolderAreRefusedNamingTheFileAndBothRuns) {
  const std::string msg = test::error_of([] { study_with_runs({"a b", "a_b"}); });
  EXPECT_NE(msg.find("names.toml: runs 'a b' and 'a_b' would both write runs/a_b/"),
            std::string::npos)
      << msg;
}

TEST(RunFolders, NamesThatAreNoFolderNameAreRefused) {
  for (const char* name : {"..", ".", "x/y", "..\\\\up"}) {
    SCOPED_TRACE(name);
    const std::string msg = test::error_of([&] { study_with_runs({name}); });
    EXPECT_NE(msg.find("names.toml: run name '"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot name a folder"), std::string::npos) << msg;
  }
}

// On macOS and Windows "Run" and "run" are one folder.
TEST(RunFolders, NamesDifferingOnlyInCaseAreRefused) {
  EXPECT_EQ(test::error_of([] {
              study_with_runs({"Run", "x", "run"});
            }),
            "names.toml: runs 'Run' and 'run' would both write one folder (runs/Run/ and "
            "runs/run/) on a file system that ignores case (macOS, Windows): rename one");
  const std::string msg = test::error_of([] { study_with_runs({"A b", "a_B"}); });
  EXPECT_NE(msg.find("runs 'A b' and 'a_B' would both write one folder (runs/A_b/ and runs/a_B/)"),
            std::string::npos)
      << msg;
}

TEST(RunFolders, DistinctFoldersAreAccepted) {
  EXPECT_NO_THROW(study_with_runs({"a-b", "a_b", "a.b", "lr=0.1", "B_b"}));
}

}  // namespace
}  // namespace nnlab
