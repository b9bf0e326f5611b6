// This machine's CPU features, as LLVM reads them from CPUID (the LLVM 19
// side; CpuTarget.h turns them into a Halide target).
#ifndef AXON_RUNTIME_CORE_HOSTCPU_H
#define AXON_RUNTIME_CORE_HOSTCPU_H

#include "runtime/core/CpuTarget.h"

#include <string>

namespace axon {

/// The features this CPU has (llvm::sys::getHostCPUFeatures, the entries
/// that are true). Empty off x86-64.
CpuFeatures hostCpuFeatures();

/// The Halide target for a `--target` value on this machine (see
/// resolveTarget); false with `error` set for an unknown value.
bool hostTarget(const std::string &option, std::string &target,
                std::string &error);

/// An error text when code compiled for `halideTarget` would use features
/// this CPU lacks ("" when it runs here): the missing features, and the
/// --target to compile with instead.
std::string checkTargetRunsHere(const std::string &halideTarget);

} // namespace axon

#endif // AXON_RUNTIME_CORE_HOSTCPU_H
