// axon-bench-kernels: times the JIT-compiled Halide contractions of
// backends/halide/Contraction.h (matmul at 256^3, 512^3, 1024^3 and the two
// conv2d layers of examples/cnn at batch 64) and prints one line per
// workload with the median time and GFLOP/s. `--check` instead compares the
// kernels against naive loops on odd shapes and exits non-zero on a mismatch.
//
//   axon-bench-kernels [--check] [--json FILE] [--filter SUBSTRING]
//                      [--min-time SECONDS] [--matmul M,N,K[,etb]]...
//                      [--best] [--asm FILE(.s|.stmt)] [--target T]
//
// --matmul replaces the default matmuls (flags: e = bias + relu epilogue,
// t = A read through a transpose, b = B read through one); --best reports
// the fastest run instead of the median (steadier for comparing schedules
// on a noisy machine);
// --asm writes the first --matmul's assembly (or lowered Halide IR with a
// .stmt name) instead of timing, or without --matmul the first conv row's
// that --filter selects. The target is --target (axonc's values: host,
// x86-64-avx2, x86-64-avx512 or a Halide target string; e.g. x86-64-avx2
// on an AVX-512 machine times the kernels an AVX2-only CPU would run), else
// HL_JIT_TARGET, else the best this CPU runs (runtime/core/CpuTarget: never
// Halide 14's get_host_target, which claims avx512_sapphirerapids on AMD
// Zen 4/5). A target that needs features this CPU lacks is refused (exit 2)
// rather than dying of SIGILL. Halide's thread pool size is HL_NUM_THREADS.
#include "backends/halide/Contraction.h"
#include "backends/halide/NaiveContraction.h"
#include "runtime/core/HostCpu.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace Halide;
using axon::halide::Conv2DGeometry;
using axon::halide::ConvRole;
using axon::halide::convRoleGeometry;
using axon::halide::elementAt;
using axon::halide::naiveConv2DAt;
using axon::halide::naiveMatmulAt;

