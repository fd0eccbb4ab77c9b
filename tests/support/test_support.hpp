// Helpers shared by every test binary.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "tensor/error.hpp"
#include "tensor/exec_context.hpp"
#include "tensor/tensor.hpp"

namespace nnlab::test {

/// The execution context of the test's thread (all cores, progress to stderr): what models built
/// by tests compute on. Made on first use, in the thread that first asks (gtest's main thread).
ExecContext& exec();

/// Runs f(exec) on a new thread whose execution context has `threads` threads and returns what
/// f returns (rethrowing what it throws): a worker as the search runs one, for tests that
/// compare thread counts.
template <class F>
auto on_worker(int threads, F&& f) {
  using Result = decltype(f(std::declval<ExecContext&>()));
  std::optional<Result> out;
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      ExecContext context(threads);
      out.emplace(f(context));
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

/// A fresh empty directory under the build tree, named after the running test.
std::filesystem::path temp_dir();
/// ../shared/data beside the source tree (where CI and developers have MNIST).
std::filesystem::path shared_data_dir();

/// How a finished command ended and what it printed.
struct CommandResult {
  int status = -1;  // the exit status; -1 when a signal ended it
  std::string out, err;
};
/// Runs a shell command line (stdin from /dev/null) and captures its stdout and stderr.
CommandResult run_command(const std::string& command);

/// True when NNLAB_NO_SKIP=1: every test must run, so a missing optional dependency (a Python
/// oracle's module, Fashion-MNIST, the nnlab binary) fails the test instead of skipping it.
/// scripts/test.sh sets it, since it installs all of them.
bool skips_are_failures();
/// Skips the running test for want of an optional dependency (`why` names it), or fails it
/// when skips_are_failures(). Return from the test (or SetUp) right after it.
void skip_for_missing(const std::string& why);

/// Runs an oracle script (PyTorch, SciPy, scikit-learn, NumPy) with /usr/bin/python3 and args;
/// true when it succeeded, so its output files can be read. A script exits 77 when an import
/// fails: the test is then skipped through skip_for_missing(). Any other failure fails the test
/// and shows the script's stderr: a broken oracle never passes as a skip.
/// Use: `if (!run_oracle(kScript, args)) return;`
[[nodiscard]] bool run_oracle(const std::string& script, const std::string& args);
/// Writes v as space-separated decimals with float precision, for an oracle script to load.
void write_floats(const std::filesystem::path& path, std::span<const float> v);
/// A tensor of the given shape, every value 1.
Tensor ones(const Shape& shape);
/// Writes text to path (write_file_atomic), creating its folders: a test's input file.
void write_text(const std::filesystem::path& path, const std::string& text);
/// Expects ours within 1e-4 of the oracle's value, relative where |torch| > 1.
void expect_near_torch(double ours, double torch, const std::string& what);

/// Runs f, which must throw nnlab::Error, and returns the message ("" and a test failure when
/// it does not throw).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no nnlab::Error thrown";
  return {};
}

}  // namespace nnlab::test
