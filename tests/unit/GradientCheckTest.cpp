// Gradient checks beyond single ops: autodiff's diagnostics and loop
// unrolling, whole models (in the dialect and in the language), and ties,
// against central finite differences in f64 on the reference evaluator
// (GradientCheck.h). Each op's own VJP rule is checked from the per-op table
// (OpGradientTest.cpp), which also enumerates the dialect's ops
// (OpCoverageTest.cpp).
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/GradientCheck.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

using namespace axon;
using namespace axon::test_support;

namespace {

//===----------------------------------------------------------------------===//
// Every op declares how gradients treat it
//===----------------------------------------------------------------------===//

// An op must say how gradients treat it: a rule, the NoGradient trait, or
// being one of the few structural or gradient-only ops below, which
// autodiff refuses by name.
TEST(GradientCheckCoverage, EveryOpDeclaresItsGradient) {
  const std::set<std::string> structural = {
      "axon.param", "axon.param_store",     "axon.train",          "axon.loop",
      "axon.yield", "axon.max_pool2d_grad", "axon.avg_pool2d_grad"};
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect>();
  std::vector<std::string> undeclared;
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations())
    if (name.getDialectNamespace() == "axon" &&
        !name.hasInterface<GradientOpInterface>() &&
        !name.hasTrait<axon::OpTrait::NoGradient>() &&
        !structural.count(name.getStringRef().str()))
      undeclared.push_back(name.getStringRef().str());
  EXPECT_TRUE(undeclared.empty())
      << "ops with neither a VJP rule nor the NoGradient trait: "
      << llvm::join(undeclared, ", ");
}

//===----------------------------------------------------------------------===//
// Autodiff's diagnostics, and loops
//===----------------------------------------------------------------------===//

/// Runs autodiff on `text`, expecting failure; returns the diagnostics.
std::string autodiffErrors(const std::string &text) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  ctx.printOpOnDiagnostic(false);
  CapturedDiagnostics diags(ctx);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  if (!module)
    return "parse error: " + diags.text;
  if (mlir::succeeded(runAutodiff(*module)))
    return "autodiff succeeded";
  return diags.text;
}

TEST(GradientCheckDiagnostics, OpWithoutRuleIsNamed) {
  for (const char *op : {"axon.max_pool2d_grad", "axon.avg_pool2d_grad"}) {
    std::string text =
        std::string(
            "func.func @f(%x: tensor<1x1x4x4xf64>, %g: tensor<1x1x2x2xf64>) -> "
            "tensor<f64> attributes {axon.arg_names = [\"x\", \"g\"]} {\n"
            "  %p = ") +
        op +
        " %x, %g {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, "
        "padding = "
        "array<i64: 0, 0>} : tensor<1x1x4x4xf64>, tensor<1x1x2x2xf64> -> "
        "tensor<1x1x4x4xf64>\n"
        "  %s = axon.sum %p {axes = array<i64>} : tensor<1x1x4x4xf64> -> "
        "tensor<f64>\n"
        "  return %s : tensor<f64>\n}\n"
        "func.func private @f_grad(tensor<1x1x4x4xf64>, tensor<1x1x2x2xf64>) "
        "-> (tensor<f64>, "
        "tensor<1x1x2x2xf64>) attributes {axon.grad_of = @f, axon.wrt = "
        "[\"g\"]}\n";
    std::string errors = autodiffErrors(text);
    EXPECT_NE(
        errors.find(std::string("cannot differentiate through '") + op + "'"),
        std::string::npos)
        << errors;
    EXPECT_NE(errors.find("while differentiating 'f'"), std::string::npos)
        << errors;
  }
}

