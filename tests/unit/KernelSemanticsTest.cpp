// What a model can observe at the edges, the same on both backends: IEEE
// NaN and infinity in comparisons, max/min, relu, argmax and reductions;
// isnan/isinf/isfinite; integer pow; and the run-time errors of integer
// division by zero and of gather, scatter_add, one_hot (so cross_entropy)
// indices out of range, which compiled kernels report with the op's
// position instead of clamping (issue 10, items 3 and 4).
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "tests/unit/CompileModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace axon;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

/// Both backends' results of `fn` in `model`, or their errors as text.
struct Outcome {
  std::vector<Tensor> values;
  std::string error;
};

std::pair<Outcome, Outcome> runBoth(const std::string &model,
                                    const std::string &fn,
                                    const std::vector<Tensor> &args) {
  auto m = test_support::compileModel(model, true, "edge.axon");
  EXPECT_TRUE(m->module) << m->errors;
  std::pair<Outcome, Outcome> out;
  if (!m->module)
    return out;
  reference::Evaluator reference(*m->module);
  auto want = reference.call(fn, args);
  if (want)
    out.first.values = *want;
  else
    out.first.error = llvm::toString(want.takeError());
  FunctionRequest request{fn, {}};
  for (const Tensor &t : args)
    request.argShapes.push_back(t.shape);
  auto program = JitProgram::compile(*m->module, {request}, {});
  EXPECT_TRUE(bool(program)) << llvm::toString(program.takeError());
  if (!program)
    return out;
  auto got = (*program)->executor().call(fn, args);
  if (got)
    out.second.values = *got;
  else
    out.second.error = llvm::toString(got.takeError());
  return out;
}

/// Both backends give `want` exactly (NaN matching NaN).
void expectBoth(const std::string &model, const std::string &fn,
                const std::vector<Tensor> &args,
                const std::vector<std::vector<double>> &want) {
  auto [ref, jit] = runBoth(model, fn, args);
  for (const auto *o : {&ref, &jit}) {
    const char *which = o == &ref ? "reference" : "compiled";
    ASSERT_EQ(o->error, "") << which;
    ASSERT_EQ(o->values.size(), want.size()) << which;
    for (size_t r = 0; r < want.size(); ++r) {
      ASSERT_EQ(o->values[r].data.size(), want[r].size()) << which;
      for (size_t i = 0; i < want[r].size(); ++i) {
        double g = o->values[r].data[i], w = want[r][i];
        EXPECT_TRUE(std::isnan(w) ? std::isnan(g) : g == w)
            << which << " @" << fn << " result " << r << "[" << i
            << "] = " << g << ", want " << w;
      }
    }
  }
}

/// Both backends fail, with an error naming `where` and containing `what`.
void expectErrorBoth(const std::string &model, const std::string &fn,
                     const std::vector<Tensor> &args, const std::string &where,
                     const std::string &what) {
  auto [ref, jit] = runBoth(model, fn, args);
  for (const auto *o : {&ref, &jit}) {
    const char *which = o == &ref ? "reference" : "compiled";
    EXPECT_NE(o->error.find(where), std::string::npos) << which << ": " << o->error;
    EXPECT_NE(o->error.find(what), std::string::npos) << which << ": " << o->error;
    EXPECT_EQ(o->error.find("Halide"), std::string::npos) << which << ": " << o->error;
  }
}

const Tensor x5(DType::F32, {5}, {kNaN, 1, kInf, -kInf, 2});
const Tensor y5(DType::F32, {5}, {kNaN, kNaN, kInf, 3, 1});

