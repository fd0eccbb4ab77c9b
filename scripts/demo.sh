#!/usr/bin/env bash
# The README's first command: installs, builds, runs the quick-start study and prints where its
# report is. Pass another study file to run that one instead.
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:-experiments/quickstart.toml}
out=${2:-out/$(basename "$study" .toml)}
scripts/install-deps.sh
# Every option given (build/ may hold scripts/test.sh's cache); the same compile flags as
# test.sh's release build, so that running test.sh afterwards only adds the tests.
scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DNNLAB_TESTS=OFF -DNNLAB_BENCH=OFF \
  -DNNLAB_WERROR=ON -DNNLAB_SANITIZE=OFF -DNNLAB_NATIVE=ON
# MNIST: found in --data-dir, $NNLAB_DATA, ./data or ../shared/data; otherwise downloaded
# (with checksums) into ./data.
build/nnlab data info mnist >/dev/null 2>&1 || build/nnlab data fetch mnist
build/nnlab run "$study" --out "$out"
echo "Report: $(pwd)/$out/report.html"