// Known limitation: grouped convolutions have no filter gradient yet. It
// must be a diagnostic, not a wrong answer.
TEST(GradientCheckDiagnostics, DilatedConvGradientIsRefused) {
  std::string errors = autodiffErrors(
      "func.func @f(%x: tensor<1x2x6x6xf64>, %w: tensor<2x2x3x3xf64>) -> "
      "tensor<f64> "
      "attributes {axon.arg_names = [\"x\", \"w\"]} {\n"
      "  %y = axon.conv2d %x, %w {strides = array<i64: 1, 1>, padding = "
      "array<i64: 0, 0>, "
      "dilations = array<i64: 2, 2>} : tensor<1x2x6x6xf64>, "
      "tensor<2x2x3x3xf64> -> tensor<1x2x2x2xf64>\n"
      "  %s = axon.sum %y {axes = array<i64>} : tensor<1x2x2x2xf64> -> "
      "tensor<f64>\n"
      "  return %s : tensor<f64>\n}\n"
      "func.func private @f_grad(tensor<1x2x6x6xf64>, tensor<2x2x3x3xf64>) -> "
      "(tensor<f64>, "
      "tensor<2x2x3x3xf64>) attributes {axon.grad_of = @f, axon.wrt = "
      "[\"w\"]}\n");
  EXPECT_NE(errors.find("gradient of a dilated convolution is not supported"),
            std::string::npos)
      << errors;
}

/// Parses `text`, runs autodiff, sets the listed parameters and checks
/// @f_grad against central differences of @f at `args`.
void checkModuleText(const std::string &text, const std::vector<Tensor> &args,
                     const std::map<std::string, Tensor> &params = {}) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  CapturedDiagnostics diags(ctx);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << diags.text;
  ASSERT_TRUE(mlir::succeeded(runAutodiff(*module))) << diags.text;
  reference::Evaluator ev(*module);
  for (auto &[name, value] : params)
    ASSERT_FALSE(bool(ev.setParam(name, value))) << name;
  expectGradientsMatch(*module, ev, args);
}

Tensor randomTensor(std::vector<int64_t> shape, uint32_t seed,
                    double scale = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  Tensor t(DType::F64, std::move(shape));
  for (double &v : t.data)
    v = u(rng);
  return t;
}

// Backprop through time: autodiff unrolls a loop with constant bounds.
TEST(GradientCheckLoop, TanhRecurrenceOverFiveSteps) {
  checkModuleText(R"(
func.func @f(%h0: tensor<2x4xf64>, %W: tensor<4x4xf64>, %x: tensor<2x4xf64>) -> tensor<f64>
    attributes {axon.arg_names = ["h0", "W", "x"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %y = axon.loop %lo to %hi carry(%h0 : tensor<2x4xf64>) {
  ^bb0(%t: tensor<i64>, %h: tensor<2x4xf64>):
    %p = axon.matmul %h, %W : tensor<2x4xf64>, tensor<4x4xf64> -> tensor<2x4xf64>
    %q = axon.add %p, %x : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %n = axon.tanh %q : tensor<2x4xf64>
    axon.yield %n : tensor<2x4xf64>
  } -> tensor<2x4xf64>
)" + weightedSum("y", "tensor<2x4xf64>", "loss", 7) +
                      R"(  return %loss : tensor<f64>
}
func.func private @f_grad(tensor<2x4xf64>, tensor<4x4xf64>, tensor<2x4xf64>)
    -> (tensor<f64>, tensor<2x4xf64>, tensor<4x4xf64>, tensor<2x4xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["h0", "W", "x"]}
)",
                  {randomTensor({2, 4}, 1), randomTensor({4, 4}, 2, 0.8),
                   randomTensor({2, 4}, 3)});
}

//===----------------------------------------------------------------------===//
// Whole models, in the dialect
//===----------------------------------------------------------------------===//

// Cross-entropy as the frontend spells it (axes normalised):
// -mean(sum(log_softmax(z) * one_hot(t), 1)).
const char *kCrossEntropy = R"(
  %lp = axon.log_softmax %z {axis = -1 : i64} : tensor<?x3xf64>
  %oh = axon.one_hot %t {depth = 3 : i64} : tensor<?xi32> -> tensor<?x3xf64>
  %pick = axon.mul %lp, %oh : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xf64>
  %row = axon.sum %pick {axes = array<i64: 1>} : tensor<?x3xf64> -> tensor<?xf64>
  %avg = axon.mean %row {axes = array<i64: 0>} : tensor<?xf64> -> tensor<f64>
  %loss = axon.neg %avg : tensor<f64>
  return %loss : tensor<f64>
}
)";

