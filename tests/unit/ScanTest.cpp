// scan, cumsum and cumprod as the language writes them, against the
// recurrence run one step at a time by a loop here: the reference evaluator
// and the compiled block scan (KernelLowering's scan) at T = 1, 2, 7, 33 and
// 1024, along an inner axis and the innermost one, in both directions; and
// their gradients against central differences at T = 1, 2 and a run-time T,
// with zeros in cumprod's input. Also the constructors (arange, eye,
// tril/triu, tensor literals) the sequence models build masks and positions
// with.
#include "backends/reference/Evaluator.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/CompiledVsReference.h"
#include "tests/unit/GradientCheck.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;
using test_support::expectClose;
using test_support::randomTensor;

namespace {

/// h_t = a_t h_(t-1) + b_t along `axis` (h_0 = b_0), or the reverse
/// recurrence h_t = a_(t+1) h_(t+1) + b_t, one step at a time in f32 (each
/// step rounded, as a sequential f32 loop would).
Tensor sequentialScan(const Tensor &a, const Tensor &b, size_t axis,
                      bool reverse) {
  int64_t outer = 1, inner = 1, n = b.shape[axis];
  for (size_t d = 0; d < axis; ++d)
    outer *= b.shape[d];
  for (size_t d = axis + 1; d < b.shape.size(); ++d)
    inner *= b.shape[d];
  Tensor h(b.dtype, b.shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      for (int64_t s = 0; s < n; ++s) {
        int64_t t = reverse ? n - 1 - s : s;
        int64_t at = (o * n + t) * inner + i;
        double carried = 0;
        if (s > 0)
          carried = reverse ? a.data[at + inner] * h.data[at + inner]
                            : a.data[at] * h.data[at - inner];
        h.data[at] = roundTo(b.dtype, carried + b.data[at]);
      }
  return h;
}

const char *kScans = R"(
fn inner(a: f32[B, T, 5], b: f32[B, T, 5]) -> f32[B, T, 5] { return scan(a, b, axis = 1) }
fn last(a: f32[B, T], b: f32[B, T]) -> f32[B, T] { return scan(a, b, reverse = 1) }
fn sums(x: f32[B, T]) -> f32[B, T] { return cumsum(x, axis = 1) }
fn products(x: f32[T, 3]) -> f32[T, 3] { return cumprod(x, axis = 0) }
)";

class ScanLengths : public ::testing::TestWithParam<int64_t> {};

// The evaluator is the loop; the compiled kernel scans blocks of 16 and
// combines their carries in log2(T / 16) passes, so it reassociates: a
// close match at T = 1024 (values of a in [0.5, 1), as minGRU's 1 - z).
TEST_P(ScanLengths, EvaluatorAndCompiledMatchTheLoop) {
  int64_t T = GetParam();
  auto m = test_support::compileModel(kScans, /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  uint64_t seed = 17 + T;
  Tensor a3 = randomTensor(DType::F32, {2, T, 5}, seed, 0.5, 1.0);
  Tensor b3 = randomTensor(DType::F32, {2, T, 5}, seed);
  Tensor a2 = randomTensor(DType::F32, {3, T}, seed, 0.5, 1.0);
  Tensor b2 = randomTensor(DType::F32, {3, T}, seed);
  Tensor x2 = randomTensor(DType::F32, {3, T}, seed);
  Tensor p = randomTensor(DType::F32, {T, 3}, seed, 0.9, 1.1);
  p.data[std::min<int64_t>(4, T - 1) * 3 + 1] = 0; // a zero in one column
  Tensor ones2(DType::F32, {3, T}, 1.0);
  Tensor pb = p; // cumprod's b: x at t = 0, then zeros
  for (int64_t i = 3; i < pb.numElements(); ++i)
    pb.data[i] = 0;
  struct Case {
    const char *fn;
    std::vector<Tensor> args;
    Tensor want;
  };
  std::vector<Case> cases = {
      {"inner", {a3, b3}, sequentialScan(a3, b3, 1, false)},
      {"last", {a2, b2}, sequentialScan(a2, b2, 1, true)},
      {"sums", {x2}, sequentialScan(ones2, x2, 1, false)},
      {"products", {p}, sequentialScan(p, pb, 0, false)},
  };
  std::vector<FunctionRequest> requests;
  for (const Case &c : cases) {
    FunctionRequest r{c.fn, {}};
    for (const Tensor &t : c.args)
      r.argShapes.push_back(t.shape);
    requests.push_back(r);
  }
  reference::Evaluator reference(*m->module);
  auto program = JitProgram::compile(*m->module, requests, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError());
  for (const Case &c : cases) {
    std::string what = std::string(c.fn) + " at T = " + std::to_string(T);
    auto evaluated = reference.call(c.fn, c.args);
    ASSERT_TRUE(bool(evaluated)) << llvm::toString(evaluated.takeError());
    expectClose((*evaluated)[0], c.want, what + " (evaluator)", 1e-6);
    auto compiled = (*program)->executor().call(c.fn, c.args);
    ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
    expectClose((*compiled)[0], c.want, what + " (compiled)", 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(Scan, ScanLengths,
                         ::testing::Values(1, 2, 7, 33, 1024));

// Gradients of scan, cumsum and cumprod through the train block's
// gradient function, at a run-time T of 1, 2 and 7 rows: the reverse scan
// for b, h_(t-1) (a shift) for a, and cumprod through exact zeros.
TEST(ScanGradients, MatchCentralDifferencesAtRunTimeLengths) {
  auto m = test_support::compileModel(R"(
param Wa: f64[3] = uniform(-1.0, 1.0)
param Wb: f64[3] = uniform(-1.0, 1.0)
param Wc: f64[3] = uniform(0.5, 1.5)
fn loss(x: f64[T, 3], t: i32[T]) -> f64 {
  let h = scan(sigmoid(x * Wa), tanh(x * Wb), axis = 0)
  let back = scan(sigmoid(x * Wb), x * Wa, axis = 0, reverse = 1)
  let s = cumsum(h * back, axis = 0)
  let p = cumprod(x * Wc, axis = 0)
  return sum(s * s) + sum(p * f64([0.5, -1.0, 2.0]))
}
train loss { optimizer = sgd(lr = 0.1) }
)",
                                      /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  for (int64_t T : {1, 2, 7}) {
    SCOPED_TRACE("T = " + std::to_string(T));
    uint64_t seed = 5 + T;
    Tensor x = randomTensor(DType::F64, {T, 3}, seed, -1.5, 1.5);
    if (T > 1)
      x.data[3 * 1 + 2] = 0; // cumprod's column 2 passes through zero
    if (T > 2)
      x.data[3 * 2 + 2] = 0; // ... twice
    reference::Evaluator ev(*m->module);
    test_support::expectGradientsMatch(*m->module, ev,
                                       {x, Tensor(DType::I32, {T}, 0.0)},
                                       "loss", "loss_grad");
  }
}

// cumprod's gradient with zeros, by hand: d/dx of sum(cumprod(x)) for
// x = [2, 0, 3] is [1, 2 + 2*3, 0] = [1, 8, 0] (no division by x).
TEST(ScanGradients, CumprodThroughAZeroByHand) {
  auto m = test_support::compileModel(R"(
fn f(x: f64[3]) -> f64 { return sum(cumprod(x)) }
fn g(x: f64[3]) -> f64[3] { return grad(f, x, wrt = x) }
)",
                                      /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator ev(*m->module);
  auto r = ev.call("g", {Tensor(DType::F64, {3}, std::vector<double>{2, 0, 3})});
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_EQ((*r)[0].data, (std::vector<double>{1, 8, 0}));
}

// The constructors from the language: positions, identity, causal mask,
// literals; compiled and evaluated alike.
TEST(Constructors, ArangeEyeTrilTriuAndLiterals) {
  auto m = test_support::compileModel(R"(
fn positions(x: f32[T, 4]) -> i64[T] { return arange(T) }
fn steps(x: f32[2]) -> f32[4] { return arange(1, 3, 0.5) }
fn identity(x: f32[N, 3]) -> f32[N, N] { return eye(N) }
fn causal(x: f32[T, T]) -> f32[T, T] { return where(tril(ones([T, T])) > 0.0, x, -1.0e9) }
fn upper(x: f32[3, 4]) -> f32[3, 4] { return triu(x, k = 1) }
fn literal(x: f32[2, 2]) -> f32[2, 2] { return x @ [[1.5, -2], [0, 1]] + f32([[1, 2], [3, 4]]) }
)",
                                      /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator ev(*m->module);
  auto call = [&](const char *fn, Tensor x) {
    auto r = ev.call(fn, {x});
    EXPECT_TRUE(bool(r)) << llvm::toString(r.takeError());
    return r ? (*r)[0] : Tensor();
  };
  EXPECT_EQ(call("positions", Tensor(DType::F32, {5, 4})).data,
            (std::vector<double>{0, 1, 2, 3, 4}));
  EXPECT_EQ(call("steps", Tensor(DType::F32, {2})).data,
            (std::vector<double>{1, 1.5, 2, 2.5}));
  EXPECT_EQ(call("identity", Tensor(DType::F32, {2, 3})).data,
            (std::vector<double>{1, 0, 0, 1}));
  EXPECT_EQ(call("causal", Tensor(DType::F32, {2, 2}, 7.0)).data,
            (std::vector<double>{7, -1e9, 7, 7}));
  Tensor x34(DType::F32, {3, 4});
  for (int i = 0; i < 12; ++i)
    x34.data[i] = i + 1;
  EXPECT_EQ(call("upper", x34).data,
            (std::vector<double>{0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12}));
  EXPECT_EQ(call("literal", Tensor(DType::F32, {2, 2}, std::vector<double>{1, 0, 0, 1})).data,
            (std::vector<double>{2.5, 0, 3, 5}));
  // The same functions compiled, at other sizes.
  uint64_t seed = 3;
  test_support::checkAgainstReference(*m->module, "positions",
                                      {{Tensor(DType::F32, {7, 4})}}, m->errors);
  test_support::checkAgainstReference(*m->module, "identity",
                                      {{Tensor(DType::F32, {33, 3})}}, m->errors);
  test_support::checkAgainstReference(
      *m->module, "causal", {{randomTensor(DType::F32, {7, 7}, seed)}},
      m->errors);
  test_support::checkAgainstReference(
      *m->module, "literal", {{randomTensor(DType::F32, {2, 2}, seed)}},
      m->errors);
}

} // namespace
