#!/usr/bin/env bash
# Installs what nnlab needs on Debian 12 (bookworm): the compiler and build tools, the libraries
# it links, the test oracles (PyTorch, SciPy, scikit-learn, scikit-image) and Fashion-MNIST. Safe to run again.
# ocl-icd-opencl-dev is only a Recommends of libdnnl-dev, yet Debian's dnnl-config.cmake calls
# find_package(OpenCL REQUIRED) (its oneDNN is built with the OpenCL GPU runtime).
set -euo pipefail
packages=(
  g++ cmake make pkg-config clang-format
  libdnnl-dev ocl-icd-opencl-dev libtomlplusplus-dev libcli11-dev libfmt-dev nlohmann-json3-dev
  libpng-dev zlib1g-dev libcurl4-openssl-dev libmd-dev libsvm-dev liblinear-dev libsqlite3-dev libeigen3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-sklearn python3-skimage python3-scipy python3-numpy libopenblas0-pthread
  dataset-fashion-mnist
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
