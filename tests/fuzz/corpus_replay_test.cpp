// Every fuzz target's corpus (fuzz/corpus/NAME/: seeds from the repository's own files, the
// hostile cases of issue 18, and what fuzzing found) replayed through the target, as the fuzzer
// would: each input must end in nnlab::Error or nothing, never another exception (and, in the
// sanitizer build, no sanitizer report).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "../../fuzz/fuzz_targets.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

TEST(FuzzCorpus, EveryInputEndsInAClearErrorOrNothing) {
  for (const fuzz::Target& target : fuzz::targets()) {
    const fs::path dir = fs::path(NNLAB_SOURCE_DIR) / "fuzz" / "corpus" / target.name;
    int inputs = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes(std::istreambuf_iterator<char>(in), {});
      EXPECT_NO_THROW(fuzz::run(target.name, bytes)) << entry.path();
      ++inputs;
    }
    EXPECT_GE(inputs, 5) << dir << ": a target's corpus holds its seeds";
  }
}

TEST(FuzzCorpus, AnUnknownTargetIsAnError) { EXPECT_THROW(fuzz::run("nope", ""), std::exception); }

}  // namespace
}  // namespace nnlab
