// Gradient checks beyond single ops: autodiff's diagnostics and loops
// (backprop through time, as a reverse loop), whole models (in the dialect and in the language), and ties,
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

// Backprop through time over a loop with constant bounds.
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

/// An RNN over the steps of x ([T, 2, 3]) as an axon.loop from 0 to x's
/// extent T (`steps`: a number, or "?" for a bound known at run time only):
///   h <- tanh(h W + x_t U + 0.1 z_t),  acc <- acc + sum(h * h)
/// with W a parameter read in the body, U and x read from outside it, z_t a
/// normal draw whose counter is the step, and the loss weightedSum(h_T) +
/// acc_T.
std::string rnnLoop(const std::string &steps) {
  std::string x = "tensor<" + steps + "x2x3xf64>";
  return R"(
axon.param @W : tensor<4x4xf64> = glorot_uniform
func.func @f(%h0: tensor<2x4xf64>, %U: tensor<3x4xf64>, %x: )" + x + R"() -> tensor<f64>
    attributes {axon.arg_names = ["h0", "U", "x"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.dim %x {axis = 0 : i64} : )" + x + R"(
  %a0 = axon.fill {value = 0.0 : f64} : tensor<f64>
  %hN, %acc = axon.loop %lo to %hi carry(%h0, %a0 : tensor<2x4xf64>, tensor<f64>) {
  ^bb0(%t: tensor<i64>, %h: tensor<2x4xf64>, %a: tensor<f64>):
    %W = axon.param_ref @W : tensor<4x4xf64>
    %xt = axon.gather %x[%t] : )" + x + R"(, tensor<i64> -> tensor<2x3xf64>
    %hw = axon.matmul %h, %W : tensor<2x4xf64>, tensor<4x4xf64> -> tensor<2x4xf64>
    %xu = axon.matmul %xt, %U : tensor<2x3xf64>, tensor<3x4xf64> -> tensor<2x4xf64>
    %z = axon.random_normal %t {seed = 5 : i64} : tensor<2x4xf64>
    %k = axon.constant dense<0.1> : tensor<f64>
    %zk = axon.mul %z, %k : tensor<2x4xf64>, tensor<f64> -> tensor<2x4xf64>
    %s = axon.add %hw, %xu : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %p = axon.add %s, %zk : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %hn = axon.tanh %p : tensor<2x4xf64>
    %sq = axon.mul %hn, %hn : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %ss = axon.sum %sq {axes = array<i64>} : tensor<2x4xf64> -> tensor<f64>
    %an = axon.add %a, %ss : tensor<f64>, tensor<f64> -> tensor<f64>
    axon.yield %hn, %an : tensor<2x4xf64>, tensor<f64>
  } -> tensor<2x4xf64>, tensor<f64>
)" + weightedSum("hN", "tensor<2x4xf64>", "wsum", 9) +
         R"(  %loss = axon.add %wsum, %acc : tensor<f64>, tensor<f64> -> tensor<f64>
  return %loss : tensor<f64>
}
func.func private @f_grad(tensor<2x4xf64>, tensor<3x4xf64>, )" + x + R"()
    -> (tensor<f64>, tensor<4x4xf64>, tensor<2x4xf64>, tensor<3x4xf64>, )" + x + R"()
    attributes {axon.grad_of = @f, axon.wrt = ["W", "h0", "U", "x"]}
)";
}

std::vector<Tensor> rnnArgs(int64_t steps) {
  return {randomTensor({2, 4}, 41), randomTensor({3, 4}, 42),
          randomTensor({steps, 2, 3}, 43)};
}

// One and two steps with constant bounds; 7 and 0 steps with the bound
// read from x's shape at run time (0: the gradients pass straight from the
// results to the initial values, and W's is zero).
TEST(GradientCheckLoop, RnnAtOneTwoAndRunTimeSteps) {
  std::map<std::string, Tensor> params = {{"W", randomTensor({4, 4}, 44, 0.8)}};
  for (int64_t steps : {1, 2})
    checkModuleText(rnnLoop(std::to_string(steps)), rnnArgs(steps), params);
  for (int64_t steps : {7, 0}) {
    SCOPED_TRACE("run-time steps " + std::to_string(steps));
    checkModuleText(rnnLoop("?"), rnnArgs(steps), params);
  }
}

