#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/atomic_file.hpp"

namespace nnlab::test {

ExecContext& exec() {
  static ExecContext context(0);
  return context;
}

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

namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A file that no other process or test has: mkstemps under the system's temporary directory.
std::filesystem::path unique_temp_file(const std::string& stem, const std::string& suffix) {
  std::string name =
      (std::filesystem::temp_directory_path() / (stem + "-XXXXXX" + suffix)).string();
  const int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("cannot create a temporary file like " + name);
  ::close(fd);
  return name;
}

}  // namespace

CommandResult run_command(const std::string& command) {
  const auto out = unique_temp_file("nnlab-stdout", ".txt");
  const auto err = unique_temp_file("nnlab-stderr", ".txt");
  const std::string line = command + " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int raw = std::system(line.c_str());
  CommandResult r{
      .status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, .out = slurp(out), .err = slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

bool skips_are_failures() {
  const char* v = std::getenv("NNLAB_NO_SKIP");
  return v && std::string(v) == "1";
}

void skip_for_missing(const std::string& why) {
  // GTEST_SKIP and FAIL return from the function they are in: here, the lambdas.
  if (skips_are_failures())
    [&] { FAIL() << why << " (NNLAB_NO_SKIP=1: every test must run)"; }();
  else
    [&] { GTEST_SKIP() << why; }();
}

bool run_oracle(const std::string& script, const std::string& args) {
  constexpr const char* python = "/usr/bin/python3";
  if (!std::filesystem::exists(python)) {
    skip_for_missing(std::string(python) + " is not installed");
    return false;
  }
  const auto path = unique_temp_file("nnlab-oracle", ".py");
  std::ofstream(path) << script;
  const CommandResult r = run_command(std::string(python) + " " + path.string() + " " + args);
  std::filesystem::remove(path);
  if (r.status == 0) return true;
  if (r.status == 77) {
    // The script's own convention: `except ImportError: sys.exit(77)`.
    skip_for_missing(
        "the oracle script cannot import its module (exit 77); "
        "scripts/install-deps.sh installs python3-torch, -scipy, -sklearn");
    return false;
  }
  ADD_FAILURE() << "the oracle script failed (exit status " << r.status << "), args: " << args
                << "\n--- its stderr ---\n"
                << r.err;
  return false;
}

void write_floats(const std::filesystem::path& path, std::span<const float> v) {
  std::ofstream out(path);
  out.precision(9);
  for (float f : v) out << f << ' ';
}

Tensor ones(const Shape& shape) {
  Tensor t(shape);
  t.fill(1.0f);
  return t;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  write_file_atomic(path.string(), text);
}

void expect_near_torch(double ours, double torch, const std::string& what) {
  EXPECT_LE(std::abs(ours - torch), 1e-4 * std::max(1.0, std::abs(torch)))
      << what << ": ours " << ours << " vs torch " << torch;
}

}  // namespace nnlab::test
