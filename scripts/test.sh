#!/usr/bin/env bash
# Sets up, builds, and runs every test (GoogleTest units and lit IR tests)
# through ctest, ending with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure -j2
