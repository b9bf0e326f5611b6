#!/usr/bin/python3
"""PyTorch's side of the kernel rows of bench/run.py: times torch.mm and
F.conv2d on the shapes that axon-bench-kernels times, and prints the same
lines (median ms, GFLOP/s); --json writes them for run.py.

Run with Debian's interpreter (/usr/bin/python3), which sees python3-torch.
"""
import argparse
import json

import torch
import torch.nn.functional as F

from timing import median_ms


def bench_mm(m, n, k, min_time):
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    c = torch.empty(m, n)
    ms, _ = median_ms(lambda: torch.mm(a, b, out=c), min_time)
    return f"matmul_{m}x{n}x{k}", ms, 2.0 * m * n * k / (ms * 1e6)


def bench_conv(name, n, c, h, w, o, k, min_time):
    x = torch.randn(n, c, h, w)
    weight = torch.randn(o, c, k, k)
    oh, ow = h - k + 1, w - k + 1
    with torch.no_grad():
        ms, _ = median_ms(lambda: F.conv2d(x, weight), min_time)
    return name, ms, 2.0 * n * o * oh * ow * c * k * k / (ms * 1e6)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--filter", default="")
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    results = []
    for s in (256, 512, 1024):
        if args.filter in f"matmul_{s}x{s}x{s}":
            results.append(bench_mm(s, s, s, args.min_time))
    # examples/cnn/cnn.axon at batch 64.
    convs = [("conv2d_cnn_conv1", 64, 1, 28, 28, 16, 5),
             ("conv2d_cnn_conv2", 64, 16, 12, 12, 32, 5)]
    for name, *shape in convs:
        if args.filter in name:
            results.append(bench_conv(name, *shape, args.min_time))

    for name, ms, gflops in results:
        print(f"{name:<24} {ms:10.4f} ms {gflops:9.2f} GFLOP/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"system": "pytorch", "version": torch.__version__,
                       "threads": torch.get_num_threads(),
                       "results": [{"name": n, "ms": ms, "gflops": g}
                                   for n, ms, g in results]}, f)


if __name__ == "__main__":
    main()
