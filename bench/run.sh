#!/usr/bin/env bash
# Compares Axon's Halide contractions with PyTorch on the same shapes and
# thread count: matmul 256^3, 512^3, 1024^3 and the conv2d layers of
# examples/cnn at batch 64. Builds axon-bench-kernels if needed, prints a
# table of median times and GFLOP/s, and writes bench/results/kernels.json.
#
#   bench/run.sh [--threads N] [--min-time SECONDS] [--filter SUBSTRING]
#                [--build-dir DIR]
#
# The ratio column is Axon's time over PyTorch's: below 1, Axon is faster.
# PyTorch runs under Debian's /usr/bin/python3 (python3-torch); its sgemm
# comes from whichever BLAS provides libblas.so.3 (OpenBLAS with
# libopenblas0-openmp; the reference BLAS is some 20x slower).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
threads=1
min_time=1.0
filter=""
build="$root/build"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    --filter) filter="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# Build (the lock keeps this from racing other builds of the same tree).
lock=/tmp/axon-build.lock
if [[ ! -f "$build/build.ninja" ]]; then
  flock "$lock" cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
flock "$lock" ninja -C "$build" axon-bench-kernels >/dev/null

python=/usr/bin/python3
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "run.sh: $python cannot import torch (apt-get install -y python3-torch)" >&2
  exit 1
fi

results="$root/bench/results"
mkdir -p "$results"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== Axon (Halide JIT, HL_NUM_THREADS=$threads)"
HL_NUM_THREADS="$threads" "$build/bin/axon-bench-kernels" --min-time "$min_time" \
  ${filter:+--filter "$filter"} --json "$tmp/axon.json"
echo "== PyTorch (torch.set_num_threads($threads))"
OMP_NUM_THREADS="$threads" "$python" "$root/bench/torch_kernels.py" --threads "$threads" \
  --min-time "$min_time" ${filter:+--filter "$filter"} --json "$tmp/torch.json"
echo

"$python" - "$tmp/axon.json" "$tmp/torch.json" "$results/kernels.json" "$threads" <<'EOF'
import json
import platform
import sys
import time

axon_path, torch_path, out_path, threads = sys.argv[1:5]
axon = json.load(open(axon_path))
torch = json.load(open(torch_path))
theirs = {r["name"]: r for r in torch["results"]}
rows = []
for r in axon["results"]:
    t = theirs.get(r["name"])
    rows.append({
        "workload": r["name"],
        "axon_ms": r["ms"], "axon_gflops": r["gflops"],
        "torch_ms": t["ms"] if t else None, "torch_gflops": t["gflops"] if t else None,
        "ratio_time": r["ms"] / t["ms"] if t else None,
    })

head = f"{'workload':<26} {'Axon ms':>10} {'PyTorch ms':>11} {'Axon GF/s':>10} {'PyTorch GF/s':>13} {'Axon/PyTorch':>13}"
print(f"threads: {threads}   (ratio = Axon time / PyTorch time; < 1: Axon faster)")
print(head)
print("-" * len(head))
fmt = lambda v, spec: format(v, spec) if v is not None else "-"
for row in rows:
    print(f"{row['workload']:<26} {fmt(row['axon_ms'], '10.3f')} {fmt(row['torch_ms'], '11.3f')} "
          f"{fmt(row['axon_gflops'], '10.1f')} {fmt(row['torch_gflops'], '13.1f')} "
          f"{fmt(row['ratio_time'], '13.2f')}")

cpu = platform.processor()
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except (OSError, StopIteration):
    pass
json.dump({
    "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    "machine": platform.machine(), "cpu": cpu,
    "threads": int(threads),
    "axon_target": axon.get("target"), "torch_version": torch.get("version"),
    "statistic": "median",
    "results": rows,
}, open(out_path, "w"), indent=2)
print(f"\nwritten: {out_path}")
EOF