TEST(GradientCheckModels, MlpWithCrossEntropy) {
  checkModuleText(
      std::string(R"(
axon.param @W1 : tensor<6x5xf64> = glorot_uniform
axon.param @b1 : tensor<5xf64> = zeros
axon.param @W2 : tensor<5x3xf64> = glorot_uniform
axon.param @b2 : tensor<3xf64> = zeros
func.func @f(%x: tensor<?x6xf64>, %t: tensor<?xi32>) -> tensor<f64>
    attributes {axon.arg_names = ["x", "t"]} {
  %W1 = axon.param_ref @W1 : tensor<6x5xf64>
  %b1 = axon.param_ref @b1 : tensor<5xf64>
  %W2 = axon.param_ref @W2 : tensor<5x3xf64>
  %b2 = axon.param_ref @b2 : tensor<3xf64>
  %a = axon.matmul %x, %W1 : tensor<?x6xf64>, tensor<6x5xf64> -> tensor<?x5xf64>
  %ab = axon.add %a, %b1 : tensor<?x5xf64>, tensor<5xf64> -> tensor<?x5xf64>
  %h = axon.relu %ab : tensor<?x5xf64>
  %o = axon.matmul %h, %W2 : tensor<?x5xf64>, tensor<5x3xf64> -> tensor<?x3xf64>
  %z = axon.add %o, %b2 : tensor<?x3xf64>, tensor<3xf64> -> tensor<?x3xf64>)") +
          kCrossEntropy + R"(
func.func private @f_grad(tensor<?x6xf64>, tensor<?xi32>) -> (tensor<f64>, tensor<6x5xf64>,
    tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>, tensor<?x6xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["W1", "b1", "W2", "b2", "x"]}
)",
      {randomTensor({4, 6}, 11), Tensor(DType::I32, {4}, {0, 2, 1, 2})},
      {{"W1", randomTensor({6, 5}, 12)},
       {"b1", randomTensor({5}, 13, 0.2)},
       {"W2", randomTensor({5, 3}, 14)},
       {"b2", randomTensor({3}, 15, 0.2)}});
}

TEST(GradientCheckModels, SmallCnn) {
  // conv (pad 1) -> relu -> 2x2 max pool -> flatten -> dense -> cross-entropy.
  checkModuleText(
      std::string(R"(
axon.param @K : tensor<2x1x3x3xf64> = he_normal
axon.param @W : tensor<18x3xf64> = glorot_uniform
func.func @f(%x: tensor<?x1x6x6xf64>, %t: tensor<?xi32>) -> tensor<f64>
    attributes {axon.arg_names = ["x", "t"]} {
  %K = axon.param_ref @K : tensor<2x1x3x3xf64>
  %W = axon.param_ref @W : tensor<18x3xf64>
  %c = axon.conv2d %x, %K {strides = array<i64: 1, 1>, padding = array<i64: 1, 1>,
      dilations = array<i64: 1, 1>} : tensor<?x1x6x6xf64>, tensor<2x1x3x3xf64> -> tensor<?x2x6x6xf64>
  %r = axon.relu %c : tensor<?x2x6x6xf64>
  %p = axon.max_pool2d %r {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
      padding = array<i64: 0, 0>} : tensor<?x2x6x6xf64> -> tensor<?x2x3x3xf64>
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x1x6x6xf64>
  %flat = axon.reshape %p[%n] : tensor<?x2x3x3xf64> -> tensor<?x18xf64>
  %z = axon.matmul %flat, %W : tensor<?x18xf64>, tensor<18x3xf64> -> tensor<?x3xf64>)") +
          kCrossEntropy + R"(
func.func private @f_grad(tensor<?x1x6x6xf64>, tensor<?xi32>) -> (tensor<f64>,
    tensor<2x1x3x3xf64>, tensor<18x3xf64>, tensor<?x1x6x6xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["K", "W", "x"]}
)",
      {randomTensor({2, 1, 6, 6}, 21), Tensor(DType::I32, {2}, {1, 0})},
      {{"K", randomTensor({2, 1, 3, 3}, 22)},
       {"W", randomTensor({18, 3}, 23)}});
}

