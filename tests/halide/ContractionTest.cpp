// The Halide contractions (backends/halide/Contraction.h) against naive
// loops: matmul on odd and tiny shapes, batched, with and without an
// epilogue, f32 and f64, A or B read through a transpose; conv2d with stride,
// padding, dilation and groups, vectorised along x or (narrow outputs)
// over channels, and the conv2d forms of a layer's input and filter
// gradients; plus a grid of sizes on and off every register block, tile
// and vector width.
//
// Every case runs at each x86 target the schedules tell apart (vector width
// and register count: SSE4.1, AVX2, AVX-512). A target runs (realize and
// compare) where this CPU has every feature it needs (runtime/core/CpuTarget);
// elsewhere the pipeline is only compiled, to assembly, and the test is
// skipped with "compiled only: this CPU lacks ...".
//
// This binary includes Halide.h (LLVM 14), so it is separate from
// axon-unit-tests, which is built against MLIR 19.
#include "backends/halide/Contraction.h"
#include "backends/halide/ConvFilterGradient.h"
#include "backends/halide/NaiveContraction.h"
#include "backends/halide/Winograd.h"
#include "backends/halide/WinogradFilterGradient.h"
#include "runtime/core/HostCpu.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace Halide;
using axon::halide::Conv2DGeometry;
using axon::halide::ConvRole;
using axon::halide::elementAt;
using axon::halide::naiveConv2DAt;
using axon::halide::naiveMatmulAt;

