// Target selection from CPU feature bits (runtime/core/CpuTarget.h), on feature
// sets recorded from real CPUs by llvm::sys::getHostCPUFeatures.
#include "runtime/core/CpuTarget.h"
#include "runtime/core/HostCpu.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace axon;

namespace {

CpuFeatures features(const std::string &spaceSeparated) {
  CpuFeatures f;
  std::istringstream in(spaceSeparated);
  std::string name;
  while (in >> name)
    f.insert(name);
  return f;
}

// Common to every x86-64 CPU since Haswell.
const char *kHaswell =
    "64bit cmov cx8 cx16 fxsr mmx sse sse2 sse3 ssse3 sse4.1 sse4.2 popcnt "
    "sahf xsave xsaveopt pclmul aes avx avx2 fma f16c bmi bmi2 lzcnt movbe "
    "rdrnd fsgsbase invpcid ";
const char *kSandyBridge = "64bit cmov cx8 cx16 fxsr mmx sse sse2 sse3 ssse3 "
                           "sse4.1 sse4.2 popcnt sahf xsave pclmul aes avx ";
// AMD Zen 3 (EPYC 7003): AVX2, no AVX-512.
std::string zen3() {
  return std::string(kHaswell) +
         "adx clflushopt clwb clzero rdpid rdseed sha sse4a vaes vpclmulqdq "
         "xsavec xsaves prfchw";
}
// AMD Zen 4 (EPYC 9004), as read on this project's machines: AVX-512 with
// BF16 and VNNI but no FP16 and no AVX-VNNI.
std::string zen4() {
  return zen3() +
         " avx512f avx512cd avx512bw avx512dq avx512vl avx512ifma avx512vbmi "
         "avx512vbmi2 avx512bitalg avx512vpopcntdq avx512vnni avx512bf16 gfni "
         "evex512 shstk";
}
// AMD Zen 5: adds AVX-VNNI and VP2INTERSECT; still no AVX512-FP16.
std::string zen5() {
  return zen4() + " avxvnni avx512vp2intersect movdiri movdir64b";
}
// Intel Skylake-X (Xeon Scalable 1st gen).
std::string skylakeX() {
  return std::string(kHaswell) +
         "adx clflushopt clwb rdseed prfchw xsavec xsaves pku avx512f "
         "avx512cd avx512bw avx512dq avx512vl evex512";
}
// Intel Sapphire Rapids: everything above plus FP16 and AMX.
std::string sapphireRapids() {
  return skylakeX() +
         " avx512ifma avx512vbmi avx512vbmi2 avx512bitalg avx512vpopcntdq "
         "avx512vnni avx512bf16 avx512fp16 avxvnni gfni vaes vpclmulqdq sha "
         "amx-tile amx-int8 amx-bf16 serialize tsxldtrk enqcmd uintr "
         "movdiri movdir64b cldemote waitpkg";
}

const std::string kAvx2 = "x86-64-linux-sse41-avx-avx2-fma-f16c";
const std::string kSkylake = kAvx2 + "-avx512-avx512_skylake";
const std::string kCannonlake = kSkylake + "-avx512_cannonlake";
const std::string kSapphireRapids = kCannonlake + "-avx512_sapphirerapids";
// What Halide 14's get_host_target() says on Zen 4 and Zen 5.
const std::string kHalideOnZen4 =
    "x86-64-linux-avx-avx2-avx512-avx512_cannonlake-avx512_sapphirerapids-"
    "avx512_skylake-f16c-fma-sse41";

} // namespace

TEST(CpuTargetTest, PicksTheBestLevelEachRecordedCpuHas) {
  EXPECT_EQ(bestHalideTarget(features(zen3())), kAvx2);
  EXPECT_EQ(bestHalideTarget(features(kHaswell)), kAvx2);
  EXPECT_EQ(bestHalideTarget(features(skylakeX())), kSkylake);
  EXPECT_EQ(bestHalideTarget(features(zen4())), kCannonlake);
  EXPECT_EQ(bestHalideTarget(features(zen5())), kCannonlake);
  EXPECT_EQ(bestHalideTarget(features(sapphireRapids())), kSapphireRapids);
  EXPECT_EQ(bestHalideTarget(features(kSandyBridge)),
            "x86-64-linux-sse41-avx");
  EXPECT_EQ(bestHalideTarget(features("64bit sse sse2")), "x86-64-linux");
}

TEST(CpuTargetTest, NeverClaimsSapphireRapidsWithoutFp16) {
  // Zen 5 has every feature Halide's detection looks at for the level.
  CpuFeatures f = features(zen5());
  EXPECT_EQ(bestHalideTarget(f).find("sapphirerapids"), std::string::npos);
  f.insert("avx512fp16"); // ... but not AMX: still not the level.
  EXPECT_EQ(bestHalideTarget(f).find("sapphirerapids"), std::string::npos);
}

