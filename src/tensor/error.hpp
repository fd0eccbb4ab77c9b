// Errors: the library throws, the command line reports (STYLE.md rule 11).
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace nnlab {

/// Every failure nnlab can explain to a user. The message names the file, study key or line
/// that caused it; the CLI prints it as is and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws nnlab::Error with a fmt-formatted message when `cond` is false.
#define NNLAB_CHECK(cond, ...)                                     \
  do {                                                             \
    if (!(cond)) throw ::nnlab::Error(::fmt::format(__VA_ARGS__)); \
  } while (0)

}  // namespace nnlab
