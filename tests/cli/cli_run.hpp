// Running the built `nnlab` binary from a test: exit status, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace nnlab::test {

inline std::string nnlab_binary() {
  const char* env = std::getenv("NNLAB_BIN");
  return env && *env ? env : NNLAB_BINARY_DIR "/nnlab";
}

struct CliResult {
  int status = -1;
  std::string out, err;
};

/// `nnlab ARGS` with no stdin.
inline CliResult run_nnlab(const std::string& args) {
  // Not temp_dir(): that would empty the directory holding the test's own input files.
  // One folder per process: ctest runs the tests of a binary in parallel.
  const auto dir = std::filesystem::path(NNLAB_BINARY_DIR) / "test-tmp" /
                   ("cli-capture-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd =
      nnlab_binary() + " " + args + " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int raw = std::system(cmd.c_str());
  CliResult r;
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

}  // namespace nnlab::test
