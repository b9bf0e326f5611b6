#!/usr/bin/python3
"""Axon against PyTorch on one CPU, at one or more thread counts, in one run:

  machine   axon-bench-machine: fp32 FMA peak and memory bandwidth at each
            thread count, for the roofline (roofline.py).
  kernels   matmul (sgemm) 256^3, 512^3, 1024^3 and the conv2d layers of
            examples/cnn at batch 64: build/bin/axon-bench-kernels (Halide
            JIT) against torch_kernels.py; median ms and GFLOP/s.
  compile   wall time of `axonc build` for each example model (goal: < 10 s).
  train     one training step of mlp, cnn, lstm and transformer: the binary
            `axonc build` made (`<binary> bench --fn <loss>_train_step`)
            against torch_models.py; median ms and each process's peak RSS.
            The model is bench/models/train_<name>.axon where there is
            one (lstm: torch_models.py's workload), else
            examples/<name>/<name>.axon; without either it is "not yet" on
            Axon's side, and PyTorch's side still runs.
  epoch     one epoch of mlp and cnn on Fashion-MNIST, data loading and
            evaluation included: the binary's `train --epochs 1` against
            torch_epoch.py; wall time of each process and test accuracy.
  loops     loop-heavy models (bench/models/loop_*.axon: a 50-step sampler,
            a 2,000-step integrate-and-fire population): the built binary
            against the reference evaluator, time per step and the
            executor's overhead per step (`bench --overhead`).
  scan      minGRU at T = 1024 (bench/models/mingru.axon): the train step
            with the recurrence computed by scan against a sequential loop.

Kernel and train rows get a roofline: their FLOPs and bytes, the time the
machine's peak or bandwidth allows for them, and the fraction of it Axon
and PyTorch reach. Prints one table per thread count (and the thread
counts side by side), and merges the rows into this machine's file,
bench/results/<cpu>-<isa>.json (machine_file.py; rows that could not be
measured are null there, with the reason in axon_status / torch_status).
Normally started through bench/run.sh, which installs PyTorch and builds the
tools first:

  bench/run.sh [--threads 1,2] [--min-time SECONDS] [--filter SUBSTRING]
               [--build-dir DIR] [--skip-kernels] [--repeat N] [--out FILE]
               [--isa avx2]

--repeat N runs the kernel and train-step rows N times at each thread count
and keeps each system's fastest median (recorded as repeat): two-thread
medians on a shared VM swing by 30% between runs.

--isa avx2 emulates an AVX2-only machine on a wider one: Axon's kernels and
binaries are compiled for x86-64-avx2 (Halide's haswell level: 16 ymm
registers), the peak is measured with AVX2 FMAs, and PyTorch runs with
OpenBLAS forced to its Haswell kernels (OPENBLAS_CORETYPE=Haswell; the core
OpenBLAS reports is recorded as blas_core) and ATen / oneDNN capped at AVX2
(ATEN_CPU_CAPABILITY, DNNL_MAX_CPU_ISA). The results go to a file named
...-avx2-emulated-on-<widest ISA>.json, never mixed with a real AVX2
machine's. (Clocks, caches and the load/store width stay the wider
machine's: on AMD Zen 4, whose AVX-512 runs on 256-bit units, the AVX2 FMA
peak equals the AVX-512 one.)

Every measurement runs in its own child process, one at a time, so that
peak RSS (os.wait4's ru_maxrss) is per workload and per system, and no two
measurements share the CPU. HL_NUM_THREADS and OMP_NUM_THREADS are set to
the thread count for every child. Exits 1 if some measurement failed (after
printing and writing what was measured).
"""
import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import machine_file
import roofline

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Debian's interpreter: the one that sees python3-torch (the python3 on PATH
# may be another, e.g. pyenv's).
TORCH_PYTHON = "/usr/bin/python3"
TRAIN_MODELS = ("mlp", "cnn", "lstm", "transformer")
EPOCH_MODELS = ("mlp", "cnn")
NOT_YET = "not yet"


@dataclass
class Child:
    """A finished child process."""
    returncode: int
    wall_s: float
    rss_mib: float
    output: str

    def error(self):
        """None if it succeeded, else a one-line reason."""
        if self.returncode == 0:
            return None
        lines = [l.strip() for l in self.output.splitlines() if l.strip()]
        # LLVM tools and axonc put the cause on the first error line; Python
        # ends a traceback with it (and its last line names an ...Error).
        flagged = [l for l in lines if re.search(r"error|unknown", l, re.I)]
        reason = (flagged[0] if flagged else lines[-1] if lines else "no output")
        return f"exit {self.returncode}: {reason[:240]}"


def run_child(cmd, cwd=ROOT):
    """Runs cmd to completion and returns its exit code, wall time, peak RSS
    and output. The output goes to a file, not a pipe, so that waiting with
    os.wait4 (which Popen.wait cannot do: it drops the rusage) cannot
    deadlock on a full pipe."""
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=log,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        # Reaped by wait4: tell Popen, or it would try to wait again.
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        return Child(proc.returncode, wall, usage.ru_maxrss / 1024.0, log.read())


