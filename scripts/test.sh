#!/usr/bin/env bash
# Installs dependencies, builds Kiln with its tests, exports the reference
# architectures with PyTorch, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh -DKILN_BUILD_TESTS=ON
echo "Exporting reference models (PyTorch) into build/models ..."
/usr/bin/python3 scripts/export_models.py build/models
cd build
status=0
ctest --output-on-failure -j "$(nproc)" || status=$?
# The conformance counts per folder, from ctest's log.
grep -A 6 "^ONNX backend conformance" Testing/Temporary/LastTest.log || true
exit $status