namespace {

//===----------------------------------------------------------------------===//
// Targets
//===----------------------------------------------------------------------===//

/// An x86 target the schedules treat differently from the others.
struct TestTarget {
  const char *name;   ///< Test name suffix.
  const char *halide; ///< Halide target string.
};

/// Vector width in floats / vector registers: 4 / 16, 8 / 16, 16 / 32.
const TestTarget kTargets[] = {
    {"sse41", "x86-64-linux-sse41"},
    {"avx2", "x86-64-linux-sse41-avx-avx2-fma-f16c"},
    {"avx512", "x86-64-linux-sse41-avx-avx2-fma-f16c-avx512-avx512_skylake"},
};

/// The features this CPU lacks to run code compiled for `t`, comma
/// separated; empty when it runs here.
std::string missingHere(const TestTarget &t) {
  static const axon::CpuFeatures host = axon::hostCpuFeatures();
  std::string list;
  for (const std::string &f : axon::missingFeatures(t.halide, host))
    list += (list.empty() ? "" : ", ") + f;
  return list;
}

/// For a target this CPU cannot run: compiles `out` to assembly (a temporary
/// file), so its schedule still lowers and code-generates. Without Halide's
/// runtime, which would take ten times as long as the kernel.
void compileOnly(Func out, const TestTarget &t) {
  const std::string path = ::testing::TempDir() + "axon_contraction_" +
                           std::to_string(getpid()) + ".s";
  const Target target = Target(t.halide).with_feature(Target::NoRuntime);
  EXPECT_NO_THROW(out.compile_to_assembly(path, out.infer_arguments(), "kernel", target));
  std::remove(path.c_str());
}

template <typename T>
void fillRandom(Buffer<T> &buf, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  buf.for_each_value([&](T &v) { v = T(dist(rng)); });
}

/// Buffer with Halide-order extents {d0, d1, batch...}.
template <typename T>
Buffer<T> makeBuffer(int64_t d0, int64_t d1, int batchRank, int64_t batch) {
  std::vector<int> sizes = {int(d0), int(d1)};
  sizes.resize(2 + batchRank, int(batch));
  return Buffer<T>(sizes);
}

struct MatmulParams {
  int64_t M, N, K;
  int batchRank = 0;
  int64_t batch = 1;
  bool epilogue = false;   ///< out = max(mm + bias(n), 0)
  bool transposeA = false; ///< a(k, m) = A(m, k) with A stored [.., K, M]
  bool transposeB = false; ///< b(n, k) = B(k, n) with B stored [.., N, K]
  bool sharedB = false;    ///< one B for every matrix of the batch: [K, N]
  bool f64 = false;
  const TestTarget *target = &kTargets[0];
};

std::ostream &operator<<(std::ostream &os, const MatmulParams &p) {
  os << "M" << p.M << "_N" << p.N << "_K" << p.K;
  if (p.batchRank)
    os << "_batch" << p.batchRank << "x" << p.batch;
  return os << (p.epilogue ? "_epilogue" : "") << (p.transposeA ? "_At" : "")
            << (p.transposeB ? "_Bt" : "") << (p.sharedB ? "_Bshared" : "")
            << (p.f64 ? "_f64" : "") << "_" << p.target->name;
}

class MatmulTest : public ::testing::TestWithParam<MatmulParams> {
protected:
  template <typename T>
  void run(const MatmulParams &p) {
    const Type type = type_of<T>();
    const int dims = 2 + p.batchRank;
    ImageParam A(type, dims, "A"), B(type, p.sharedB ? 2 : dims, "B"), bias(type, 1, "bias");
    std::vector<Var> v;
    for (int i = 0; i < dims; ++i)
      v.push_back(Var("v" + std::to_string(i)));
    std::vector<Expr> swapped(v.begin(), v.end());
    std::swap(swapped[0], swapped[1]);
    Func aIn("a_in"), a("a"), bIn("b_in"), b("b");
    aIn(v) = A(v);
    if (p.transposeA)
      a(v) = aIn(swapped);
    else
      a(v) = aIn(v);
    if (p.sharedB) {
      // As the kernel lowering widens a B broadcast over the batch: read
      // at its own two coordinates only.
      bIn(v[0], v[1]) = B(v[0], v[1]);
      if (p.transposeB)
        b(v) = bIn(v[1], v[0]);
      else
        b(v) = bIn(v[0], v[1]);
    } else {
      bIn(v) = B(v);
      if (p.transposeB)
        b(v) = bIn(swapped);
      else
        b(v) = bIn(v);
    }
    Func mm = axon::halide::defineMatmul(a, b, p.M, p.N, p.K, p.batchRank, type, "mm");
    Func out = mm;
    if (p.epilogue) {
      out = Func("out");
      out(v) = max(mm(v) + bias(v[0]), cast(type, 0));
    }
    const Target target(p.target->halide);
    int64_t batches = 1;
    for (int i = 0; i < p.batchRank; ++i)
      batches *= p.batch;
    axon::halide::scheduleMatmul(mm, out, a, b, p.M, p.N, p.K, p.batchRank, target,
                                 batches);
    const std::string missing = missingHere(*p.target);
    if (!missing.empty()) {
      compileOnly(out, *p.target);
      GTEST_SKIP() << "compiled only: this CPU lacks " << missing;
    }

    Buffer<T> bufA = p.transposeA ? makeBuffer<T>(p.M, p.K, p.batchRank, p.batch)
                                  : makeBuffer<T>(p.K, p.M, p.batchRank, p.batch);
    Buffer<T> bufB = makeBuffer<T>(p.N, p.K, p.batchRank, p.batch);
    Buffer<T> bufC = makeBuffer<T>(p.N, p.M, p.batchRank, p.batch);
    Buffer<T> bufBias(int(p.N));
    fillRandom(bufA, 1);
    fillRandom(bufB, 2);
    if (p.sharedB) // every matrix of the batch the same, as the kernel reads it
      bufB.for_each_element([&](const int *pos) {
        std::vector<int> first(dims, 0);
        first[0] = pos[0];
        first[1] = pos[1];
        bufB(pos) = bufB(first.data());
      });
    fillRandom(bufBias, 3);
    A.set(bufA);
    const int bDims = p.sharedB ? 2 : dims;
    if (p.transposeB) {
      // The kernel reads B^T stored [.., N, K]; the naive loops read bufB.
      Buffer<T> stored = makeBuffer<T>(p.K, p.N, p.sharedB ? 0 : p.batchRank, p.batch);
      stored.for_each_element([&](const int *pos) {
        std::vector<int> at(dims, 0);
        std::copy(pos, pos + bDims, at.begin());
        std::swap(at[0], at[1]);
        stored(pos) = bufB(at.data());
      });
      B.set(stored);
    } else if (p.sharedB) {
      Buffer<T> first = bufB;
      for (int i = 0; i < p.batchRank; ++i)
        first = first.sliced(2, 0);
      B.set(first);
    } else {
      B.set(bufB);
    }
    bias.set(bufBias);
    ASSERT_NO_THROW(out.realize(bufC, target));

    const double tol = p.f64 ? 1e-12 : 1e-4;
    int failures = 0;
    for (int64_t bi = 0; bi < batches; ++bi)
      for (int64_t m = 0; m < p.M; ++m)
        for (int64_t n = 0; n < p.N; ++n) {
          double sum = naiveMatmulAt(bufA, bufB, p.transposeA, p.K, m, n, bi);
          if (p.epilogue)
            sum = std::max(sum + double(bufBias(int(n))), 0.0);
          double got = elementAt(bufC, n, m, bi);
          if (std::abs(got - sum) > tol * (1 + std::abs(sum)) && failures++ < 5)
            ADD_FAILURE() << "C[batch " << bi << "][" << m << "][" << n << "] = " << got
                          << ", expected " << sum;
        }
    EXPECT_EQ(failures, 0);
  }
};

TEST_P(MatmulTest, MatchesNaiveLoops) {
  const MatmulParams &p = GetParam();
  if (p.f64)
    run<double>(p);
  else
    run<float>(p);
}

/// Each case at every target of kTargets.
template <typename Params>
std::vector<Params> atEveryTarget(const std::vector<Params> &cases) {
  std::vector<Params> all;
  for (const TestTarget &t : kTargets)
    for (Params p : cases) {
      p.target = &t;
      all.push_back(p);
    }
  return all;
}

/// Special cases: tiny and odd shapes, K blocks, batches, A transposed.
std::vector<MatmulParams> matmulCases() {
  std::vector<MatmulParams> cases;
  const int64_t shapes[][3] = {{1, 1, 1},   {7, 33, 5},  {33, 7, 1000}, {64, 64, 64},
                               {1, 100, 64}, {100, 1, 64}, {130, 257, 520},
                               // Row tiles of one register block under B's
                               // column panel: 257 and 1025 rows, one off a
                               // multiple of 6 and 8 (the last block shifted
                               // inwards), in tasks of columns or of rows.
                               {257, 257, 257}, {1025, 40, 96},
                               // K blocks: one dividing K, one with a tail.
                               {9, 50, 3000}, {17, 30, 2053}};
  for (auto &s : shapes)
    for (bool epilogue : {false, true})
      for (bool f64 : {false, true}) {
        MatmulParams p{s[0], s[1], s[2]};
        p.epilogue = epilogue;
        p.f64 = f64;
        cases.push_back(p);
      }
  for (bool epilogue : {false, true})
    for (bool f64 : {false, true}) {
      MatmulParams p{33, 40, 17, 1, 3};
      p.epilogue = epilogue;
      p.f64 = f64;
      cases.push_back(p);
      MatmulParams q{7, 9, 300, 2, 2};
      q.epilogue = epilogue;
      q.f64 = f64;
      cases.push_back(q);
    }
  // Batches of matrices too small to share one by one, shared in tasks of
  // several matrices' tiles (attention's heads): 125 of 33 x 33 x 33, in
  // 4 tasks the last of which is short; 343 of 7 x 33 x 64 (N in a 2-vector
  // tile and a 1-column tail) through a transposed A.
  for (bool epilogue : {false, true}) {
    MatmulParams p{33, 33, 33, 3, 5};
    p.epilogue = epilogue;
    cases.push_back(p);
    MatmulParams q{7, 33, 64, 3, 7};
    q.transposeA = true;
    q.epilogue = epilogue;
    cases.push_back(q);
  }
  for (bool epilogue : {false, true}) {
    MatmulParams p{45, 50, 70};
    p.transposeA = true;
    p.epilogue = epilogue;
    cases.push_back(p);
    MatmulParams q{13, 29, 31, 1, 2};
    q.transposeA = true;
    q.epilogue = epilogue;
    cases.push_back(q);
  }
  // B read through a transpose (x @ W^T of a linear layer's input
  // gradient): N on and off whole register blocks, K from 1 to 512, the
  // LSTM's [32, 512] x [512, 128]; one f64, one batch, one A^T B^T.
  const int64_t bt[][3] = {{1, 1, 1},     {7, 33, 7},    {33, 7, 33},  {7, 128, 512},
                           {33, 512, 128}, {32, 128, 512}, {512, 33, 1}, {128, 512, 33},
                           {1, 512, 7},   {33, 33, 512}};
  for (auto &s : bt)
    for (bool epilogue : {false, true}) {
      MatmulParams p{s[0], s[1], s[2]};
      p.transposeB = true;
      p.epilogue = epilogue;
      cases.push_back(p);
    }
  MatmulParams f{7, 128, 33};
  f.transposeB = true;
  f.f64 = true;
  cases.push_back(f);
  MatmulParams bb{13, 50, 33, 1, 3};
  bb.transposeB = true;
  cases.push_back(bb);
  MatmulParams ab{33, 128, 128};
  ab.transposeA = ab.transposeB = true;
  ab.epilogue = true;
  cases.push_back(ab);
  // One B for every matrix of a batch (a weight applied per sequence),
  // packed once per column of tiles for row tiles of one register block:
  // serial (2 of 33 x 33 x 7), in tasks
  // of one column (8 of [64, 128] x [128, 256]) or of several (8 of
  // [32, 64] x [64, 512]), of row tiles (16 of [64, 128] x [128, 256],
  // 5 x 5 of [64, 128] x [128, 128]^T, 16 of [65, 256] x [256, 128]);
  // with an epilogue, f64, A^T; K blocks (9 of [17, 3000] x [3000, 40])
  // keep the pack per tile.
  {
    MatmulParams s1{33, 33, 7, 1, 2};
    MatmulParams s2{64, 256, 128, 1, 16};
    MatmulParams s3{64, 128, 128, 2, 5};
    s3.transposeB = true;
    s3.batch = 5;
    MatmulParams s4{65, 128, 256, 1, 16};
    s4.epilogue = true;
    MatmulParams s5{33, 40, 17, 1, 3};
    s5.f64 = true;
    s5.transposeA = true;
    MatmulParams s6{17, 40, 3000, 1, 9};
    MatmulParams s7{64, 256, 128, 1, 8};
    MatmulParams s8{32, 512, 64, 1, 8};
    for (MatmulParams q : {s1, s2, s3, s4, s5, s6, s7, s8}) {
      q.sharedB = true;
      cases.push_back(q);
    }
  }
  // A transformer's feed-forward products (d_model 128, hidden 256) and
  // their gradients' transposed operands, N = 128 and 256 tiled exactly
  // by two-vector blocks, rows off the 8-row block.
  const int64_t ff[][3] = {{65, 256, 128}, {65, 128, 256}, {128, 256, 65}, {256, 128, 65}};
  for (auto &s : ff)
    for (int t = 0; t < 3; ++t) {
      MatmulParams p{s[0], s[1], s[2]};
      p.transposeA = t == 1;
      p.transposeB = t == 2;
      p.epilogue = t == 0;
      cases.push_back(p);
    }
  return atEveryTarget(cases);
}

/// Sizes on and off every multiple the schedule blocks by: vectors of 4,
/// 8 or 16 floats (2, 4, 8 doubles), register blocks of 1 or 2 vectors
/// (matmulBlockVectors: 40 and 48 in one-vector blocks at AVX-512, 128 in
/// two-vector ones at every target, 129 in one-vector blocks with a tail)
/// by 6 or 8 rows, and tiles of whole blocks.
const int64_t kGridN[] = {1,  3,  4,  7,  8,  12, 16, 23, 24, 25,
                          32, 40, 47, 48, 49, 64, 96, 97, 128, 129};
const int64_t kGridM[] = {1, 4, 5, 6, 7, 8, 9, 12, 13, 64, 65};
const int64_t kGridK[] = {1, 3, 16, 17, 129};

/// Not the cross product: each N with two M and each M with two N. Along
/// the list, K cycles through kGridK, every third case has the epilogue,
/// every fourth is f64 and every seventh reads A through a transpose.
std::vector<MatmulParams> gridCases() {
  const size_t nN = std::size(kGridN), nM = std::size(kGridM);
  std::vector<std::pair<int64_t, int64_t>> mn;
  for (size_t i = 0; i < nN; ++i) {
    mn.push_back({kGridM[i % nM], kGridN[i]});
    mn.push_back({kGridM[(i + nM / 2) % nM], kGridN[i]});
  }
  for (size_t j = 0; j < nM; ++j) {
    mn.push_back({kGridM[j], kGridN[(3 * j + 1) % nN]});
    mn.push_back({kGridM[j], kGridN[(3 * j + 9) % nN]});
  }
  std::vector<MatmulParams> cases;
  for (size_t c = 0; c < mn.size(); ++c) {
    MatmulParams p{mn[c].first, mn[c].second, kGridK[c % std::size(kGridK)]};
    p.epilogue = c % 3 == 1;
    p.f64 = c % 4 == 3;
    p.transposeA = c % 7 == 5;
    cases.push_back(p);
  }
  return atEveryTarget(cases);
}

std::string matmulName(const ::testing::TestParamInfo<MatmulParams> &info) {
  std::ostringstream os;
  os << info.param;
  return os.str();
}

INSTANTIATE_TEST_SUITE_P(Shapes, MatmulTest, ::testing::ValuesIn(matmulCases()), matmulName);
INSTANTIATE_TEST_SUITE_P(Grid, MatmulTest, ::testing::ValuesIn(gridCases()), matmulName);

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

struct ConvParams {
  Conv2DGeometry g; ///< The conv2d computed (convRoleGeometry of a layer).
  bool epilogue = false; ///< out = max(conv + bias(o), 0)
  /// Which contraction of a layer `g` is: its operands read the role's
  /// tensors through a flip or transposes, as the kernel lowering does.
  ConvRole role = ConvRole::Forward;
  std::string name;
  const TestTarget *target = &kTargets[0];
};

std::ostream &operator<<(std::ostream &os, const ConvParams &p) {
  return os << p.name << "_" << p.target->name;
}

ConvParams makeConv(std::string name, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                    int64_t kh, int64_t kw, int64_t stride, int64_t pad, int64_t dil,
                    int64_t groups, bool epilogue = false) {
  ConvParams p;
  Conv2DGeometry &g = p.g;
  g.n = n, g.c = c, g.h = h, g.w = w, g.o = o, g.kh = kh, g.kw = kw;
  g.strideH = g.strideW = stride;
  g.padH = g.padW = pad;
  g.dilationH = g.dilationW = dil;
  g.groups = groups;
  g.oh = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1;
  g.ow = (w + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
  p.epilogue = epilogue;
  p.name = std::move(name);
  return p;
}

/// The `role` contraction of a stride-1 layer.
ConvParams makeGradient(std::string name, ConvRole role, int64_t n, int64_t c, int64_t h,
                        int64_t w, int64_t o, int64_t k, int64_t pad) {
  ConvParams p = makeConv(std::move(name), n, c, h, w, o, k, k, 1, pad, 1, 1);
  p.g = axon::halide::convRoleGeometry(p.g, role);
  p.role = role;
  return p;
}

ConvParams withEpilogue(ConvParams p) {
  p.epilogue = true;
  return p;
}

class Conv2DTest : public ::testing::TestWithParam<ConvParams> {};

TEST_P(Conv2DTest, MatchesNaiveLoops) {
  const ConvParams &p = GetParam();
  const Conv2DGeometry &g = p.g;
  ImageParam input(Float(32), 4, "input"), filter(Float(32), 4, "filter"),
      bias(Float(32), 1, "bias");
  Var x, y, c, n;
  Func in("in"), w("w");
  std::vector<int> inExt, wExt;
  axon::halide::defineConvRoleOperands(p.role, g, input, filter, in, w, inExt, wExt);
  Func conv = axon::halide::defineConv2D(in, w, g, Float(32), "conv");
  Func out = conv;
  if (p.epilogue) {
    out = Func("out");
    out(x, y, c, n) = max(conv(x, y, c, n) + bias(c), 0.0f);
  }
  const Target target(p.target->halide);
  axon::halide::scheduleConv2D(conv, out, in, w, g, target);
  const std::string missing = missingHere(*p.target);
  if (!missing.empty()) {
    compileOnly(out, *p.target);
    GTEST_SKIP() << "compiled only: this CPU lacks " << missing;
  }

  Buffer<float> tensorIn(inExt), tensorW(wExt);
  Buffer<float> bufOut(int(g.ow), int(g.oh), int(g.o), int(g.n));
  Buffer<float> bufBias(int(g.o));
  fillRandom(tensorIn, 4);
  fillRandom(tensorW, 5);
  fillRandom(bufBias, 6);
  input.set(tensorIn);
  filter.set(tensorW);
  bias.set(bufBias);
  ASSERT_NO_THROW(out.realize(bufOut, target));
  // The operands as the conv2d reads them, for the naive loops.
  Buffer<float> bufIn, bufW;
  axon::halide::convRoleBuffers(p.role, g, tensorIn, tensorW, bufIn, bufW);

  // fp32 sums in another order round differently, more so the longer
  // they are (cnn's conv1 filter gradient at batch 64, 36,864 terms: 2e-4).
  const double terms = double(g.c / g.groups) * g.kh * g.kw;
  const double tolerance = 1e-4 * std::max(1.0, std::sqrt(terms / 1024));
  int failures = 0;
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          double sum = naiveConv2DAt(bufIn, bufW, g, b, o, oy, ox);
          if (p.epilogue)
            sum = std::max(sum + double(bufBias(int(o))), 0.0);
          double got = bufOut(int(ox), int(oy), int(o), int(b));
          if (std::abs(got - sum) > tolerance * (1 + std::abs(sum)) && failures++ < 5)
            ADD_FAILURE() << "out[" << b << "][" << o << "][" << oy << "][" << ox
                          << "] = " << got << ", expected " << sum;
        }
  EXPECT_EQ(failures, 0);
}

std::vector<ConvParams> convCases() {
  return atEveryTarget(std::vector<ConvParams>{
      // Stride 2, padding 1, dilation 2, groups 2 on odd sizes.
      makeConv("StridePadDilationGroups", 3, 4, 13, 11, 6, 3, 3, 2, 1, 2, 2),
      makeConv("StridePadDilationGroupsEpilogue", 3, 4, 13, 11, 6, 3, 3, 2, 1, 2, 2, true),
      makeConv("Padded3x3", 2, 3, 9, 10, 5, 3, 3, 1, 1, 1, 1, true),
      makeConv("NonSquareKernel", 2, 3, 9, 17, 4, 3, 5, 1, 2, 1, 1),
      makeConv("Depthwise", 2, 6, 11, 11, 6, 3, 3, 1, 1, 1, 6),
      makeConv("Pointwise", 2, 3, 7, 31, 7, 1, 1, 3, 2, 1, 1),
      makeConv("WindowIsInput", 1, 2, 5, 5, 2, 5, 5, 1, 0, 1, 2),
      // examples/cnn's layers, batch 2.
      makeConv("CnnConv1", 2, 1, 28, 28, 6, 5, 5, 1, 0, 1, 1, true),
      makeConv("CnnConv2", 2, 6, 12, 12, 16, 5, 5, 1, 0, 1, 1, true),
      // Output widths on and off the vector widths (4, 8, 16) and register
      // blocks (up to 3 vectors: 12, 24, 48), odd channel counts.
      makeConv("OW1_C3_O4", 1, 3, 3, 3, 4, 3, 3, 1, 0, 1, 1),
      makeConv("OW3_C3_O5", 1, 3, 5, 3, 5, 3, 3, 1, 1, 1, 1),
      makeConv("OW4_C1_O7", 2, 1, 6, 4, 7, 3, 3, 1, 1, 1, 1, true),
      makeConv("OW5_C5_O3_Stride2", 1, 5, 9, 9, 3, 3, 3, 2, 1, 1, 1),
      makeConv("OW7_C3_O9", 2, 3, 7, 9, 9, 3, 3, 1, 0, 1, 1, true),
      makeConv("OW8_C7_O4", 1, 7, 8, 8, 4, 3, 3, 1, 1, 1, 1),
      makeConv("OW9_C3_O6_Groups3", 1, 3, 6, 11, 6, 3, 3, 1, 0, 1, 3),
      makeConv("OW15_C5_O7", 1, 5, 6, 17, 7, 3, 3, 1, 0, 1, 1, true),
      makeConv("OW16_C3_O17", 2, 3, 5, 16, 17, 3, 3, 1, 1, 1, 1),
      makeConv("OW17_C1_O5_Dilation2", 1, 1, 9, 21, 5, 3, 3, 1, 0, 2, 1),
      makeConv("OW23_C3_O11", 1, 3, 6, 25, 11, 3, 3, 1, 0, 1, 1, true),
      makeConv("OW24_C5_O8", 1, 5, 5, 24, 8, 3, 3, 1, 1, 1, 1),
      makeConv("OW25_C3_O3_Kernel5", 1, 3, 7, 29, 3, 5, 5, 1, 0, 1, 1),
      makeConv("OW47_C3_O7", 1, 3, 4, 49, 7, 3, 3, 1, 0, 1, 1, true),
      makeConv("OW48_C5_O9", 2, 5, 4, 48, 9, 3, 3, 1, 1, 1, 1),
      makeConv("OW49_C7_O7_Depthwise", 1, 7, 5, 51, 7, 3, 3, 1, 0, 1, 7),
      // Output rows narrower than a vector with whole vectors of output
      // channels (16 and 32 at every width): vectorised over channels.
      makeConv("Channels_OW5_C3_O16", 2, 3, 9, 9, 16, 5, 5, 1, 0, 1, 1),
      makeConv("Channels_OW7_C5_O32_Stride2Pad1", 1, 5, 13, 13, 32, 3, 3, 2, 1, 1, 1, true),
      makeConv("Channels_OW1_C2_O48_Dilation2", 2, 2, 5, 5, 48, 3, 3, 1, 0, 2, 1),
      makeConv("Channels_OW3_C4_O32_Groups2", 1, 4, 5, 5, 32, 3, 3, 1, 0, 1, 2, true),
      makeConv("Channels_OW12_C3_O16", 1, 3, 14, 14, 16, 3, 3, 1, 0, 1, 1, true),
      // The gradients autodiff forms (stride 1): the input gradient (a conv
      // of the padded output gradient by the flipped filter) and the filter
      // gradient (of the batch-transposed input and output gradient).
      makeGradient("InputGradCnnConv2", ConvRole::InputGrad, 3, 16, 12, 12, 32, 5, 0),
      makeGradient("InputGrad_C7_O5_Pad1", ConvRole::InputGrad, 2, 7, 9, 33, 5, 3, 1),
      makeGradient("InputGrad_C16_O16_Pad2", ConvRole::InputGrad, 1, 16, 7, 7, 16, 3, 2),
      makeGradient("FilterGradCnnConv1", ConvRole::FilterGrad, 7, 1, 28, 28, 16, 5, 0),
      makeGradient("FilterGradCnnConv2", ConvRole::FilterGrad, 3, 16, 12, 12, 32, 5, 0),
      makeGradient("FilterGrad_C3_O17_Pad1", ConvRole::FilterGrad, 2, 3, 9, 33, 17, 3, 1),
      makeGradient("FilterGrad_C1_O32_K3", ConvRole::FilterGrad, 1, 1, 7, 7, 32, 3, 0),
      // Windows larger than the output, two or more (half) vectors wide,
      // unpadded: ConvFilterGradient.cpp's lanes along the window's x.
      // Batch 1, 7 and 33 (33 images: blocks of 11), 1, 3, 17 and 64
      // channels, 17 output channels (blocks of one), odd heights; a
      // forward conv with a window larger than its output in 2 groups.
      makeGradient("FilterGradLanes_N1_C1_O16_H7_W18", ConvRole::FilterGrad, 1, 1, 7, 18, 16,
                   3, 0),
      makeGradient("FilterGradLanes_N7_C3_O17_H9_W34", ConvRole::FilterGrad, 7, 3, 9, 34, 17,
                   3, 0),
      makeGradient("FilterGradLanes_N33_C17_O8_H13_W28", ConvRole::FilterGrad, 33, 17, 13, 28,
                   8, 5, 0),
      makeGradient("FilterGradLanes_N2_C64_O64_H9_W34", ConvRole::FilterGrad, 2, 64, 9, 34, 64,
                   3, 0),
      // Padded layers, their zero-padded input computed per block of
      // images and channel: batch 1, 7 and 33, 1, 3 and 64 channels, 17
      // output channels, odd heights, windows of 16, 24 and 32 columns,
      // padding 1 and 2 (a 5x5 layer), the 3x3 64->64 layer at batch 2.
      makeGradient("FilterGradLanes_Pad1_N1_C1_O16_H7_W16", ConvRole::FilterGrad, 1, 1, 7, 16,
                   16, 3, 1),
      makeGradient("FilterGradLanes_Pad2_N7_C3_O17_H9_W24", ConvRole::FilterGrad, 7, 3, 9, 24,
                   17, 5, 2),
      makeGradient("FilterGradLanes_Pad1_N33_C3_O8_H13_W32", ConvRole::FilterGrad, 33, 3, 13,
                   32, 8, 3, 1),
      makeGradient("FilterGradLanes_Pad1_N2_C64_O64_H11_W32", ConvRole::FilterGrad, 2, 64, 11,
                   32, 64, 3, 1),
      makeConv("WindowLargerThanOutput_Groups2", 2, 4, 8, 17, 6, 7, 16, 1, 0, 1, 2, true),
      // Too few output tasks for the work: the reduction over channels is
      // split into chunks summed in parallel (Contraction.cpp's
      // reductionChunks), through each schedule: channel-vectorised (cnn's
      // conv1 filter gradient at batch 64, 8 or 4 chunks), along x with 7
      // output channels (batch 33: 3 chunks), along x with padding and an
      // epilogue (34 channels: 2 chunks).
      makeGradient("SplitReduction_FilterGradCnnConv1_N64", ConvRole::FilterGrad, 64, 1, 28,
                   28, 16, 5, 0),
      makeGradient("SplitReduction_FilterGrad_N33_O7", ConvRole::FilterGrad, 33, 1, 30, 30, 7,
                   5, 0),
      makeConv("SplitReduction_C34_O7_Pad1", 1, 34, 33, 33, 7, 3, 3, 1, 1, 1, 1, true),
      // A quarter or more of the window's rows in the padding: the
      // reduction skips them (defineConv2D's RDom predicate). Full input
      // gradients at sizes 1, 7 and 33 (along x, 1 channel in), dilation 2
      // over a 1-row input, stride 2, and the channel-vectorised schedule
      // over a 2-row input.
      makeGradient("RowsInPadding_InputGrad_N7_C3_O1_H7_W33", ConvRole::InputGrad, 7, 3, 7, 33,
                   1, 5, 0),
      makeConv("RowsInPadding_H1_Dilation2", 1, 3, 1, 7, 5, 3, 3, 1, 2, 2, 1, true),
      makeConv("RowsInPadding_Stride2_C5_O7", 2, 5, 3, 9, 7, 3, 3, 2, 2, 1, 1),
      makeConv("RowsInPadding_Channels_H2_O16", 1, 3, 2, 9, 16, 5, 5, 1, 2, 1, 1, true),
      // A quarter or more of the window's columns in the padding, rows of
      // up to 12 pixels, whole vectors of output channels: the reduction
      // skips those columns too (skipsPaddedColumns), in whole-row register
      // blocks. Full input gradients (7 images, 7- and 9-pixel rows, 1 and
      // 33 channels in), stride 2, dilation 2 with groups, an epilogue.
      makeGradient("SkipColumns_InputGrad_N7_C16_O1_W7", ConvRole::InputGrad, 7, 16, 5, 7, 1,
                   5, 0),
      makeGradient("SkipColumns_InputGrad_C32_O33_W9", ConvRole::InputGrad, 2, 32, 6, 9, 33,
                   5, 0),
      makeConv("SkipColumns_Stride2_Pad3_O32", 2, 3, 5, 5, 32, 5, 5, 2, 3, 1, 1, true),
      makeConv("SkipColumns_Dilation2_Groups2_O32", 1, 4, 3, 3, 32, 3, 3, 1, 2, 2, 2),
      // 3x3 stride-1 layers computed by Winograd F(2x2, 3x3) (Winograd.h):
      // tiles along x a vector, less than one (9) and not a multiple of it
      // (17), channels that do not fill a register block (17, 33), no
      // padding and padding 2, one image and 7, the input gradient of a
      // 3x3 layer (a conv by its flipped, transposed filter), an epilogue.
      makeConv("Winograd_C16_O16_16x16_Pad1", 1, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1),
      makeConv("Winograd_C17_O33_8x18_Pad1", 2, 17, 8, 18, 33, 3, 3, 1, 1, 1, 1, true),
      makeConv("Winograd_C16_O17_N7_Unpadded", 7, 16, 10, 34, 17, 3, 3, 1, 0, 1, 1),
      makeConv("Winograd_C33_O16_Pad2", 1, 33, 14, 32, 16, 3, 3, 1, 2, 1, 1, true),
      makeConv("Winograd_C16_O24_2x36_Pad1", 1, 16, 2, 36, 24, 3, 3, 1, 1, 1, 1),
      makeGradient("Winograd_InputGrad_C16_O24_Pad1", ConvRole::InputGrad, 2, 16, 6, 32, 24,
                   3, 1),
      // Not Winograd (odd output width, 15 channels): the direct schedules.
      makeConv("Winograd_No_OW17_C16_O16", 1, 16, 4, 17, 16, 3, 3, 1, 1, 1, 1),
      makeConv("Winograd_No_C15_O16", 1, 15, 4, 16, 16, 3, 3, 1, 1, 1, 1),
      // Filter gradients of 3x3 stride-1 layers by F(2x2, 3x3), transposed
      // (WinogradFilterGradient.h): batch 1, 7 and 33 (7 and 3 chunks of
      // images), 8, 16, 17 and 64 input channels, 16 to 64 output channels,
      // windows of 4 to 16 tiles a row (9: not a multiple of a vector),
      // padding 0, 1 and 2, an epilogue; the 3x3 64->64 32x32 layer at
      // batch 2. Not Winograd: odd windows, 8 output channels.
      makeGradient("WinogradDw_N1_C8_O16_8x8_Pad1", ConvRole::FilterGrad, 1, 8, 8, 8, 16, 3,
                   1),
      makeGradient("WinogradDw_N7_C17_O32_10x34", ConvRole::FilterGrad, 7, 17, 10, 34, 32, 3,
                   0),
      makeGradient("WinogradDw_N33_C16_O16_6x18_Pad1", ConvRole::FilterGrad, 33, 16, 6, 18,
                   16, 3, 1),
      makeGradient("WinogradDw_N3_C8_O48_6x14_Pad2", ConvRole::FilterGrad, 3, 8, 6, 14, 48, 3,
                   2),
      withEpilogue(makeGradient("WinogradDw_N2_C64_O64_32x32_Pad1_Epilogue",
                                ConvRole::FilterGrad, 2, 64, 32, 32, 64, 3, 1)),
      makeGradient("WinogradDw_No_N2_C16_O16_7x16_Pad1", ConvRole::FilterGrad, 2, 16, 7, 16,
                   16, 3, 1),
      makeGradient("WinogradDw_No_N2_C16_O8_8x16_Pad1", ConvRole::FilterGrad, 2, 16, 8, 16, 8,
                   3, 1),
      // Rows of 8k + 8 pixels with paired output channels (Contraction.h's
      // pairsOutputChannels): cnn's conv1 at 7 images, 24 wide by 7 rows
      // (blocks of rows shifted inwards) with 3 pairs, 40 wide with 33
      // channels in and padding 2, 56 wide at dilation 2 with 17 pairs and
      // one channel in, the input gradient of a 24-wide layer; epilogues.
      // Not paired: 7 output channels, 2 groups.
      makeConv("Paired_CnnConv1_N7", 7, 1, 28, 28, 16, 5, 5, 1, 0, 1, 1, true),
      makeConv("Paired_OW24_C3_O6_H9", 1, 3, 9, 26, 6, 3, 3, 1, 0, 1, 1),
      makeConv("Paired_OW40_C33_O2_Pad2", 2, 33, 5, 40, 2, 5, 5, 1, 2, 1, 1, true),
      makeConv("Paired_OW56_C1_O34_Dilation2", 1, 1, 7, 60, 34, 3, 3, 1, 0, 2, 1),
      makeGradient("Paired_InputGrad_C4_O5_W24", ConvRole::InputGrad, 2, 4, 7, 24, 5, 3, 1),
      makeConv("Paired_No_OW24_O7", 1, 3, 4, 26, 7, 3, 3, 1, 0, 1, 1, true),
      makeConv("Paired_No_OW24_Groups2", 1, 4, 4, 26, 8, 3, 3, 1, 0, 1, 2),
  });
}

INSTANTIATE_TEST_SUITE_P(Geometries, Conv2DTest, ::testing::ValuesIn(convCases()),
                         [](const ::testing::TestParamInfo<ConvParams> &info) {
                           std::ostringstream os;
                           os << info.param;
                           return os.str();
                         });

// Register blocks that tile N exactly where they can: no tail block
// computed twice for N a multiple of two vectors (a transformer's N = 128),
// one-vector blocks where they compute fewer columns.
TEST(ContractionTest, MatmulBlockVectorsTileN) {
  using axon::halide::matmulBlockVectors;
  // AVX-512: 16 floats, 32 registers.
  EXPECT_EQ(matmulBlockVectors(7, 16, 32), 0);
  EXPECT_EQ(matmulBlockVectors(16, 16, 32), 1);
  EXPECT_EQ(matmulBlockVectors(31, 16, 32), 1);
  EXPECT_EQ(matmulBlockVectors(32, 16, 32), 2);
  EXPECT_EQ(matmulBlockVectors(48, 16, 32), 1);  // 3 x 16, not 2 x 32
  EXPECT_EQ(matmulBlockVectors(128, 16, 32), 2); // 4 x 32
  EXPECT_EQ(matmulBlockVectors(129, 16, 32), 1); // 144 columns, not 160
  EXPECT_EQ(matmulBlockVectors(1024, 16, 32), 2);
  // AVX2: 8 floats, 16 registers, where one-vector blocks are slower.
  EXPECT_EQ(matmulBlockVectors(24, 8, 16), 1);  // 24 columns, not 32
  EXPECT_EQ(matmulBlockVectors(40, 8, 16), 1);  // 40, not 48
  EXPECT_EQ(matmulBlockVectors(72, 8, 16), 2);  // 80, not 72 at 1/8 slower
  EXPECT_EQ(matmulBlockVectors(128, 8, 16), 2);
  EXPECT_EQ(matmulBlockVectors(1, 4, 16), 0);
}

// The Winograd_ cases above compute by F(2x2, 3x3), the Winograd_No_ ones
// (and other windows, strides, dilations and groups) directly.
TEST(ContractionTest, WinogradTakesThe3x3StrideOneLayers) {
  auto layer = [](int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t stride,
                  int64_t pad, int64_t dil = 1, int64_t groups = 1) {
    return makeConv("", 1, c, h, w, o, k, k, stride, pad, dil, groups).g;
  };
  const Conv2DGeometry conv64 = layer(64, 32, 32, 64, 3, 1, 1);
  EXPECT_TRUE(axon::halide::useWinograd(conv64, Float(32)));
  EXPECT_TRUE(axon::halide::useWinograd(
      axon::halide::convRoleGeometry(conv64, ConvRole::InputGrad), Float(32)));
  for (const ConvParams &p : convCases())
    if (p.target == &kTargets[0])
      EXPECT_EQ(axon::halide::useWinograd(p.g, Float(32)),
                p.name.rfind("Winograd_", 0) == 0 && p.name.rfind("Winograd_No_", 0) != 0)
          << p.name;
  EXPECT_FALSE(axon::halide::useWinograd(conv64, Float(64)));
  EXPECT_FALSE(axon::halide::useWinograd(
      axon::halide::convRoleGeometry(conv64, ConvRole::FilterGrad), Float(32)));
  EXPECT_FALSE(axon::halide::useWinograd(layer(64, 32, 32, 64, 3, 2, 1), Float(32)));
  EXPECT_FALSE(axon::halide::useWinograd(layer(64, 32, 32, 64, 5, 1, 2), Float(32)));
  EXPECT_FALSE(axon::halide::useWinograd(layer(64, 34, 34, 64, 3, 1, 1, 2), Float(32)));
  EXPECT_FALSE(axon::halide::useWinograd(layer(64, 32, 32, 64, 3, 1, 1, 1, 2), Float(32)));
}

// The WinogradDw_ cases above compute the filter gradient by F(2x2, 3x3),
// the WinogradDw_No_ ones (and forward layers, input gradients, other
// windows, strides and types) do not.
TEST(ContractionTest, WinogradFilterGradientTakesEvenWindowsOf3x3Layers) {
  using axon::halide::useWinogradFilterGradient;
  auto dw = [](int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad) {
    return makeGradient("", ConvRole::FilterGrad, 64, c, h, w, o, k, pad).g;
  };
  EXPECT_TRUE(useWinogradFilterGradient(dw(64, 32, 32, 64, 3, 1), Float(32)));
  EXPECT_TRUE(useWinogradFilterGradient(dw(8, 10, 10, 16, 3, 0), Float(32))); // 8x8 window
  for (const ConvParams &p : convCases())
    if (p.target == &kTargets[0])
      EXPECT_EQ(useWinogradFilterGradient(p.g, Float(32)),
                p.name.rfind("WinogradDw_", 0) == 0 && p.name.rfind("WinogradDw_No_", 0) != 0)
          << p.name;
  EXPECT_FALSE(useWinogradFilterGradient(dw(64, 32, 32, 64, 3, 1), Float(64)));
  EXPECT_FALSE(useWinogradFilterGradient(dw(64, 33, 33, 64, 3, 1), Float(32)));  // odd window
  EXPECT_FALSE(useWinogradFilterGradient(dw(64, 32, 32, 64, 5, 2), Float(32)));  // 5x5
  EXPECT_FALSE(useWinogradFilterGradient(dw(64, 32, 32, 24, 3, 1), Float(32)));  // 24 out
  EXPECT_FALSE(useWinogradFilterGradient(dw(4, 32, 32, 64, 3, 1), Float(32)));   // 4 in
  EXPECT_FALSE(useWinogradFilterGradient(dw(64, 8, 8, 64, 3, 0), Float(32)));    // 6 wide
  const Conv2DGeometry layer = makeConv("", 64, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1).g;
  EXPECT_FALSE(useWinogradFilterGradient(layer, Float(32)));
  EXPECT_FALSE(useWinogradFilterGradient(
      axon::halide::convRoleGeometry(layer, ConvRole::InputGrad), Float(32)));
  Conv2DGeometry strided = makeConv("", 64, 64, 65, 65, 64, 3, 3, 2, 1, 1, 1).g;
  EXPECT_FALSE(useWinogradFilterGradient(
      axon::halide::convRoleGeometry(strided, ConvRole::FilterGrad), Float(32)));
}

// The Paired_ cases above pair output channels, the Paired_No_ ones do
// not; nor do rows a whole number of vectors wide, narrower than 16,
// strided, or a filter gradient's window.
TEST(ContractionTest, PairedChannelsTakeRowsOf8kPlus8Pixels) {
  using axon::halide::pairsOutputChannels;
  for (const ConvParams &p : convCases())
    if (p.target == &kTargets[0] && p.name.rfind("Paired_", 0) == 0)
      EXPECT_EQ(pairsOutputChannels(p.g), p.name.rfind("Paired_No_", 0) != 0) << p.name;
  const Conv2DGeometry conv1 = makeConv("", 64, 1, 28, 28, 16, 5, 5, 1, 0, 1, 1).g;
  EXPECT_TRUE(pairsOutputChannels(conv1));
  EXPECT_FALSE(pairsOutputChannels(
      axon::halide::convRoleGeometry(conv1, ConvRole::FilterGrad)));        // 5 wide
  EXPECT_FALSE(pairsOutputChannels(makeConv("", 64, 16, 12, 12, 32, 5, 5, 1, 0, 1, 1).g));
  EXPECT_FALSE(pairsOutputChannels(makeConv("", 1, 16, 34, 34, 64, 3, 3, 1, 0, 1, 1).g));
  EXPECT_FALSE(pairsOutputChannels(makeConv("", 1, 3, 20, 20, 8, 5, 5, 1, 0, 1, 1).g));
  EXPECT_FALSE(pairsOutputChannels(makeConv("", 1, 3, 49, 49, 8, 3, 3, 2, 1, 1, 1).g));
}

// The FilterGradLanes_ cases above take the lanes schedule: filter
// gradients whose window (the layer's output) is two or more (half)
// vectors wide and read at consecutive columns (a stride-1 layer), not
// forward layers nor input gradients.
TEST(ContractionTest, FilterGradientLanesTakeWindowsLargerThanOutput) {
  using axon::halide::filterGradientLanes;
  auto grad = [](int64_t n, int64_t c, int64_t h, int64_t w, int64_t o, int64_t k,
                 int64_t pad) {
    return makeGradient("", ConvRole::FilterGrad, n, c, h, w, o, k, pad).g;
  };
  EXPECT_EQ(filterGradientLanes(grad(64, 64, 34, 34, 64, 3, 0), 16), 16); // 32 wide
  EXPECT_EQ(filterGradientLanes(grad(64, 64, 34, 34, 64, 3, 0), 8), 8);
  EXPECT_EQ(filterGradientLanes(grad(64, 1, 28, 28, 16, 5, 0), 16), 8);  // 24 wide
  EXPECT_EQ(filterGradientLanes(grad(64, 16, 12, 12, 32, 5, 0), 16), 0); // 8: one vector
  EXPECT_EQ(filterGradientLanes(grad(1, 1, 7, 7, 32, 3, 0), 16), 0);     // 5 wide
  EXPECT_EQ(filterGradientLanes(grad(64, 64, 32, 32, 64, 3, 1), 16), 16); // padded
  EXPECT_EQ(filterGradientLanes(grad(64, 64, 33, 33, 64, 3, 1), 16), 0);  // 33 wide
  for (const ConvParams &p : convCases())
    if (p.name.rfind("FilterGradLanes_", 0) == 0)
      EXPECT_GT(filterGradientLanes(p.g, p.target->name == std::string("avx512") ? 16
                                         : p.target->name == std::string("avx2") ? 8
                                                                                  : 4),
                0)
          << p.name;
  // A stride-2 layer's filter gradient reads every other column.
  Conv2DGeometry strided = grad(4, 3, 32, 32, 16, 3, 1);
  strided.dilationW = strided.dilationH = 2;
  EXPECT_EQ(filterGradientLanes(strided, 16), 0);
  EXPECT_EQ(filterGradientLanes(makeConv("", 2, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1).g, 16), 0);
  EXPECT_EQ(filterGradientLanes(
                axon::halide::convRoleGeometry(makeConv("", 2, 16, 12, 12, 32, 5, 5, 1, 0, 1, 1).g,
                                               ConvRole::InputGrad),
                16),
            0);
}

//===----------------------------------------------------------------------===//
// Winograd's FP edges
//===----------------------------------------------------------------------===//

// What F(2x2, 3x3) gives for non-finite and huge operands (Winograd.h),
// against the direct sum over the zero-padded input in double, at every
// target.

/// The `role` conv of geometry `g` (convRoleGeometry's) on the role's
/// tensors `input` and `filter`, defined, scheduled and run as the kernel
/// lowering does, for `target`.
Buffer<float> realizeConvRole(ConvRole role, const Conv2DGeometry &g, const Buffer<float> &input,
                              const Buffer<float> &filter, const TestTarget &target) {
  ImageParam inP(Float(32), 4, "input"), filterP(Float(32), 4, "filter");
  Func inF("in"), wF("w");
  std::vector<int> inExt, wExt;
  axon::halide::defineConvRoleOperands(role, g, inP, filterP, inF, wF, inExt, wExt);
  Func conv = axon::halide::defineConv2D(inF, wF, g, Float(32), "conv");
  const Target t(target.halide);
  axon::halide::scheduleConv2D(conv, conv, inF, wF, g, t);
  inP.set(input);
  filterP.set(filter);
  Buffer<float> out(int(g.ow), int(g.oh), int(g.o), int(g.n));
  conv.realize(out, t);
  return out;
}

class WinogradFpTest : public ::testing::TestWithParam<const TestTarget *> {
protected:
  /// `g` computed by Winograd for this test's target on `in` and `w`
  /// (Halide-order NCHW / OIHW buffers).
  Buffer<float> run(const Conv2DGeometry &g, const Buffer<float> &in, const Buffer<float> &w) {
    EXPECT_TRUE(axon::halide::useWinograd(g, Float(32)));
    return realizeConvRole(ConvRole::Forward, g, in, w, *GetParam());
  }

