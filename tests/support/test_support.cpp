#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace nnlab::test {

std::filesystem::path temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "test";
  for (char& c : name)
    if (c == '/') c = '_';
  auto dir = std::filesystem::path(NNLAB_BINARY_DIR) / "test-tmp" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::filesystem::path shared_data_dir() {
  return std::filesystem::path(NNLAB_SOURCE_DIR) / ".." / "shared" / "data";
}

int run_python(const std::string& script, const std::string& args) {
  // Not in temp_dir(): that would wipe the files the test just wrote for the script.
  static int counter = 0;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("nnlab-oracle-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".py");
  std::ofstream(path) << script;
  const std::string cmd = "/usr/bin/python3 " + path.string() + " " + args;
  return std::system(cmd.c_str());
}

void write_floats(const std::filesystem::path& path, std::span<const float> v) {
  std::ofstream out(path);
  out.precision(9);
  for (float f : v) out << f << ' ';
}

void expect_near_torch(double ours, double torch, const std::string& what) {
  EXPECT_LE(std::abs(ours - torch), 1e-4 * std::max(1.0, std::abs(torch)))
      << what << ": ours " << ours << " vs torch " << torch;
}

}  // namespace nnlab::test