def json_result(child, path):
    """The JSON a child wrote to path and None, or None and why not."""
    if child.error():
        return None, child.error()
    try:
        with open(path) as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, f"no JSON result ({e})"


def progress(msg):
    print(f"== {msg}", flush=True)


def row(workload, kind, **fields):
    r = {"workload": workload, "kind": kind, "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
         "batch": None,
         "axon_ms": None, "torch_ms": None, "ratio_time": None,
         "axon_gflops": None, "torch_gflops": None,
         "axon_rss_mib": None, "torch_rss_mib": None, "compile_s": None,
         "flops": None, "bytes": None,
         "axon_status": "ok", "torch_status": "ok"}
    r.update(fields)
    if r["axon_ms"] and r["torch_ms"]:
        r["ratio_time"] = r["axon_ms"] / r["torch_ms"]
    return r


# What --isa avx2 sets for every child: PyTorch's BLAS, ATen's vectorised
# kernels and oneDNN limited to what an AVX2-only CPU (Haswell level) has.
AVX2_TORCH_ENV = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2",
                  "DNNL_MAX_CPU_ISA": "AVX2"}


def thread_env(threads):
    """Every child's thread count: Halide's pool, OpenMP's (OpenBLAS)."""
    os.environ["HL_NUM_THREADS"] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)


# ---------------------------------------------------------------------------
# Machine: peak and bandwidth at each thread count, once per run.

def probe_machine(args, tmp):
    """axon-bench-machine's results, or None and why not."""
    progress("machine: fp32 FMA peak and memory bandwidth (axon-bench-machine)")
    out = tmp / "machine.json"
    isa = ["--isa", args.isa] if args.isa != "host" else []
    child = run_child([args.build_dir / "bin/axon-bench-machine", "--threads",
                       ",".join(map(str, args.threads)), "--json", out, *isa])
    return json_result(child, out)


# ---------------------------------------------------------------------------
# Kernels: one process per system for all kernels (their RSS is not per
# workload, so it is not reported).

def bench_kernels(args, threads, tmp):
    filt = ["--filter", args.filter] if args.filter else []
    progress(f"kernels, {threads} thread(s): Axon (axon-bench-kernels)")
    axon = run_child([args.build_dir / "bin/axon-bench-kernels", "--min-time",
                      args.min_time, "--json", tmp / "kernels-axon.json",
                      "--target", axon_target(args), *filt])
    progress(f"kernels, {threads} thread(s): PyTorch (torch_kernels.py)")
    torch = run_child([TORCH_PYTHON, BENCH / "torch_kernels.py", "--threads",
                       threads, "--min-time", args.min_time, "--json",
                       tmp / "kernels-torch.json", *filt])
    ours, axon_err = json_result(axon, tmp / "kernels-axon.json")
    theirs, torch_err = json_result(torch, tmp / "kernels-torch.json")
    ours_by_name = {r["name"]: r for r in (ours or {}).get("results", [])}
    theirs_by_name = {r["name"]: r for r in (theirs or {}).get("results", [])}
    rows = []
    for name in dict.fromkeys([*ours_by_name, *theirs_by_name]):  # ordered union
        a, t = ours_by_name.get(name), theirs_by_name.get(name)
        work = roofline.kernel_work(name)
        rows.append(row(name, "kernel",
                        axon_ms=a and a["ms"], axon_gflops=a and a["gflops"],
                        torch_ms=t and t["ms"], torch_gflops=t and t["gflops"],
                        flops=work and work[0], bytes=work and work[1],
                        axon_status="ok" if a else axon_err or "missing",
                        torch_status="ok" if t else torch_err or "missing"))
    if not rows and (axon_err or torch_err):
        rows.append(row("kernels", "kernel", axon_status=axon_err or "ok",
                        torch_status=torch_err or "ok"))
    meta = {"axon_target": (ours or {}).get("target"),
            "torch_version": (theirs or {}).get("version"),
            "blas_core": (theirs or {}).get("blas_core")}
    return rows, meta


def fastest_of(rows, again):
    """`rows` with each system's time of a workload replaced by its time in
    `again` (another run of both) where that is faster: --repeat's rows.
    On a shared machine a burst of load slows one run's medians, not every
    run's; both systems get the same number of tries."""
    by_name = {r["workload"]: r for r in again}
    for r in rows:
        a = by_name.get(r["workload"])
        if not a:
            continue
        for system in ("axon", "torch"):
            ms = f"{system}_ms"
            if a[ms] and (not r[ms] or a[ms] < r[ms]):
                for key in (ms, f"{system}_gflops", f"{system}_status"):
                    r[key] = a[key]
        if r["axon_ms"] and r["torch_ms"]:
            r["ratio_time"] = r["axon_ms"] / r["torch_ms"]
    return rows