const char *kFloatModel = R"(
fn cmp(x: f32[5], y: f32[5]) -> (bool[5], bool[5], bool[5], bool[5], bool[5], bool[5]) {
  return x != y, x == y, abs(x) == y, x < y, x <= y, x >= y
}
fn edges(x: f32[5]) -> (f32[5], f32[5], f32[5], f32[5]) { return exp(x), log(x), sigmoid(x), softplus(x) }
fn nllInf(p: f32[2, 3], t: i32[2]) -> f32 { return nll(p, t) }
fn minmax(x: f32[5], y: f32[5]) -> (f32[5], f32[5], f32[5]) { return max(x, y), min(x, y), relu(x) }
fn classify(x: f32[5]) -> (bool[5], bool[5], bool[5]) { return isnan(x), isinf(x), isfinite(x) }
fn reduce(x: f32[5], y: f32[5]) -> (f32, i32, i32, i32) { return max(x + y, axis = 0), argmax(x, axis = 0), argmax(y + x, axis = 0), argmax(y, axis = 0) }
fn pick(x: f32[5], y: f32[5]) -> f32[5] { return where(x < y, x, y) }
)";

} // namespace

TEST(KernelSemantics, NaNAndInfinityInComparisons) {
  // NaN != NaN is true; abs(NaN) == inf is false.
  // x <= y is not !(y < x): NaN <= 1 is false.
  expectBoth(kFloatModel, "cmp", {x5, y5},
             {{1, 1, 0, 1, 1}, {0, 0, 1, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 1, 0},
              {0, 0, 1, 1, 0}, {0, 0, 1, 0, 1}});
}

TEST(KernelSemantics, ExpAndLogAtTheEdges) {
  // Halide's own exp/log gave exp(NaN) = exp(inf) = 0, log(inf) = 88.7 and
  // log(1e-45) = -88.0 (the true value is -103.28).
  Tensor x(DType::F32, {5}, {kNaN, kInf, -kInf, roundTo(DType::F32, 1e-45), 0});
  auto [ref, jit] = runBoth(kFloatModel, "edges", {x});
  ASSERT_EQ(jit.error, "");
  ASSERT_EQ(ref.error, "");
  for (size_t r = 0; r < 4; ++r)
    for (size_t i = 0; i < 5; ++i) {
      double g = jit.values[r].data[i], w = ref.values[r].data[i];
      EXPECT_TRUE(std::isnan(w) ? std::isnan(g)
                                : g == w || std::fabs(g - w) <= 1e-5 * std::fabs(w))
          << "result " << r << "[" << i << "] = " << g << ", reference " << w;
    }
  EXPECT_NEAR(jit.values[1].data[3], std::log(double(1e-45f)), 1e-3);
}

TEST(KernelSemantics, NllIgnoresMinusInfinityOffTheLabel) {
  // A one-hot product would give 0 * -inf = NaN; PyTorch gives 0.3.
  Tensor p(DType::F32, {2, 3}, {-kInf, -0.5, -1, -0.1, -kInf, -3});
  Tensor t(DType::I32, {2}, {1, 0});
  auto [ref, jit] = runBoth(kFloatModel, "nllInf", {p, t});
  ASSERT_EQ(ref.error, "");
  ASSERT_EQ(jit.error, "");
  EXPECT_NEAR(ref.values[0].data[0], 0.3, 1e-6);
  EXPECT_NEAR(jit.values[0].data[0], 0.3, 1e-6);
}

TEST(KernelSemantics, MaxMinAndReluPropagateNaN) {
  expectBoth(kFloatModel, "minmax", {x5, y5},
             {{kNaN, kNaN, kInf, 3, 2}, {kNaN, kNaN, kInf, -kInf, 1},
              {kNaN, 1, kInf, 0, 2}});
}

TEST(KernelSemantics, IsNanIsInfIsFinite) {
  expectBoth(kFloatModel, "classify", {x5},
             {{1, 0, 0, 0, 0}, {0, 0, 1, 1, 0}, {0, 1, 0, 0, 1}});
}

TEST(KernelSemantics, ReductionsSeeNaN) {
  // max over a NaN is NaN; argmax takes the first NaN as the maximum, also
  // among several NaNs and when they are computed in the kernel.
  expectBoth(kFloatModel, "reduce", {x5, y5}, {{kNaN}, {0}, {0}, {0}});
}

