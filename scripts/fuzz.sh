#!/usr/bin/env bash
# Fuzzes nnlab's readers with libFuzzer (clang, AddressSanitizer + UndefinedBehaviorSanitizer):
#   scripts/fuzz.sh [SECONDS [TARGET...]]
#   FUZZ_RUNS=1000000 scripts/fuzz.sh 3600 png   (stops at a million executions, or the time)
# runs each target (default: all of fuzz/fuzz_targets.cpp) for SECONDS (default 60), starting
# from its corpus fuzz/corpus/NAME/, and fails on any crash, sanitizer report, leak, input that
# takes over 1 s (-timeout=1) or run over 2 GB (-rss_limit_mb=2048). New inputs go to
# build-fuzz/corpus/NAME/; a finding is written to build-fuzz/findings/. Copy an input worth
# keeping into fuzz/corpus/NAME/: the test run replays that folder (tests/fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors study idx csv png set model checkpoint metrics history)

if ! command -v clang++ >/dev/null || ! [ -e /usr/lib/llvm-14/lib/libomp.so ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get install -y --no-install-recommends clang libomp-dev
fi

# The libraries get libFuzzer's coverage instrumentation; each fuzz_NAME links its driver.
CC=clang CXX=clang++ BUILD_DIR=build-fuzz scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNNLAB_FUZZ=ON -DNNLAB_SANITIZE=ON -DNNLAB_TESTS=OFF -DNNLAB_BENCH=OFF -DNNLAB_WERROR=OFF \
  -DNNLAB_NATIVE=OFF -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link

mkdir -p build-fuzz/findings
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "== fuzz_$t for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t-" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
    "build-fuzz/corpus/$t" "fuzz/corpus/$t" 2>&1 | tail -20; then
    status=1
  fi
done
exit $status
