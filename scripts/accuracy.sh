#!/usr/bin/env bash
# The full accuracy runs (minutes, not part of the test suite): trains each
# example's train block on all of its data (Fashion-MNIST; seq2seq's
# generated strings), on JIT-compiled kernels (`axonc train`) or on the
# standalone binary (`--binary`: `axonc build`, then `./model train`), and
# checks its final accuracy against the bar:
#   examples/mlp      >= 0.88   (784-256-10, Adam, 10 epochs)
#   examples/cnn      >= 0.90   (LeNet-like, SGD with momentum, 12 epochs)
#   examples/seq2seq  >= 0.95   (whole-sequence accuracy of greedy decoding
#                                on the task's 2,200 held-out strings:
#                                reversing 8 digits, 4 epochs)
# Logs, plots and checkpoints go to runs/accuracy/. Exits 1 if a bar is missed.
#
#   scripts/accuracy.sh [--binary] [mlp|cnn|seq2seq ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
binary=0
if [[ "${1:-}" == "--binary" ]]; then binary=1; shift; fi
models=("$@")
((${#models[@]})) || models=(mlp cnn seq2seq)
declare -A bar=([mlp]=0.88 [cnn]=0.90 [seq2seq]=0.95)
# What each bar is measured on: the eval_data's accuracy, or (seq2seq, whose
# task holds out its own strings) the last epoch's validation_metric in the
# metrics log.
declare -A measure=([mlp]="test accuracy" [cnn]="test accuracy"
                    [seq2seq]="held-out whole-sequence accuracy")
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
  if [[ "$m" == seq2seq ]]; then
    acc=$(python3 -c 'import json, sys
epochs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("kind") == "epoch"]
last = epochs[-1].get("validation_metric") if epochs else None
print("" if last is None else "%.4f" % last)' "$out/$m.metrics.jsonl")
  else
    acc=$(sed -n 's/.*test accuracy_of \([0-9.]*\).*/\1/p' "$out/$m.log" | tail -1)
  fi
  secs=$(( $(date +%s) - start ))
  if [[ -n "$acc" ]] && python3 -c "import sys; sys.exit(0 if $acc >= ${bar[$m]} else 1)"; then
    echo "== $m: ${measure[$m]} $acc >= ${bar[$m]} (${secs} s)"
  else
    echo "== $m: ${measure[$m]} ${acc:-missing} is below ${bar[$m]} (${secs} s)"
    status=1
  fi
done
exit $status