TEST(KernelSemantics, WhereWithNaNOperands) {
  expectBoth(kFloatModel, "pick", {x5, y5}, {{kNaN, kNaN, kInf, -kInf, 1}});
}

TEST(KernelSemantics, IntegerPowAndDivision) {
  const char *model = R"(
fn pw(a: i32[5], b: i32[5]) -> i32[5] { return pow(a, b) }
fn pw64(a: i64[5], b: i64[5]) -> i64[5] { return pow(a, b) }
fn dv(a: i32[5], b: i32[5]) -> i32[5] { return a / b }
)";
  Tensor a(DType::I32, {5}, {7, -7, 3, 2, 5}), b(DType::I32, {5}, {2, 3, 1, 10, 0});
  expectBoth(model, "pw", {a, b}, {{49, -343, 3, 1024, 1}});
  Tensor a64(DType::I64, {5}, {7, -7, 3, 2, 5}), b64(DType::I64, {5}, {2, 3, 1, 40, 0});
  expectBoth(model, "pw64", {a64, b64}, {{49, -343, 3, 1099511627776.0, 1}});
  Tensor d(DType::I32, {5}, {2, 2, 1, 3, 1});
  expectBoth(model, "dv", {a, d}, {{3, -3, 3, 0, 5}});
  expectErrorBoth(model, "dv", {a, b}, "edge.axon:4:", "integer division by zero");
}

TEST(KernelSemantics, IndicesOutOfRangeAreErrors) {
  const char *model = R"(
param T: f32[4, 3] = uniform(-1, 1)
fn g(i: i32[5]) -> f32[5, 3] { return gather(T, i, axis = 0) }
fn s(i: i32[5], u: f32[5, 3]) -> f32[4, 3] { return scatter_add(T, i, u, axis = 0) }
fn ce(x: f32[5, 3], t: i32[5]) -> f32 { return cross_entropy(x, t) }
fn oh(t: i32[5]) -> f32[5, 3] { return one_hot(t, 3) }
)";
  Tensor good(DType::I32, {5}, {0, 1, 2, 2, 1});
  Tensor u(DType::F32, {5, 3});
  for (double bad : {4.0, -1.0, 2147483647.0}) {
    Tensor idx(DType::I32, {5}, {0, 1, bad, 2, 3});
    expectErrorBoth(model, "g", {idx}, "edge.axon:3:", "out of range [0, 4)");
    expectErrorBoth(model, "s", {idx, u}, "edge.axon:4:", "out of range [0, 4)");
  }
  Tensor label(DType::I32, {5}, {0, 1, 7, 2, 1});
  expectErrorBoth(model, "ce", {Tensor(DType::F32, {5, 3}), label},
                  "edge.axon:5:", "index 7 is out of range [0, 3)");
  expectErrorBoth(model, "oh", {label}, "edge.axon:6:", "out of range [0, 3)");
  expectBoth(model, "oh", {good},
             {{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0}});
}

