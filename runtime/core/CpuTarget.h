// Which Halide target a CPU can run, from its feature bits.
//
// Halide 14 names x86 targets by feature levels (avx2, avx512_skylake,
// avx512_cannonlake, avx512_sapphirerapids) and passes LLVM the matching
// -mcpu (haswell, skylake-avx512, cannonlake, sapphirerapids), which
// switches on every instruction set of that processor. Its own
// get_host_target() picks a level from a few CPUID bits, and on an AMD Zen
// with AVX512-BF16 but no AVX512-FP16 it claims sapphirerapids, after which
// LLVM emits FP16 instructions the CPU does not have (SIGILL). So Axon picks
// the level itself, from the full feature set, and requires of a CPU every
// feature the level's -mcpu implies.
//
// Plain C++: features are LLVM's x86 feature names ("avx2", "avx512f",
// "avx512fp16", ...), as llvm::sys::getHostCPUFeatures reports them
// (HostCpu.h reads them on the LLVM side).
#ifndef AXON_RUNTIME_CORE_CPUTARGET_H
#define AXON_RUNTIME_CORE_CPUTARGET_H

#include <set>
#include <string>
#include <vector>

namespace axon {

/// The names of the features a CPU has.
using CpuFeatures = std::set<std::string>;

/// The best Halide target string for an x86-64 Linux CPU with `cpu`, e.g.
/// "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake-
/// avx512_cannonlake". A level is chosen only when `cpu` has every feature
/// featuresRequiredBy() lists for it.
std::string bestHalideTarget(const CpuFeatures &cpu);

/// Every CPU feature code compiled for `halideTarget` may use: the target's
/// own features and what the -mcpu Halide 14 derives from them switches on
/// (haswell: FMA, F16C, BMI1/2, LZCNT, MOVBE; sapphirerapids: AVX512-FP16,
/// AMX, ...). Sorted, without duplicates. Empty for a non-x86 target.
std::vector<std::string> featuresRequiredBy(const std::string &halideTarget);

/// The features of featuresRequiredBy(halideTarget) that `cpu` lacks.
std::vector<std::string> missingFeatures(const std::string &halideTarget,
                                         const CpuFeatures &cpu);

/// The Halide target string for a `--target` value: "host" (the best this
/// CPU runs safely), "x86-64-avx2", "x86-64-avx512" (the Skylake-X level
/// every AVX-512 CPU has), or a Halide target string passed through. False
/// with `error` set for a value that is none of these (a Halide string's
/// feature names are checked by the backend).
bool resolveTarget(const std::string &option, const CpuFeatures &host,
                   std::string &target, std::string &error);

/// Names of the short `--target` values, for help texts.
extern const char *const kTargetHelp;

} // namespace axon

#endif // AXON_RUNTIME_CORE_CPUTARGET_H