/// Runs autodiff on `text` (after axon-flatten when `unrolled`) and returns
/// @f_grad's results at `args`.
std::vector<Tensor> gradientsOf(const std::string &text, bool unrolled,
                                const std::vector<Tensor> &args,
                                const std::map<std::string, Tensor> &params) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  CapturedDiagnostics diags(ctx);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  EXPECT_TRUE(module) << diags.text;
  if (!module)
    return {};
  if (unrolled) {
    // Canonicalize folds the bound (x's extent) to the constant unrolling needs.
    mlir::PassManager pm(&ctx);
    pm.addPass(mlir::createCanonicalizerPass());
    pm.addPass(createFlatten());
    EXPECT_TRUE(mlir::succeeded(pm.run(*module))) << diags.text;
  }
  EXPECT_TRUE(mlir::succeeded(runAutodiff(*module))) << diags.text;
  bool loops = false;
  module->walk([&](LoopOp) { loops = true; });
  EXPECT_EQ(loops, !unrolled);
  reference::Evaluator ev(*module);
  for (auto &[name, value] : params)
    EXPECT_FALSE(bool(ev.setParam(name, value))) << name;
  auto r = ev.call("f_grad", args);
  EXPECT_TRUE(bool(r)) << llvm::toString(r.takeError());
  return r ? *r : std::vector<Tensor>{};
}

// The reverse loop recomputes each step from its stored carried values:
// the same random draws, so the same gradients as backprop through the
// unrolled loop (up to the order of the sums).
TEST(GradientCheckLoop, SameGradientsAsTheUnrolledLoop) {
  std::map<std::string, Tensor> params = {{"W", randomTensor({4, 4}, 45, 0.8)}};
  std::vector<Tensor> args = rnnArgs(7);
  std::vector<Tensor> looped = gradientsOf(rnnLoop("7"), false, args, params);
  std::vector<Tensor> unrolled = gradientsOf(rnnLoop("7"), true, args, params);
  ASSERT_EQ(looped.size(), 5u);
  ASSERT_EQ(unrolled.size(), 5u);
  for (size_t i = 0; i < looped.size(); ++i) {
    ASSERT_EQ(looped[i].shape, unrolled[i].shape) << i;
    for (size_t k = 0; k < looped[i].data.size(); ++k)
      EXPECT_NEAR(looped[i].data[k], unrolled[i].data[k],
                  1e-12 * (1 + std::abs(unrolled[i].data[k])))
          << "result " << i << " element " << k;
  }
}

// A loop in a loop body (the inner one reads the outer step and a value of
// the outer body), both with run-time bounds: the inner reverse loop runs
// inside the outer one, over the recomputed inner loop.
TEST(GradientCheckLoop, NestedLoops) {
  checkModuleText(R"(
func.func @f(%h0: tensor<3xf64>, %w: tensor<3xf64>, %n: tensor<i64>, %m: tensor<i64>) -> tensor<f64>
    attributes {axon.arg_names = ["h0", "w", "n", "m"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %hN = axon.loop %lo to %n carry(%h0 : tensor<3xf64>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3xf64>):
    %hw = axon.mul %h, %w : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %tf = axon.cast %t : tensor<i64> -> tensor<f64>
    %g = axon.loop %lo to %m carry(%h : tensor<3xf64>) {
    ^bb0(%u: tensor<i64>, %q: tensor<3xf64>):
      %uf = axon.cast %u : tensor<i64> -> tensor<f64>
      %qa = axon.add %q, %hw : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
      %qb = axon.mul %qa, %uf : tensor<3xf64>, tensor<f64> -> tensor<3xf64>
      %qc = axon.add %qb, %tf : tensor<3xf64>, tensor<f64> -> tensor<3xf64>
      %qn = axon.sin %qc : tensor<3xf64>
      axon.yield %qn : tensor<3xf64>
    } -> tensor<3xf64>
    %hn = axon.tanh %g : tensor<3xf64>
    axon.yield %hn : tensor<3xf64>
  } -> tensor<3xf64>
)" + weightedSum("hN", "tensor<3xf64>", "loss", 10) +
                      R"(  return %loss : tensor<f64>
}
func.func private @f_grad(tensor<3xf64>, tensor<3xf64>, tensor<i64>, tensor<i64>)
    -> (tensor<f64>, tensor<3xf64>, tensor<3xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["h0", "w"]}
)",
                  {randomTensor({3}, 51), randomTensor({3}, 52),
                   Tensor(DType::I64, {}, {3.0}), Tensor(DType::I64, {}, {4.0})});
}