TEST(GradientCheckModels, RnnUnrolledOverFiveSteps) {
  // h_{s+1} = tanh(x_s U + h_s V + b); loss = sum over steps of mse(h, t).
  checkModuleText(R"(
axon.param @U : tensor<3x4xf64> = glorot_uniform
axon.param @V : tensor<4x4xf64> = glorot_uniform
axon.param @b : tensor<4xf64> = zeros
func.func @f(%x: tensor<5x2x3xf64>, %target: tensor<2x4xf64>) -> tensor<f64>
    attributes {axon.arg_names = ["x", "target"]} {
  %U = axon.param_ref @U : tensor<3x4xf64>
  %V = axon.param_ref @V : tensor<4x4xf64>
  %b = axon.param_ref @b : tensor<4xf64>
  %h0 = axon.fill {value = 0.0 : f64} : tensor<2x4xf64>
  %l0 = axon.fill {value = 0.0 : f64} : tensor<f64>
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<5> : tensor<i64>
  %hN, %loss = axon.loop %lo to %hi carry(%h0, %l0 : tensor<2x4xf64>, tensor<f64>) {
  ^bb0(%s: tensor<i64>, %h: tensor<2x4xf64>, %acc: tensor<f64>):
    %xs = axon.gather %x[%s] : tensor<5x2x3xf64>, tensor<i64> -> tensor<2x3xf64>
    %a = axon.matmul %xs, %U : tensor<2x3xf64>, tensor<3x4xf64> -> tensor<2x4xf64>
    %r = axon.matmul %h, %V : tensor<2x4xf64>, tensor<4x4xf64> -> tensor<2x4xf64>
    %ar = axon.add %a, %r : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %pre = axon.add %ar, %b : tensor<2x4xf64>, tensor<4xf64> -> tensor<2x4xf64>
    %hn = axon.tanh %pre : tensor<2x4xf64>
    %d = axon.sub %hn, %target : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %d2 = axon.mul %d, %d : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %mse = axon.mean %d2 {axes = array<i64>} : tensor<2x4xf64> -> tensor<f64>
    %acc2 = axon.add %acc, %mse : tensor<f64>, tensor<f64> -> tensor<f64>
    axon.yield %hn, %acc2 : tensor<2x4xf64>, tensor<f64>
  } -> tensor<2x4xf64>, tensor<f64>
  return %loss : tensor<f64>
}
func.func private @f_grad(tensor<5x2x3xf64>, tensor<2x4xf64>) -> (tensor<f64>,
    tensor<3x4xf64>, tensor<4x4xf64>, tensor<4xf64>, tensor<5x2x3xf64>, tensor<2x4xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["U", "V", "b", "x", "target"]}
)",
                  {randomTensor({5, 2, 3}, 31), randomTensor({2, 4}, 32)},
                  {{"U", randomTensor({3, 4}, 33)},
                   {"V", randomTensor({4, 4}, 34, 0.8)},
                   {"b", randomTensor({4}, 35, 0.2)}});
}

//===----------------------------------------------------------------------===//
// Whole models, in the language (the train block's gradient function)
//===----------------------------------------------------------------------===//

void checkLanguageModel(const std::string &source, std::vector<Tensor> inputs) {
  auto compiled = test_support::compileModel(source, /*gradientPipeline=*/true);
  ASSERT_TRUE(compiled->module) << compiled->errors;
  reference::Evaluator ev(*compiled->module);
  // Parameters keep their (seeded) initial values; large ones are sampled.
  expectGradientsMatch(*compiled->module, ev, std::move(inputs), "loss",
                       "loss_grad",
                       /*maxSamples=*/40);
}

TEST(GradientCheckLanguageModels, MlpWithCrossEntropyAndL2) {
  checkLanguageModel(
      R"(
param W1: f64[6, 5] = glorot_uniform
param b1: f64[5]    = normal(std = 0.1)
param W2: f64[5, 3] = glorot_uniform
param b2: f64[3]    = normal(std = 0.1)
fn loss(x: f64[N, 6], t: i32[N]) -> f64 {
  let h = tanh(x @ W1 + b1)
  return cross_entropy(h @ W2 + b2, t) + 0.01 * l2(W1)
}
train loss { optimizer = sgd(lr = 0.1) }
)",
      {randomTensor({4, 6}, 1), Tensor(DType::I32, {4}, {0, 2, 1, 2})});
}

