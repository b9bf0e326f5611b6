#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds Axon with CMake + Ninja
# into build/. Incremental: a rebuild after touching one file takes seconds.
#
#   scripts/build.sh [--sanitize]
#
# --sanitize builds into build-sanitize/ with AddressSanitizer and
# UndefinedBehaviorSanitizer (float-cast-overflow too); run its tests with
# `cd build-sanitize && ctest`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
flags=(-DCMAKE_BUILD_TYPE=Release)
for arg in "$@"; do
  case "$arg" in
    --sanitize) dir=build-sanitize
                flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXON_SANITIZE=ON) ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
scripts/setup.sh
if [ ! -f "$dir/build.ninja" ]; then
  cmake -G Ninja -S . -B "$dir" "${flags[@]}"
fi
ninja -C "$dir"