// The models of issue 10 that died of SIGILL under Halide's host target on
// AMD Zen 4/5 (AVX512-FP16 instructions), run on both backends: relu and
// comparison masks next to f32 values, a conv/pool input gradient, bool
// comparisons, a relu after a 1x1 convolution, and a GAT-style masked
// softmax with `where`.
TEST(KernelSemantics, IssueReproducersMatchTheReference) {
  const char *model = R"(
param K1: f32[4, 3, 3, 3] = uniform(-0.5, 0.5)
param K2: f32[5, 3, 1, 1] = uniform(-0.5, 0.5)
param A: f32[6, 4] = uniform(-0.5, 0.5)
fn f1(x: f32[2, 3, 11, 11]) -> f32 { return sum(max_pool2d(relu(conv2d(x, K1, padding = 1)), kernel = 2)) }
fn g1(x: f32[2, 3, 11, 11]) -> f32[2, 3, 11, 11] { return grad(f1, x, wrt = x) }
fn ne(x0: bool[3, 4, 5], x1: bool[5]) -> bool[3, 4, 5] { return x0 != x1 }
fn f2(x: f32[2, 3, 11, 11]) -> f32 { return sum(relu(conv2d(x, K2))) }
fn g2(x: f32[2, 3, 11, 11]) -> f32[5, 3, 1, 1] { return grad(f2, x, wrt = K2) }
fn gat(h: f32[7, 6], adj: f32[7, 7]) -> f32[7, 4] {
  let z = h @ A
  let e = z @ transpose(z)
  let att = softmax(where(adj > 0, e, -1e9), axis = 1)
  return att @ z
}
)";
  uint64_t state = 5;
  auto random = [&](std::vector<int64_t> shape, bool binary) {
    Tensor t(binary ? DType::I1 : DType::F32, std::move(shape));
    for (double &v : t.data) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      double u = double(state >> 11) / double(1ull << 53);
      v = binary ? double(u < 0.5) : roundTo(DType::F32, 2 * u - 1);
    }
    return t;
  };
  Tensor x = random({2, 3, 11, 11}, false);
  Tensor adj = random({7, 7}, false);
  std::vector<std::pair<std::string, std::vector<Tensor>>> calls = {
      {"g1", {x}},
      {"ne", {random({3, 4, 5}, true), random({5}, true)}},
      {"g2", {x}},
      {"gat", {random({7, 6}, false), adj}},
  };
  for (const auto &[fn, args] : calls) {
    auto [ref, jit] = runBoth(model, fn, args);
    ASSERT_EQ(ref.error, "") << fn;
    ASSERT_EQ(jit.error, "") << fn;
    ASSERT_EQ(jit.values.size(), ref.values.size()) << fn;
    const Tensor &g = jit.values[0], &w = ref.values[0];
    ASSERT_EQ(g.shape, w.shape) << fn;
    for (size_t i = 0; i < w.data.size(); ++i)
      EXPECT_NEAR(g.data[i], w.data[i], 1e-4 * std::max(1.0, std::fabs(w.data[i])))
          << fn << "[" << i << "]";
  }
}

// max_pool2d's gradient goes to the window's first maximum in row-major
// order, NaN counting as the maximum (the reference's rule), on both
// backends: windows with two NaNs, a NaN after a larger number, -inf only.
TEST(KernelSemantics, MaxPoolGradientWithNaNAndInfinity) {
  const char *model = R"(
fn f(x: f32[1, 1, 4, 4]) -> f32 { return sum(max_pool2d(x, kernel = 2)) }
fn g(x: f32[1, 1, 4, 4]) -> f32[1, 1, 4, 4] { return grad(f, x, wrt = x) }
fn p(x: f32[1, 1, 4, 4]) -> f32[1, 1, 2, 2] { return max_pool2d(x, kernel = 2, stride = 2) }
)";
  Tensor x(DType::F32, {1, 1, 4, 4},
           {5, kNaN, -kInf, -kInf,  //
            kNaN, 1, -kInf, -kInf,  //
            1, 2, 7, 7,             //
            9, kNaN, 7, 3});
  auto [ref, jit] = runBoth(model, "g", {x});
  ASSERT_EQ(ref.error, "");
  ASSERT_EQ(jit.error, "");
  ASSERT_EQ(ref.values[0].data.size(), 16u);
  for (size_t i = 0; i < 16; ++i)
    EXPECT_EQ(jit.values[0].data[i], ref.values[0].data[i]) << i;
  // Window 0: the NaN at (0, 1); window 2: the NaN at (3, 1); window 3: the
  // first 7, at (2, 2).
  EXPECT_EQ(ref.values[0].data[1], 1);
  EXPECT_EQ(ref.values[0].data[13], 1);
  EXPECT_EQ(ref.values[0].data[10], 1);
  expectBoth(model, "p", {x}, {{kNaN, -kInf, kNaN, 7}});
}