// An integer carried value (a counter the body reads) is stored and read
// back like the others but carries no gradient; a carried value the body
// passes through unchanged still hands its gradient back.
TEST(GradientCheckLoop, IntegerAndUnchangedCarriedValues) {
  checkModuleText(R"(
func.func @f(%h0: tensor<3xf64>, %c: tensor<3xf64>, %n: tensor<i64>) -> tensor<f64>
    attributes {axon.arg_names = ["h0", "c", "n"]} {
  %lo = axon.constant dense<0> : tensor<i64>
  %k0 = axon.constant dense<2> : tensor<i64>
  %one = axon.constant dense<1> : tensor<i64>
  %hN, %kN, %cN = axon.loop %lo to %n carry(%h0, %k0, %c : tensor<3xf64>, tensor<i64>, tensor<3xf64>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3xf64>, %k: tensor<i64>, %u: tensor<3xf64>):
    %kf = axon.cast %k : tensor<i64> -> tensor<f64>
    %hk = axon.mul %h, %kf : tensor<3xf64>, tensor<f64> -> tensor<3xf64>
    %hu = axon.add %hk, %u : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %hn = axon.sin %hu : tensor<3xf64>
    %kn = axon.add %k, %one : tensor<i64>, tensor<i64> -> tensor<i64>
    axon.yield %hn, %kn, %u : tensor<3xf64>, tensor<i64>, tensor<3xf64>
  } -> tensor<3xf64>, tensor<i64>, tensor<3xf64>
  %s = axon.add %hN, %cN : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
)" + weightedSum("s", "tensor<3xf64>", "loss", 11) +
                      R"(  return %loss : tensor<f64>
}
func.func private @f_grad(tensor<3xf64>, tensor<3xf64>, tensor<i64>)
    -> (tensor<f64>, tensor<3xf64>, tensor<3xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["h0", "c"]}
)",
                  {randomTensor({3}, 53), randomTensor({3}, 54, 0.3),
                   Tensor(DType::I64, {}, {4.0})});
}

// Bounds known only at run time: from 1 to 4, three steps; from 5 to 2 (the
// upper bound below the lower one), no step, as the forward loop runs none
// (the stored stack has max(2 - 5, 0) = 0 rows, not a negative extent): the
// result is h0 and its gradient passes straight back, w's is zero.
TEST(GradientCheckLoop, RunTimeBoundsAndUpperBelowLower) {
  std::string text = R"(
func.func @f(%h0: tensor<3xf64>, %w: tensor<3xf64>, %lo: tensor<i64>, %hi: tensor<i64>) -> tensor<f64>
    attributes {axon.arg_names = ["h0", "w", "lo", "hi"]} {
  %hN = axon.loop %lo to %hi carry(%h0 : tensor<3xf64>) {
  ^bb0(%t: tensor<i64>, %h: tensor<3xf64>):
    %tf = axon.cast %t : tensor<i64> -> tensor<f64>
    %hw = axon.mul %h, %w : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %ht = axon.add %hw, %tf : tensor<3xf64>, tensor<f64> -> tensor<3xf64>
    %hn = axon.tanh %ht : tensor<3xf64>
    axon.yield %hn : tensor<3xf64>
  } -> tensor<3xf64>
)" + weightedSum("hN", "tensor<3xf64>", "loss", 12) +
                     R"(  return %loss : tensor<f64>
}
func.func private @f_grad(tensor<3xf64>, tensor<3xf64>, tensor<i64>, tensor<i64>)
    -> (tensor<f64>, tensor<3xf64>, tensor<3xf64>)
    attributes {axon.grad_of = @f, axon.wrt = ["h0", "w"]}
)";
  for (auto [lo, hi] : {std::pair<double, double>{1, 4}, {5, 2}}) {
    SCOPED_TRACE("from " + std::to_string(int(lo)) + " to " + std::to_string(int(hi)));
    checkModuleText(text, {randomTensor({3}, 55), randomTensor({3}, 56),
                           Tensor(DType::I64, {}, {lo}), Tensor(DType::I64, {}, {hi})});
  }
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

