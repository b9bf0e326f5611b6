#!/usr/bin/env bash
# The full accuracy runs (minutes, not part of the test suite): trains each
# example's train block on all of Fashion-MNIST, on JIT-compiled kernels
# (`axonc train`) or on the standalone binary (`--binary`: `axonc build`,
# then `./model train`), and checks its final test accuracy against the bar:
#   examples/mlp  >= 0.88   (784-256-10, Adam, 10 epochs)
#   examples/cnn  >= 0.90   (LeNet-like, SGD with momentum, 12 epochs)
# Logs, plots and checkpoints go to runs/accuracy/. Exits 1 if a bar is missed.
#
#   scripts/accuracy.sh [--binary] [mlp|cnn ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
binary=0
if [[ "${1:-}" == "--binary" ]]; then binary=1; shift; fi
models=("$@")
((${#models[@]})) || models=(mlp cnn)
declare -A bar=([mlp]=0.88 [cnn]=0.90)
out=runs/accuracy
mkdir -p "$out"
status=0
for m in "${models[@]}"; do
  [[ -n "${bar[$m]:-}" ]] || { echo "accuracy.sh: unknown model '$m'" >&2; exit 2; }
  args=(--metrics "$out/$m.metrics.jsonl" --checkpoint "$out/$m.ckpt.safetensors")
  start=$(date +%s)
  if ((binary)); then
    build/bin/axonc build "examples/$m/$m.axon" -o "$out/$m"
    "$out/$m" train "${args[@]}" | tee "$out/$m.log"
  else
    build/bin/axonc train "examples/$m/$m.axon" "${args[@]}" | tee "$out/$m.log"
  fi
  acc=$(sed -n 's/.*test accuracy_of \([0-9.]*\).*/\1/p' "$out/$m.log" | tail -1)
  secs=$(( $(date +%s) - start ))
  if [[ -n "$acc" ]] && python3 -c "import sys; sys.exit(0 if $acc >= ${bar[$m]} else 1)"; then
    echo "== $m: test accuracy $acc >= ${bar[$m]} (${secs} s)"
  else
    echo "== $m: test accuracy ${acc:-missing} is below ${bar[$m]} (${secs} s)"
    status=1
  fi
done
exit $status
