#!/usr/bin/env bash
# The main job on the bundled example: set up and build, train
# examples/mlp/mlp.axon for one epoch on Fashion-MNIST with JIT-compiled
# Halide kernels (progress bar, held-out accuracy), then compile the model to
# a standalone binary and run its `infer` on test images and its `bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
count=${1:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=/usr/share/datasets/fashion-mnist

echo "== axonc train examples/mlp/mlp.axon --epochs 1 (JIT-compiled kernels)"
build/bin/axonc train examples/mlp/mlp.axon --epochs 1 --metrics "$work/metrics.jsonl"

echo "== axonc build examples/mlp/mlp.axon -o mlp (standalone binary)"
build/bin/axonc build examples/mlp/mlp.axon -o "$work/mlp"
python3 scripts/idx_to_npy.py "$data/t10k-images-idx3-ubyte.gz" "$work/x.npy" \
  --count "$count" --flatten --scale
python3 scripts/idx_to_npy.py "$data/t10k-labels-idx1-ubyte.gz" "$work/t.npy" \
  --count "$count"
echo "== ./mlp infer --fn predict on $count test images (initial weights: the"
echo "   binary does not load trained parameters until checkpoints land)"
"$work/mlp" infer --fn predict --input x="$work/x.npy" -o "$work/pred.npy"
python3 scripts/show_predictions.py "$work/pred.npy" "$work/t.npy"
echo "== ./mlp bench --threads 1"
"$work/mlp" bench --threads 1 --iterations 20
