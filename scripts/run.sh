#!/usr/bin/env bash
# The main job: install dependencies, build, and serve the example model
# repository (examples/model_repository) with `kiln serve` until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DKILN_BUILD_TESTS=OFF
exec build/kiln serve --model-repository examples/model_repository "$@"
