#!/usr/bin/python3
"""Axon against PyTorch on one CPU, at one thread count, in one run:

  kernels   matmul (sgemm) 256^3, 512^3, 1024^3 and the conv2d layers of
            examples/cnn at batch 64: build/bin/axon-bench-kernels (Halide
            JIT) against torch_kernels.py; median ms and GFLOP/s.
  compile   wall time of `axonc build` for each example model (goal: < 10 s).
  train     one training step of mlp, cnn, lstm and transformer: the binary
            `axonc build` made (`<binary> bench --fn <loss>_train_step`)
            against torch_models.py; median ms and each process's peak RSS.
            A model without examples/<name>/<name>.axon is "not yet" on
            Axon's side, and PyTorch's side still runs.
  loops     loop-heavy models (bench/models/loop_*.axon: a 50-step sampler,
            a 2,000-step integrate-and-fire population): the built binary
            against the reference evaluator, time per step and the
            executor's overhead per step (`bench --overhead`).

Prints one table and writes bench/results/bench.json (rows that could not be
measured are null there, with the reason in axon_status / torch_status).
Normally started through bench/run.sh, which installs PyTorch and builds the
tools first:

  bench/run.sh [--threads N] [--min-time SECONDS] [--filter SUBSTRING]
               [--build-dir DIR] [--skip-kernels] [--out FILE]

Every measurement runs in its own child process, one at a time, so that
peak RSS (os.wait4's ru_maxrss) is per workload and per system, and no two
measurements share the CPU. HL_NUM_THREADS and OMP_NUM_THREADS are set to
--threads for every child. Exits 1 if some measurement failed (after
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

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# Debian's interpreter: the one that sees python3-torch (the python3 on PATH
# may be another, e.g. pyenv's).
TORCH_PYTHON = "/usr/bin/python3"
TRAIN_MODELS = ("mlp", "cnn", "lstm", "transformer")
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
    r = {"workload": workload, "kind": kind, "batch": None,
         "axon_ms": None, "torch_ms": None, "ratio_time": None,
         "axon_gflops": None, "torch_gflops": None,
         "axon_rss_mib": None, "torch_rss_mib": None, "compile_s": None,
         "axon_status": "ok", "torch_status": "ok"}
    r.update(fields)
    if r["axon_ms"] and r["torch_ms"]:
        r["ratio_time"] = r["axon_ms"] / r["torch_ms"]
    return r


# ---------------------------------------------------------------------------
# Kernels: one process per system for all kernels (their RSS is not per
# workload, so it is not reported).

def bench_kernels(args, tmp):
    filt = ["--filter", args.filter] if args.filter else []
    progress("kernels: Axon (axon-bench-kernels)")
    axon = run_child([args.build_dir / "bin/axon-bench-kernels", "--min-time",
                      args.min_time, "--json", tmp / "kernels-axon.json", *filt])
    progress("kernels: PyTorch (torch_kernels.py)")
    torch = run_child([TORCH_PYTHON, BENCH / "torch_kernels.py", "--threads",
                       args.threads, "--min-time", args.min_time, "--json",
                       tmp / "kernels-torch.json", *filt])
    ours, axon_err = json_result(axon, tmp / "kernels-axon.json")
    theirs, torch_err = json_result(torch, tmp / "kernels-torch.json")
    ours_by_name = {r["name"]: r for r in (ours or {}).get("results", [])}
    theirs_by_name = {r["name"]: r for r in (theirs or {}).get("results", [])}
    rows = []
    for name in dict.fromkeys([*ours_by_name, *theirs_by_name]):  # ordered union
        a, t = ours_by_name.get(name), theirs_by_name.get(name)
        rows.append(row(name, "kernel",
                        axon_ms=a and a["ms"], axon_gflops=a and a["gflops"],
                        torch_ms=t and t["ms"], torch_gflops=t and t["gflops"],
                        axon_status="ok" if a else axon_err or "missing",
                        torch_status="ok" if t else torch_err or "missing"))
    if not rows and (axon_err or torch_err):
        rows.append(row("kernels", "kernel", axon_status=axon_err or "ok",
                        torch_status=torch_err or "ok"))
    meta = {"axon_target": (ours or {}).get("target"),
            "torch_version": (theirs or {}).get("version")}
    return rows, meta


# ---------------------------------------------------------------------------
# Models: compile with axonc, then time the train step of the binary and of
# torch_models.py, each in its own process.

def step_function(model_path, build_output):
    """The name of the compiled train step: from axonc's output if it names
    one, else from the model's `train <loss> { ... }` block."""
    m = re.search(r"\b(\w+_train_step)\b", build_output)
    if m:
        return m.group(1)
    m = re.search(r"^\s*train\s+(\w+)\s*\{", model_path.read_text(), re.M)
    return f"{m.group(1) if m else 'loss'}_train_step"