  void SetUp() override {
    const std::string missing = missingHere(*GetParam());
    if (!missing.empty())
      GTEST_SKIP() << "this CPU lacks " << missing;
  }
};

/// Geometries Winograd takes: padded with odd channel counts (17), and
/// unpadded 32 wide.
Conv2DGeometry winogradPadded(int64_t n) {
  return makeConv("", n, 17, 10, 18, 17, 3, 3, 1, 1, 1, 1).g;
}
Conv2DGeometry winogradUnpadded() { return makeConv("", 2, 16, 10, 34, 16, 3, 3, 1, 0, 1, 1).g; }

Buffer<float> inputOf(const Conv2DGeometry &g, unsigned seed) {
  Buffer<float> b(int(g.w), int(g.h), int(g.c), int(g.n));
  fillRandom(b, seed);
  return b;
}
Buffer<float> filterOf(const Conv2DGeometry &g, unsigned seed) {
  Buffer<float> b(int(g.kw), int(g.kh), int(g.c / g.groups), int(g.o));
  fillRandom(b, seed);
  return b;
}

/// Whether output (ox, oy)'s window covers input pixel (ix, iy).
bool windowCovers(const Conv2DGeometry &g, int64_t ox, int64_t oy, int64_t ix, int64_t iy) {
  const int64_t kx = ix - (ox - g.padW), ky = iy - (oy - g.padH);
  return kx >= 0 && kx < g.kw && ky >= 0 && ky < g.kh;
}

/// The sum of |input| x |filter| over output (ox, oy)'s window: the scale
/// of its rounding error.
double magnitudeAt(const Buffer<float> &in, const Buffer<float> &w, const Conv2DGeometry &g,
                   int64_t n, int64_t o, int64_t oy, int64_t ox) {
  Buffer<float> absIn = in.copy(), absW = w.copy();
  absIn.for_each_value([](float &v) { v = std::abs(v); });
  absW.for_each_value([](float &v) { v = std::abs(v); });
  return naiveConv2DAt(absIn, absW, g, n, o, oy, ox);
}

/// The direct sum over the zero-padded input, in double: every tap
/// multiplied, the padding's zeros too (0 x inf is NaN, as in PyTorch's
/// conv2d; naiveConv2DAt skips the padding's taps). One group, stride 1.
double zeroPaddedSumAt(const Buffer<float> &in, const Buffer<float> &w,
                       const Conv2DGeometry &g, int64_t n, int64_t o, int64_t oy, int64_t ox) {
  double sum = 0;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ox + kx - g.padW, iy = oy + ky - g.padH;
        const bool inside = ix >= 0 && ix < g.w && iy >= 0 && iy < g.h;
        sum += (inside ? double(in(int(ix), int(iy), int(c), int(n))) : 0.0) *
               double(w(int(kx), int(ky), int(c), int(o)));
      }
  return sum;
}

