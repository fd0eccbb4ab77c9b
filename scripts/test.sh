#!/usr/bin/env bash
# The README's second command (and CI's): installs, builds with warnings as errors, runs every
# test, then builds and runs them again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
unset OPENBLAS_CORETYPE
jobs=$(nproc)

BUILD_DIR=build scripts/build.sh -DNNLAB_WERROR=ON
(cd build && ctest --output-on-failure -j"$jobs" --timeout 600)

BUILD_DIR=build-asan scripts/build.sh -DNNLAB_WERROR=ON -DNNLAB_SANITIZE=ON -DNNLAB_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" --timeout 900)

# Formatting: every C++ file clang-formatted.
format_report=$(git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run 2>&1 || true)
if grep -q warning <<<"$format_report"; then
  grep warning <<<"$format_report" | cut -d: -f1 | sort | uniq -c
  echo "clang-format: the files above differ from .clang-format (run clang-format -i)"
  exit 1
fi
echo "All tests passed (release and sanitizer builds)."
