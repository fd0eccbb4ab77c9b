// What the study-file tests share: the smallest model a study may declare, the message a study
// text's parse fails with, and a run found by its name.
#pragma once

#include <string>
#include <vector>

#include "study/study.hpp"
#include "support/test_support.hpp"

namespace nnlab::test {

inline const std::string kOneDenseLayer = "[model]\nlayers = [{type=\"dense\", units=10}]\n";

/// The message parse_study throws for text with the given --set overrides (a test failure if
/// it parses).
inline std::string parse_error(const std::string& text, const std::vector<std::string>& sets = {}) {
  return error_of([&] { parse_study(text, "bad.toml", sets); });
}

}  // namespace nnlab::test
