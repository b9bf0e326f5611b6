#!/usr/bin/env bash
# The main job on the bundled example: set up and build, compile
# examples/mlp/mlp.axon to the axon dialect, and evaluate its forward pass
# with the reference evaluator on the first Fashion-MNIST test images,
# printing the predicted classes next to the true ones. (The weights are the
# model's declared initialisers until training lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
count=${1:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=/usr/share/datasets/fashion-mnist
python3 scripts/idx_to_npy.py "$data/t10k-images-idx3-ubyte.gz" "$work/x.npy" \
  --count "$count" --flatten --scale
python3 scripts/idx_to_npy.py "$data/t10k-labels-idx1-ubyte.gz" "$work/t.npy" \
  --count "$count"

echo "== axonc --emit=axon examples/mlp/mlp.axon (forward)"
build/bin/axonc examples/mlp/mlp.axon --emit=axon | sed -n '/func.func @forward/,/^  }/p'
echo "== forward pass on $count Fashion-MNIST test images (reference evaluator)"
build/bin/axonc run examples/mlp/mlp.axon --fn predict --input x="$work/x.npy" \
  -o "$work/pred.npy"
python3 scripts/show_predictions.py "$work/pred.npy" "$work/t.npy"
