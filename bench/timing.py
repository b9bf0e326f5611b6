"""The timing loop shared by torch_kernels.py and torch_models.py, so that
PyTorch's numbers come from one definition of "median after warm-up"
(axon-bench-kernels and the `bench` subcommand of built models use the
same statistic)."""
import statistics
import time

import torch


def settle_allocator():
    """Puts glibc's malloc in the state every real training process is in
    once it has read its data: freeing a block it had mapped (up to 32 MiB)
    raises the size above which malloc maps fresh pages to that block's,
    and the heap size it trims back to the OS to twice that. Before that, PyTorch's per-step
    temporaries of a few MiB (im2col buffers, gradients) are returned to
    the OS after every step and page-faulted back in the next: the CNN's
    train step measured 3-6x slower than in a loop over real data."""
    block = torch.empty(30 << 18)  # 30 MiB of f32: under glibc's 32 MiB cap
    block.fill_(0)
    del block


def median_ms(fn, min_time, warmup=2, min_iters=5, max_iters=1000):
    """Calls fn `warmup` times untimed (first-call allocation, lazy init,
    optimizer state), then times it until min_time seconds have passed,
    at least min_iters and at most max_iters times. Returns the median in
    milliseconds and the number of timed calls."""
    settle_allocator()
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_iters or (
            time.perf_counter() - start < min_time and len(times) < max_iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), len(times)