TEST(CpuTargetTest, AvxLevelNeedsWhatHaswellMcpuImplies) {
  // AVX2 masked by a hypervisor that hides BMI2 (seen in VMs): -mcpu=haswell
  // would emit BMI2's shlx/sarx, so stay at the AVX level.
  CpuFeatures f = features(kHaswell);
  f.erase("bmi2");
  EXPECT_EQ(bestHalideTarget(f), "x86-64-linux-sse41-avx");
  f = features(kHaswell);
  f.erase("fma");
  EXPECT_EQ(bestHalideTarget(f), "x86-64-linux-sse41-avx");
}

TEST(CpuTargetTest, RequiredFeaturesFollowTheMcpu) {
  std::vector<std::string> avx2 = featuresRequiredBy(kAvx2);
  for (const char *f : {"avx2", "fma", "f16c", "bmi2", "lzcnt", "movbe"})
    EXPECT_NE(std::find(avx2.begin(), avx2.end(), f), avx2.end()) << f;
  EXPECT_EQ(std::find(avx2.begin(), avx2.end(), "avx512f"), avx2.end());
  // A target string that names avx2 alone still gets -mcpu=haswell.
  EXPECT_EQ(featuresRequiredBy("x86-64-linux-avx2"), avx2);
  std::vector<std::string> spr = featuresRequiredBy(kSapphireRapids);
  for (const char *f : {"avx512fp16", "amx-tile", "avx512bf16", "avxvnni"})
    EXPECT_NE(std::find(spr.begin(), spr.end(), f), spr.end()) << f;
  EXPECT_TRUE(featuresRequiredBy("arm-64-linux-arm_dot_prod").empty());
}

TEST(CpuTargetTest, MissingFeaturesNameWhatTheCpuLacks) {
  EXPECT_TRUE(missingFeatures(kCannonlake, features(zen4())).empty());
  std::vector<std::string> missing =
      missingFeatures(kHalideOnZen4, features(zen4()));
  EXPECT_NE(std::find(missing.begin(), missing.end(), "avx512fp16"),
            missing.end());
  EXPECT_NE(std::find(missing.begin(), missing.end(), "amx-tile"),
            missing.end());
  missing = missingFeatures(kSkylake, features(zen3()));
  EXPECT_EQ(missing, (std::vector<std::string>{"avx512bw", "avx512cd",
                                               "avx512dq", "avx512f",
                                               "avx512vl"}));
  EXPECT_TRUE(missingFeatures(kAvx2, features(zen3())).empty());
}

TEST(CpuTargetTest, ResolvesTargetOptions) {
  std::string target, error;
  ASSERT_TRUE(resolveTarget("host", features(zen4()), target, error));
  EXPECT_EQ(target, kCannonlake);
  ASSERT_TRUE(resolveTarget("", features(zen3()), target, error));
  EXPECT_EQ(target, kAvx2);
  ASSERT_TRUE(resolveTarget("x86-64-avx2", features(zen4()), target, error));
  EXPECT_EQ(target, kAvx2);
  ASSERT_TRUE(resolveTarget("x86-64-avx512", features(zen3()), target, error));
  EXPECT_EQ(target, kSkylake);
  ASSERT_TRUE(resolveTarget(kSapphireRapids, features(zen3()), target, error));
  EXPECT_EQ(target, kSapphireRapids);
  // Off x86-64 the host detection is Halide's.
  ASSERT_TRUE(resolveTarget("host", CpuFeatures{}, target, error));
  EXPECT_EQ(target, "host");
  EXPECT_FALSE(resolveTarget("avx512", features(zen4()), target, error));
  EXPECT_NE(error.find("x86-64-avx2"), std::string::npos);
}

TEST(CpuTargetTest, ThisMachineRunsItsOwnHostTarget) {
  std::string target, error;
  ASSERT_TRUE(hostTarget("host", target, error)) << error;
  EXPECT_EQ(checkTargetRunsHere(target), "");
  // No CPU has Knights Landing's AVX512-ER any more.
  std::string knl = "x86-64-linux-sse41-avx-avx2-avx512-avx512_knl";
  if (!hostCpuFeatures().empty() && !hostCpuFeatures().count("avx512er")) {
    std::string message = checkTargetRunsHere(knl);
    EXPECT_NE(message.find("avx512er"), std::string::npos) << message;
    EXPECT_NE(message.find("--target=host"), std::string::npos) << message;
  }
}
