#include "runtime/core/CpuTarget.h"

#include <algorithm>
#include <sstream>

namespace axon {
namespace {

/// One Halide x86 feature level: the Halide feature names it adds to the
/// target string, and the CPU features code compiled at that level may use
/// (what Halide's -mcpu for it switches on in LLVM, beyond the levels
/// below it). Instructions LLVM only emits for intrinsics (AES, SHA,
/// RDRAND, ...) are left out: Halide code never asks for them.
struct Level {
  const char *name;
  std::vector<const char *> halide;
  std::vector<const char *> cpu;
};

const std::vector<Level> &levels() {
  static const std::vector<Level> table = {
      // -mcpu=penryn.
      {"sse41", {"sse41"}, {"sse2", "sse3", "ssse3", "sse4.1"}},
      // -mcpu=corei7-avx (Sandy Bridge).
      {"avx", {"avx"}, {"sse4.2", "popcnt", "avx"}},
      // -mcpu=haswell, whatever the target says about fma/f16c.
      {"avx2",
       {"avx2", "fma", "f16c"},
       {"avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe"}},
      // -mcpu=skylake-avx512.
      {"avx512_skylake",
       {"avx512", "avx512_skylake"},
       {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}},
      // -mcpu=cannonlake.
      {"avx512_cannonlake",
       {"avx512_cannonlake"},
       {"avx512ifma", "avx512vbmi"}},
      // -mcpu=sapphirerapids: Ice Lake's additions, Cooper Lake's BF16,
      // AVX512-FP16 and AMX. Zen 4/5 have BF16 and VNNI but not FP16.
      {"avx512_sapphirerapids",
       {"avx512_sapphirerapids"},
       {"avx512vnni", "avx512bf16", "avx512fp16", "avxvnni", "avx512vbmi2",
        "avx512bitalg", "avx512vpopcntdq", "gfni", "vaes", "vpclmulqdq",
        "amx-tile", "amx-int8", "amx-bf16"}},
  };
  return table;
}

bool hasAll(const CpuFeatures &cpu, const std::vector<const char *> &names) {
  return std::all_of(names.begin(), names.end(),
                     [&](const char *n) { return cpu.count(n) != 0; });
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep))
    parts.push_back(part);
  return parts;
}

const char *const kAvx2Target = "x86-64-linux-sse41-avx-avx2-fma-f16c";

} // namespace

const char *const kTargetHelp =
    "host (the best this CPU runs safely; default), x86-64-avx2, "
    "x86-64-avx512, or a Halide target string";

std::string bestHalideTarget(const CpuFeatures &cpu) {
  std::string target = "x86-64-linux";
  for (const Level &level : levels()) {
    if (!hasAll(cpu, level.cpu))
      break; // Each level's -mcpu includes the ones below it.
    for (const char *f : level.halide)
      target += std::string("-") + f;
  }
  return target;
}

std::vector<std::string> featuresRequiredBy(const std::string &halideTarget) {
  std::vector<std::string> tokens = split(halideTarget, '-');
  if (tokens.size() < 2 || tokens[0] != "x86" || tokens[1] != "64")
    return {};
  auto has = [&](const char *t) {
    return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
  };
  std::set<std::string> need = {"sse2"};
  // The -mcpu: the highest level named, and every level below it.
  int top = -1;
  const std::vector<Level> &table = levels();
  for (int i = 0; i < int(table.size()); ++i)
    if (has(table[i].name))
      top = i;
  for (int i = 0; i <= top; ++i)
    need.insert(table[i].cpu.begin(), table[i].cpu.end());
  // Knights Landing's -mcpu, and features Halide adds as -mattr.
  if (has("avx512_knl") && top < 3)
    need.insert({"avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe",
                 "avx512f", "avx512cd", "avx512er", "avx512pf"});
  if (has("avx512"))
    need.insert({"avx512f", "avx512cd"});
  for (const char *f : {"fma", "fma4", "f16c"})
    if (has(f))
      need.insert(f);
  return std::vector<std::string>(need.begin(), need.end());
}

std::vector<std::string> missingFeatures(const std::string &halideTarget,
                                         const CpuFeatures &cpu) {
  std::vector<std::string> missing;
  for (const std::string &f : featuresRequiredBy(halideTarget))
    if (!cpu.count(f))
      missing.push_back(f);
  return missing;
}

bool resolveTarget(const std::string &option, const CpuFeatures &host,
                   std::string &target, std::string &error) {
  if (option.empty() || option == "host") {
    // Off x86-64, Halide's own host detection (the backend's "host").
    target = host.count("sse2") ? bestHalideTarget(host) : "host";
    return true;
  }
  if (option == "x86-64-avx2") {
    target = kAvx2Target;
    return true;
  }
  if (option == "x86-64-avx512") {
    target = std::string(kAvx2Target) + "-avx512-avx512_skylake";
    return true;
  }
  std::vector<std::string> tokens = split(option, '-');
  if (tokens.size() < 3) {
    error = "unknown target '" + option + "': use " + kTargetHelp;
    return false;
  }
  target = option;
  return true;
}

} // namespace axon
