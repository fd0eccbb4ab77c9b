#include "io/atomic_file.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

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

// Whether `s` is one writer's whole file: `size` copies of one letter.
bool whole_version(const std::string& s, size_t size) {
  return s.size() == size && s.find_first_not_of(s[0]) == std::string::npos;
}

// Four threads of one process rewrite one path while a fifth reads it: every read sees one
// writer's whole file, no write fails and no temporary is left behind. (With a per-process
// temporary name the writers truncate and rename each other's temporaries.)
TEST(AtomicFile, ConcurrentWritersInOneProcessNeverMixTheirFiles) {
  const auto dir = test::temp_dir();
  const auto path = (dir / "shared.txt").string();
  const size_t size = 256 * 1024;
  write_file_atomic(path, std::string(size, '-'));
  std::atomic<int> failures{0}, torn{0}, writers_left{4};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      const std::string mine(size, static_cast<char>('a' + w));
      for (int i = 0; i < 25; ++i) {
        try {
          write_file_atomic(path, mine);
        } catch (const Error&) {
          ++failures;
        }
      }
      --writers_left;
    });
  threads.emplace_back([&] {
    while (writers_left > 0)
      if (!whole_version(read_file(path), size)) ++torn;
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(torn, 0);
  EXPECT_TRUE(whole_version(read_file(path), size));
  EXPECT_NE(read_file(path)[0], '-');
  EXPECT_EQ(temporaries(dir), 0);
}

TEST(AtomicFile, CreateNeverReplacesAFile) {
  const auto dir = test::temp_dir();
  const auto path = (dir / "claim.json").string();
  EXPECT_TRUE(create_file_atomic(path, "first"));
  EXPECT_FALSE(create_file_atomic(path, "second"));
  EXPECT_EQ(read_file(path), "first");
  EXPECT_EQ(temporaries(dir), 0);
}

TEST(AtomicFile, OfConcurrentCreatorsOfOnePathExactlyOneWins) {
  for (int round = 0; round < 50; ++round) {
    const auto dir = test::temp_dir();
    const auto path = (dir / "claim.json").string();
    std::atomic<int> won{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; ++w)
      threads.emplace_back([&, w] {
        if (create_file_atomic(path, std::string(1000, static_cast<char>('a' + w)))) ++won;
      });
    for (auto& t : threads) t.join();
    ASSERT_EQ(won, 1) << "round " << round;
    EXPECT_TRUE(whole_version(read_file(path), 1000));
    EXPECT_EQ(temporaries(dir), 0);
  }
}

TEST(AtomicFile, WritesIntoTheCurrentDirectoryByABareName) {
  const auto dir = test::temp_dir();
  const auto old = fs::current_path();
  fs::current_path(dir);
  write_file_atomic("bare.txt", "here");
  fs::current_path(old);
  EXPECT_EQ(read_file((dir / "bare.txt").string()), "here");
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
