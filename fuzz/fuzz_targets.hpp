// The readers nnlab exposes to untrusted bytes, as fuzz targets: each takes a whole input, reads
// it the way nnlab reads such a file, and lets only nnlab::Error (a clear refusal) end quietly.
// Anything else escaping -- another exception, a crash, a sanitizer report, a hang, gigabytes
// allocated -- is a finding. libFuzzer runs them (fuzz/entry.cpp, scripts/fuzz.sh); the test
// run replays each target's corpus in fuzz/corpus/NAME/ (tests/fuzz/corpus_replay_test.cpp).
#pragma once

#include <span>
#include <string_view>

namespace nnlab::fuzz {

struct Target {
  const char* name;  // also the corpus folder, fuzz/corpus/NAME
  void (*run)(std::string_view bytes);
};

/// Every target: safetensors (weights, checkpoints), study (TOML study files), idx (raw or
/// gzipped IDX files), csv (a study's CSV data), png (`nnlab predict`'s images), set (--set
/// overrides of a valid study, one a line), model (model files as `nnlab predict` and `eval`
/// load them), checkpoint (as `--resume` restores one), metrics and history (`nnlab report`'s
/// metrics.json and a run's history.csv).
std::span<const Target> targets();

/// Runs the target called `name` on `bytes`; an unknown name throws std::invalid_argument.
void run(std::string_view name, std::string_view bytes);

}  // namespace nnlab::fuzz
