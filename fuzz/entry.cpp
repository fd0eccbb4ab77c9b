// libFuzzer's entry point for one target, chosen at compile time (NNLAB_FUZZ_TARGET, a string):
// CMake builds one fuzz_NAME binary per target when NNLAB_FUZZ is on (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnlab::fuzz::run(NNLAB_FUZZ_TARGET, {reinterpret_cast<const char*>(data), size});
  return 0;
}