# ---------------------------------------------------------------------------
# Models: compile with axonc once, then, at each thread count, time the
# train step of the binary and of torch_models.py, each in its own process.

def axon_target(args):
    """axonc's --target for Axon's kernels: "host", or "x86-64-avx2" under
    --isa avx2."""
    return "x86-64-avx2" if args.isa == "avx2" else "host"


def step_function(model_path, build_output):
    """The name of the compiled train step: from axonc's output if it names
    one, else from the model's `train <loss> { ... }` block."""
    m = re.search(r"\b(\w+_train_step)\b", build_output)
    if m:
        return m.group(1)
    m = re.search(r"^\s*train\s+(\w+)\s*\{", model_path.read_text(), re.M)
    return f"{m.group(1) if m else 'loss'}_train_step"


@dataclass
class Built:
    """An example model's binary (None where it is not built) and train
    step, or why there is none."""
    binary: Path = None
    step_fn: str = None
    error: str = NOT_YET


def wanted_models(args):
    """The example models some requested row needs: name -> which rows."""
    want = {}
    for name in TRAIN_MODELS:
        rows = {kind for kind in ("compile", "train", "epoch")
                if args.filter in f"{kind}_{name}"
                and (kind != "epoch" or name in EPOCH_MODELS)}
        if rows:
            want[name] = rows
    return want


def compile_models(args, tmp):
    """Builds each wanted example model's binary once (for every thread
    count); returns the compile rows and name -> Built. The compile row is
    reported even when only a train or epoch row was asked for: it has been
    measured, and it explains a row that failed to build."""
    rows, built = [], {}
    for name in wanted_models(args):
        # The bench model where there is one: torch_models.py's workload
        # (examples/lstm is a character language model, another workload).
        model_path = BENCH / "models" / f"train_{name}.axon"
        if not model_path.exists():
            model_path = ROOT / "examples" / name / f"{name}.axon"
        if not model_path.exists():
            built[name] = Built()
            continue
        progress(f"compile {name}: axonc build {model_path.relative_to(ROOT)}")
        binary = tmp / name
        child = run_child([args.build_dir / "bin/axonc", "build", model_path,
                           "-o", binary, f"--target={axon_target(args)}"])
        err = child.error()
        rows.append(row(f"compile_{name}", "compile",
                        compile_s=None if err else child.wall_s,
                        axon_rss_mib=None if err else child.rss_mib,
                        axon_status=err or "ok", torch_status="n/a"))
        built[name] = (Built(error=f"not built (see compile_{name})") if err else
                       Built(binary, step_function(model_path, child.output), None))
    return rows, built


def axon_bench(binary, fn, threads, iterations, out):
    """Runs `<binary> bench` on the train step; returns (child, result or
    None, error or None)."""
    child = run_child([binary, "bench", "--json", out, "--fn", fn, "--threads",
                       threads, "--iterations", iterations])
    data, err = json_result(child, out)
    if err:
        return child, None, err
    result = next((r for r in data.get("results", []) if r.get("name") == fn), None)
    return child, result, None if result else f"no result for '{fn}' in {out.name}"


def bench_axon_step(args, threads, name, built, tmp):
    """Times the step for about --min-time: a short calibration run first,
    since the binary takes an iteration count, not a duration."""
    fn = built.step_fn
    progress(f"train {name}, {threads} thread(s): Axon ({built.binary.name} bench --fn {fn})")
    _, calib, err = axon_bench(built.binary, fn, threads, 5, tmp / f"{name}-calib.json")
    if err:
        return None, None, err
    iterations = max(10, min(1000, math.ceil(args.min_time * 1e3 / max(calib["median_ms"], 1e-3))))
    child, result, err = axon_bench(built.binary, fn, threads, iterations,
                                    tmp / f"{name}-axon.json")
    return result, child.rss_mib, err


def bench_torch_step(args, threads, name, tmp):
    progress(f"train {name}, {threads} thread(s): PyTorch (torch_models.py --model {name})")
    out = tmp / f"{name}-torch.json"
    child = run_child([TORCH_PYTHON, BENCH / "torch_models.py", "--model", name,
                       "--threads", threads, "--min-time", args.min_time,
                       "--json", out])
    data, err = json_result(child, out)
    return data, child.rss_mib, err


def bench_train(args, threads, built, tmp):
    rows, torch_version = [], None
    for name, b in built.items():
        if args.filter not in f"train_{name}":
            continue
        axon, axon_rss, axon_err = None, None, b.error
        if b.binary:
            axon, axon_rss, axon_err = bench_axon_step(args, threads, name, b, tmp)
        torch, torch_rss, torch_err = bench_torch_step(args, threads, name, tmp)
        torch_version = torch_version or (torch or {}).get("version")
        batch = (axon or torch or {}).get("batch")
        work = roofline.train_step_work(name, batch) if batch else None
        rows.append(row(
            f"train_{name}", "train", batch=batch,
            axon_ms=axon and axon["median_ms"], torch_ms=torch and torch["median_ms"],
            axon_rss_mib=axon_rss if axon else None,
            torch_rss_mib=torch_rss if torch else None,
            flops=work and work[0], bytes=work and work[1],
            axon_status=axon_err or "ok", torch_status=torch_err or "ok"))
    return rows, torch_version


