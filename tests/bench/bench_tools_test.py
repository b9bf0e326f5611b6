#!/usr/bin/env python3
"""bench/'s pure functions on fixed inputs (no timing, no processes): the
roofline's work counts and bounds (roofline.py), the per-machine results
file's name and merge (machine_file.py), and run.py's --threads parsing and
metrics-log reading.

  python3 tests/bench/bench_tools_test.py [-v]
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import machine_file  # noqa: E402
import roofline  # noqa: E402
import run  # noqa: E402

# /proc/cpuinfo excerpts: the first processor's block, then the second's
# (which parse_cpuinfo must not read).
ZEN5_VM = """processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
flags		: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512bw avx512vl avx_vnni avx512_bf16

processor	: 1
vendor_id	: AuthenticAMD
cpu family	: 99
model name	: Something Else
"""
ZEN3 = """processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 25
model		: 1
model name	: AMD EPYC 7B13 64-Core Processor
flags		: fpu sse sse2 fma sse4_1 sse4_2 avx avx2
"""
XEON = """processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 106
model name	: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
flags		: sse2 sse4_2 avx fma avx2 avx512f avx512cd
"""
GRAVITON = """processor	: 0
BogoMIPS	: 243.75
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer	: 0x41
CPU architecture: 8
CPU part	: 0xd0c
"""


class WorkCounts(unittest.TestCase):
    def test_matmul(self):
        # 2 M N K FLOPs; A [7,1], B [1,33], C [7,33] in f32.
        self.assertEqual(roofline.matmul_work(7, 33, 1), (2 * 7 * 33, 4 * (7 + 33 + 231)))

    def test_conv_output_size(self):
        self.assertEqual(roofline.conv_out(28, 5), 24)
        self.assertEqual(roofline.conv_out(32, 3, pad=1), 32)
        self.assertEqual(roofline.conv_out(13, 3, stride=2, pad=1, dilation=2), 6)

    def test_conv2d(self):
        # cnn.axon's conv2 at batch 64: out [64, 32, 8, 8].
        flops, nbytes = roofline.conv2d_work(64, 16, 12, 12, 32, 5)
        self.assertEqual(flops, 2 * 64 * 32 * 8 * 8 * 16 * 25)
        self.assertEqual(nbytes, 4 * (64 * 16 * 144 + 32 * 16 * 25 + 64 * 32 * 64))
        # Groups divide the input channels each output sees.
        grouped, _ = roofline.conv2d_work(1, 4, 7, 7, 6, 3, groups=2)
        self.assertEqual(grouped, 2 * 6 * 5 * 5 * 2 * 9)

    def test_kernel_rows_by_name(self):
        self.assertEqual(roofline.kernel_work("matmul_256x512x33"),
                         roofline.matmul_work(256, 512, 33))
        self.assertEqual(roofline.kernel_work("matmul_33x40x17_At_bias_relu"),
                         roofline.matmul_work(33, 40, 17))
        forward = roofline.kernel_work("conv2d_3x3_64x32x32")
        self.assertEqual(forward, roofline.conv2d_work(64, 64, 32, 32, 64, 3, pad=1))
        self.assertEqual(roofline.kernel_work("conv2d_3x3_64x32x32_dx"), forward)
        self.assertEqual(roofline.kernel_work("conv2d_cnn_conv1_dw"),
                         roofline.conv2d_work(64, 1, 28, 28, 16, 5))
        for unknown in ("conv2d_other", "matmul_7x7", "conv2d_cnn_conv1_dz", "train_mlp"):
            self.assertIsNone(roofline.kernel_work(unknown), unknown)

    def test_train_steps(self):
        # mlp, batch 128: forward 2*128*784*256 and 2*128*256*10; the first
        # layer adds its weight gradient, the second both gradients.
        flops, nbytes = roofline.train_step_work("mlp", 128)
        self.assertEqual(flops, 2 * (2 * 128 * 784 * 256) + 3 * (2 * 128 * 256 * 10))
        params = 784 * 256 + 256 + 256 * 10 + 10
        # Adam: 1 forward read + gradient write/read + update read/write + 2
        # moments read/written = 9 accesses per parameter; the batch once.
        self.assertEqual(nbytes, 9 * 4 * params + 128 * 784 * 4 + 128 * 4)
        # cnn, batch 64, momentum (7 accesses per parameter).
        flops, nbytes = roofline.train_step_work("cnn", 64)
        conv1 = 2 * 64 * 16 * 24 * 24 * 1 * 25
        conv2 = 2 * 64 * 32 * 8 * 8 * 16 * 25
        fc = 2 * 64 * 512 * 120 + 2 * 64 * 120 * 10
        self.assertEqual(flops, 2 * conv1 + 3 * (conv2 + fc))
        params = 16 * 25 + 16 + 32 * 16 * 25 + 32 + 512 * 120 + 120 + 120 * 10 + 10
        self.assertEqual(nbytes, 7 * 4 * params + 64 * 784 * 4 + 64 * 4)
        # lstm, batch 32 (bench/models/train_lstm.axon): 32 steps of
        # [32,64]x[64,512] (forward + weight gradient) and [32,128]x[128,512]
        # (+ input gradient), the head [32,128]x[128,10] (3 passes); Adam.
        flops, nbytes = roofline.train_step_work("lstm", 32)
        self.assertEqual(flops, 32 * (2 * 2 * 32 * 64 * 512 + 3 * 2 * 32 * 128 * 512)
                         + 3 * 2 * 32 * 128 * 10)
        params = 64 * 512 + 128 * 512 + 512 + 128 * 10 + 10
        self.assertEqual(nbytes, 9 * 4 * params + 32 * 32 * 64 * 4 + 32 * 4)
        # transformer, batch 16 x 64 positions, d 128, 4 heads of 32, ff 256:
        # q, k, v projections 2 passes, output projection and ff 3, the
        # attention products Q K^T and A V 3 each; Adam.
        flops, nbytes = roofline.train_step_work("transformer", 16)
        rows = 16 * 64
        proj = 2 * rows * 128 * 128
        ff = 2 * rows * 128 * 256
        attn = 16 * 4 * 2 * 64 * 64 * 32
        self.assertEqual(flops, 2 * 3 * proj + 3 * proj + 3 * 2 * ff + 3 * 2 * attn)
        params = (3 * (4 * 128 * 32 + 4 * 32) + 4 * 32 * 128 + 128 + 4 * 128
                  + 128 * 256 + 256 + 256 * 128 + 128)
        self.assertEqual(nbytes, 9 * 4 * params + rows * 128 * 4 + 16 * 4)
        self.assertIsNone(roofline.train_step_work("gru", 32))


class Bounds(unittest.TestCase):
    def test_the_slower_limit_sets_the_bound(self):
        # 2 GFLOP at 200 GFLOP/s: 10 ms; 100 MB at 50 GB/s: 2 ms.
        self.assertEqual(roofline.bound(2e9, 1e8, 200, 50), (10.0, "compute"))
        # 1 MFLOP: 0.005 ms; 1 GB at 50 GB/s: 20 ms.
        self.assertEqual(roofline.bound(1e6, 1e9, 200, 50), (20.0, "memory"))

    def test_unknowns_give_no_bound(self):
        self.assertIsNone(roofline.bound(None, 1e6, 200, 50))
        self.assertIsNone(roofline.bound(1e6, 1e6, None, 50))
        self.assertIsNone(roofline.bound(1e6, 1e6, 200, 0))
        self.assertIsNone(roofline.fraction(None, 3.0))
        self.assertIsNone(roofline.fraction(1.0, None))

    def test_fraction(self):
        self.assertAlmostEqual(roofline.fraction(10.0, 12.5), 0.8)
        # Faster than the DRAM roof: data came from cache.
        self.assertAlmostEqual(roofline.fraction(2.0, 1.0), 2.0)

    def test_apply_uses_the_rows_thread_count(self):
        probe = {"fma_gflops": {"1": 100.0, "2": 200.0}, "triad_gbs": {"1": 10.0, "2": 20.0}}
        r = {"flops": 4e9, "bytes": 1e6, "axon_ms": 25.0, "torch_ms": 40.0}
        roofline.apply(r, probe, 2)  # 4 GFLOP at 200 GFLOP/s: 20 ms
        self.assertEqual((r["bound_ms"], r["bound_kind"]), (20.0, "compute"))
        self.assertAlmostEqual(r["axon_roofline"], 0.8)
        self.assertAlmostEqual(r["torch_roofline"], 0.5)
        roofline.apply(r, probe, "1")
        self.assertEqual(r["bound_ms"], 40.0)
        roofline.apply(r, probe, 3)  # not probed at 3 threads
        self.assertEqual((r["bound_ms"], r["axon_roofline"]), (None, None))
        compile_row = {"compile_s": 2.0}
        roofline.apply(compile_row, probe, 1)
        self.assertIsNone(compile_row["bound_ms"])


class MachineNames(unittest.TestCase):
    def name(self, text, arch="x86_64"):
        return machine_file.file_name(machine_file.identity(text, arch))

    def test_names(self):
        self.assertEqual(self.name(ZEN5_VM), "amd-epyc-family26-model2-avx512.json")
        self.assertEqual(self.name(ZEN3), "amd-epyc-7b13-family25-model1-avx2.json")
        self.assertEqual(self.name(XEON),
                         "intel-xeon-platinum-8375c-family6-model106-avx512.json")
        self.assertEqual(self.name(GRAVITON, "aarch64"),
                         "aarch64-family8-model0xd0c-neon.json")
        self.assertEqual(self.name("", "riscv64"), "riscv64-scalar.json")

    def test_emulated_isa(self):
        zen5 = machine_file.identity(ZEN5_VM, "x86_64")
        avx2 = machine_file.emulated(zen5, "avx2")
        self.assertEqual(machine_file.file_name(avx2),
                         "amd-epyc-family26-model2-avx2-emulated-on-avx512.json")
        self.assertEqual(machine_file.emulated(zen5, "avx512"), zen5)
        zen3 = machine_file.identity(ZEN3, "x86_64")
        self.assertEqual(machine_file.file_name(machine_file.emulated(zen3, "avx2")),
                         "amd-epyc-7b13-family25-model1-avx2.json")  # really AVX2
        with self.assertRaisesRegex(ValueError, "cannot run avx512"):
            machine_file.emulated(zen3, "avx512")
        with self.assertRaisesRegex(ValueError, "unknown ISA"):
            machine_file.emulated(zen5, "avx3")
        # An emulated run never merges into a real AVX2 machine's file.
        real = {"machine": {**avx2, "emulated_on": None}, "runs": {}}
        with self.assertRaisesRegex(ValueError, "another machine"):
            machine_file.merge(real, avx2, None, {})

    def test_first_processor_only(self):
        f = machine_file.parse_cpuinfo(ZEN5_VM)
        self.assertEqual((f["cpu family"], f["model name"]), ("26", "AMD EPYC"))

    def test_isa_levels(self):
        self.assertEqual(machine_file.vector_isa(["avx", "avx2"]), "avx")  # no FMA
        self.assertEqual(machine_file.vector_isa(["avx", "avx2", "fma"]), "avx2")
        self.assertEqual(machine_file.vector_isa(["sse2", "sse4_2"]), "sse4")
        self.assertEqual(machine_file.vector_isa(["asimd", "sve"]), "sve")
        self.assertEqual(machine_file.vector_isa([]), "scalar")

    def test_slug(self):
        self.assertEqual(machine_file.slug("AMD Ryzen 9 5950X 16-Core Processor"),
                         "amd-ryzen-9-5950x")
        self.assertEqual(machine_file.slug("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz"),
                         "intel-core-i7-8700k")


def result(workload, ms, date="d0"):
    return {"workload": workload, "axon_ms": ms, "date": date}


class Merge(unittest.TestCase):
    ident = machine_file.identity(ZEN5_VM, "x86_64")
    probe1 = {"isa": "avx512", "fma_gflops": {"1": 200.0}, "triad_gbs": {"1": 30.0}}

    def test_into_a_new_file(self):
        m = machine_file.merge(None, self.ident, self.probe1,
                               {1: {"date": "d1", "results": [result("a", 1.0)]}})
        self.assertEqual(m["machine"]["family"], "26")
        self.assertEqual(m["probe"], self.probe1)
        self.assertEqual(list(m["runs"]), ["1"])
        self.assertEqual(m["runs"]["1"]["results"], [result("a", 1.0)])

    def test_by_thread_count_then_workload(self):
        old = machine_file.merge(None, self.ident, self.probe1, {
            1: {"date": "d1", "results": [result("a", 1.0), result("b", 2.0)]}})
        probe2 = {"isa": "avx512", "fma_gflops": {"2": 390.0, "10": 1900.0},
                  "triad_gbs": {"2": 40.0, "10": 90.0}}
        new = machine_file.merge(json.loads(json.dumps(old)), self.ident, probe2, {
            1: {"date": "d2", "results": [result("b", 1.5, "d2"), result("c", 3.0, "d2")]},
            10: {"date": "d2", "results": [result("a", 0.2, "d2")]},
            2: {"date": "d2", "results": [result("a", 0.6, "d2")]}})
        # Thread counts in numeric order; b replaced in place, a kept, c added.
        self.assertEqual(list(new["runs"]), ["1", "2", "10"])
        self.assertEqual(new["runs"]["1"]["results"],
                         [result("a", 1.0), result("b", 1.5, "d2"), result("c", 3.0, "d2")])
        self.assertEqual(new["runs"]["1"]["date"], "d2")
        self.assertEqual(new["runs"]["2"]["results"], [result("a", 0.6, "d2")])
        # The probe keeps the thread counts this run did not measure.
        self.assertEqual(new["probe"]["fma_gflops"], {"1": 200.0, "2": 390.0, "10": 1900.0})
        self.assertEqual(new["probe"]["triad_gbs"], {"1": 30.0, "2": 40.0, "10": 90.0})
        # The old file is not modified.
        self.assertEqual([r["workload"] for r in old["runs"]["1"]["results"]], ["a", "b"])

    def test_no_probe_keeps_the_old_one(self):
        old = machine_file.merge(None, self.ident, self.probe1, {})
        self.assertEqual(machine_file.merge(old, self.ident, None, {})["probe"], self.probe1)

    def test_refuses_another_machine(self):
        old = machine_file.merge(None, machine_file.identity(ZEN3, "x86_64"), None, {})
        with self.assertRaisesRegex(ValueError, "another machine"):
            machine_file.merge(old, self.ident, None, {})


class RunHelpers(unittest.TestCase):
    def test_thread_counts(self):
        self.assertEqual(run.thread_counts("2,1,2"), [1, 2])
        self.assertEqual(run.thread_counts("1"), [1])
        for bad in ("", "0", "1,x", "-1"):
            with self.assertRaises(Exception, msg=bad):
                run.thread_counts(bad)

    def test_fastest_of_keeps_each_systems_faster_median(self):
        def kernel(name, axon, torch):
            return run.row(name, "kernel", axon_ms=axon, axon_gflops=axon and 1 / axon,
                           torch_ms=torch, torch_gflops=torch and 1 / torch,
                           axon_status="ok" if axon else "failed",
                           torch_status="ok" if torch else "failed")
        rows = [kernel("a", 2.0, 1.0), kernel("b", 1.0, 4.0), kernel("c", None, 3.0)]
        again = [kernel("a", 1.0, 2.0), kernel("b", 3.0, 2.0), kernel("c", 5.0, None),
                 kernel("d", 1.0, 1.0)]
        rows = run.fastest_of(rows, again)
        self.assertEqual([(r["axon_ms"], r["torch_ms"]) for r in rows],
                         [(1.0, 1.0), (1.0, 2.0), (5.0, 3.0)])
        self.assertEqual([r["ratio_time"] for r in rows], [1.0, 0.5, 5.0 / 3.0])
        self.assertEqual(rows[0]["axon_gflops"], 1.0)
        self.assertEqual(rows[2]["axon_status"], "ok")
        self.assertEqual(rows[2]["torch_status"], "ok")

    def test_last_epoch_record(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "m.jsonl"
            log.write_text('{"kind":"step","loss":2.0}\n'
                           '{"kind":"epoch","epoch":1,"eval_metric":0.5}\n'
                           '{"kind":"step","loss":1.0}\n'
                           '{"kind":"epoch","epoch":2,"eval_metric":0.75}\n'
                           '{"kind":"step","loss":0.5}\n')
            self.assertEqual(run.last_epoch(log)["eval_metric"], 0.75)
            log.write_text('{"kind":"step","loss":2.0}\n')
            self.assertIsNone(run.last_epoch(log))
            self.assertIsNone(run.last_epoch(Path(tmp) / "missing.jsonl"))


if __name__ == "__main__":
    unittest.main()
