#include "fuzz_targets.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "data/idx.hpp"
#include "io/safetensors.hpp"
#include "study/study.hpp"
#include "tensor/error.hpp"

namespace nnlab::fuzz {
namespace {

void safetensors(std::string_view bytes) { decode_safetensors(bytes, "fuzz.safetensors"); }

void study(std::string_view bytes) { parse_study(std::string(bytes), "fuzz.toml", {}); }

// read_idx reads a path (it streams and inflates the file itself), so the bytes go to a file of
// this process's own first: a plain write, not io/atomic_file.hpp's, whose fsync per input would
// cost most of the fuzzer's time.
void idx(std::string_view bytes) {
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("nnlab-fuzz-" + std::to_string(::getpid()) + ".idx"))
                                      .string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("fuzz: cannot write " + path);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  struct Remove {
    const std::string& path;
    ~Remove() { std::remove(path.c_str()); }
  } remove{path};
  read_idx(path);
}

constexpr std::array<Target, 3> kTargets = {{
    {"safetensors", safetensors},
    {"study", study},
    {"idx", idx},
}};

}  // namespace

std::span<const Target> targets() { return kTargets; }

void run(std::string_view name, std::string_view bytes) {
  for (const Target& t : kTargets) {
    if (name != t.name) continue;
    try {
      t.run(bytes);
    } catch (const Error&) {
      // a refusal with a message: what hostile input should get
    }
    return;
  }
  throw std::invalid_argument("no fuzz target " + std::string(name));
}

}  // namespace nnlab::fuzz
