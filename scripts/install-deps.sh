#!/usr/bin/env bash
# Installs the Debian 12 packages Kiln needs to build, run and test.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also the test yardsticks (ONNX test data, PyTorch)
#   scripts/install-deps.sh --bench  also what bench/compare_ort.sh, bench/plot.py and bench/serving.sh use
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  g++ cmake make pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev
  libdnnl-dev
  libgrpc++-dev protobuf-compiler-grpc libabsl-dev
  libboost-dev rapidjson-dev libspdlog-dev
  libgoogle-perftools-dev
)
test_packages=(
  libgtest-dev libgmock-dev
  libonnx-testdata
  python3 python3-numpy python3-torch python3-torchvision python3-sklearn
  python3-grpcio python3-protobuf  # tests/server_e2e/python_client_test.py: a second client implementation
)
# Node.js runs ONNX Runtime (npm's onnxruntime-node) for the comparison; any
# node >= 18 with npm will do, so Debian's is installed only when none is there.
bench_packages=(
  python3 python3-numpy python3-torch python3-torchvision
  python3-matplotlib python3-sklearn
  curl jq
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then bench_packages+=(nodejs npm); fi
case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  --bench) packages+=("${bench_packages[@]}") ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
