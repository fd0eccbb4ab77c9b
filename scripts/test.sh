#!/usr/bin/env bash
# The README's second command (and CI's): installs, builds with warnings as errors, runs every
# test, then builds and runs them again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
unset OPENBLAS_CORETYPE
jobs=$(nproc)

# install-deps.sh installed every oracle (PyTorch, SciPy, scikit-learn) and Fashion-MNIST, so a
# test that would skip for want of one fails instead.
export NNLAB_NO_SKIP=1

# Every option this script relies on is given, since build/ may hold another script's cache
# (scripts/demo.sh configures it without tests); --no-tests=error: no tests found is a failure.
BUILD_DIR=build scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DNNLAB_TESTS=ON -DNNLAB_BENCH=ON \
  -DNNLAB_WERROR=ON -DNNLAB_SANITIZE=OFF -DNNLAB_NATIVE=ON
(cd build && ctest --no-tests=error --output-on-failure -j"$jobs" --timeout 600)

# -O1 -g1: line tables are all a sanitizer's stack trace needs. With -O2 -g this build took 28 of
# CI's 50 minutes on 2 cores (one file, study/runner.cpp, 81 s against 29 s).
BUILD_DIR=build-asan scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DNNLAB_TESTS=ON -DNNLAB_BENCH=OFF \
  -DNNLAB_WERROR=ON -DNNLAB_SANITIZE=ON -DNNLAB_NATIVE=OFF
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --no-tests=error --output-on-failure -j"$jobs" --timeout 900)

# Formatting: every C++ file clang-formatted.
format_report=$(git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run 2>&1 || true)
if grep -q warning <<<"$format_report"; then
  grep warning <<<"$format_report" | cut -d: -f1 | sort | uniq -c
  echo "clang-format: the files above differ from .clang-format (run clang-format -i)"
  exit 1
fi
echo "All tests passed (release and sanitizer builds)."