# ---------------------------------------------------------------------------
# Epochs: one epoch of training on Fashion-MNIST, end to end (the process's
# wall time: start-up, data loading, the epoch, evaluation).

def last_epoch(metrics_path):
    """The last epoch record of a metrics log (JSON lines), or None."""
    try:
        lines = Path(metrics_path).read_text().splitlines()
    except OSError:
        return None
    records = [json.loads(l) for l in lines if l.strip()]
    return next((r for r in reversed(records) if r.get("kind") == "epoch"), None)


def bench_epoch_axon(threads, name, built, tmp):
    """(result dict, rss, error) of `<binary> train --epochs 1`."""
    progress(f"epoch {name}, {threads} thread(s): Axon ({built.binary.name} train --epochs 1)")
    metrics = tmp / f"{name}-epoch-{threads}.jsonl"
    metrics.unlink(missing_ok=True)
    child = run_child([built.binary, "train", "--epochs", 1, "--threads", threads,
                       "--checkpoint", "none", "--metrics", metrics], cwd=tmp)
    if child.error():
        return None, None, child.error()
    epoch = last_epoch(metrics)
    if not epoch:
        return None, None, f"no epoch record in {metrics.name}"
    return {"wall_s": child.wall_s, "epoch_s": epoch.get("seconds"),
            "accuracy": epoch.get("eval_metric"), "test_loss": epoch.get("eval_loss"),
            "train_loss": epoch.get("train_loss")}, child.rss_mib, None


def bench_epoch_torch(threads, name, tmp):
    progress(f"epoch {name}, {threads} thread(s): PyTorch (torch_epoch.py --model {name})")
    out = tmp / f"{name}-epoch-torch.json"
    child = run_child([TORCH_PYTHON, BENCH / "torch_epoch.py", "--model", name,
                       "--threads", threads, "--json", out])
    data, err = json_result(child, out)
    if err:
        return None, None, err
    return {"wall_s": child.wall_s, "epoch_s": data["epoch_s"],
            "accuracy": data["test_accuracy"], "test_loss": data["test_loss"],
            "train_loss": data["train_loss"], "batch": data["batch"]}, child.rss_mib, None


def bench_epochs(args, threads, built, tmp):
    rows = []
    for name, b in built.items():
        if name not in EPOCH_MODELS or args.filter not in f"epoch_{name}":
            continue
        axon, axon_rss, axon_err = None, None, b.error
        if b.binary:
            axon, axon_rss, axon_err = bench_epoch_axon(threads, name, b, tmp)
        torch, torch_rss, torch_err = bench_epoch_torch(threads, name, tmp)
        r = row(f"epoch_{name}", "epoch", batch=(torch or {}).get("batch"),
                axon_rss_mib=axon_rss, torch_rss_mib=torch_rss,
                axon_status=axon_err or "ok", torch_status=torch_err or "ok")
        for system, result in (("axon", axon), ("torch", torch)):
            for key in ("wall_s", "epoch_s", "accuracy", "test_loss", "train_loss"):
                r[f"{system}_{key}"] = result and result[key]
        if axon and torch:
            r["ratio_time"] = axon["wall_s"] / torch["wall_s"]
        rows.append(r)
    return rows


def print_epoch_table(rows):
    epochs = [r for r in rows if r["kind"] == "epoch"]
    if not epochs:
        return
    head = ["epoch workload", "Axon s", "PyTorch s", "Axon/PyTorch", "Axon epoch s",
            "PyTorch epoch s", "Axon acc", "PyTorch acc", "Axon MiB", "PyTorch MiB"]
    def num(v, spec):
        return "-" if v is None else format(v, spec)
    body = [[r["workload"] + (f" (batch {r['batch']})" if r["batch"] else ""),
             num(r["axon_wall_s"], ".2f"), num(r["torch_wall_s"], ".2f"),
             num(r["ratio_time"], ".2f"), num(r["axon_epoch_s"], ".2f"),
             num(r["torch_epoch_s"], ".2f"), num(r["axon_accuracy"], ".4f"),
             num(r["torch_accuracy"], ".4f"), num(r["axon_rss_mib"], ".0f"),
             num(r["torch_rss_mib"], ".0f")] for r in epochs]
    print_grid(head, body)
    print("s: wall time of the whole process (start-up, reading and scaling the "
          "IDX files, one epoch,\nevaluation); epoch s: the epoch and its "
          "evaluation alone (as each reports it); acc: test\naccuracy after the "
          "epoch.")
    print_errors(epochs, ("axon_status", "torch_status"))


