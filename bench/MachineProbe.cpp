// axon-bench-machine: measures what this machine can do at most, for the
// roofline of bench/run.py: the fp32 FMA peak (independent FMA chains in
// the widest vector registers the CPU has, as CPUID and the OS report them
// through LLVM) and the memory bandwidth (STREAM's copy and triad over
// arrays much larger than the last-level cache), at each thread count.
//
//   axon-bench-machine [--threads 1,2] [--isa avx512|avx2|sse2] [--json FILE]
//
// --isa measures a narrower ISA than the widest (the peak of kernels
// compiled for an AVX2 target on an AVX-512 machine).
// Peaks are the best of several runs (as STREAM reports): the question is
// what the hardware allows, not what a typical run gets.
#include "runtime/core/HostCpu.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Runs fn(t) on `threads` threads at once; returns the wall time in seconds
/// from the start of the first to the end of the last.
template <typename Fn> double runThreads(int threads, Fn fn) {
  std::vector<std::thread> team;
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t)
    team.emplace_back(fn, t);
  for (std::thread &th : team)
    th.join();
  return secondsSince(start);
}

//===----------------------------------------------------------------------===//
// FMA peak
//===----------------------------------------------------------------------===//

/// One way of issuing FMAs: the ISA's name, its vector width in floats, how
/// many independent chains it keeps in flight (enough to cover the FMA
/// latency on every unit: latency 4-5 x 2 units), and the loop itself,
/// which returns a sum of the accumulators so that nothing is optimised away.
struct FmaKernel {
  const char *isa;
  int lanes, chains;
  float (*run)(int64_t iterations);
};

// acc = acc * m + a converges to a / (1 - m) = 1: no overflow, no
// denormals, whatever the iteration count. The inner loop is unrolled so
// that the accumulators live in registers (16 of AVX-512's 32, 12 of AVX2's
// 16, with m and a in two more).
#define AXON_FMA_LOOP(V, CHAINS, SET1, FMA, ADD, STORE)                        \
  V acc[CHAINS];                                                               \
  for (int j = 0; j < CHAINS; ++j)                                             \
    acc[j] = SET1(float(j) * 1e-3f);                                           \
  const V m = SET1(0.999999f), a = SET1(1e-6f);                                \
  for (int64_t i = 0; i < iterations; ++i) {                                   \
    _Pragma("GCC unroll 16") for (int j = 0; j < CHAINS; ++j) acc[j] =         \
        FMA(acc[j], m, a);                                                     \
  }                                                                            \
  V sum = acc[0];                                                              \
  for (int j = 1; j < CHAINS; ++j)                                             \
    sum = ADD(sum, acc[j]);                                                    \
  float lanes[sizeof(V) / sizeof(float)];                                      \
  STORE(lanes, sum);                                                           \
  return lanes[0];

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float fmaAvx512(int64_t iterations) {
  AXON_FMA_LOOP(__m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
                _mm512_storeu_ps)
}

__attribute__((target("avx2,fma"))) float fmaAvx2(int64_t iterations) {
  AXON_FMA_LOOP(__m256, 12, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
                _mm256_storeu_ps)
}

// No FMA unit: a multiply and an add per lane (two FLOPs, as an FMA).
inline __m128 mulAdd(__m128 x, __m128 m, __m128 a) {
  return _mm_add_ps(_mm_mul_ps(x, m), a);
}
float mulAddSse2(int64_t iterations) {
  AXON_FMA_LOOP(__m128, 12, _mm_set1_ps, mulAdd, _mm_add_ps, _mm_storeu_ps)
}
#endif

/// The widest kernel this CPU runs, from LLVM's reading of CPUID and XCR0
/// (a feature the OS does not save the registers of is not reported), or
/// the one `isa` names if the CPU runs it. False with `error` set otherwise.
bool pickFmaKernel(const std::string &isa, FmaKernel &kernel, std::string &error) {
#if defined(__x86_64__)
  axon::CpuFeatures cpu = axon::hostCpuFeatures();
  std::vector<FmaKernel> runnable;
  if (cpu.count("avx512f"))
    runnable.push_back({"avx512", 16, 16, fmaAvx512});
  if (cpu.count("avx2") && cpu.count("fma"))
    runnable.push_back({"avx2", 8, 12, fmaAvx2});
  runnable.push_back({"sse2", 4, 12, mulAddSse2});
  for (const FmaKernel &k : runnable)
    if (isa.empty() || isa == k.isa) {
      kernel = k;
      return true;
    }
  error = "this CPU does not run '" + isa + "' (it runs:";
  for (const FmaKernel &k : runnable)
    error += std::string(" ") + k.isa;
  error += ")";
  return false;
#else
  (void)isa, (void)kernel;
  error = "no FMA probe for this architecture";
  return false;
#endif
}

