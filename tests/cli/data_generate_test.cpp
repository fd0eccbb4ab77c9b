// nnlab data generate multi-mnist: four IDX files that read back as Multi-MNIST, the same bytes
// on every run; hostile settings refused with one line and a non-zero exit.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/nnlab_binary.hpp"
#include "data/idx.hpp"
#include "io/atomic_file.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFiles[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

class DataGenerate : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(nnlab_binary())) return skip_for_missing(nnlab_binary() + " not built");
    if (!fs::exists(shared_data_dir() / "mnist"))
      return skip_for_missing("MNIST in " + shared_data_dir().string());
  }
  std::string generate(const fs::path& out, const std::string& extra) {
    return "data generate multi-mnist --data-dir " + shared_data_dir().string() + " --out " +
           out.string() + " " + extra;
  }
};

TEST_F(DataGenerate, WritesFourReadableIdxFilesTheSameEveryTime) {
  const fs::path dir = temp_dir();
  const CommandResult r = run_nnlab(generate(dir / "a", "--train-count 600 --test-count 100"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("600 training and 100 test images"), std::string::npos) << r.out;
  const Dataset train =
      read_idx_dataset((dir / "a" / kFiles[0]).string(), (dir / "a" / kFiles[1]).string(), "train");
  const Dataset test =
      read_idx_dataset((dir / "a" / kFiles[2]).string(), (dir / "a" / kFiles[3]).string(), "test");
  std::vector<std::string> names;
  for (int k = 1; k <= 50; ++k) names.push_back(std::to_string(k));
  for (const Dataset* d : {&train, &test}) {
    EXPECT_EQ(d->sample_shape, (Shape{1, 28, 39}));
    EXPECT_EQ(d->class_names, names);  // every class in each file, stored as 1..50
  }
  EXPECT_EQ(train.size(), 600);
  EXPECT_EQ(test.size(), 100);

  ASSERT_EQ(run_nnlab(generate(dir / "b", "--train-count 600 --test-count 100")).status, 0);
  ASSERT_EQ(run_nnlab(generate(dir / "c", "--train-count 600 --test-count 100 --seed 2")).status,
            0);
  for (const char* file : kFiles) {
    EXPECT_EQ(read_file((dir / "a" / file).string()), read_file((dir / "b" / file).string()))
        << file;
    EXPECT_NE(read_file((dir / "a" / file).string()), read_file((dir / "c" / file).string()))
        << file;
  }
}

TEST_F(DataGenerate, SettingsChangeTheImages) {
  const fs::path dir = temp_dir();
  const CommandResult r =
      run_nnlab(generate(dir,
                         "--train-count 50 --test-count 50 --profile uniform --width 44 --shift 0 "
                         "--intensity-min 1 --intensity-max 1 --combine max"));
  ASSERT_EQ(r.status, 0) << r.err;
  const Dataset test =
      read_idx_dataset((dir / kFiles[2]).string(), (dir / kFiles[3]).string(), "test");
  EXPECT_EQ(test.sample_shape, (Shape{1, 28, 44}));
  EXPECT_EQ(test.class_counts(), std::vector<int64_t>(50, 1));
}

TEST_F(DataGenerate, HostileSettingsFailWithOneLine) {
  const fs::path dir = temp_dir();
  struct Case {
    std::string args, says;
  };
  for (const Case& c :
       {Case{"--train-count 0", "train_count must be in [50, 10000000], got 0"},
        Case{"--test-count 10000001", "test_count must be in [50, 10000000], got 10000001"},
        Case{"--profile zipf", "profile must be one of published, uniform"},
        Case{"--width 100", "width must be in [28, 56]"},
        Case{"--intensity-min 0.9 --intensity-max 0.5", "intensity_max must be in"},
        Case{"--combine mean", "combine must be one of sum, max"}}) {
    const CommandResult r = run_nnlab(generate(dir / "out", c.args));
    EXPECT_EQ(r.status, 1) << c.args;
    EXPECT_NE(r.err.find("nnlab: error: multi-mnist: " + c.says), std::string::npos)
        << c.args << ": " << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "out"));  // refused before anything was written
  const CommandResult other = run_nnlab("data generate cifar --out " + (dir / "x").string());
  EXPECT_EQ(other.status, 1);
  EXPECT_NE(other.err.find("unknown dataset 'cifar'"), std::string::npos) << other.err;
  EXPECT_NE(run_nnlab(generate(dir / "out", "--train-count lots")).status, 0);
  EXPECT_NE(run_nnlab(generate(dir / "out", "--seed -3")).status, 0);
}

}  // namespace
}  // namespace nnlab::test