namespace {

int i32(int64_t v) { return static_cast<int>(v); }

template <typename T>
void fillRandom(Buffer<T> &buf, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  buf.for_each_value([&](T &v) { v = T(dist(rng)); });
}

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

/// Shapes of one matmul case: [batch.., M, K] x [batch.., K, N].
struct MatmulCase {
  int64_t M, N, K;
  int batchRank = 0;
  int64_t batch = 1; ///< Extent of each batch dim.
  bool epilogue = false; ///< out = max(mm + bias(n), 0)
  bool transposeA = false; ///< a(k, m) = At(m, k), At an input [K, M].
  bool transposeB = false; ///< b(n, k) = Bt(k, n), Bt an input [N, K].
  Type type = Float(32);
};

struct MatmulPipeline {
  ImageParam A, B, bias;
  Func out;
  Pipeline pipeline;
};

MatmulPipeline buildMatmul(const MatmulCase &c, const Target &target) {
  const int dims = 2 + c.batchRank;
  MatmulPipeline p{ImageParam(c.type, dims, "A"), ImageParam(c.type, dims, "B"),
                   ImageParam(c.type, 1, "bias"), Func(), Pipeline()};
  std::vector<Var> v;
  for (int i = 0; i < dims; ++i)
    v.push_back(Var("v" + std::to_string(i)));
  std::vector<Expr> sw(v.begin(), v.end());
  std::swap(sw[0], sw[1]);
  Func a("a"), b("b");
  if (c.transposeA)
    a(v) = p.A(sw); // A is stored [.., K, M]
  else
    a(v) = p.A(v);
  if (c.transposeB)
    b(v) = p.B(sw); // B is stored [.., N, K]
  else
    b(v) = p.B(v);
  Func mm = axon::halide::defineMatmul(a, b, c.M, c.N, c.K, c.batchRank, c.type, "mm");
  Func out = mm;
  if (c.epilogue) {
    out = Func("out");
    out(v) = max(mm(v) + p.bias(v[0]), cast(c.type, 0));
  }
  axon::halide::scheduleMatmul(mm, out, a, b, c.M, c.N, c.K, c.batchRank, target);

  // Static shapes, dense row-major strides, as the kernel lowering sets them.
  auto setDense = [&](OutputImageParam img, std::vector<int64_t> ext) {
    int64_t stride = 1;
    for (size_t i = 0; i < ext.size(); ++i) {
      img.dim(int(i)).set_bounds(0, int(ext[i])).set_stride(int(stride));
      stride *= ext[i];
    }
  };
  std::vector<int64_t> batchExt(c.batchRank, c.batch);
  auto with = [&](std::vector<int64_t> e) {
    e.insert(e.end(), batchExt.begin(), batchExt.end());
    return e;
  };
  setDense(p.A, c.transposeA ? with({c.M, c.K}) : with({c.K, c.M}));
  setDense(p.B, c.transposeB ? with({c.K, c.N}) : with({c.N, c.K}));
  if (c.epilogue)
    setDense(p.bias, {c.N});
  setDense(out.output_buffer(), with({c.N, c.M}));
  p.out = out;
  p.pipeline = Pipeline(out);
  p.pipeline.compile_jit(target);
  return p;
}

struct ConvPipeline {
  ImageParam input, filter;
  Func out;
  Pipeline pipeline;
  std::vector<int> inExt, wExt; ///< Extents of the two inputs' buffers.
};

/// `role`'s conv2d, `g` as convRoleGeometry gives it: the ImageParams are
/// the tensors the role reads (NaiveContraction.h).
ConvPipeline buildConv(const Conv2DGeometry &g, const Target &target,
                       bool epilogue = false, ImageParam *bias = nullptr,
                       ConvRole role = ConvRole::Forward) {
  ConvPipeline p{ImageParam(Float(32), 4, "input"), ImageParam(Float(32), 4, "filter"),
                 Func(), Pipeline(), {}, {}};
  Var x, y, c, n;
  Func in("in"), w("w");
  axon::halide::defineConvRoleOperands(role, g, p.input, p.filter, in, w, p.inExt, p.wExt);
  Func conv = axon::halide::defineConv2D(in, w, g, Float(32), "conv");
  Func out = conv;
  if (epilogue) {
    out = Func("out");
    out(x, y, c, n) = max(conv(x, y, c, n) + (*bias)(c), 0.0f);
  }
  axon::halide::scheduleConv2D(conv, out, in, w, g, target);
  auto setDense = [&](OutputImageParam img, std::vector<int64_t> ext) {
    int64_t stride = 1;
    for (size_t i = 0; i < ext.size(); ++i) {
      img.dim(int(i)).set_bounds(0, int(ext[i])).set_stride(int(stride));
      stride *= ext[i];
    }
  };
  setDense(p.input, std::vector<int64_t>(p.inExt.begin(), p.inExt.end()));
  setDense(p.filter, std::vector<int64_t>(p.wExt.begin(), p.wExt.end()));
  setDense(out.output_buffer(), {g.ow, g.oh, g.o, g.n});
  p.out = out;
  p.pipeline = Pipeline(out);
  p.pipeline.compile_jit(target);
  return p;
}

Conv2DGeometry makeConv(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                        int64_t k, int64_t stride = 1, int64_t pad = 0,
                        int64_t dil = 1, int64_t groups = 1) {
  Conv2DGeometry g;
  g.n = n, g.c = c, g.h = h, g.w = w, g.o = o, g.kh = k, g.kw = k;
  g.strideH = g.strideW = stride;
  g.padH = g.padW = pad;
  g.dilationH = g.dilationW = dil;
  g.groups = groups;
  g.oh = (h + 2 * pad - dil * (k - 1) - 1) / stride + 1;
  g.ow = (w + 2 * pad - dil * (k - 1) - 1) / stride + 1;
  return g;
}

//===----------------------------------------------------------------------===//
// Benchmarks
//===----------------------------------------------------------------------===//

struct Result {
  std::string name;
  double ms, gflops;
};

bool useMin = false; ///< --best: report the fastest run instead of the median.

double medianMs(const std::function<void()> &fn, double minSeconds) {
  fn(); // warm up (and first-touch the output)
  fn();
  std::vector<double> times;
  auto start = std::chrono::steady_clock::now();
  while (times.size() < 5 ||
         (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
              minSeconds &&
          times.size() < 1000)) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  return useMin ? times.front() : times[times.size() / 2];
}

/// `c.epilogue` adds bias + relu; `c.transposeA` / `c.transposeB` read A /
/// B through a transpose.
std::string matmulName(const MatmulCase &c) {
  return "matmul_" + std::to_string(c.M) + "x" + std::to_string(c.N) + "x" +
         std::to_string(c.K) + (c.transposeA ? "_At" : "") + (c.transposeB ? "_Bt" : "") +
         (c.epilogue ? "_bias_relu" : "");
}

Result benchMatmul(const MatmulCase &c, const Target &target, double minSeconds) {
  MatmulPipeline p = buildMatmul(c, target);
  Buffer<float> A = c.transposeA ? Buffer<float>(i32(c.M), i32(c.K)) : Buffer<float>(i32(c.K), i32(c.M));
  Buffer<float> B = c.transposeB ? Buffer<float>(i32(c.K), i32(c.N))
                                  : Buffer<float>(i32(c.N), i32(c.K));
  Buffer<float> C(i32(c.N), i32(c.M)), bias(i32(c.N));
  fillRandom(A, 1);
  fillRandom(B, 2);
  fillRandom(bias, 3);
  p.A.set(A);
  p.B.set(B);
  if (c.epilogue)
    p.bias.set(bias);
  double ms = medianMs([&] { p.pipeline.realize(C); }, minSeconds);
  return {matmulName(c), ms, 2.0 * c.M * c.N * c.K / (ms * 1e6)};
}

/// Times `role` of the forward layer `f`; GFLOP/s counts the layer's
/// multiply-adds (2 N O OH OW C/groups KH KW), not the padded zeros a
/// gradient's formulation may add.
Result benchConv(const std::string &name, const Conv2DGeometry &f, ConvRole role,
                 const Target &target, double minSeconds) {
  Conv2DGeometry g = convRoleGeometry(f, role);
  ConvPipeline p = buildConv(g, target, false, nullptr, role);
  Buffer<float> in(p.inExt), w(p.wExt);
  Buffer<float> out(i32(g.ow), i32(g.oh), i32(g.o), i32(g.n));
  fillRandom(in, 3);
  fillRandom(w, 4);
  p.input.set(in);
  p.filter.set(w);
  double ms = medianMs([&] { p.pipeline.realize(out); }, minSeconds);
  double flops = 2.0 * f.n * f.o * f.oh * f.ow * (f.c / f.groups) * f.kh * f.kw;
  return {name, ms, flops / (ms * 1e6)};
}

//===----------------------------------------------------------------------===//
// --check
//===----------------------------------------------------------------------===//

template <typename T>
bool checkMatmul(const MatmulCase &c, const Target &target) {
  MatmulPipeline p = buildMatmul(c, target);
  int64_t nb = 1;
  for (int i = 0; i < c.batchRank; ++i)
    nb *= c.batch;
  auto mk = [&](int64_t d0, int64_t d1) {
    std::vector<int> sizes = {i32(d0), i32(d1)};
    sizes.resize(2 + c.batchRank, i32(c.batch));
    return Buffer<T>(sizes);
  };
  Buffer<T> A = c.transposeA ? mk(c.M, c.K) : mk(c.K, c.M);
  Buffer<T> B = mk(c.N, c.K), C = mk(c.N, c.M), bias(i32(c.N));
  fillRandom(A, 11);
  fillRandom(B, 12);
  fillRandom(bias, 13);
  p.A.set(A);
  p.B.set(B);
  if (c.epilogue)
    p.bias.set(bias);
  p.pipeline.realize(C);
  double maxErr = 0;
  for (int64_t bi = 0; bi < nb; ++bi)
    for (int64_t m = 0; m < c.M; ++m)
      for (int64_t n = 0; n < c.N; ++n) {
        double sum = naiveMatmulAt(A, B, c.transposeA, c.K, m, n, bi);
        if (c.epilogue)
          sum = std::max(sum + double(bias(int(n))), 0.0);
        double err = std::abs(sum - elementAt(C, n, m, bi)) / (1.0 + std::abs(sum));
        maxErr = std::max(maxErr, err);
      }
  const double tol = sizeof(T) == 8 ? 1e-12 : 1e-4;
  bool ok = maxErr <= tol;
  std::printf("%s matmul M=%lld N=%lld K=%lld batchRank=%d%s%s %s: max rel err %.3g\n",
              ok ? "ok  " : "FAIL", (long long)c.M, (long long)c.N, (long long)c.K,
              c.batchRank, c.epilogue ? " +epilogue" : "", c.transposeA ? " A^T" : "",
              sizeof(T) == 8 ? "f64" : "f32", maxErr);
  return ok;
}

/// `role` of the forward layer `f` (f itself for Forward) against the naive
/// loops over the flipped or transposed operands.
bool checkConv(const Conv2DGeometry &f, bool epilogue, const Target &target,
               ConvRole role = ConvRole::Forward) {
  const Conv2DGeometry g = convRoleGeometry(f, role);
  ImageParam biasParam(Float(32), 1, "bias");
  ConvPipeline p = buildConv(g, target, epilogue, &biasParam, role);
  if (epilogue)
    biasParam.dim(0).set_bounds(0, int(g.o));
  Buffer<float> inP(p.inExt), wP(p.wExt);
  Buffer<float> out(i32(g.ow), i32(g.oh), i32(g.o), i32(g.n)), bias(i32(g.o));
  fillRandom(inP, 21);
  fillRandom(wP, 22);
  fillRandom(bias, 23);
  p.input.set(inP);
  p.filter.set(wP);
  if (epilogue)
    biasParam.set(bias);
  p.pipeline.realize(out);
  Buffer<float> in, w;
  axon::halide::convRoleBuffers(role, g, inP, wP, in, w);
  double maxErr = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t y = 0; y < g.oh; ++y)
        for (int64_t x = 0; x < g.ow; ++x) {
          double sum = naiveConv2DAt(in, w, g, n, o, y, x);
          if (epilogue)
            sum = std::max(sum + double(bias(int(o))), 0.0);
          double err = std::abs(sum - double(out(int(x), int(y), int(o), int(n)))) /
                       (1.0 + std::abs(sum));
          maxErr = std::max(maxErr, err);
        }
  bool ok = maxErr <= 1e-4;
  const char *roleName[] = {"", " input-gradient", " filter-gradient"};
  std::printf("%s conv2d%s n=%lld c=%lld %lldx%lld o=%lld k=%lldx%lld stride=%lld pad=%lld "
              "dil=%lld groups=%lld%s: max rel err %.3g\n",
              ok ? "ok  " : "FAIL", roleName[int(role)], (long long)g.n, (long long)g.c, (long long)g.h,
              (long long)g.w, (long long)g.o, (long long)g.kh, (long long)g.kw,
              (long long)g.strideH, (long long)g.padH, (long long)g.dilationH,
              (long long)g.groups, epilogue ? " +epilogue" : "", maxErr);
  return ok;
}