# ---------------------------------------------------------------------------
# Loops: a loop-heavy model compiled (the built binary's `bench --overhead`)
# against the reference evaluator (`axonc run --backend=reference`), with
# the time per step and the executor's share of it.

# (workload, model file, function, argument, shape of the argument, batch)
LOOP_MODELS = (
    ("loop_sampler", "loop_sampler.axon", "sample", "x", (8, 16)),
    ("loop_lif", "loop_lif.axon", "lif", "I", (4, 256)),
)


def write_npy(path, shape, values):
    """A little-endian f32 .npy file (no numpy needed)."""
    import struct
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join(f"{d}, " for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}f", *values))


def loop_steps(text):
    """The trip count of the model's (first) loop."""
    m = re.search(r"for\s+\w+\s+in\s+(\d+)\s*\.\.\s*(\d+)", text)
    return int(m.group(2)) - int(m.group(1)) if m else None


def reference_ms(args, model, fn, arg, npy, tmp):
    """The reference evaluator's time for one call (`axonc run
    --backend=reference --time`), best of 3; or None and why not."""
    times = []
    for _ in range(3):
        child = run_child([args.build_dir / "bin/axonc", "run", model, "--fn", fn,
                           "--backend=reference", "--time", "--input",
                           f"{arg}={npy}", "-o", tmp / "ref-out.npy"])
        if child.error():
            return None, child.error()
        m = re.search(r"time: ([0-9.]+) ms", child.output)
        if not m:
            return None, "axonc run --time printed no time"
        times.append(float(m.group(1)))
    return min(times), None


@dataclass
class LoopBuild:
    """A loop model built once for every thread count, with the reference
    evaluator's time (single-threaded: measured once)."""
    name: str
    fn: str
    steps: int
    batch: int
    binary: Path = None
    compile_s: float = None
    error: str = None
    reference_ms: float = None
    reference_error: str = None


def build_loops(args, tmp):
    builds = []
    for name, file, fn, arg, shape in LOOP_MODELS:
        if args.filter not in name:
            continue
        model = BENCH / "models" / file
        b = LoopBuild(name, fn, loop_steps(model.read_text()), shape[0])
        npy = tmp / f"{name}-{arg}.npy"
        n = math.prod(shape)
        write_npy(npy, shape, [0.3 * ((i * 7919) % 1000) / 1000 for i in range(n)])
        progress(f"loop {name}: axonc build {model.relative_to(ROOT)}")
        binary = tmp / name
        built = run_child([args.build_dir / "bin/axonc", "build", model, "--batch",
                           b.batch, "-o", binary])
        b.error = built.error()
        if not b.error:
            b.binary, b.compile_s = binary, built.wall_s
        progress(f"loop {name}: reference evaluator (axonc run --backend=reference)")
        b.reference_ms, b.reference_error = reference_ms(args, model, fn, arg, npy, tmp)
        builds.append(b)
    return builds


def bench_loops(args, threads, builds, tmp):
    rows = []
    for b in builds:
        axon, axon_err = None, b.error
        if b.binary:
            progress(f"loop {b.name}, {threads} thread(s): Axon ({b.binary.name} bench --overhead)")
            out = tmp / f"{b.name}-axon.json"
            calib = run_child([b.binary, "bench", "--fn", b.fn, "--threads", threads,
                               "--iterations", 5, "--json", out])
            data, axon_err = json_result(calib, out)
            if data:
                ms = data["results"][0]["median_ms"]
                iterations = max(10, min(10000, math.ceil(args.min_time * 1e3 / max(ms, 1e-3))))
                child = run_child([b.binary, "bench", "--fn", b.fn, "--threads",
                                   threads, "--iterations", iterations,
                                   "--overhead", "--json", out])
                data, axon_err = json_result(child, out)
                axon = data and data["results"][0]
        ref = b.reference_ms
        r = row(b.name, "loop", batch=b.batch,
                axon_ms=axon and axon["median_ms"], compile_s=b.compile_s,
                axon_status=axon_err or "ok", torch_status="n/a")
        r.update({"steps": b.steps, "reference_ms": ref,
                  "reference_status": b.reference_error or "ok",
                  "ratio_reference": (axon["median_ms"] / ref) if axon and ref else None,
                  "axon_us_per_step": axon and axon["median_ms"] * 1e3 / b.steps,
                  "overhead_us_per_step": axon and axon["overhead_ms"] * 1e3 / b.steps})
        rows.append(r)
    return rows


