"""The roofline of bench/run.py: how much work a row does (FLOPs and bytes
of memory traffic) and how close a measured time comes to the fastest the
machine allows for it.

  compute bound    FLOPs / (FMA peak at the row's thread count)
  bandwidth bound  bytes / (memory bandwidth at the row's thread count)
  achievable       the larger of the two: no run can be faster
  fraction         achievable / measured time (1.0: at the limit)

The peak and bandwidth are measured by axon-bench-machine (the FMA peak of
all the threads together, STREAM's triad bandwidth). FLOPs count a
multiply-add as two; bytes count what must at least cross the memory bus
once (operands read, results written), so a fraction above 1 means the data
was already in cache.

Pure functions only (no timing, no processes): tests/bench checks them.
"""

import re

F32 = 4  # bytes per element; every benchmarked workload is f32


def matmul_work(m, n, k):
    """(FLOPs, bytes) of C[m,n] = A[m,k] B[k,n]: 2mnk, A and B read, C
    written."""
    return 2 * m * n * k, F32 * (m * k + k * n + m * n)


def conv_out(size, kernel, stride=1, pad=0, dilation=1):
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_work(n, c, h, w, o, kh, kw=None, stride=1, pad=0, groups=1):
    """(FLOPs, bytes) of an NCHW conv2d, input [n,c,h,w], filter
    [o, c/groups, kh, kw]: 2 n o Ho Wo (c/groups) kh kw; input and filter
    read, output written."""
    kw = kh if kw is None else kw
    oh, ow = conv_out(h, kh, stride, pad), conv_out(w, kw, stride, pad)
    flops = 2 * n * o * oh * ow * (c // groups) * kh * kw
    return flops, F32 * (n * c * h * w + o * (c // groups) * kh * kw + n * o * oh * ow)


# The conv2d layers the kernel rows time (axon-bench-kernels and
# torch_kernels.py, which keep their own lists; a row missing here gets no
# roofline): name -> (n, c, h, w, o, k, pad), stride 1, one group.
CONV_LAYERS = {
    "conv2d_cnn_conv1": (64, 1, 28, 28, 16, 5, 0),
    "conv2d_cnn_conv2": (64, 16, 12, 12, 32, 5, 0),
    "conv2d_3x3_64x32x32": (64, 64, 32, 32, 64, 3, 1),
}


def kernel_work(name):
    """(FLOPs, bytes) of a kernel row, from its name: matmul_MxNxK (with
    optional suffixes) or a CONV_LAYERS name, alone (forward) or with _dx
    (input gradient) or _dw (filter gradient). A gradient does the layer's
    multiply-adds and touches the same three tensors (two read, one
    written), so it counts as the forward layer. None for another name."""
    m = re.match(r"matmul_(\d+)x(\d+)x(\d+)(?:_|$)", name)
    if m:
        return matmul_work(*map(int, m.groups()))
    layer = re.sub(r"_(dx|dw)$", "", name)
    if layer in CONV_LAYERS:
        n, c, h, w, o, k, pad = CONV_LAYERS[layer]
        return conv2d_work(n, c, h, w, o, k, pad=pad)
    return None


# The contractions of the example models' forward pass, in order, for
# batch rows: ("dense", in, out) or ("conv2d", c, h, w, o, k). Elementwise
# ops, pooling and the loss are left out: next to these they are a few
# percent of the FLOPs.
MODEL_LAYERS = {
    # examples/mlp/mlp.axon: 784-256-10
    "mlp": [("dense", 784, 256), ("dense", 256, 10)],
    # examples/cnn/cnn.axon: conv 1->16 5x5 on 28x28, pool, conv 16->32 5x5
    # on 12x12, pool, dense 512-120-10
    "cnn": [("conv2d", 1, 28, 28, 16, 5), ("conv2d", 16, 12, 12, 32, 5),
            ("dense", 512, 120), ("dense", 120, 10)],
}
# Optimizer state tensors per parameter (the models' train blocks): Adam's
# two moments, momentum's velocity.
MODEL_OPTIMIZER_STATES = {"mlp": 2, "cnn": 1, "lstm": 2, "transformer": 2}
# Input values per sample (f32).
MODEL_INPUT = {"mlp": 784, "cnn": 28 * 28, "lstm": 32 * 64,
               "transformer": 64 * 128}


def lstm_contractions(batch, steps=32, features=64, hidden=128, classes=10):
    """bench/models/train_lstm.axon (torch_models.py's lstm): per time step
    z = x_t Wx + h Wh + b ([B, 64] x [64, 512] and [B, 128] x [128, 512]),
    then the head h_T Wo ([B, 128] x [128, 10]). Returns [(forward FLOPs,
    passes)] and the parameter count, where passes counts the forward and
    the gradients a step computes: x_t Wx 2 (its input is data: no input
    gradient), h Wh 3 (dh flows back through time), the head 3. The gates'
    sigmoids, tanhs and products (~10 FLOPs per gate value, ~1%) are left
    out as the other models' elementwise ops are."""
    gates = 4 * hidden
    work = [(steps * matmul_work(batch, gates, features)[0], 2),
            (steps * matmul_work(batch, gates, hidden)[0], 3),
            (matmul_work(batch, classes, hidden)[0], 3)]
    params = features * gates + hidden * gates + gates + hidden * classes + classes
    return work, params


def transformer_contractions(batch, seq=64, d=128, heads=4, ff=256):
    """bench/models/train_transformer.axon (one post-norm encoder layer):
    on the B*S rows, the q, k, v projections and the output projection
    ([BS, d] x [d, d] each, summed over heads), the feed-forward pair
    ([BS, d] x [d, ff], [BS, ff] x [ff, d]); per sequence and head the
    scores Q K^T ([S, dh] x [dh, S]) and the weighted values A V ([S, S] x
    [S, dh]). Passes: q/k/v 2 (forward and weight gradient; x is data),
    the output projection and feed-forward 3, the two attention products 3
    (a gradient for each operand, no weights). Softmax, layer norms, relu
    and the loss (a few percent) are left out."""
    rows, dh = batch * seq, d // heads
    project = matmul_work(rows, d, d)[0]
    attention = batch * heads * matmul_work(seq, seq, dh)[0]
    work = [(3 * project, 2), (project, 3),
            (matmul_work(rows, ff, d)[0], 3), (matmul_work(rows, d, ff)[0], 3),
            (attention, 3), (attention, 3)]  # Q K^T, then A V (same FLOPs)
    params = 4 * (d * d + d) + 2 * d * ff + ff + d + 4 * d  # + 2 norms' g, c
    return work, params


# Models whose contractions are not a plain chain of MODEL_LAYERS.
MODEL_CONTRACTIONS = {"lstm": lstm_contractions,
                      "transformer": transformer_contractions}


def layer_work(layer, batch):
    """(forward FLOPs, parameter count) of one layer at `batch` rows."""
    if layer[0] == "dense":
        _, fan_in, fan_out = layer
        flops, _ = matmul_work(batch, fan_out, fan_in)
        return flops, fan_in * fan_out + fan_out
    _, c, h, w, o, k = layer
    flops, _ = conv2d_work(batch, c, h, w, o, k)
    return flops, o * c * k * k + o


def train_step_work(model, batch):
    """(FLOPs, bytes) of one train step of a benchmarked model, counted
    analytically from MODEL_LAYERS or MODEL_CONTRACTIONS (the plan does not
    carry FLOP counts):

      FLOPs  each contraction's forward, its weight gradient (as many FLOPs)
             and, except where its input is the data (which needs none),
             its input gradient (as many again);
      bytes  the batch (inputs and i32 labels) read once; per parameter:
             read in the forward pass, its gradient written and read, the
             parameter read and written by the update, each optimizer state
             read and written. Activations are taken to stay in cache.

    None for a model without either."""
    flops = params = 0
    if model in MODEL_CONTRACTIONS:
        work, params = MODEL_CONTRACTIONS[model](batch)
        flops = sum(forward * passes for forward, passes in work)
    elif model in MODEL_LAYERS:
        for i, layer in enumerate(MODEL_LAYERS[model]):
            forward, p = layer_work(layer, batch)
            flops += forward * (2 if i == 0 else 3)
            params += p
    else:
        return None
    per_param = 1 + 2 + 2 + 2 * MODEL_OPTIMIZER_STATES[model]
    data = batch * MODEL_INPUT[model] * F32 + batch * 4
    return flops, data + per_param * params * F32


def bound(flops, nbytes, peak_gflops, bandwidth_gbs):
    """The achievable time in ms and which limit sets it ("compute" or
    "memory"); None when the work or the machine is unknown."""
    if not flops or not peak_gflops or not bandwidth_gbs:
        return None
    compute_ms = flops / (peak_gflops * 1e6)
    memory_ms = (nbytes or 0) / (bandwidth_gbs * 1e6)
    return (compute_ms, "compute") if compute_ms >= memory_ms else (memory_ms, "memory")


def fraction(bound_ms, measured_ms):
    """The share of the achievable speed a measured time reaches."""
    if bound_ms is None or not measured_ms:
        return None
    return bound_ms / measured_ms


def apply(row, probe, threads):
    """Sets a result row's roofline fields (bound_ms, bound_kind,
    axon_roofline, torch_roofline) from its flops and bytes and the machine
    probe's figures at `threads`; rows without work counts get None."""
    peak = (probe or {}).get("fma_gflops", {}).get(str(threads))
    bandwidth = (probe or {}).get("triad_gbs", {}).get(str(threads))
    b = bound(row.get("flops"), row.get("bytes"), peak, bandwidth)
    row["bound_ms"], row["bound_kind"] = b if b else (None, None)
    row["axon_roofline"] = fraction(row["bound_ms"], row.get("axon_ms"))
    row["torch_roofline"] = fraction(row["bound_ms"], row.get("torch_ms"))
    return row
