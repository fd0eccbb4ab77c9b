#!/usr/bin/env bash
# Configures and builds nnlab into build/ (or $BUILD_DIR) with the given extra CMake options.
# A cache already there keeps every option not given, so callers pass all those they rely on.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
