#include "io/atomic_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

// Files in `dir` whose name contains ".tmp." (leftovers of a failed write).
int temporaries(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
  return n;
}

TEST(AtomicFile, WriteThenOverwrite) {
  const auto dir = test::temp_dir();
  const auto path = (dir / "a.txt").string();
  write_file_atomic(path, "first version");
  EXPECT_EQ(read_file(path), "first version");
  write_file_atomic(path, std::string("sec\0nd", 6));
  EXPECT_EQ(read_file(path), std::string("sec\0nd", 6));
  write_file_atomic(path, "");
  EXPECT_EQ(read_file(path), "");
  EXPECT_EQ(temporaries(dir), 0);
}

TEST(AtomicFile, MissingDirectoryThrowsNamingThePath) {
  const auto path = (test::temp_dir() / "no" / "such" / "dir" / "a.txt").string();
  try {
    write_file_atomic(path, "x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, FailedRenameKeepsTheOldFileAndRemovesTheTemporary) {
  const auto dir = test::temp_dir();
  // The target is a non-empty directory: the rename fails after the data was written.
  const auto target = dir / "target";
  fs::create_directories(target);
  write_file_atomic((target / "old.txt").string(), "old contents");
  EXPECT_THROW(write_file_atomic(target.string(), "new contents"), Error);
  EXPECT_EQ(read_file((target / "old.txt").string()), "old contents");
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(temporaries(dir), 0);
}

TEST(AtomicFile, FailedWriteLeavesTheOldFileIntact) {
  const auto dir = test::temp_dir();
  const auto path = (dir / "keep.txt").string();
  write_file_atomic(path, "precious");
  // A read-only directory: the temporary cannot be created (root ignores permissions, so only
  // check the outcome when the write actually failed).
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  bool threw = false;
  try {
    write_file_atomic(path, "clobbered");
  } catch (const Error& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  fs::permissions(dir, fs::perms::owner_all);
  if (threw) {
    EXPECT_EQ(read_file(path), "precious");
  }
  EXPECT_EQ(temporaries(dir), 0);
}

TEST(AtomicFile, ReadMissingFileNamesIt) {
  const auto path = (test::temp_dir() / "missing.txt").string();
  try {
    read_file(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_file(test::temp_dir().string()), Error);  // a directory
}

}  // namespace
}  // namespace nnlab