def print_loop_table(rows):
    loops = [r for r in rows if r["kind"] == "loop"]
    if not loops:
        return
    head = ["loop workload", "steps", "compile s", "Axon ms", "reference ms",
            "Axon/reference", "Axon us/step", "overhead us/step"]
    def num(v, spec):
        return "-" if v is None else format(v, spec)
    body = [[r["workload"] + f" (batch {r['batch']})", str(r["steps"]),
             num(r["compile_s"], ".2f"), num(r["axon_ms"], ".3f"),
             num(r["reference_ms"], ".1f"), num(r["ratio_reference"], ".4f"),
             num(r["axon_us_per_step"], ".3f"), num(r["overhead_us_per_step"], ".4f")]
            for r in loops]
    print_grid(head, body)
    print("Axon ms: median time of one call of the built binary (all steps); "
          "reference ms: the reference\nevaluator's time for the same call "
          "(axonc run --time, best of 3, single-threaded); overhead: the same\n"
          "plan with no-op kernels (loop control, copies, calls), per step.")
    print_errors(loops, ("axon_status", "reference_status"))


# ---------------------------------------------------------------------------
# Scan against loop: a model with the same layer and loss computed by scan
# and by a sequential loop (bench/models/mingru.axon, T = 1024), each one's
# train step timed in the same built binary; the row's axon_ms is the
# scan's, loop_ms the loop's.

# (workload, model file, scan step, loop step, batch)
SCAN_MODELS = (
    ("mingru_scan_vs_loop", "mingru.axon", "scan_loss_train_step",
     "loop_loss_train_step", 8),
)


def bench_scans(args, threads, tmp):
    rows = []
    for name, file, scan_fn, loop_fn, batch in SCAN_MODELS:
        if args.filter not in name:
            continue
        model = BENCH / "models" / file
        binary = tmp / name
        if not binary.exists():
            progress(f"scan {name}: axonc build {model.relative_to(ROOT)}")
            built = run_child([args.build_dir / "bin/axonc", "build", model, "--batch",
                               batch, "-o", binary])
            if built.error():
                rows.append(row(name, "scan", batch=batch, axon_status=built.error(),
                                torch_status="n/a"))
                continue
        ms, err = {}, None
        for fn in (scan_fn, loop_fn):
            progress(f"scan {name}, {threads} thread(s): {binary.name} bench --fn {fn}")
            _, calib, err = axon_bench(binary, fn, threads, 3, tmp / f"{name}-calib.json")
            if err:
                break
            iterations = max(5, min(1000, math.ceil(args.min_time * 1e3 /
                                                    max(calib["median_ms"], 1e-3))))
            _, result, err = axon_bench(binary, fn, threads, iterations,
                                        tmp / f"{name}-{fn}.json")
            if err:
                break
            ms[fn] = result["median_ms"]
        r = row(name, "scan", batch=batch, axon_ms=ms.get(scan_fn),
                axon_status=err or "ok", torch_status="n/a")
        r.update({"loop_ms": ms.get(loop_fn),
                  "ratio_loop": ms[scan_fn] / ms[loop_fn] if len(ms) == 2 else None})
        rows.append(r)
    return rows


def print_scan_table(rows):
    scans = [r for r in rows if r["kind"] == "scan"]
    if not scans:
        return
    def num(v, spec):
        return "-" if v is None else format(v, spec)
    print_grid(["scan workload", "scan ms", "loop ms", "scan/loop"],
               [[r["workload"] + f" (batch {r['batch']})", num(r["axon_ms"], ".3f"),
                 num(r.get("loop_ms"), ".3f"), num(r.get("ratio_loop"), ".3f")]
                for r in scans])
    print("scan ms, loop ms: median time of one train step of the same model with "
          "its recurrence\ncomputed by scan and by a sequential loop (< 1: the scan "
          "is faster).")
    print_errors(scans, ("axon_status",))


# ---------------------------------------------------------------------------
# Report

def print_grid(head, body, rules_before=()):
    """A table: the first column left-aligned, the others right-aligned; a
    rule under the header and before each row index in rules_before."""
    widths = [max(len(c[i]) for c in [head, *body]) for i in range(len(head))]
    line = lambda c: "  ".join(c[0].ljust(widths[0]) if i == 0 else c[i].rjust(widths[i])
                               for i in range(len(c)))
    rule = "-" * len(line(head))
    print()
    print(line(head))
    for i, c in enumerate(body):
        if i == 0 or i in rules_before:
            print(rule)
        print(line(c))


def print_errors(rows, keys):
    who = {"axon_status": "Axon", "torch_status": "PyTorch", "reference_status": "reference"}
    for r in rows:
        for key in keys:
            if r.get(key) not in (None, "ok", "n/a", NOT_YET):
                print(f"  {r['workload']} ({who[key]}): {r[key]}")


def percent(v):
    return "-" if v is None else f"{100 * v:.0f}%"