def compile_model(args, name, model_path, tmp):
    """Builds the model's binary; returns its compile row and the binary's
    path and train step (None where the build failed)."""
    progress(f"compile {name}: axonc build {model_path.relative_to(ROOT)}")
    binary = tmp / name
    child = run_child([args.build_dir / "bin/axonc", "build", model_path,
                       "-o", binary])
    err = child.error()
    r = row(f"compile_{name}", "compile", compile_s=None if err else child.wall_s,
            axon_rss_mib=None if err else child.rss_mib,
            axon_status=err or "ok", torch_status="n/a")
    if err:
        return r, None, None
    return r, binary, step_function(model_path, child.output)


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


def bench_axon_step(args, name, binary, fn, tmp):
    """Times the step for about --min-time: a short calibration run first,
    since the binary takes an iteration count, not a duration."""
    progress(f"train {name}: Axon ({binary.name} bench --fn {fn})")
    _, calib, err = axon_bench(binary, fn, args.threads, 5, tmp / f"{name}-calib.json")
    if err:
        return None, None, err
    iterations = max(10, min(1000, math.ceil(args.min_time * 1e3 / max(calib["median_ms"], 1e-3))))
    child, result, err = axon_bench(binary, fn, args.threads, iterations,
                                    tmp / f"{name}-axon.json")
    return result, child.rss_mib, err


def bench_torch_step(args, name, tmp):
    progress(f"train {name}: PyTorch (torch_models.py --model {name})")
    out = tmp / f"{name}-torch.json"
    child = run_child([TORCH_PYTHON, BENCH / "torch_models.py", "--model", name,
                       "--threads", args.threads, "--min-time", args.min_time,
                       "--json", out])
    data, err = json_result(child, out)
    return data, child.rss_mib, err


def bench_models(args, tmp):
    compile_rows, train_rows = [], []
    torch_version = None
    for name in TRAIN_MODELS:
        model_path = ROOT / "examples" / name / f"{name}.axon"
        want_compile = args.filter in f"compile_{name}"
        want_train = args.filter in f"train_{name}"
        if not (want_compile or want_train):
            continue
        binary = fn = None
        axon_err = NOT_YET
        if model_path.exists():
            # Reported even when only the train row was asked for: it has
            # been measured, and it explains a train row that failed to build.
            compile_row, binary, fn = compile_model(args, name, model_path, tmp)
            compile_rows.append(compile_row)
            axon_err = None if binary else f"not built (see compile_{name})"
        if not want_train:
            continue
        axon, axon_rss = None, None
        if binary:
            axon, axon_rss, axon_err = bench_axon_step(args, name, binary, fn, tmp)
        torch, torch_rss, torch_err = bench_torch_step(args, name, tmp)
        torch_version = torch_version or (torch or {}).get("version")
        train_rows.append(row(
            f"train_{name}", "train",
            batch=(axon or torch or {}).get("batch"),
            axon_ms=axon and axon["median_ms"], torch_ms=torch and torch["median_ms"],
            axon_rss_mib=axon_rss if axon else None,
            torch_rss_mib=torch_rss if torch else None,
            axon_status=axon_err or "ok", torch_status=torch_err or "ok"))
    return compile_rows + train_rows, torch_version


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


def bench_loops(args, tmp):
    rows = []
    for name, file, fn, arg, shape in LOOP_MODELS:
        if args.filter not in name:
            continue
        model = BENCH / "models" / file
        steps = loop_steps(model.read_text())
        batch = shape[0]
        npy = tmp / f"{name}-{arg}.npy"
        n = math.prod(shape)
        write_npy(npy, shape, [0.3 * ((i * 7919) % 1000) / 1000 for i in range(n)])
        progress(f"loop {name}: axonc build {model.relative_to(ROOT)}")
        binary = tmp / name
        built = run_child([args.build_dir / "bin/axonc", "build", model, "--batch",
                           batch, "-o", binary])
        axon, axon_err = None, built.error()
        if not axon_err:
            progress(f"loop {name}: Axon ({binary.name} bench --overhead)")
            out = tmp / f"{name}-axon.json"
            calib = run_child([binary, "bench", "--fn", fn, "--threads", args.threads,
                               "--iterations", 5, "--json", out])
            data, axon_err = json_result(calib, out)
            if data:
                ms = data["results"][0]["median_ms"]
                iterations = max(10, min(10000, math.ceil(args.min_time * 1e3 / max(ms, 1e-3))))
                child = run_child([binary, "bench", "--fn", fn, "--threads",
                                   args.threads, "--iterations", iterations,
                                   "--overhead", "--json", out])
                data, axon_err = json_result(child, out)
                axon = data and data["results"][0]
        progress(f"loop {name}: reference evaluator (axonc run --backend=reference)")
        ref, ref_err = reference_ms(args, model, fn, arg, npy, tmp)
        r = row(name, "loop", batch=batch,
                axon_ms=axon and axon["median_ms"],
                compile_s=None if built.error() else built.wall_s,
                axon_status=axon_err or "ok", torch_status="n/a")
        r.update({"steps": steps, "reference_ms": ref,
                  "reference_status": ref_err or "ok",
                  "ratio_reference": (axon["median_ms"] / ref) if axon and ref else None,
                  "axon_us_per_step": axon and axon["median_ms"] * 1e3 / steps,
                  "overhead_us_per_step": axon and axon["overhead_ms"] * 1e3 / steps})
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
    widths = [max(len(c[i]) for c in [head, *body]) for i in range(len(head))]
    line = lambda c: "  ".join(c[0].ljust(widths[0]) if i == 0 else c[i].rjust(widths[i])
                               for i in range(len(c)))
    print()
    print(line(head))
    print("-" * len(line(head)))
    for c in body:
        print(line(c))
    print("Axon ms: median time of one call of the built binary (all steps); "
          "reference ms: the reference\nevaluator's time for the same call "
          "(axonc run --time, best of 3); overhead: the same plan with\n"
          "no-op kernels (loop control, copies, calls), per step.")
    for r in loops:
        for key, who in (("axon_status", "Axon"), ("reference_status", "reference")):
            if r.get(key) not in (None, "ok", "n/a"):
                print(f"  {r['workload']} ({who}): {r[key]}")


