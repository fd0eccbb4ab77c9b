// The nnlab binary the CLI tests run, and how to run it.
#pragma once

#include <cstdlib>
#include <string>

#include "support/test_support.hpp"

namespace nnlab::test {

/// $NNLAB_BIN (ctest sets it to the build tree's binary), else NNLAB_BINARY_DIR/nnlab.
inline std::string nnlab_binary() {
  const char* env = std::getenv("NNLAB_BIN");
  return env && *env ? env : NNLAB_BINARY_DIR "/nnlab";
}

/// Runs `nnlab ARGS` (ARGS as a shell would split them) and captures its output.
inline CommandResult run_nnlab(const std::string& args) {
  return run_command(nnlab_binary() + " " + args);
}

}  // namespace nnlab::test