def cells(r):
    def num(v, status, spec):
        if v is not None:
            return format(v, spec)
        return "-" if status in ("ok", "n/a") else NOT_YET if status == NOT_YET else "error"
    axon = (num(r["compile_s"], r["axon_status"], ".2f") + " s"
            if r["kind"] == "compile" and r["compile_s"] is not None
            else num(r["axon_ms"], r["axon_status"], ".3f"))
    name = r["workload"] + (f" (batch {r['batch']})" if r["batch"] else "")
    return [name, axon,
            num(r["torch_ms"], r["torch_status"], ".3f"),
            num(r["ratio_time"], "ok", ".2f"),
            num(r["axon_rss_mib"], "ok", ".0f"),
            num(r["torch_rss_mib"], "ok", ".0f"),
            num(r["axon_gflops"], "ok", ".1f"),
            num(r["torch_gflops"], "ok", ".1f"),
            num(r["flops"] and r["flops"] / 1e6, "ok", ".1f"),
            num(r["bytes"] and r["bytes"] / 1e6, "ok", ".2f"),
            num(r.get("bound_ms"), "ok", ".3f") + ({"compute": " C", "memory": " M"}
                                                  .get(r.get("bound_kind"), "")),
            percent(r.get("axon_roofline")),
            percent(r.get("torch_roofline"))]


def print_probe(probe, threads):
    if not probe:
        print("machine: not probed (no roofline)")
        return
    t = str(threads)
    print(f"machine: fp32 FMA peak {probe['fma_gflops'].get(t, 0):.1f} GFLOP/s "
          f"({probe['isa']}, {threads} thread(s)), memory bandwidth "
          f"{probe['triad_gbs'].get(t, 0):.1f} GB/s (triad; copy "
          f"{probe['copy_gbs'].get(t, 0):.1f})")


def print_main_table(rows):
    head = ["workload", "Axon ms", "PyTorch ms", "Axon/PyTorch", "Axon MiB",
            "PyTorch MiB", "Axon GF/s", "PyTorch GF/s", "MFLOP", "MB", "bound ms",
            "Axon roof", "PyTorch roof"]
    rules = [i for i in range(1, len(rows)) if rows[i]["kind"] != rows[i - 1]["kind"]]
    print_grid(head, [cells(r) for r in rows], rules)
    print("Axon/PyTorch: Axon's time over PyTorch's (< 1: Axon faster). MiB: peak "
          "RSS of the process\n(for compile rows, of axonc; its time is in seconds, "
          "goal < 10 s). MFLOP, MB: the row's work and\nleast memory traffic "
          "(roofline.py); bound ms: the fastest the machine allows for them (C:\n"
          "compute-bound, M: memory-bound); roof: that bound over the measured "
          "time (100%: at the\nmachine's limit).")
    print_errors(rows, ("axon_status", "torch_status"))


def print_run(run, probe, threads):
    rows = run["results"]
    print(f"\n=== {threads} thread(s)   cpu: {run['cpu']}   load: {run.get('loadavg')}   "
          f"torch: {run['torch_version'] or '-'}   Axon target: {run['axon_target'] or '-'}"
          + (f"   OpenBLAS core: {run['blas_core']}" if run.get("blas_core") else ""))
    if run.get("emulated_on"):
        print(f"    (AVX2 emulated on an {run['emulated_on']} machine: see run.py --isa)")
    print_probe(probe, threads)
    main = [r for r in rows if r["kind"] not in ("loop", "epoch", "scan")]
    if main:
        print_main_table(main)
    print_epoch_table(rows)
    print_loop_table(rows)
    print_scan_table(rows)


def print_side_by_side(runs):
    """The thread counts next to each other: each system's time and its
    speed-up over its own time at the fewest threads."""
    counts = sorted(runs)
    if len(counts) < 2:
        return
    def time_of(r, system):
        if r is None:
            return None
        if r["kind"] == "epoch":
            return r.get(f"{system}_wall_s")
        if r["kind"] == "compile":
            return None
        return r.get(f"{system}_ms")
    names = list(dict.fromkeys(r["workload"] for t in counts for r in runs[t]["results"]
                               if r["kind"] not in ("compile",)))
    head = ["workload"]
    for t in counts:
        head += [f"Axon {t}t", f"PyTorch {t}t"]
    for t in counts[1:]:
        head += [f"Axon {t}t/{counts[0]}t", f"PyTorch {t}t/{counts[0]}t"]
    body = []
    for name in names:
        by_t = {t: next((r for r in runs[t]["results"] if r["workload"] == name), None)
                for t in counts}
        kind = next(r["kind"] for r in by_t.values() if r)
        unit = " s" if kind == "epoch" else ""
        cells_ = [name]
        for t in counts:
            for system in ("axon", "torch"):
                v = time_of(by_t[t], system)
                cells_.append("-" if v is None else f"{v:.3f}{unit}")
        for t in counts[1:]:
            for system in ("axon", "torch"):
                base, v = time_of(by_t[counts[0]], system), time_of(by_t[t], system)
                cells_.append(f"{base / v:.2f}x" if base and v else "-")
        body.append(cells_)
    print("\n=== thread counts side by side (ms; epochs: s of the whole process)")
    print_grid(head, body)
    print(f"Nt/{counts[0]}t: the speed-up of each system over its own time at "
          f"{counts[0]} thread(s) (> 1: faster with more threads).")


