#!/usr/bin/env bash
# Fuzzes the model frontend and the .npy, IDX, CSV and safetensors readers
# with axon-fuzz (tools/axon-fuzz), each for a set time, from the seeds in
# tests/fuzz/seeds, tests/ and examples/. A crash leaves its input in
# fuzz-out/current-TARGET; a clean run prints one line per target.
#
#   scripts/fuzz.sh [--seconds N] [--sanitize] [TARGET...]
#
# --sanitize uses the ASan + UBSan build (scripts/build.sh --sanitize).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
build=build
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --sanitize) build=build-sanitize ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]})) || targets=(model npy idx csv safetensors)
if [ "$build" = build-sanitize ]; then scripts/build.sh --sanitize; else scripts/build.sh; fi
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p fuzz-out
status=0
for t in "${targets[@]}"; do
  case "$t" in
    model) seeds=(examples/*/*.axon tests/diagnostics/*.axon tests/e2e/*.axon) ;;
    npy) seeds=(tests/fuzz/seeds/*.npy) ;;
    idx) seeds=(tests/fuzz/seeds/*.idx tests/fuzz/seeds/*.idx.gz) ;;
    csv) seeds=(tests/fuzz/seeds/*.csv) ;;
    safetensors) seeds=(tests/fuzz/seeds/*.safetensors) ;;
    *) echo "fuzz.sh: unknown target '$t'" >&2; exit 2 ;;
  esac
  if ! "$build/bin/axon-fuzz" "$t" "${seeds[@]}" --seconds "$seconds" --out fuzz-out; then
    echo "fuzz.sh: $t crashed; its input is fuzz-out/current-$t" >&2
    status=1
  fi
done
exit $status
