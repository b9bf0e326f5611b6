#include "runtime/core/HostCpu.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

namespace axon {

CpuFeatures hostCpuFeatures() {
  CpuFeatures features;
  if (llvm::Triple(llvm::sys::getProcessTriple()).getArch() !=
      llvm::Triple::x86_64)
    return features;
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    if (f.getValue())
      features.insert(f.getKey().str());
  return features;
}

bool hostTarget(const std::string &option, std::string &target,
                std::string &error) {
  return resolveTarget(option, hostCpuFeatures(), target, error);
}

std::string checkTargetRunsHere(const std::string &halideTarget) {
  CpuFeatures host = hostCpuFeatures();
  if (host.empty())
    return ""; // Not x86-64: nothing we know how to check.
  std::vector<std::string> missing = missingFeatures(halideTarget, host);
  if (missing.empty())
    return "";
  std::string list;
  for (const std::string &f : missing)
    list += (list.empty() ? "" : ", ") + f;
  return "target " + halideTarget +
         " needs CPU features this machine lacks: " + list +
         "; use --target=host (here: " + bestHalideTarget(host) + ")";
}

} // namespace axon
