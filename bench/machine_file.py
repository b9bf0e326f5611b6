"""bench/results/ keeps one JSON file per machine, so that runs on
different CPUs are never mixed up: its name comes from the CPU's model
name, family and model numbers (a VM may report only "AMD EPYC") and the
widest vector ISA it has, e.g. amd-epyc-family26-model2-avx512.json.

A file holds the machine's identity, the latest machine probe
(axon-bench-machine) and one run per thread count:

  {"machine": {...}, "probe": {...},
   "runs": {"1": {"date", "torch_version", ..., "results": [rows]},
            "2": {...}}}

A new run merges in by thread count and then by workload: a row replaces
the row of the same name, other rows stay (a run with --filter updates just
its rows). Every row carries the date it was measured.

Pure functions only (tests/bench checks them); run.py does the I/O.
"""
import re


def parse_cpuinfo(text):
    """The first processor's fields of /proc/cpuinfo (name -> value)."""
    fields = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the end of the first processor's block
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    return fields


# Widest first: (ISA name, the cpuinfo flags it needs).
ISA_LEVELS = (
    ("avx512", {"avx512f"}),
    ("avx2", {"avx2", "fma"}),
    ("avx", {"avx"}),
    ("sse4", {"sse4_2"}),
    ("sve", {"sve"}),
    ("neon", {"asimd"}),
)


def vector_isa(flags):
    """The widest vector ISA among cpuinfo's flags (x86 `flags`, Arm
    `Features`), or "scalar"."""
    flags = set(flags)
    return next((isa for isa, need in ISA_LEVELS if need <= flags), "scalar")


def identity(cpuinfo_text, arch):
    """The machine's identity from /proc/cpuinfo's text and the
    architecture (platform.machine())."""
    f = parse_cpuinfo(cpuinfo_text)
    flags = (f.get("flags") or f.get("Features") or "").split()
    return {"cpu": f.get("model name") or f.get("Model") or arch,
            "vendor": f.get("vendor_id") or f.get("CPU implementer"),
            "family": f.get("cpu family") or f.get("CPU architecture"),
            "model": f.get("model") or f.get("CPU part"),
            "isa": vector_isa(flags), "arch": arch}


def slug(text):
    """Lower case, words joined by '-': "Intel(R) Xeon(R) Platinum 8375C
    CPU @ 2.90GHz" -> "intel-xeon-platinum-8375c" (trademarks, "CPU" and
    the clock dropped: the clock varies within one model)."""
    text = re.sub(r"\((r|tm|c)\)", " ", text.lower())
    text = re.sub(r"@.*$", " ", text)
    text = re.sub(r"\b(cpu|processor|\d+-core)\b", " ", text)
    return "-".join(re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text)).replace(".", "-")


def emulated(ident, isa):
    """The identity of `ident`'s machine running as if it had only `isa` (a
    narrower ISA_LEVELS name: kernels compiled for it, PyTorch's BLAS forced
    to it), for results that must not be mistaken for a machine that really
    has only `isa`. `ident` itself when `isa` is its own. Raises ValueError
    for an unknown ISA or one the machine lacks."""
    names = [name for name, _ in ISA_LEVELS]
    if isa not in names:
        raise ValueError(f"unknown ISA '{isa}' (known: {', '.join(names)})")
    have = ident.get("isa")
    if isa == have:
        return ident
    if have not in names or names.index(isa) < names.index(have):
        raise ValueError(f"this machine ({have}) cannot run {isa}")
    return {**ident, "isa": isa, "emulated_on": have}


def file_name(ident):
    """The machine file's name for an identity(): model name, family and
    model numbers where known, ISA (with "-emulated-on-<ISA>" for an
    emulated() one)."""
    parts = [slug(ident.get("cpu") or ident.get("arch") or "unknown")]
    if ident.get("family") is not None:
        parts.append(f"family{slug(str(ident['family']))}")
    if ident.get("model") is not None:
        parts.append(f"model{slug(str(ident['model']))}")
    parts.append(ident.get("isa") or "scalar")
    if ident.get("emulated_on"):
        parts.append(f"emulated-on-{ident['emulated_on']}")
    return "-".join(p for p in parts if p) + ".json"


def merge_probe(old, new):
    """The probe after this run: the new figures, keeping the old ones of
    thread counts this run did not measure (their rows stay in the file)."""
    if not new:
        return old
    merged = {**(old or {}), **new}
    for key, value in new.items():
        if isinstance(value, dict) and isinstance((old or {}).get(key), dict):
            merged[key] = {**old[key], **value}
    return merged


def merge(existing, ident, probe, runs):
    """The machine file after this run: `existing` (the file's contents, or
    None) with `runs` ({threads: {meta..., "results": rows}}) merged in and
    the probe replaced. Raises ValueError if `existing` belongs to another
    machine (a different identity under the same name)."""
    existing = existing or {}
    old = existing.get("machine")
    if old and any(old.get(k) != ident.get(k) for k in ("cpu", "family", "model", "isa", "emulated_on")):
        raise ValueError(f"the file holds another machine: {old} (this one: {ident})")
    merged_runs = {k: dict(v) for k, v in existing.get("runs", {}).items()}
    for threads, run in runs.items():
        key = str(threads)
        before = merged_runs.get(key, {})
        rows = list(before.get("results", []))
        index = {r["workload"]: i for i, r in enumerate(rows)}
        for r in run.get("results", []):
            if r["workload"] in index:
                rows[index[r["workload"]]] = r
            else:
                index[r["workload"]] = len(rows)
                rows.append(r)
        merged_runs[key] = {**before, **run, "results": rows}
    return {"machine": {**(old or {}), **ident},
            "probe": merge_probe(existing.get("probe"), probe),
            "runs": dict(sorted(merged_runs.items(), key=lambda kv: int(kv[0])))}
