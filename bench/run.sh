#!/usr/bin/env bash
# Benchmarks Axon against PyTorch on this CPU: kernels (sgemm, conv2d),
# compile time of the example models, and one training step of mlp, cnn,
# lstm and transformer (time and peak memory). See bench/README.md.
#
#   bench/run.sh [--threads N] [--min-time SECONDS] [--filter SUBSTRING]
#                [--build-dir DIR] [--skip-kernels] [--out FILE]
#
# Installs PyTorch (scripts/setup.sh --bench), builds axonc and
# axon-bench-kernels, then hands its arguments to bench/run.py, which prints
# the table and writes bench/results/bench.json.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Only --build-dir matters here; everything is passed on to run.py as is.
build="$root/build"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -h|--help) exec /usr/bin/python3 "$root/bench/run.py" --help ;;
    --build-dir) build="${args[i + 1]:?--build-dir needs a directory}" ;;
    --build-dir=*) build="${args[i]#--build-dir=}" ;;
  esac
done

"$root/scripts/setup.sh" --bench

# The lock keeps this from racing other builds of the same tree.
lock=/tmp/axon-build.lock
if [[ ! -f "$build/build.ninja" ]]; then
  flock "$lock" cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
flock "$lock" ninja -C "$build" axonc axon-bench-kernels >/dev/null

exec /usr/bin/python3 "$root/bench/run.py" "$@"
