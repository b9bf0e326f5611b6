#!/usr/bin/env bash
# Installs Axon's build and test dependencies from Debian 12's packages.
# Idempotent: packages already present are skipped by apt.
#
#   scripts/setup.sh [--bench]
#
# --bench also installs what bench/run.sh compares against: PyTorch
# (python3-torch, for /usr/bin/python3) and the OpenMP build of OpenBLAS,
# which replaces the reference BLAS under torch's sgemm. CI leaves it off:
# torch is large and only the benchmark needs it.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  libhalide14-0-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev python3
  dataset-fashion-mnist
  fortunes # the text corpus of text("fortunes"): /usr/share/games/fortunes
)
BENCH_PACKAGES=(python3-torch libopenblas0-openmp)

for arg in "$@"; do
  case "$arg" in
    --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
