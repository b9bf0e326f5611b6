#!/usr/bin/python3
"""PyTorch's side of the train-step rows of bench/run.py: times one full
training step (zero_grad, forward, loss, backward, optimizer step) of one
workload and reports the median. The data is random (fixed seed) and made
once, outside the timed region; the first steps are untimed warm-up (they
allocate gradients and the optimizer's state).

Workloads, each the same math as Axon's model of the same name:

  mlp          examples/mlp/mlp.axon: 784-256-10, relu, cross-entropy on
               integer labels, Adam(lr=1e-3), batch 128.
  cnn          examples/cnn/cnn.axon: conv 1->16 5x5 + per-channel bias,
               relu, max-pool 2, conv 16->32 5x5 + bias, relu, max-pool 2,
               flatten to 512, dense 512->120 relu, dense 120->10,
               cross-entropy, SGD(lr=0.01, momentum=0.9), batch 64,
               input [64, 1, 28, 28].
  lstm         one LSTM layer, input 64, hidden 128, sequence 32, batch 32
               (batch-first [32, 32, 64]); loss = cross-entropy of a linear
               head 128->10 on the last hidden state against integer
               labels; Adam(lr=1e-3).
  transformer  one post-norm encoder layer (nn.TransformerEncoderLayer):
               d_model 128, 4 heads, feed-forward 256 with relu, dropout 0
               (Axon has no dropout), sequence 64, batch 16; loss = mean of
               the outputs squared; Adam(lr=1e-3).

Weights keep PyTorch's default initialisation: it does not change the
amount of work, so it does not change the time.

  torch_models.py --model mlp --threads 1 --min-time 2 --json out.json

writes {"name", "batch", "median_ms", "iterations", "threads", "version"}.
Run with Debian's interpreter (/usr/bin/python3), which sees python3-torch.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from timing import median_ms


def mlp_model():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn_model():
    # Conv2d's bias is one value per output channel, broadcast over the
    # image: cnn.axon's `conv2d(x, K1) + c1` with c1: f32[16, 1, 1].
    return nn.Sequential(
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),   # [N, 16, 12, 12]
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),  # [N, 32, 4, 4]
        nn.Flatten(),                                      # [N, 512]
        nn.Linear(512, 120), nn.ReLU(), nn.Linear(120, 10))


# The example models' train blocks (examples/<name>/<name>.axon), shared
# with torch_epoch.py: the network, the batch, the optimizer, and the shape
# of one input sample.
EXAMPLES = {
    "mlp": dict(model=mlp_model, batch=128, sample=(784,),
                optimizer=lambda p: torch.optim.Adam(p, lr=1e-3)),
    "cnn": dict(model=cnn_model, batch=64, sample=(1, 28, 28),
                optimizer=lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
}


def example(name):
    e = EXAMPLES[name]
    model = e["model"]()
    x = torch.randn(e["batch"], *e["sample"])
    t = torch.randint(0, 10, (e["batch"],))
    opt = e["optimizer"](model.parameters())
    return e["batch"], opt, lambda: F.cross_entropy(model(x), t)


def mlp():
    return example("mlp")


def cnn():
    return example("cnn")


def lstm():
    batch, seq, features, hidden, classes = 32, 32, 64, 128, 10
    cell = nn.LSTM(features, hidden, batch_first=True)
    head = nn.Linear(hidden, classes)
    x = torch.randn(batch, seq, features)
    t = torch.randint(0, classes, (batch,))
    opt = torch.optim.Adam([*cell.parameters(), *head.parameters()], lr=1e-3)

    def loss():
        _, (h, _) = cell(x)          # h: [layers=1, batch, hidden]
        return F.cross_entropy(head(h[-1]), t)
    return batch, opt, loss


def transformer():
    batch, seq, d = 16, 64, 128
    layer = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=256,
                                       dropout=0.0, batch_first=True)
    x = torch.randn(batch, seq, d)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
    return batch, opt, lambda: layer(x).square().mean()


WORKLOADS = {f.__name__: f for f in (mlp, cnn, lstm, transformer)}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    batch, opt, loss_fn = WORKLOADS[args.model]()

    def step():
        # set_to_none: Axon's step writes fresh gradients rather than
        # zeroing and accumulating, and it is the default from torch 2.0 on.
        opt.zero_grad(set_to_none=True)
        loss_fn().backward()
        opt.step()

    ms, iterations = median_ms(step, args.min_time, warmup=3)
    print(f"{args.model:<24} {batch:8} {ms:12.3f} ms ({iterations} steps)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"name": args.model, "batch": batch, "median_ms": ms,
                       "iterations": iterations,
                       "threads": torch.get_num_threads(),
                       "version": torch.__version__}, f)


if __name__ == "__main__":
    main()