int runChecks(const Target &target) {
  bool ok = true;
  const int64_t shapes[][3] = {{1, 1, 1},    {7, 33, 5},    {33, 7, 1000}, {64, 64, 64},
                               {1000, 7, 33}, {130, 257, 520}, {1, 100, 64}, {100, 1, 64},
                               {9, 50, 3000}, {17, 30, 2053}};
  for (auto &s : shapes)
    for (bool epi : {false, true}) {
      MatmulCase c{s[0], s[1], s[2]};
      c.epilogue = epi;
      ok &= checkMatmul<float>(c, target);
      c.type = Float(64);
      if (s[0] * s[1] * s[2] <= 1 << 22)
        ok &= checkMatmul<double>(c, target);
    }
  for (bool epi : {false, true}) {
    MatmulCase c{33, 40, 17, 1, 3};
    c.epilogue = epi;
    ok &= checkMatmul<float>(c, target);
    c.transposeA = true;
    ok &= checkMatmul<float>(c, target);
    MatmulCase d{7, 9, 300, 2, 2};
    d.epilogue = epi;
    d.type = Float(64);
    ok &= checkMatmul<double>(d, target);
  }
  ok &= checkConv(makeConv(3, 4, 13, 11, 6, 3, 2, 1, 2, 2), false, target);
  ok &= checkConv(makeConv(3, 4, 13, 11, 6, 3, 2, 1, 2, 2), true, target);
  ok &= checkConv(makeConv(2, 3, 9, 10, 5, 3, 1, 1, 1, 1), true, target);
  ok &= checkConv(makeConv(2, 1, 28, 28, 6, 5), true, target);
  ok &= checkConv(makeConv(2, 6, 12, 12, 16, 5), false, target);
  ok &= checkConv(makeConv(1, 2, 5, 5, 2, 5, 1, 0, 1, 2), false, target);
  ok &= checkConv(makeConv(2, 3, 7, 31, 7, 1, 3, 2, 1, 1), false, target);
  // Gradients of stride-1 layers, as autodiff forms them.
  for (ConvRole role : {ConvRole::InputGrad, ConvRole::FilterGrad}) {
    ok &= checkConv(makeConv(3, 5, 12, 12, 7, 5), false, target, role);
    ok &= checkConv(makeConv(2, 6, 9, 33, 17, 3, 1, 1), false, target, role);
    ok &= checkConv(makeConv(7, 1, 28, 28, 3, 5), false, target, role);
    ok &= checkConv(makeConv(1, 3, 7, 7, 1, 3, 1, 2), false, target, role);
  }
  // A 3x3 layer whose forward, input gradient and filter gradient take
  // Winograd F(2x2, 3x3) (Winograd.h, WinogradFilterGradient.h).
  for (ConvRole role : {ConvRole::Forward, ConvRole::InputGrad, ConvRole::FilterGrad})
    ok &= checkConv(makeConv(3, 16, 8, 16, 16, 3, 1, 1), false, target, role);
  std::printf(ok ? "all checks passed\n" : "SOME CHECKS FAILED\n");
  return ok ? 0 : 1;
}