# ---------------------------------------------------------------------------
# Report

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


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
            num(r["torch_gflops"], "ok", ".1f")]


def print_table(rows, meta):
    loops = [r for r in rows if r["kind"] == "loop"]
    rows = [r for r in rows if r["kind"] != "loop"]
    print(f"\ncpu: {meta['cpu']}   threads: {meta['threads']}   "
          f"torch: {meta['torch_version'] or '-'}   Axon target: {meta['axon_target'] or '-'}")
    if rows:
        print_main_table(rows)
    print_loop_table(loops)


def print_main_table(rows):
    head = ["workload", "Axon ms", "PyTorch ms", "Axon/PyTorch", "Axon MiB",
            "PyTorch MiB", "Axon GF/s", "PyTorch GF/s"]
    body = [cells(r) for r in rows]
    widths = [max(len(c[i]) for c in [head, *body]) for i in range(len(head))]
    line = lambda c: "  ".join(c[0].ljust(widths[0]) if i == 0 else c[i].rjust(widths[i])
                               for i in range(len(c)))
    print(line(head))
    rule = "-" * len(line(head))
    kind = None
    for r, c in zip(rows, body):
        if r["kind"] != kind:  # a rule between kernels, compile and train
            print(rule)
            kind = r["kind"]
        print(line(c))
    print("Axon/PyTorch: Axon's time over PyTorch's (< 1: Axon faster). MiB: peak "
          "RSS of the process\n(for compile rows, of axonc; its time is in seconds, "
          "goal < 10 s).")
    for r in rows:
        for system in ("axon", "torch"):
            status = r[f"{system}_status"]
            if status not in ("ok", "n/a", NOT_YET):
                print(f"  {r['workload']} ({'Axon' if system == 'axon' else 'PyTorch'}): {status}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="seconds of timed runs per workload and system")
    parser.add_argument("--filter", default="",
                        help="only workloads whose name contains this, e.g. "
                             "matmul, conv2d, compile_, train_, mlp")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--skip-kernels", action="store_true",
                        help="skip the kernel rows (matmul, conv2d)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "bench.json")
    args = parser.parse_args()
    args.build_dir = args.build_dir.resolve()
    for tool in ("axonc", "axon-bench-kernels"):
        if not (args.build_dir / "bin" / tool).exists():
            sys.exit(f"run.py: {args.build_dir}/bin/{tool} is missing (bench/run.sh builds it)")

    os.environ["HL_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "machine": platform.machine(), "cpu": cpu_model(),
            "threads": args.threads, "min_time_s": args.min_time,
            "filter": args.filter, "statistic": "median",
            "axon_target": None, "torch_version": None}
    rows = []
    with tempfile.TemporaryDirectory(prefix="axon-bench-") as tmp:
        tmp = Path(tmp)
        if not args.skip_kernels:
            kernel_rows, kernel_meta = bench_kernels(args, tmp)
            rows += kernel_rows
            meta.update(kernel_meta)
        model_rows, torch_version = bench_models(args, tmp)
        rows += model_rows
        rows += bench_loops(args, tmp)
        meta["torch_version"] = meta["torch_version"] or torch_version

    print_table(rows, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({**meta, "results": rows}, f, indent=2)
        f.write("\n")
    print(f"\nwritten: {args.out}")
    failed = any(r.get(f"{s}_status", "ok") not in ("ok", "n/a", NOT_YET)
                 for r in rows for s in ("axon", "torch", "reference"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
