#!/usr/bin/env bash
# The main job on the bundled example: set up and build, then train
# examples/mlp/mlp.axon on Fashion-MNIST (its train block: 10 epochs of Adam)
# on JIT-compiled Halide kernels, with a progress bar, and print the test
# accuracy. The metrics log, its plot (SVG) and the checkpoint go to runs/.
# Then the model is compiled to a standalone binary, which loads the trained
# checkpoint and classifies a few test images.
#
#   scripts/run-example.sh [--epochs N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
mkdir -p runs
data=/usr/share/datasets/fashion-mnist

echo "== axonc train examples/mlp/mlp.axon (JIT-compiled kernels)"
build/bin/axonc train examples/mlp/mlp.axon "$@" \
  --metrics runs/mlp.metrics.jsonl --checkpoint runs/mlp.ckpt.safetensors

echo "== axonc build examples/mlp/mlp.axon -o runs/mlp (standalone binary)"
build/bin/axonc build examples/mlp/mlp.axon -o runs/mlp
python3 scripts/idx_to_npy.py "$data/t10k-images-idx3-ubyte.gz" runs/x.npy \
  --count 8 --flatten --scale
python3 scripts/idx_to_npy.py "$data/t10k-labels-idx1-ubyte.gz" runs/t.npy \
  --count 8
echo "== runs/mlp infer --checkpoint runs/mlp.ckpt.safetensors (8 test images)"
runs/mlp infer --fn predict --checkpoint runs/mlp.ckpt.safetensors \
  --input x=runs/x.npy -o runs/pred.npy
python3 scripts/show_predictions.py runs/pred.npy runs/t.npy
echo "plot of the training curves: runs/mlp.metrics.svg"
