// The recurrent gates' activations compiled for f32 (KernelLowering's
// ieeeTanh and its one-exp sigmoid: vector arithmetic, where Halide's tanh
// called libm once per lane) against libm in double: within a few ulp over
// a sweep of [-20, 20] and at the edges (+-0, tiny and subnormal inputs,
// both sides of the 0.625 and 9 switch points, +-80, +-inf, NaN), at sizes
// 1, 7 and 33 (vector tails). And an LSTM cell's gradients, whose four gate
// gradients are inserted into zeros and summed (the inserted pieces are
// computed whole, KernelLowering's materializePiece), against the reference
// evaluator at batch 1, 7 and 33.
#include "tests/unit/CompileModel.h"
#include "tests/unit/CompiledVsReference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

using namespace axon;
using test_support::randomTensor;

namespace {

const char *kActivations = R"(
fn act_tanh(x: f32[N]) -> f32[N] { return tanh(x) }
fn act_sigmoid(x: f32[N]) -> f32[N] { return sigmoid(x) }
)";

/// Inputs where the lowering switches formula or saturates, and IEEE edges.
std::vector<double> edgeInputs() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0, -0.0, 1e-30, -1e-30, 1e-40, 1e-6, -3e-4,
                           0.625, -0.625, 9.0, -9.0, 80.0, -80.0, 88.8,
                           -88.8, 1e30, -1e30, inf, -inf};
  for (double at : {0.625, 9.0})
    for (double s : {1.0, -1.0}) {
      v.push_back(s * std::nextafter(float(at), 0.0f));
      v.push_back(s * std::nextafter(float(at), 100.0f));
    }
  v.push_back(std::numeric_limits<double>::quiet_NaN());
  return v;
}

/// `got` (f32) is within `ulps` f32 ulps of `want`; NaN for NaN, signed
/// zeros and infinities exactly.
void expectUlps(double got, double want, double x, int ulps, const char *fn) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << fn << "(" << x << ") = " << got;
    return;
  }
  if (want == 0 || std::isinf(want)) {
    EXPECT_EQ(got, want) << fn << "(" << x << ")";
    EXPECT_EQ(std::signbit(got), std::signbit(want)) << fn << "(" << x << ")";
    return;
  }
  float w = float(want);
  double ulp = double(std::nextafter(std::fabs(w), std::numeric_limits<float>::infinity())) -
               double(std::fabs(w));
  EXPECT_LE(std::fabs(got - want), ulps * ulp)
      << fn << "(" << x << ") = " << got << ", libm " << want;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST(GateActivation, TanhAndSigmoidMatchLibmAtEdgesAndSizes) {
  auto m = test_support::compileModel(kActivations, /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  std::vector<double> edges = edgeInputs();
  std::vector<double> sweep;
  for (int i = -2000; i <= 2000; ++i)
    sweep.push_back(i * 0.01 + 0.001); // 4001 values: a 1-lane tail.
  std::vector<std::vector<double>> inputs;
  for (int64_t n : {1, 7, 33}) // each edge at every lane position
    for (size_t start = 0; start < edges.size(); start += size_t(n)) {
      std::vector<double> x;
      for (int64_t i = 0; i < n; ++i)
        x.push_back(edges[(start + size_t(i)) % edges.size()]);
      inputs.push_back(x);
    }
  inputs.push_back(sweep);
  for (const char *fn : {"act_tanh", "act_sigmoid"}) {
    std::vector<FunctionRequest> requests;
    for (int64_t n : {1, 7, 33, 4001})
      requests.push_back({fn, {{n}}});
    auto program = JitProgram::compile(*m->module, requests, {});
    ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError());
    bool isTanh = std::string(fn) == "act_tanh";
    for (const std::vector<double> &x : inputs) {
      Tensor in(DType::F32, {int64_t(x.size())});
      for (size_t i = 0; i < x.size(); ++i)
        in.data[i] = double(float(x[i]));
      auto got = (*program)->executor().call(fn, {in});
      ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
      for (size_t i = 0; i < x.size(); ++i) {
        double v = in.data[i];
        double want = isTanh ? std::tanh(v) : sigmoid(v);
        // sigmoid's tail below 1e-30 is exp's subnormal range.
        if (!isTanh && v < -69)
          EXPECT_NEAR((*got)[0].data[i], want, 1e-30) << fn << "(" << v << ")";
        else
          expectUlps((*got)[0].data[i], want, v, isTanh ? 3 : 4, fn);
      }
    }
  }
}

// The bench's LSTM cell at small sizes (hidden `h`, 4h gate columns): z =
// x Wx + h Wh + b, the four gates its column blocks. Its gradients take the
// gate gradients inserted into zeros and summed (dz), then a matmul (dh,
// dx) or a sum over rows (db).
std::string cellModel(int h) {
  auto n = [](int v) { return std::to_string(v); };
  std::string gates = n(4 * h);
  auto gate = [&](const char *act, int k) {
    return std::string(act) + "(slice(z, axis = 1, start = " + n(k * h) +
           ", end = " + n((k + 1) * h) + "))";
  };
  std::string state = "f32[N, " + n(h) + "]";
  std::string args = "x: f32[N, 5], h: " + state + ", c: " + state;
  return "param Wx: f32[5, " + gates + "] = glorot_uniform\n"
         "param Wh: f32[" + n(h) + ", " + gates + "] = glorot_uniform\n"
         "param b: f32[" + gates + "] = uniform(-0.5, 0.5)\n"
         "fn cell(" + args + ") -> f32 {\n"
         "  let z = x @ Wx + h @ Wh + b\n"
         "  let i = " + gate("sigmoid", 0) + "\n"
         "  let f = " + gate("sigmoid", 1) + "\n"
         "  let g = " + gate("tanh", 2) + "\n"
         "  let o = " + gate("sigmoid", 3) + "\n"
         "  let c2 = f * c + i * g\n"
         "  return sum(o * tanh(c2) * c2)\n"
         "}\n"
         "fn dh(" + args + ") -> " + state + " { return grad(cell, x, h, c, wrt = h) }\n"
         "fn dc(" + args + ") -> " + state + " { return grad(cell, x, h, c, wrt = c) }\n"
         "fn db(" + args + ") -> f32[" + gates + "] { return grad(cell, x, h, c, wrt = b) }\n"
         "fn dWh(" + args + ") -> f32[" + n(h) + ", " + gates +
         "] { return grad(cell, x, h, c, wrt = Wh) }\n";
}

// Hidden 3, and 16 and 24: gate pieces whole vectors wide, whose sum the
// schedule computes piece by piece (Schedule.cpp's pieceWidth).
TEST(GateActivation, LstmCellGradientsMatchTheReference) {
  for (int hidden : {3, 16, 24}) {
    auto m = test_support::compileModel(cellModel(hidden), /*gradientPipeline=*/true);
    ASSERT_TRUE(m->module) << m->errors;
    uint64_t seed = 29;
    std::vector<std::vector<Tensor>> argSets;
    for (int64_t n : {1, 7, 33})
      argSets.push_back({randomTensor(DType::F32, {n, 5}, seed, -3, 3),
                         randomTensor(DType::F32, {n, hidden}, seed),
                         randomTensor(DType::F32, {n, hidden}, seed)});
    for (const char *fn : {"dh", "dc", "db", "dWh"})
      test_support::checkAgainstReference(*m->module, fn, argSets, m->errors);
  }
}

} // namespace