/// The number of outputs for which `ok(n, o, oy, ox, got, direct)` is
/// false, every output checked; the first 5 are reported as failures.
template <typename Check>
int mismatches(const Conv2DGeometry &g, const Buffer<float> &out, const Buffer<float> &in,
               const Buffer<float> &w, Check ok) {
  int failures = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t o = 0; o < g.o; ++o)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const double got = out(int(ox), int(oy), int(o), int(n));
          const double direct = zeroPaddedSumAt(in, w, g, n, o, oy, ox);
          if (!ok(n, o, oy, ox, got, direct) && failures++ < 5)
            ADD_FAILURE() << "out[" << n << "][" << o << "][" << oy << "][" << ox << "] = " << got
                          << ", direct " << direct;
        }
  return failures;
}

// A NaN input or weight gives NaN in exactly the outputs whose direct sum
// is NaN (each tile's patch is the union of its pixels' windows, and A^T
// drops the patch columns a pixel's window lacks); every other output
// matches the direct sum.
TEST_P(WinogradFpTest, NaNReachesTheDirectSumsOutputs) {
  for (const Conv2DGeometry &g : {winogradPadded(2), winogradUnpadded()}) {
    Buffer<float> in = inputOf(g, 11), w = filterOf(g, 12);
    in(0, 0, 3, 0) = NAN;
    in(int(g.w) / 2, 5, 0, 1) = NAN;
    in(int(g.w) - 1, int(g.h) - 1, int(g.c) - 1, 1) = NAN;
    w(1, 2, 4, 9) = NAN;
    Buffer<float> out = run(g, in, w);
    int nans = 0;
    const int failures = mismatches(g, out, in, w, [&](int64_t n, int64_t o, int64_t oy,
                                                       int64_t ox, double got, double direct) {
      nans += std::isnan(direct);
      const bool ok = std::isnan(direct) ? std::isnan(got)
                                         : std::abs(got - direct) <=
                                               1e-5 * (1 + magnitudeAt(in, w, g, n, o, oy, ox));
      return ok;
    });
    EXPECT_EQ(failures, 0);
    EXPECT_GT(nans, int(g.oh * g.ow)); // the NaN weight's channel, and more
  }
}