def thread_counts(text):
    """--threads: one count or a comma-separated list ("1,2")."""
    try:
        counts = sorted({int(t) for t in text.split(",")})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1 or 1,2, got '{text}'")
    return counts


def load_average():
    """The 1-minute load average as this run starts (other work on the
    machine skews every figure), or None off Linux."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=thread_counts, default=[1],
                        help="thread count, or several (1,2): every row at each")
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="seconds of timed runs per workload and system")
    parser.add_argument("--filter", default="",
                        help="only workloads whose name contains this, e.g. "
                             "matmul, conv2d, compile_, train_, epoch_, mlp")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--skip-kernels", action="store_true",
                        help="skip the kernel rows (matmul, conv2d)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the kernel and train-step rows this many "
                             "times (Axon, then PyTorch, each time) and keep "
                             "each system's fastest median: on a shared, noisy "
                             "machine")
    parser.add_argument("--out", type=Path,
                        help="the results file to merge into (default: this "
                             "machine's, bench/results/<cpu>-<isa>.json)")
    parser.add_argument("--isa", choices=("host", "avx2"), default="host",
                        help="avx2: emulate an AVX2-only machine (Axon compiled "
                             "for x86-64-avx2, OpenBLAS's Haswell kernels); "
                             "results go to <cpu>-avx2-emulated-on-<isa>.json")
    args = parser.parse_args()
    args.build_dir = args.build_dir.resolve()
    for tool in ("axonc", "axon-bench-kernels", "axon-bench-machine"):
        if not (args.build_dir / "bin" / tool).exists():
            sys.exit(f"run.py: {args.build_dir}/bin/{tool} is missing (bench/run.sh builds it)")

    with open("/proc/cpuinfo") as f:
        ident = machine_file.identity(f.read(), platform.machine())
    if args.isa != "host":
        try:
            ident = machine_file.emulated(ident, args.isa)
        except ValueError as e:
            sys.exit(f"run.py: --isa {args.isa}: {e}")
        if ident.get("emulated_on"):
            os.environ.update(AVX2_TORCH_ENV)
    out = args.out or BENCH / "results" / machine_file.file_name(ident)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="axon-bench-") as tmp:
        tmp = Path(tmp)
        probe, probe_err = probe_machine(args, tmp)
        if probe_err:
            print(f"machine probe failed (no roofline): {probe_err}")
        compile_rows, built = compile_models(args, tmp)
        loop_builds = build_loops(args, tmp)
        for threads in args.threads:
            thread_env(threads)
            meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpu": ident["cpu"],
                    "loadavg": load_average(), "threads": threads, "min_time_s": args.min_time,
                    "filter": args.filter, "statistic": "median",
                    "repeat": args.repeat,
                    "axon_target": None, "torch_version": None, "blas_core": None,
                    "emulated_on": ident.get("emulated_on")}
            rows = []
            if not args.skip_kernels:
                kernel_rows, kernel_meta = bench_kernels(args, threads, tmp)
                for _ in range(args.repeat - 1):
                    kernel_rows = fastest_of(kernel_rows,
                                             bench_kernels(args, threads, tmp)[0])
                rows += kernel_rows
                meta.update(kernel_meta)
            rows += compile_rows  # thread-independent: listed under each count
            train_rows, torch_version = bench_train(args, threads, built, tmp)
            for _ in range(args.repeat - 1):
                train_rows = fastest_of(train_rows,
                                        bench_train(args, threads, built, tmp)[0])
            rows += train_rows
            rows += bench_epochs(args, threads, built, tmp)
            rows += bench_loops(args, threads, loop_builds, tmp)
            rows += bench_scans(args, threads, tmp)
            meta["torch_version"] = meta["torch_version"] or torch_version
            for r in rows:
                roofline.apply(r, probe, threads)
            runs[threads] = {**meta, "results": rows}

    for threads, run in runs.items():
        print_run(run, probe, threads)
    print_side_by_side(runs)
    try:
        merged = machine_file.merge(read_json(out), ident, probe, runs)
    except ValueError as e:
        sys.exit(f"run.py: {out}: {e}; pass --out to write elsewhere")
    # Rows kept from earlier runs get their roofline from the latest probe.
    for threads, run in merged["runs"].items():
        for r in run["results"]:
            roofline.apply(r, merged["probe"], threads)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    print(f"\nmerged into: {out}")
    failed = any(r.get(f"{s}_status", "ok") not in ("ok", "n/a", NOT_YET)
                 for run in runs.values() for r in run["results"]
                 for s in ("axon", "torch", "reference"))
    return 1 if failed or probe_err else 0


if __name__ == "__main__":
    sys.exit(main())
