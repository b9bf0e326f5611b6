#!/usr/bin/python3
"""PyTorch's side of the kernel rows of bench/run.py: times torch.mm and
F.conv2d on the shapes that axon-bench-kernels times, and prints the same
lines (median ms, GFLOP/s); --json writes them for run.py.

Run with Debian's interpreter (/usr/bin/python3), which sees python3-torch.
"""
import argparse
import ctypes
import json

import torch
import torch.nn.functional as F

from timing import median_ms


def blas_core():
    """The kernel set OpenBLAS chose (e.g. "Haswell", "Cooperlake": what
    OPENBLAS_CORETYPE forces), or None when libblas.so.3 is not OpenBLAS."""
    try:
        name = ctypes.CDLL("libblas.so.3").openblas_get_corename
    except (OSError, AttributeError):
        return None
    name.restype = ctypes.c_char_p
    return name().decode()


def bench_mm(m, n, k, min_time):
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    c = torch.empty(m, n)
    ms, _ = median_ms(lambda: torch.mm(a, b, out=c), min_time)
    return f"matmul_{m}x{n}x{k}", ms, 2.0 * m * n * k / (ms * 1e6)


def bench_conv(name, n, c, h, w, o, k, pad, role, min_time):
    """F.conv2d (role "") or one of its autograd gradients: "_dx" the input
    gradient, "_dw" the filter gradient, each alone as autograd's
    convolution_backward computes it. GFLOP/s counts the layer's
    multiply-adds, as axon-bench-kernels does."""
    x = torch.randn(n, c, h, w)
    weight = torch.randn(o, c, k, k)
    oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
    grad = torch.randn(n, o, oh, ow)
    mask = {"": None, "_dx": [True, False, False], "_dw": [False, True, False]}[role]
    with torch.no_grad():
        if mask is None:
            fn = lambda: F.conv2d(x, weight, padding=pad)
        else:
            fn = lambda: torch.ops.aten.convolution_backward(
                grad, x, weight, None, [1, 1], [pad, pad], [1, 1], False,
                [0, 0], 1, mask)
        ms, _ = median_ms(fn, min_time)
    return name + role, ms, 2.0 * n * o * oh * ow * c * k * k / (ms * 1e6)


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
    # examples/cnn/cnn.axon's layers at batch 64 and a 3x3 64->64 layer on
    # 32x32 images, forward and gradients (as axon-bench-kernels).
    convs = [("conv2d_cnn_conv1", 64, 1, 28, 28, 16, 5, 0, ("", "_dw")),
             ("conv2d_cnn_conv2", 64, 16, 12, 12, 32, 5, 0, ("", "_dx", "_dw")),
             ("conv2d_3x3_64x32x32", 64, 64, 32, 32, 64, 3, 1, ("", "_dx", "_dw"))]
    for name, *shape, roles in convs:
        for role in roles:
            if args.filter in name + role:
                results.append(bench_conv(name, *shape, role, args.min_time))

    for name, ms, gflops in results:
        print(f"{name:<36} {ms:10.4f} ms {gflops:9.2f} GFLOP/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"system": "pytorch", "version": torch.__version__,
                       "blas_core": blas_core(),
                       "threads": torch.get_num_threads(),
                       "results": [{"name": n, "ms": ms, "gflops": g}
                                   for n, ms, g in results]}, f)


if __name__ == "__main__":
    main()