/// GFLOP/s of `threads` threads, each running the kernel (2 FLOPs per lane
/// per FMA), best of 5 runs of about 0.1 s.
double fmaPeak(const FmaKernel &k, int threads) {
  // Calibrate on one thread: iterations for about 0.1 s.
  int64_t iterations = 1 << 16;
  for (;;) {
    auto start = Clock::now();
    volatile float sink = k.run(iterations);
    (void)sink;
    if (secondsSince(start) > 0.02 || iterations > (int64_t(1) << 34))
      break;
    iterations *= 4;
  }
  iterations *= 5;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<float> sinks(threads);
    double s = runThreads(threads, [&](int t) { sinks[t] = k.run(iterations); });
    double flops = 2.0 * k.lanes * k.chains * double(iterations) * threads;
    best = std::max(best, flops / s * 1e-9);
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Memory bandwidth
//===----------------------------------------------------------------------===//

int64_t lastLevelCacheBytes() {
  for (int name : {_SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    long v = sysconf(name);
    if (v > 0)
      return v;
  }
  return 32 << 20; // unknown: a large L3
}

struct Bandwidth {
  double copyGBs, triadGBs;
};

/// STREAM's three arrays, first-touched in `threads` slices (the most
/// threads measured) so that their pages are spread as the threads are.
struct StreamArrays {
  int64_t elems;
  std::unique_ptr<float[]> a, b, c;
  StreamArrays(int64_t elems, int threads)
      : elems(elems), a(new float[elems]), b(new float[elems]),
        c(new float[elems]) {
    runThreads(threads, [&](int t) {
      auto [lo, hi] = slice(t, threads);
      for (int64_t i = lo; i < hi; ++i)
        a[i] = 1.0f, b[i] = 2.0f, c[i] = 0.5f;
    });
  }
  std::pair<int64_t, int64_t> slice(int t, int threads) const {
    int64_t per = (elems + threads - 1) / threads;
    return {std::min(elems, t * per), std::min(elems, (t + 1) * per)};
  }
};

/// STREAM's copy (c = a: 2 arrays of traffic) and triad (a = b + s c: 3),
/// counted as STREAM counts them (no write-allocate traffic); each thread
/// streams its own slice. Best of 5 passes each.
Bandwidth streamBandwidth(StreamArrays &s, int threads) {
  const double bytes = double(s.elems) * sizeof(float);
  Bandwidth best{0, 0};
  for (int rep = 0; rep < 5; ++rep) {
    double sec = runThreads(threads, [&](int t) {
      auto [lo, hi] = s.slice(t, threads);
      float *__restrict c = s.c.get();
      const float *__restrict a = s.a.get();
      for (int64_t i = lo; i < hi; ++i)
        c[i] = a[i];
    });
    best.copyGBs = std::max(best.copyGBs, 2 * bytes / sec * 1e-9);
    sec = runThreads(threads, [&](int t) {
      auto [lo, hi] = s.slice(t, threads);
      float *__restrict a = s.a.get();
      const float *__restrict b = s.b.get(), *__restrict c = s.c.get();
      for (int64_t i = lo; i < hi; ++i)
        a[i] = b[i] + 0.5f * c[i];
    });
    best.triadGBs = std::max(best.triadGBs, 3 * bytes / sec * 1e-9);
  }
  return best;
}

std::vector<int> parseThreads(const std::string &list) {
  std::vector<int> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char *end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 1 || v > 1024)
      return {};
    out.push_back(int(v));
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<int> threads = {1};
  std::string jsonPath, isa;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = parseThreads(argv[++i]);
      if (threads.empty()) {
        std::fprintf(stderr, "--threads takes a list of counts, e.g. 1,2\n");
        return 2;
      }
    } else if (arg == "--json" && i + 1 < argc) {
      jsonPath = argv[++i];
    } else if (arg == "--isa" && i + 1 < argc) {
      isa = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--threads 1,2] [--isa avx512|avx2|sse2] [--json FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  std::sort(threads.begin(), threads.end());
  threads.erase(std::unique(threads.begin(), threads.end()), threads.end());

  FmaKernel kernel;
  std::string error;
  if (!pickFmaKernel(isa, kernel, error)) {
    std::fprintf(stderr, "axon-bench-machine: %s\n", error.c_str());
    return 1;
  }
  // Arrays of 4x the last-level cache (so that at most a quarter of a pass
  // can hit it), at least 64 MiB, at most 512 MiB or a twelfth of the memory
  // (a VM may report the whole socket's L3, of which it sees a slice).
  const int64_t llc = lastLevelCacheBytes();
  const int64_t physical = int64_t(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  int64_t arrayBytes = std::max<int64_t>(4 * llc, int64_t(64) << 20);
  arrayBytes = std::min<int64_t>({arrayBytes, int64_t(512) << 20,
                                  physical > 0 ? physical / 12 : int64_t(512) << 20});
  StreamArrays arrays(arrayBytes / int64_t(sizeof(float)), threads.back());

  std::ostringstream fma, copy, triad;
  std::printf("fp32 FMA: %s, %d chains of %d lanes; arrays 3 x %lld MiB "
              "(last-level cache %lld MiB)\n",
              kernel.isa, kernel.chains, kernel.lanes,
              (long long)(arrayBytes >> 20), (long long)(llc >> 20));
  for (size_t i = 0; i < threads.size(); ++i) {
    int t = threads[i];
    double peak = fmaPeak(kernel, t);
    Bandwidth bw = streamBandwidth(arrays, t);
    std::printf("threads %d: FMA peak %.1f GFLOP/s, copy %.1f GB/s, triad %.1f GB/s\n",
                t, peak, bw.copyGBs, bw.triadGBs);
    const char *sep = i ? ", " : "";
    fma << sep << "\"" << t << "\": " << peak;
    copy << sep << "\"" << t << "\": " << bw.copyGBs;
    triad << sep << "\"" << t << "\": " << bw.triadGBs;
  }
  if (!jsonPath.empty()) {
    std::ofstream os(jsonPath);
    os << "{\"isa\": \"" << kernel.isa << "\", \"fma_lanes\": " << kernel.lanes
       << ", \"fma_chains\": " << kernel.chains
       << ", \"array_mib\": " << (arrayBytes >> 20)
       << ", \"last_level_cache_mib\": " << (llc >> 20)
       << ", \"fma_gflops\": {" << fma.str() << "}, \"copy_gbs\": {" << copy.str()
       << "}, \"triad_gbs\": {" << triad.str() << "}}\n";
    if (!os) {
      std::fprintf(stderr, "axon-bench-machine: cannot write %s\n", jsonPath.c_str());
      return 1;
    }
  }
  return 0;
}
