#!/usr/bin/env bash
# The main job: install dependencies, build, and run the example model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DKILN_BUILD_TESTS=OFF
build/kiln run examples/tiny_classifier/model.onnx \
  --inputs examples/tiny_classifier/inputs --outputs build/example-outputs
echo "Outputs written to build/example-outputs/"
