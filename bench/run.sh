#!/usr/bin/env bash
# Benchmarks Axon against PyTorch on this CPU: kernels (sgemm, conv2d),
# compile time of the example models, one training step of mlp, cnn, lstm
# and transformer (time and peak memory) and one epoch of mlp and cnn on
# Fashion-MNIST, each against the machine's own limits (a roofline from its
# measured FMA peak and memory bandwidth). See bench/README.md.
#
#   bench/run.sh [--threads N|1,2] [--min-time SECONDS] [--filter SUBSTRING]
#                [--build-dir DIR] [--skip-kernels] [--out FILE]
#
# Installs PyTorch (scripts/setup.sh --bench), builds axonc,
# axon-bench-kernels and axon-bench-machine, then hands its arguments to
# bench/run.py, which prints the tables and merges the rows into this
# machine's bench/results/<cpu>-<isa>.json.
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
flock "$lock" ninja -C "$build" axonc axon-bench-kernels axon-bench-machine >/dev/null

exec /usr/bin/python3 "$root/bench/run.py" "$@"
