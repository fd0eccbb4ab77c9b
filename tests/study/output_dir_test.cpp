// One output folder holds one study: the same study may run again or resume there, another
// study or the same one with other settings is refused before anything is written.
#include "study/output_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <nlohmann/json.hpp>
#include <thread>

#include "io/atomic_file.hpp"
#include "support/test_support.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOutputDirStudy = R"(
name = "alpha"
[model]
layers = [{type = "dense", units = 10, activation = "softmax"}]
[train]
epochs = 2
[[runs]]
name = "a"
)";

Study study(const std::string& text = kOutputDirStudy, const std::vector<std::string>& sets = {}) {
  return parse_study(text, "alpha.toml", sets);
}

TEST(OutputDir, ANewFolderIsCreatedAndRecordsItsStudy) {
  const auto dir = (test::temp_dir() / "out").string();
  claim_output_dir(study(), dir);
  const auto marker = nlohmann::json::parse(read_file(dir + "/study.json"));
  EXPECT_EQ(marker["study"], "alpha");
  EXPECT_EQ(marker["hash"], study_identity(study()).hash);
  EXPECT_EQ(marker["hash"].get<std::string>().size(), 16u);
}

TEST(OutputDir, TheSameStudyMayComeBackEvenReformattedOrCommented) {
  const auto dir = (test::temp_dir() / "out").string();
  claim_output_dir(study(), dir);
  const std::string commented = std::string("# a comment\n") + kOutputDirStudy + "\n\n# the end\n";
  EXPECT_NO_THROW(claim_output_dir(study(commented), dir));
  EXPECT_NO_THROW(claim_output_dir(study(kOutputDirStudy, {"train.epochs=2"}), dir));  // same value
}

TEST(OutputDir, AnotherStudyIsRefusedNamingTheFolderAndBothStudies) {
  const auto dir = (test::temp_dir() / "out").string();
  claim_output_dir(study(), dir);
  std::string other = kOutputDirStudy;
  other.replace(other.find("alpha"), 5, "beta");
  const std::string before = read_file(dir + "/study.json");
  const std::string msg = test::error_of([&] { claim_output_dir(study(other), dir); });
  EXPECT_NE(msg.find(dir + " holds study 'alpha'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not 'beta'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("another --out folder"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(read_file(dir + "/study.json"), before);
}

TEST(OutputDir, TheSameStudyWithOtherSettingsIsRefused) {
  const auto dir = (test::temp_dir() / "out").string();
  claim_output_dir(study(), dir);
  const std::string msg =
      test::error_of([&] { claim_output_dir(study(kOutputDirStudy, {"train.epochs=3"}), dir); });
  EXPECT_NE(msg.find(dir + " holds study 'alpha' with other settings"), std::string::npos) << msg;
  EXPECT_NE(msg.find(study_identity(study()).hash), std::string::npos) << msg;
  EXPECT_NE(msg.find(study_identity(study(kOutputDirStudy, {"train.epochs=3"})).hash),
            std::string::npos)
      << msg;
}

TEST(OutputDir, AFolderWithFilesButNoStudyIsRefusedAndLeftAlone) {
  const auto base = test::temp_dir();
  const auto dir = base / "full";
  fs::create_directories(dir);
  std::ofstream(dir / "notes.txt") << "mine\n";
  const std::string msg = test::error_of([&] { claim_output_dir(study(), dir.string()); });
  EXPECT_NE(msg.find(dir.string() + " is not an empty folder"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(dir / "study.json"));
  // An empty folder is as good as a new one.
  const auto empty = base / "empty";
  fs::create_directories(empty);
  EXPECT_NO_THROW(claim_output_dir(study(), empty.string()));
}

TEST(OutputDir, AFolderFromBeforeMarkersIsAdoptedOnlyByItsOwnStudy) {
  const auto base = test::temp_dir();
  const auto dir = base / "old";
  fs::create_directories(dir / "runs");
  write_file_atomic((dir / "study.toml").string(), study().source_text);
  const std::string edited = std::string(kOutputDirStudy) + "# edited\n";
  EXPECT_NE(test::error_of([&] { claim_output_dir(study(edited), dir.string()); }), "");
  EXPECT_FALSE(fs::exists(dir / "study.json"));
  claim_output_dir(study(), dir.string());
  EXPECT_TRUE(fs::exists(dir / "study.json"));
}

TEST(OutputDir, AMalformedMarkerNamesItsFile) {
  const auto dir = test::temp_dir() / "bad";
  fs::create_directories(dir);
  std::ofstream(dir / "study.json") << "{\"study\": 3}";
  const std::string msg = test::error_of([&] { claim_output_dir(study(), dir.string()); });
  EXPECT_NE(msg.find((dir / "study.json").string()), std::string::npos) << msg;
}

// `nnlab search --join` starts several processes on one new folder: each claims it and then
// writes its own files there (study.toml, search/), so a claim may find the folder already
// claimed and filled by another between any two of its own steps.
TEST(OutputDir, ClaimsOfOneNewFolderAtOnceAllSucceed) {
  const Study s = study();
  for (int round = 0; round < 100; ++round) {
    const auto dir = (test::temp_dir() / "out").string();
    std::latch start(8);
    std::atomic<int> failed = 0;
    std::string message;
    std::mutex message_mutex;
    std::vector<std::thread> claims;
    for (int i = 0; i < 8; ++i)
      claims.emplace_back([&] {
        start.arrive_and_wait();
        try {
          claim_output_dir(s, dir);
          write_file_atomic(dir + "/study.toml", s.source_text);
          fs::create_directories(dir + "/search");
        } catch (const Error& e) {
          ++failed;
          std::lock_guard lock(message_mutex);
          message = e.what();
        }
      });
    for (auto& t : claims) t.join();
    ASSERT_EQ(failed, 0) << "round " << round << ": " << message;
  }
}

// Two studies claiming one new folder at once: one gets it, the other is refused, never both.
TEST(OutputDir, OfTwoStudiesClaimingOneNewFolderAtOnceOneGetsIt) {
  std::string other = kOutputDirStudy;
  other.replace(other.find("alpha"), 5, "beta");
  const std::vector<Study> studies = {study(), study(other)};
  for (int round = 0; round < 100; ++round) {
    const auto dir = (test::temp_dir() / "out").string();
    std::latch start(2);
    std::atomic<int> claimed = 0;
    std::vector<std::thread> claims;
    for (const Study& s : studies)
      claims.emplace_back([&] {
        start.arrive_and_wait();
        try {
          claim_output_dir(s, dir);
          ++claimed;
        } catch (const Error&) {
        }
      });
    for (auto& t : claims) t.join();
    ASSERT_EQ(claimed, 1) << "round " << round;
  }
}

}  // namespace
}  // namespace nnlab