// Max pooling and its gradient at awkward sizes, the ReLU's mask fused into
// the gradient as in a CNN: batches and channels of 1, 7 and 33, odd
// heights and widths (the last row or column outside every window), rows
// of 24 (a vector and a tail), windows that tile (2x2, 3x3 by 3) and that
// overlap (3x3 by 2); inputs of small integers (ties in most windows) with
// NaN, +inf and -inf sprinkled in. Both backends agree bit for bit.
TEST(KernelSemantics, MaxPoolAtAwkwardSizesWithTiesNaNAndInfinity) {
  struct Pooling {
    int64_t kernel, stride;
  };
  const Pooling poolings[] = {{2, 2}, {3, 3}, {3, 2}};
  const std::vector<std::vector<int64_t>> shapes = {
      {1, 1, 2, 3}, {7, 33, 7, 9}, {33, 7, 24, 24}, {1, 7, 25, 13}};
  auto dims = [](const std::vector<int64_t> &s) {
    std::string t;
    for (int64_t d : s)
      t += (t.empty() ? "" : ", ") + std::to_string(d);
    return "f32[" + t + "]";
  };
  uint64_t state = 7;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  for (const auto &shape : shapes)
    for (const Pooling &p : poolings) {
      if (shape[2] < p.kernel || shape[3] < p.kernel)
        continue;
      std::vector<int64_t> pooled = {shape[0], shape[1],
                                     (shape[2] - p.kernel) / p.stride + 1,
                                     (shape[3] - p.kernel) / p.stride + 1};
      std::string call = "max_pool2d(x, kernel = " + std::to_string(p.kernel) +
                         ", stride = " + std::to_string(p.stride) + ")";
      std::string x = "x: " + dims(shape), w = "w: " + dims(pooled);
      std::string model =
          "fn p(" + x + ") -> " + dims(pooled) + " { return " + call + " }\n" +
          "fn f(" + x + ", " + w + ") -> f32 { let r = relu(x)\n  return sum(" +
          "max_pool2d(r, kernel = " + std::to_string(p.kernel) +
          ", stride = " + std::to_string(p.stride) + ") * w) }\n" +
          "fn g(" + x + ", " + w + ") -> " + dims(shape) +
          " { return grad(f, x, w, wrt = x) }\n" +
          "fn q(" + x + ", " + w + ") -> f32 { return sum(" + call + " * w) }\n" +
          "fn h(" + x + ", " + w + ") -> " + dims(shape) +
          " { return grad(q, x, w, wrt = x) }\n";
      Tensor xs(DType::F32, shape), ws(DType::F32, pooled);
      for (double &v : xs.data) {
        uint64_t r = next() % 100;
        v = r < 3 ? kNaN : r < 5 ? kInf : r < 8 ? -kInf : double(r % 7) - 3;
      }
      for (size_t i = 0; i < ws.data.size(); ++i)
        ws.data[i] = double(i % 13 + 1); // Exact sums; a wrong winner shows.
      std::string what = model + "at " + dims(shape);
      for (const char *fn : {"p", "g", "h"}) {
        std::vector<Tensor> args{xs};
        if (std::string(fn) != "p")
          args.push_back(ws);
        auto [ref, jit] = runBoth(model, fn, args);
        ASSERT_EQ(ref.error, "") << fn << "\n" << what;
        ASSERT_EQ(jit.error, "") << fn << "\n" << what;
        ASSERT_EQ(ref.values.size(), 1u);
        ASSERT_EQ(jit.values.size(), 1u);
        const Tensor &a = jit.values[0], &b = ref.values[0];
        ASSERT_EQ(a.data.size(), b.data.size());
        size_t wrong = 0;
        for (size_t i = 0; i < a.data.size(); ++i) {
          bool same = std::isnan(b.data[i]) ? std::isnan(a.data[i])
                                             : a.data[i] == b.data[i];
          if (!same && wrong++ < 5)
            ADD_FAILURE() << fn << "[" << i << "] = " << a.data[i]
                          << ", reference " << b.data[i] << "\n" << what;
        }
        EXPECT_EQ(wrong, 0u) << fn << "\n" << what;
      }
    }
}
