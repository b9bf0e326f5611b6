#!/usr/bin/python3
"""PyTorch's side of the epoch rows of bench/run.py: one epoch of training
of examples/mlp or examples/cnn on Fashion-MNIST, doing what the model
binary's `train --epochs 1` does, in an idiomatic PyTorch loop:

  load       the IDX files (gzip) with numpy, inputs scaled to [0, 1] by
             the training set's min and max (Axon's `normalize = scale`, the
             default for IDX data);
  train      the training set shuffled, in batches of the train block's
             size (the last partial batch dropped, as Axon does), with its
             optimizer; the model and optimizer are torch_models.EXAMPLES';
             weights initialised as the .axon file says (glorot_uniform,
             he_normal, zeros) rather than PyTorch's defaults, so that the
             accuracies compare;
  evaluate   the test set's loss and accuracy, and the accuracy on the first
             10,000 training samples (what Axon's epoch summary reports), in
             batches of the same size, under torch.no_grad().

Batches are gathered by indexing the tensors with a shuffled permutation:
a DataLoader over a TensorDataset would collate sample by sample and
handicap PyTorch.

  torch_epoch.py --model mlp --threads 1 --json out.json

writes {"name", "batch", "steps", "load_s", "epoch_s", "train_loss",
"train_accuracy", "test_loss", "test_accuracy", "threads", "version"}.
Run with Debian's interpreter (/usr/bin/python3), which sees python3-torch.
"""
import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_models import EXAMPLES

DATA = Path("/usr/share/datasets/fashion-mnist")
TRAIN_METRIC_SAMPLES = 10000  # runtime/train/TrainSession.h


def read_idx(path):
    """An IDX file (gzip-compressed) as a numpy array of its stored type."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} values for shape {shape}")
    return data.reshape(shape)


def load(split, sample, scale=None):
    """Inputs [n, *sample] f32 and labels [n] int64; inputs scaled as
    (x - lo) / (hi - lo) with `scale` = (lo, hi), the training set's when
    None."""
    x = read_idx(DATA / f"{split}-images-idx3-ubyte.gz").astype(np.float32)
    t = read_idx(DATA / f"{split}-labels-idx1-ubyte.gz").astype(np.int64)
    lo, hi = scale if scale else (float(x.min()), float(x.max()))
    x = (x - lo) / (hi - lo)
    return torch.from_numpy(x.reshape(len(x), *sample)), torch.from_numpy(t), (lo, hi)


def init_like_axon(model):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)  # glorot_uniform
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")  # he_normal
            nn.init.zeros_(m.bias)


@torch.no_grad()
def evaluate(model, x, t, batch):
    """(mean loss, accuracy) over x in batches."""
    model.eval()
    loss = correct = 0.0
    for i in range(0, len(x), batch):
        logits = model(x[i:i + batch])
        loss += F.cross_entropy(logits, t[i:i + batch], reduction="sum").item()
        correct += (logits.argmax(1) == t[i:i + batch]).sum().item()
    model.train()
    return loss / len(x), correct / len(x)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=sorted(EXAMPLES))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    spec = EXAMPLES[args.model]
    batch = spec["batch"]

    start = time.perf_counter()
    x_train, t_train, scale = load("train", spec["sample"])
    x_test, t_test, _ = load("t10k", spec["sample"], scale)
    load_s = time.perf_counter() - start

    model = spec["model"]()
    init_like_axon(model)
    opt = spec["optimizer"](model.parameters())
    start = time.perf_counter()
    order = torch.randperm(len(x_train))
    steps = len(x_train) // batch
    loss_sum = 0.0
    for step in range(steps):
        rows = order[step * batch:(step + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x_train[rows]), t_train[rows])
        loss.backward()
        opt.step()
        loss_sum += loss.item()
    test_loss, test_accuracy = evaluate(model, x_test, t_test, batch)
    _, train_accuracy = evaluate(model, x_train[:TRAIN_METRIC_SAMPLES],
                                 t_train[:TRAIN_METRIC_SAMPLES], batch)
    epoch_s = time.perf_counter() - start

    result = {"name": args.model, "batch": batch, "steps": steps,
              "load_s": load_s, "epoch_s": epoch_s,
              "train_loss": loss_sum / steps, "train_accuracy": train_accuracy,
              "test_loss": test_loss, "test_accuracy": test_accuracy,
              "threads": torch.get_num_threads(), "version": torch.__version__}
    print(f"{args.model}: load {load_s:.2f} s, epoch {epoch_s:.2f} s ({steps} steps), "
          f"train loss {result['train_loss']:.4f}, test loss {test_loss:.4f}, "
          f"test accuracy {test_accuracy:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