/// --asm: `p`'s assembly, or its lowered Halide IR for a .stmt path.
void writeAsm(Pipeline p, const std::string &path, const Target &target) {
  if (path.size() > 5 && path.substr(path.size() - 5) == ".stmt")
    p.compile_to_lowered_stmt(path, p.infer_arguments(), Text, target);
  else
    p.compile_to_assembly(path, p.infer_arguments(), "kernel", target);
}

} // namespace

int main(int argc, char **argv) {
  bool check = false;
  std::string jsonPath, filter, asmPath, targetOption;
  double minSeconds = 1.0;
  std::vector<MatmulCase> matmuls;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--check")
      check = true;
    else if (arg == "--json")
      jsonPath = next();
    else if (arg == "--filter")
      filter = next();
    else if (arg == "--best")
      useMin = true;
    else if (arg == "--asm")
      asmPath = next();
    else if (arg == "--min-time")
      minSeconds = std::stod(next());
    else if (arg == "--target")
      targetOption = next();
    else if (arg == "--matmul") {
      long long m, n, k;
      char flags[8] = "";
      std::string spec = next();
      if (std::sscanf(spec.c_str(), "%lld,%lld,%lld,%7s", &m, &n, &k, flags) < 3) {
        std::fprintf(stderr, "--matmul takes M,N,K[,FLAGS] (FLAGS: e = bias+relu "
                             "epilogue, t = A read through a transpose, b = B "
                             "read through one)\n");
        return 2;
      }
      MatmulCase c{m, n, k};
      c.epilogue = std::string(flags).find('e') != std::string::npos;
      c.transposeA = std::string(flags).find('t') != std::string::npos;
      c.transposeB = std::string(flags).find('b') != std::string::npos;
      matmuls.push_back(c);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--check] [--json FILE] [--filter SUBSTRING] "
                   "[--min-time SECONDS] [--matmul M,N,K[,etb]]... [--asm FILE] [--best] "
                   "[--target %s]\n",
                   argv[0], axon::kTargetHelp);
      return 2;
    }
  }
  Target target;
  if (targetOption.empty() && std::getenv("HL_JIT_TARGET")) {
    target = get_jit_target_from_environment();
  } else {
    std::string resolved, error;
    if (!axon::hostTarget(targetOption, resolved, error)) {
      std::fprintf(stderr, "axon-bench-kernels: --target: %s\n", error.c_str());
      return 2;
    }
    if (!Target::validate_target_string(resolved)) {
      std::fprintf(stderr, "axon-bench-kernels: --target: '%s' is not a Halide target\n",
                   resolved.c_str());
      return 2;
    }
    target = Target(resolved); // "host" itself off x86-64: Halide's detection
  }
  std::string missing = axon::checkTargetRunsHere(target.to_string());
  if (!missing.empty()) {
    std::fprintf(stderr, "axon-bench-kernels: %s\n", missing.c_str());
    return 2;
  }
  if (check)
    return runChecks(target);

  if (!asmPath.empty() && !matmuls.empty()) {
    // Assembly of the first --matmul's pipeline, for reading the inner loop.
    MatmulPipeline p = buildMatmul(matmuls[0], target);
    writeAsm(p.pipeline, asmPath, target);
    return 0;
  }
  if (matmuls.empty())
    matmuls = {{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}};
  std::vector<Result> results;
  auto want = [&](const std::string &name) {
    return filter.empty() || name.find(filter) != std::string::npos;
  };
  for (const MatmulCase &c : matmuls)
    if (want(matmulName(c)))
      results.push_back(benchMatmul(c, target, minSeconds));
  // examples/cnn/cnn.axon's layers at batch 64, and a 3x3 64->64 layer on
  // 32x32 images (padding 1) as a modern shape, each forward, input
  // gradient (_dx; not for conv1, whose input is the data) and filter
  // gradient (_dw).
  struct ConvRow {
    std::string name;
    Conv2DGeometry layer;
    ConvRole role;
  };
  const Conv2DGeometry conv1 = makeConv(64, 1, 28, 28, 16, 5),
                       conv2 = makeConv(64, 16, 12, 12, 32, 5),
                       conv64 = makeConv(64, 64, 32, 32, 64, 3, 1, 1);
  const std::vector<ConvRow> convRows = {
      {"conv2d_cnn_conv1", conv1, ConvRole::Forward},
      {"conv2d_cnn_conv1_dw", conv1, ConvRole::FilterGrad},
      {"conv2d_cnn_conv2", conv2, ConvRole::Forward},
      {"conv2d_cnn_conv2_dx", conv2, ConvRole::InputGrad},
      {"conv2d_cnn_conv2_dw", conv2, ConvRole::FilterGrad},
      {"conv2d_3x3_64x32x32", conv64, ConvRole::Forward},
      {"conv2d_3x3_64x32x32_dx", conv64, ConvRole::InputGrad},
      {"conv2d_3x3_64x32x32_dw", conv64, ConvRole::FilterGrad}};
  for (const ConvRow &r : convRows) {
    if (!want(r.name))
      continue;
    if (!asmPath.empty()) {
      // --asm without --matmul: the first conv row --filter selects.
      ConvPipeline p = buildConv(convRoleGeometry(r.layer, r.role), target, false, nullptr, r.role);
      writeAsm(p.pipeline, asmPath, target);
      return 0;
    }
    results.push_back(benchConv(r.name, r.layer, r.role, target, minSeconds));
  }

  const char *threads = std::getenv("HL_NUM_THREADS");
  for (const Result &r : results)
    std::printf("%-36s %10.4f ms %9.2f GFLOP/s\n", r.name.c_str(), r.ms, r.gflops);
  if (!jsonPath.empty()) {
    std::ofstream os(jsonPath);
    os << "{\"system\": \"axon\", \"target\": \"" << target.to_string()
       << "\", \"threads\": " << (threads ? threads : "null") << ", \"results\": [";
    for (size_t i = 0; i < results.size(); ++i)
      os << (i ? ", " : "") << "{\"name\": \"" << results[i].name
         << "\", \"ms\": " << results[i].ms << ", \"gflops\": " << results[i].gflops << "}";
    os << "]}\n";
  }
  return 0;
}
