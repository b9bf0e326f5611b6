// Autodiff's VJP rule of every differentiable op, from the per-op table
// (OpTable.h), against central finite differences in f64 on the reference
// evaluator (GradientCheck.h).
//
// Each instance becomes @f = sum(op(inputs) * c) with a fixed random c of
// the op's result shape, so every output element enters the loss with its
// own weight and a rule that mixes up elements cannot pass. @f_grad (w.r.t.
// every float argument that is not marked constant, and every parameter)
// is built by axon-autodiff, canonicalize and CSE, and evaluated at a
// random point.
#include "tests/unit/GradientCheck.h"
#include "tests/unit/OpTable.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace axon;
using namespace axon::op_table;
using namespace axon::test_support;

namespace {

/// The module of an instance: its parameters (zeros, set per run),
/// @f(args) = sum(y * c), and the declaration of @f_grad.
std::string gradientModule(const Instance &c) {
  std::string text, args, names, types, wrt, gradTypes;
  for (auto &[name, type] : c.params)
    text += "axon.param @" + name + " : " + type + " = zeros\n";
  for (size_t i = 0; i < c.args.size(); ++i) {
    std::string a = "a" + std::to_string(i);
    args += (i ? ", %" : "%") + a + ": " + c.args[i].type;
    names += (i ? ", \"" : "\"") + a + "\"";
    types += (i ? ", " : "") + c.args[i].type;
    if (c.args[i].values.empty() && !c.args[i].constant) {
      wrt += (wrt.empty() ? "\"" : ", \"") + a + "\"";
      gradTypes += ", " + c.args[i].type;
    }
  }
  for (auto &[name, type] : c.params) {
    wrt += (wrt.empty() ? "\"" : ", \"") + name + "\"";
    gradTypes += ", " + type;
  }
  text += "func.func @f(" + args +
          ") -> tensor<f64> attributes {axon.arg_names = [" + names +
          "]} {\n  " + c.body + "\n" +
          weightedSum("y", c.out, "loss", seedOf(c.name)) +
          "  return %loss : tensor<f64>\n}\n";
  text += "func.func private @f_grad(" + types + ") -> (tensor<f64>" +
          gradTypes + ") attributes {axon.grad_of = @f, axon.wrt = [" + wrt +
          "]}\n";
  return text;
}

class OpGradientTest : public ::testing::TestWithParam<OpInstance> {};

TEST_P(OpGradientTest, MatchesCentralDifferences) {
  const Instance &c = GetParam().instance;
  std::string text = gradientModule(c);
  SCOPED_TRACE(text);
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  CapturedDiagnostics diags(ctx);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << diags.text;
  int uses = 0;
  module->walk([&](mlir::Operation *o) {
    uses += o->getName().getStringRef() == GetParam().op;
  });
  EXPECT_GT(uses, 0) << c.name << " does not use " << GetParam().op;
  ASSERT_TRUE(mlir::succeeded(runAutodiff(*module))) << diags.text;

  std::mt19937 rng(seedOf(c.name) ^ 0x5eed);
  std::vector<Tensor> args;
  for (const Arg &a : c.args)
    args.push_back(drawArg(a, kDynamicExtent, rng));
  reference::Evaluator ev(*module);
  for (auto &[name, type] : c.params)
    ASSERT_FALSE(bool(ev.setParam(name, drawArg(any(type), 0, rng))));
  expectGradientsMatch(*module, ev, args);
}

INSTANTIATE_TEST_SUITE_P(OpTable, OpGradientTest,
                         ::testing::ValuesIn(instancesFor(Gradient)),
                         [](const ::testing::TestParamInfo<OpInstance> &info) {
                           return info.param.instance.name;
                         });

} // namespace
