// Helpers shared by every test binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <span>
#include <string>

#include "tensor/error.hpp"

namespace nnlab::test {

/// A fresh empty directory under the build tree, named after the running test.
std::filesystem::path temp_dir();
/// ../shared/data beside the source tree (where CI and developers have MNIST).
std::filesystem::path shared_data_dir();
/// Runs /usr/bin/python3 with the script text on stdin and args; returns its exit status.
/// Tests that need PyTorch or scikit-learn use it to compute oracle values.
int run_python(const std::string& script, const std::string& args);
/// Writes v as space-separated decimals with float precision, for an oracle script to load.
void write_floats(const std::filesystem::path& path, std::span<const float> v);
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