// The same, with the trip count the extent T of the input, bound when the
// function is called: a loop, differentiated as one.
TEST(GradientCheckLanguageModels, RnnOverTheInputsSteps) {
  std::string text = R"(
param U: f64[3, 4] = glorot_uniform
param V: f64[4, 4] = glorot_uniform
param b: f64[4]    = normal(std = 0.1)
fn loss(x: f64[T, N, 3], t: f64[N, 4]) -> f64 {
  let h = zeros([N, 4], dtype = f64)
  let total = f64(0)
  for s in 0..T {
    h = tanh(gather(x, s) @ U + h @ V + b)
    total = total + mse(h, t)
  }
  return total
}
train loss { optimizer = sgd(lr = 0.1) }
)";
  for (int64_t steps : {1, 2, 7}) {
    SCOPED_TRACE("steps " + std::to_string(steps));
    checkLanguageModel(text, {randomTensor({steps, 2, 3}, 3), randomTensor({2, 4}, 4)});
  }
}

// update(x, t, v, axis =) stores a loop's states (axis 0), their squares
// along axis 1 in reverse order, and overwrites one row every step (only
// the last write reaches the loss): at T = 1, 2, 7 and 33 bound at run time,
// one and three rows, seven hidden units.
TEST(GradientCheckLanguageModels, UpdateStoresTheStepsStates) {
  std::string text = R"(
param U: f64[3, 7] = glorot_uniform
param V: f64[7, 7] = glorot_uniform
param b: f64[7]    = normal(std = 0.1)
fn loss(x: f64[T, N, 3], t: f64[T, N, 7]) -> f64 {
  let h = zeros([N, 7], dtype = f64)
  let states = zeros([T, N, 7], dtype = f64)
  let squares = zeros([N, T, 7], dtype = f64)
  let last = zeros([2, N, 7], dtype = f64)
  for s in 0..T {
    h = tanh(gather(x, s) @ U + h @ V + b)
    states = update(states, s, h)
    squares = update(squares, dim(x, 0) - 1 - s, h * h, axis = 1)
    last = update(last, 1, h * 3.0)
  }
  return mse(states, t) + mean(squares * transpose(t, [1, 0, 2])) + sum(last * last)
}
train loss { optimizer = sgd(lr = 0.1) }
)";
  for (int64_t steps : {1, 2, 7, 33})
    for (int64_t n : {1, 3}) {
      SCOPED_TRACE("steps " + std::to_string(steps) + ", rows " + std::to_string(n));
      checkLanguageModel(text, {randomTensor({steps, n, 3}, 3),
                                randomTensor({steps, n, 7}, 4)});
    }
}

// The rows a loop does not write keep the target's values and gradient:
// a parameter stack, rows 1..3 of 5 replaced.
TEST(GradientCheckLanguageModels, UpdateKeepsTheTargetsOtherRows) {
  checkLanguageModel(R"(
param S: f64[5, 2, 7] = normal(std = 1.0)
param W: f64[7, 7]    = glorot_uniform
fn loss(x: f64[2, 7]) -> f64 {
  let s = S
  for k in 1..4 { s = update(s, k, tanh(gather(s, k - 1) @ W + x)) }
  return sum(s * s * s)
}
train loss { optimizer = sgd(lr = 0.1) }
)",
                     {randomTensor({2, 7}, 5)});
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
