#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds Axon with CMake + Ninja
# into build/. Incremental: a rebuild after touching one file takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
ninja -C build