// An infinite input with every filter tap +1: the direct sum is that
// infinity in the outputs whose window covers it. Winograd keeps it only
// where the input is the first tap of pixel 0 or the last of pixel 1 of
// its tile along both axes (patch offset 0 or 3: one term of A^T B^T);
// at the inner offsets the terms through B^T's and A^T's +-1 have both
// signs, inf - inf, and the output is NaN. Outputs whose window does not
// cover it stay finite and match.
TEST_P(WinogradFpTest, AnInfiniteInputIsNaNExceptAtItsTilesCorners) {
  const Conv2DGeometry g = winogradPadded(4);
  Buffer<float> in = inputOf(g, 21), w = filterOf(g, 22);
  w.fill(1.0f);
  // Per image: the infinite pixel (x, y, channel) and its sign.
  const int64_t at[4][3] = {{0, 0, 3}, {7, 4, 0}, {g.w - 1, g.h - 1, 16}, {8, 5, 9}};
  const float sign[4] = {1, 1, 1, -1};
  for (int b = 0; b < 4; ++b)
    in(int(at[b][0]), int(at[b][1]), int(at[b][2]), b) = sign[b] * INFINITY;
  Buffer<float> out = run(g, in, w);
  int kept = 0, nans = 0;
  const int failures = mismatches(g, out, in, w, [&](int64_t n, int64_t o, int64_t oy,
                                                     int64_t ox, double got, double direct) {
    const int64_t ix = at[n][0], iy = at[n][1];
    bool ok;
    if (windowCovers(g, ox, oy, ix, iy)) {
      const int64_t px = ox % 2, py = oy % 2;
      const int64_t offX = ix + g.padW - 2 * (ox / 2), offY = iy + g.padH - 2 * (oy / 2);
      const bool corner = offX == 3 * px && offY == 3 * py;
      ok = corner ? got == direct && std::isinf(direct) : std::isnan(got);
      kept += corner, nans += !corner;
    } else {
      ok = std::abs(got - direct) <= 1e-5 * (1 + magnitudeAt(in, w, g, n, o, oy, ox));
    }
    return ok;
  });
  EXPECT_EQ(failures, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(nans, 0);
}

// Infinite inputs and an infinite weight with random taps: where the direct
// sum is finite, so is Winograd's and it matches; where it is NaN (inf x a
// padding zero, +inf - inf), Winograd's is NaN; where it is +-inf,
// Winograd's is the same infinity or NaN, and NaN somewhere (the
// documented difference). Padded and unpadded.
TEST_P(WinogradFpTest, InfinitiesGiveTheDirectSumsInfinityOrNaN) {
  for (const Conv2DGeometry &g : {winogradPadded(2), winogradUnpadded()}) {
    Buffer<float> in = inputOf(g, 31), w = filterOf(g, 32);
    in(0, 0, 0, 0) = INFINITY;
    in(5, 3, 7, 0) = -INFINITY;
    in(6, 3, 8, 0) = INFINITY;
    in(int(g.w) - 2, int(g.h) - 1, 15, 1) = INFINITY;
    w(0, 0, 2, 5) = -INFINITY;
    Buffer<float> out = run(g, in, w);
    int infs = 0, nanForInf = 0, directNaNs = 0;
    const int failures = mismatches(g, out, in, w, [&](int64_t n, int64_t o, int64_t oy,
                                                       int64_t ox, double got, double direct) {
      bool ok;
      if (std::isnan(direct)) {
        ok = std::isnan(got);
        ++directNaNs;
      } else if (std::isinf(direct)) {
        ok = got == direct || std::isnan(got);
        infs += got == direct, nanForInf += std::isnan(got);
      } else {
        ok = std::abs(got - direct) <= 1e-5 * (1 + magnitudeAt(in, w, g, n, o, oy, ox));
      }
      return ok;
    });
    EXPECT_EQ(failures, 0);
    EXPECT_GT(infs, 0);
    EXPECT_GT(nanForInf, 0);
    if (g.padW > 0)
      EXPECT_GT(directNaNs, 0); // the infinite weight on the zero padding
  }
}

// Large finite values: inputs of 1e30 (their products with taps of up to 1
// stay in range) match the direct sum. Inputs near the largest float
// (3e38) can overflow in the input transform (a sum of up to four inputs),
// so an output may be +-inf or NaN where the direct sum is finite; but no
// output is a wrong finite number, and none is finite where the direct sum
// is out of float's range.
TEST_P(WinogradFpTest, LargeValuesMatchOrOverflow) {
  const Conv2DGeometry g = winogradPadded(2);
  for (const double scale : {1e30, 3e38}) {
    Buffer<float> in = inputOf(g, 41), w = filterOf(g, 42);
    in.for_each_value([&](float &v) { v = float(v * scale); });
    Buffer<float> out = run(g, in, w);
    SCOPED_TRACE(testing::Message() << "scale " << scale);
    int overflowed = 0;
    const int failures = mismatches(g, out, in, w, [&](int64_t n, int64_t o, int64_t oy,
                                                       int64_t ox, double got, double direct) {
      const double tolerance = 1e-5 * magnitudeAt(in, w, g, n, o, oy, ox);
      const bool close = std::abs(got - direct) <= tolerance;
      bool ok;
      if (scale == 1e30)
        ok = close;
      else if (std::abs(direct) > std::numeric_limits<float>::max())
        ok = !std::isfinite(got);
      else
        ok = close || !std::isfinite(got);
      overflowed += !std::isfinite(got);
      return ok;
    });
    EXPECT_EQ(failures, 0);
    if (scale == 1e30)
      EXPECT_EQ(overflowed, 0);
    else
      EXPECT_GT(overflowed, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, WinogradFpTest,
                         ::testing::Values(&kTargets[0], &kTargets[1], &kTargets[2]),
                         [](const ::testing::TestParamInfo<const TestTarget *> &info) {
                           return std::string(info.param->name);
                         });

//===----------------------------------------------------------------------===//
// The Winograd filter gradient's FP edges
//===----------------------------------------------------------------------===//

// What F(2x2, 3x3)'s filter gradient gives for non-finite and huge
// operands (WinogradFilterGradient.h), against the direct sum over the
// zero-padded input in double (zeroPaddedSumAt of the gradient's conv
// form), at every target.
class WinogradFilterGradientFpTest : public ::testing::TestWithParam<const TestTarget *> {
protected:
  /// A 3x3 layer's filter gradient (3 images: 3 chunks; 8 channels in,
  /// 16 out, padding 1, 6x10 output).
  const Conv2DGeometry layer = makeConv("", 3, 8, 6, 10, 16, 3, 3, 1, 1, 1, 1).g;
  const Conv2DGeometry g = axon::halide::convRoleGeometry(layer, ConvRole::FilterGrad);
  Buffer<float> x{int(layer.w), int(layer.h), int(layer.c), int(layer.n)};
  Buffer<float> dy{int(layer.ow), int(layer.oh), int(layer.o), int(layer.n)};

  void SetUp() override {
    const std::string missing = missingHere(*GetParam());
    if (!missing.empty())
      GTEST_SKIP() << "this CPU lacks " << missing;
    fillRandom(x, 51);
    fillRandom(dy, 52);
  }

  /// The number of filter taps for which `ok(...)` is false (the first 5
  /// reported), given dW computed by Winograd for this test's target.
  /// `touched(o, c)`: whether a non-finite value reaches output channel o
  /// or input channel c; taps of other pairs must match the direct sum.
  template <typename Check> int mismatchesOfRun(Check ok) {
    EXPECT_TRUE(axon::halide::useWinogradFilterGradient(g, Float(32)));
    Buffer<float> out = realizeConvRole(ConvRole::FilterGrad, g, x, dy, *GetParam());
    Buffer<float> in, w;
    axon::halide::convRoleBuffers(ConvRole::FilterGrad, g, x, dy, in, w);
    return mismatches(g, out, in, w, [&](int64_t c, int64_t o, int64_t ky, int64_t kx,
                                         double got, double direct) {
      const bool close =
          std::abs(got - direct) <= 1e-5 * (1 + magnitudeAt(in, w, g, c, o, ky, kx));
      return ok(c, o, got, direct, close);
    });
  }
};

// NaN in the input (a corner pixel, which a padded window reads at two
// taps of each axis only, and an inner one) and in the output gradient:
// every tap whose direct sum is NaN is NaN; NaN reaches only the taps of
// the channel pairs it is in, where a tap is NaN or matches; every other
// tap matches.
TEST_P(WinogradFilterGradientFpTest, NaNStaysInItsChannelPairs) {
  x(0, 0, 2, 0) = NAN;
  x(4, 3, 5, 1) = NAN;
  dy(7, 2, 9, 2) = NAN;
  int directNaNs = 0;
  const int failures = mismatchesOfRun([&](int64_t c, int64_t o, double got, double direct,
                                          bool close) {
    const bool touched = c == 2 || c == 5 || o == 9;
    directNaNs += std::isnan(direct);
    if (std::isnan(direct))
      return bool(std::isnan(got));
    return touched ? close || std::isnan(got) : close;
  });
  EXPECT_EQ(failures, 0);
  EXPECT_GT(directNaNs, 0);
}

// Infinite inputs and an infinite output gradient: where the direct sum is
// +-inf, the tap is that infinity or NaN; where it is NaN (inf x a padding
// zero, inf - inf), not finite; where it is finite, the tap matches, or in
// a channel pair an infinity reaches may be non-finite (the inverse
// transform's inf - inf), but never a wrong finite value.
TEST_P(WinogradFilterGradientFpTest, InfinitiesAreNeverAWrongFiniteValue) {
  x(0, 0, 1, 0) = INFINITY;
  x(5, 2, 6, 1) = -INFINITY;
  dy(9, 5, 3, 2) = INFINITY;
  int infs = 0, directNaNs = 0;
  const int failures = mismatchesOfRun([&](int64_t c, int64_t o, double got, double direct,
                                          bool close) {
    const bool touched = c == 1 || c == 6 || o == 3;
    if (std::isnan(direct)) {
      ++directNaNs;
      return !std::isfinite(got);
    }
    if (std::isinf(direct)) {
      infs += got == direct;
      return got == direct || std::isnan(got);
    }
    return touched ? close || !std::isfinite(got) : close;
  });
  EXPECT_EQ(failures, 0);
  EXPECT_GT(infs, 0);
  EXPECT_GT(directNaNs, 0); // the infinite gradient on the zero padding
}

// Inputs of 1e30 match the direct sum; near the largest float (3e38) a
// transform (a sum of up to 4 values) can overflow: a tap may be
// non-finite where the direct sum is finite, never a wrong finite value.
TEST_P(WinogradFilterGradientFpTest, LargeValuesMatchOrOverflow) {
  for (const double scale : {1e30, 3e38}) {
    SCOPED_TRACE(testing::Message() << "scale " << scale);
    fillRandom(x, 53);
    x.for_each_value([&](float &v) { v = float(v * scale); });
    int overflowed = 0;
    const int failures = mismatchesOfRun([&](int64_t, int64_t, double got, double direct,
                                            bool close) {
      overflowed += !std::isfinite(got);
      if (scale == 1e30)
        return close;
      if (std::abs(direct) > std::numeric_limits<float>::max())
        return !std::isfinite(got);
      return close || !std::isfinite(got);
    });
    EXPECT_EQ(failures, 0);
    if (scale == 1e30)
      EXPECT_EQ(overflowed, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, WinogradFilterGradientFpTest,
                         ::testing::Values(&kTargets[0], &kTargets[1], &kTargets[2]),
                         [](const ::testing::TestParamInfo<const TestTarget *> &info) {
                           return std::string(info.param->name);
                         });

// Halide suffixes a name used before in the process with $n ("conv$1",
// "conv_padded$1"): the schedules find the zero-padded input of a second
// conv of the same name as of the first, to compute it once per task (it
// stayed a select in every step, 4x slower, when not found).
TEST(ContractionTest, PaddedInputFoundUnderARepeatedName) {
  const Conv2DGeometry g = makeConv("", 1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1).g;
  for (int i = 0; i < 3; ++i) {
    ImageParam input(Float(32), 4), filter(Float(32), 4);
    Func conv =
        axon::halide::defineConv2D(input, filter, g, Float(32), "conv_repeated_name");
    Func acc(Internal::find_direct_calls(conv.function()).begin()->second);
    std::optional<Func> padded = axon::halide::paddedInputOf(acc, conv);
    ASSERT_TRUE(padded.has_value()) << conv.name();
    EXPECT_EQ(padded->name().substr(0, padded->name().find('$')),
              "conv_repeated_name_padded");
  }
}

TEST(ContractionTest, RejectsFuncsNotFromDefine) {
  Var x, y;
  Func f("f"), a("a"), b("b");
  a(x, y) = x + y;
  b(x, y) = x - y;
  f(x, y) = a(x, y);
  f(x, y) += 1;
  EXPECT_THROW(
      axon::halide::scheduleMatmul(f, f, a, b, 4, 4, 4, 0, Target(kTargets[0].halide)),
      std::invalid_argument);
}

} // namespace