TEST(GradientCheckLanguageModels, SmallCnn) {
  checkLanguageModel(
      R"(
param K: f64[2, 1, 3, 3] = he_normal
param c: f64[2, 1, 1]    = normal(std = 0.1)
param W: f64[8, 3]       = glorot_uniform
fn loss(x: f64[N, 1, 6, 6], t: i32[N]) -> f64 {
  let a = max_pool2d(softplus(conv2d(x, K, padding = 1) + c), kernel = 3, stride = 3)
  return cross_entropy(reshape(a, [N, 8]) @ W, t)
}
train loss { optimizer = sgd(lr = 0.1) }
)",
      {randomTensor({2, 1, 6, 6}, 2), Tensor(DType::I32, {2}, {1, 0})});
}

TEST(GradientCheckLanguageModels, RnnUnrolledOverFiveSteps) {
  checkLanguageModel(R"(
param U: f64[3, 4] = glorot_uniform
param V: f64[4, 4] = glorot_uniform
param b: f64[4]    = normal(std = 0.1)
fn loss(x: f64[5, N, 3], t: f64[N, 4]) -> f64 {
  let h = zeros([N, 4], dtype = f64)
  let total = f64(0)
  for s in 0..5 {
    h = tanh(gather(x, s) @ U + h @ V + b)
    total = total + mse(h, t)
  }
  return total
}
train loss { optimizer = sgd(lr = 0.1) }
)",
                     {randomTensor({5, 2, 3}, 3), randomTensor({2, 4}, 4)});
}

// bce, its logs clamped at -100 (inactive here), keeps its gradient
// inside (0, 1), w.r.t. the parameter and the (soft) targets.
TEST(GradientCheckLanguageModels, SigmoidWithBce) {
  Tensor t = randomTensor({5, 3}, 6, 0.5);
  for (double &v : t.data)
    v += 0.5;
  checkLanguageModel(R"(
param W: f64[4, 3] = glorot_uniform
fn loss(x: f64[N, 4], t: f64[N, 3]) -> f64 {
  return bce(sigmoid(x @ W), t)
}
train loss { optimizer = sgd(lr = 0.1) }
)",
                     {randomTensor({5, 4}, 5, 2.0), t});
}

//===----------------------------------------------------------------------===//
// Ties and saturation (finite differences do not apply at a tie)
//===----------------------------------------------------------------------===//

// k tied maxima of a reduced slice share its gradient, 1/k each, as
// torch.amax does; along rows, columns (keepdims) and over all elements.
TEST(GradientCheckTies, ReduceMaxSplitsTiedMaximaEvenly) {
  auto m = test_support::compileModel(R"(
fn rows(x: f64[3, 4]) -> f64 { return sum(max(x, axis = 1)) }
fn cols(x: f64[3, 4]) -> f64 { return sum(max(x, axis = 0, keepdims = 1)) }
fn whole(x: f64[3, 4]) -> f64 { return max(x) }
fn drows(x: f64[3, 4]) -> f64[3, 4] { return grad(rows, x, wrt = x) }
fn dcols(x: f64[3, 4]) -> f64[3, 4] { return grad(cols, x, wrt = x) }
fn dwhole(x: f64[3, 4]) -> f64[3, 4] { return grad(whole, x, wrt = x) }
)",
                                      /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator ev(*m->module);
  // Rows: three, two and two maxima. Columns: three, two, one and one.
  // Over all: the seven 5s.
  Tensor x(DType::F64, {3, 4}, {5, 5, 1, 5,  //
                                5, 2, 5, 0,  //
                                5, 5, 4, -1});
  auto call = [&](const char *fn) {
    auto r = ev.call(fn, {x});
    EXPECT_TRUE(bool(r)) << llvm::toString(r.takeError());
    return r ? (*r)[0].data : std::vector<double>();
  };
  double t = 1.0 / 3, h = 0.5;
  EXPECT_EQ(call("drows"), (std::vector<double>{t, t, 0, t,  //
                                                 h, 0, h, 0,  //
                                                 h, h, 0, 0}));
  EXPECT_EQ(call("dcols"), (std::vector<double>{t, h, 0, 1,  //
                                                 t, 0, 1, 0,  //
                                                 t, h, 0, 0}));
  double f = 1.0 / 7;
  EXPECT_EQ(call("dwhole"), (std::vector<double>{f, f, 0, f,  //
                                                  f, 0, f, 0,  //
                                                  f, f, 0, 0}));
}

} // namespace
