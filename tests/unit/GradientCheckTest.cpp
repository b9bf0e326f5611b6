// Gradient checks: every op implementing GradientOpInterface, and whole
// models, against central finite differences in f64 on the reference
// evaluator. The op list is enumerated from the dialect, so an op added
// with a VJP rule but no case here fails the suite.
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <random>

using namespace axon;

namespace {

/// One check: `body` computes %y from the arguments %a0, %a1, ... (types
/// in `args`); the test reduces sum(y * c) with a fixed random c of y's
/// shape `out` and differentiates with respect to the float arguments.
struct Case {
  std::string op;
  std::vector<std::string> args; ///< MLIR tensor types, f64 or integer.
  std::string out;               ///< Type of %y.
  std::string body;
  /// Values of integer arguments (indices), by argument position.
  std::map<int, std::vector<double>> ints = {};
  /// Keeps random float inputs away from 0 (kinks of abs, relu, ...).
  bool awayFromZero = false;
};

std::vector<Case> cases() {
  const std::string t23 = "tensor<2x3xf64>";
  auto unary = [&](const std::string &op) {
    return Case{"axon." + op, {t23}, t23,
                "%y = axon." + op + " %a0 : " + t23, {}, true};
  };
  auto binary = [&](const std::string &op) {
    return Case{"axon." + op, {"tensor<2x1x3xf64>", "tensor<4x1xf64>"},
                "tensor<2x4x3xf64>",
                "%y = axon." + op + " %a0, %a1 : tensor<2x1x3xf64>, "
                "tensor<4x1xf64> -> tensor<2x4x3xf64>", {}, true};
  };
  std::vector<Case> cs;
  for (const char *op : {"neg", "exp", "log", "sqrt", "abs", "sin", "cos",
                         "tanh", "sigmoid", "relu", "softplus", "sign"})
    cs.push_back(unary(op));
  // log and sqrt need positive inputs: they are squared first.
  for (Case &c : cs)
    if (c.op == "axon.log" || c.op == "axon.sqrt")
      c.body = "%p = axon.mul %a0, %a0 : " + t23 + ", " + t23 + " -> " + t23 +
               "\n  %y = " + c.op + " %p : " + t23;
  for (const char *op : {"add", "sub", "mul", "div", "max", "min"})
    cs.push_back(binary(op));
  {
    Case pow = binary("pow");
    pow.body = "%p = axon.mul %a0, %a0 : tensor<2x1x3xf64>, tensor<2x1x3xf64> -> tensor<2x1x3xf64>\n"
               "  %y = axon.pow %p, %a1 : tensor<2x1x3xf64>, tensor<4x1xf64> -> tensor<2x4x3xf64>";
    cs.push_back(pow);
  }
  cs.push_back({"axon.select", {t23, "tensor<3xf64>"}, t23,
                "%z = axon.constant dense<0.0> : tensor<f64>\n"
                "  %c = axon.cmp gt, %a0, %z : " + t23 + ", tensor<f64> -> tensor<2x3xi1>\n"
                "  %y = axon.select %c, %a0, %a1 : tensor<2x3xi1>, " + t23 +
                ", tensor<3xf64> -> " + t23, {}, true});
  cs.push_back({"axon.cast", {"tensor<3x2xf64>"}, "tensor<?x2xf64>",
                "%y = axon.cast %a0 : tensor<3x2xf64> -> tensor<?x2xf64>"});
  cs.push_back({"axon.matmul", {"tensor<2x3x4xf64>", "tensor<4x5xf64>"},
                "tensor<2x3x5xf64>",
                "%y = axon.matmul %a0, %a1 : tensor<2x3x4xf64>, tensor<4x5xf64> -> tensor<2x3x5xf64>"});
  cs.push_back({"axon.conv2d", {"tensor<2x2x5x5xf64>", "tensor<3x2x3x3xf64>"},
                "tensor<2x3x3x3xf64>",
                "%y = axon.conv2d %a0, %a1 {strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, "
                "dilations = array<i64: 1, 1>} : tensor<2x2x5x5xf64>, tensor<3x2x3x3xf64> -> tensor<2x3x3x3xf64>"});
  cs.push_back({"axon.conv_transpose2d", {"tensor<1x2x3x3xf64>", "tensor<2x3x3x3xf64>"},
                "tensor<1x3x6x6xf64>",
                "%y = axon.conv_transpose2d %a0, %a1 {strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, "
                "output_padding = array<i64: 1, 1>} : tensor<1x2x3x3xf64>, tensor<2x3x3x3xf64> -> tensor<1x3x6x6xf64>"});
  cs.push_back({"axon.max_pool2d", {"tensor<1x2x5x5xf64>"}, "tensor<1x2x3x3xf64>",
                "%y = axon.max_pool2d %a0 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, "
                "padding = array<i64: 1, 1>} : tensor<1x2x5x5xf64> -> tensor<1x2x3x3xf64>"});
  cs.push_back({"axon.avg_pool2d", {"tensor<1x2x5x5xf64>"}, "tensor<1x2x3x3xf64>",
                "%y = axon.avg_pool2d %a0 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, "
                "padding = array<i64: 1, 1>} : tensor<1x2x5x5xf64> -> tensor<1x2x3x3xf64>"});
  cs.push_back({"axon.sum", {"tensor<2x3x4xf64>"}, "tensor<2x1x4xf64>",
                "%y = axon.sum %a0 {axes = array<i64: -2>, keepdims = true} : tensor<2x3x4xf64> -> tensor<2x1x4xf64>"});
  cs.push_back({"axon.mean", {"tensor<?x4xf64>"}, "tensor<4xf64>",
                "%y = axon.mean %a0 {axes = array<i64: 0>} : tensor<?x4xf64> -> tensor<4xf64>"});
  cs.push_back({"axon.reduce_max", {"tensor<2x3x4xf64>"}, "tensor<2x4xf64>",
                "%y = axon.reduce_max %a0 {axes = array<i64: 1>} : tensor<2x3x4xf64> -> tensor<2x4xf64>"});
  cs.push_back({"axon.softmax", {"tensor<2x5xf64>"}, "tensor<2x5xf64>",
                "%y = axon.softmax %a0 {axis = 1 : i64} : tensor<2x5xf64>"});
  cs.push_back({"axon.log_softmax", {"tensor<3x4xf64>"}, "tensor<3x4xf64>",
                "%y = axon.log_softmax %a0 {axis = 0 : i64} : tensor<3x4xf64>"});
  cs.push_back({"axon.reshape", {"tensor<?x3x2xf64>"}, "tensor<?x6xf64>",
                "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x3x2xf64>\n"
                "  %y = axon.reshape %a0[%n] : tensor<?x3x2xf64> -> tensor<?x6xf64>"});
  cs.push_back({"axon.transpose", {"tensor<2x3x4xf64>"}, "tensor<4x2x3xf64>",
                "%y = axon.transpose %a0 {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf64> -> tensor<4x2x3xf64>"});
  cs.push_back({"axon.broadcast", {"tensor<3x1xf64>"}, "tensor<2x3x4xf64>",
                "%y = axon.broadcast %a0 : tensor<3x1xf64> -> tensor<2x3x4xf64>"});
  cs.push_back({"axon.slice", {"tensor<7x3xf64>"}, "tensor<3x3xf64>",
                "%y = axon.slice %a0 {axis = 0 : i64, start = 1 : i64, limit = 6 : i64, stride = 2 : i64} : "
                "tensor<7x3xf64> -> tensor<3x3xf64>"});
  cs.push_back({"axon.insert_slice", {"tensor<3x7xf64>", "tensor<3x2xf64>"}, "tensor<3x7xf64>",
                "%y = axon.insert_slice %a1 into %a0 {axis = 1 : i64, start = 2 : i64, stride = 3 : i64} : "
                "tensor<3x2xf64>, tensor<3x7xf64> -> tensor<3x7xf64>"});
  cs.push_back({"axon.concat", {"tensor<2x3xf64>", "tensor<2x2xf64>"}, "tensor<2x5xf64>",
                "%y = axon.concat %a0, %a1 {axis = 1 : i64} : tensor<2x3xf64>, tensor<2x2xf64> -> tensor<2x5xf64>"});
  cs.push_back({"axon.gather", {"tensor<5x3xf64>", "tensor<4xi32>"}, "tensor<4x3xf64>",
                "%y = axon.gather %a0[%a1] : tensor<5x3xf64>, tensor<4xi32> -> tensor<4x3xf64>",
                {{1, {4, 1, 4, 0}}}});
  cs.push_back({"axon.scatter_add", {"tensor<5x3xf64>", "tensor<4xi32>", "tensor<4x3xf64>"},
                "tensor<5x3xf64>",
                "%y = axon.scatter_add %a0[%a1], %a2 : tensor<5x3xf64>, tensor<4xi32>, "
                "tensor<4x3xf64> -> tensor<5x3xf64>",
                {{1, {2, 2, 0, 4}}}});
  return cs;
}

std::vector<int64_t> shapeOfType(const std::string &type, int64_t dynamic) {
  // "tensor<2x?x3xf64>" -> {2, dynamic, 3}
  std::vector<int64_t> s;
  std::string dims = type.substr(7, type.size() - 8);
  size_t pos = 0;
  while (true) {
    size_t x = dims.find('x', pos);
    if (x == std::string::npos)
      break;
    std::string d = dims.substr(pos, x - pos);
    s.push_back(d == "?" ? dynamic : std::stoll(d));
    pos = x + 1;
  }
  return s;
}

/// Builds the module for a case: @f(args) = sum(y * c), @f_grad.
std::string moduleText(const Case &c, const std::vector<int> &wrt,
                       const std::string &weights) {
  std::string args, names, gradTypes;
  for (size_t i = 0; i < c.args.size(); ++i) {
    args += (i ? ", " : "") + ("%a" + std::to_string(i)) + ": " + c.args[i];
    names += (i ? ", " : "") + ("\"a" + std::to_string(i) + "\"");
  }
  std::string wrtNames;
  for (int i : wrt) {
    wrtNames += (wrtNames.empty() ? "" : ", ") + ("\"a" + std::to_string(i) + "\"");
    gradTypes += ", " + c.args[i];
  }
  std::string argTypes;
  for (size_t i = 0; i < c.args.size(); ++i)
    argTypes += (i ? ", " : "") + c.args[i];
  return "func.func @f(" + args + ") -> tensor<f64> attributes {axon.arg_names = [" +
         names + "]} {\n  " + c.body + "\n  %wts = axon.constant " + weights +
         " : " + c.out +
         "\n  %m = axon.mul %y, %wts : " + c.out + ", " + c.out + " -> " + c.out +
         "\n  %s = axon.sum %m {axes = array<i64>} : " + c.out +
         " -> tensor<f64>\n  return %s : tensor<f64>\n}\n"
         "func.func private @f_grad(" + argTypes + ") -> (tensor<f64>" + gradTypes +
         ") attributes {axon.grad_of = @f, axon.wrt = [" + wrtNames + "]}\n";
}

class GradientCheck : public ::testing::TestWithParam<Case> {};

TEST_P(GradientCheck, MatchesCentralDifferences) {
  const Case &c = GetParam();
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const int64_t dynamicExtent = 3;

  // Inputs, and the fixed weights c (distinct for every output element).
  std::vector<Tensor> inputs;
  std::vector<int> wrt;
  for (size_t i = 0; i < c.args.size(); ++i) {
    auto shape = shapeOfType(c.args[i], dynamicExtent);
    bool isFloat = c.args[i].find("xf64>") != std::string::npos;
    Tensor t(isFloat ? DType::F64 : DType::I32, shape);
    if (c.ints.count(i)) {
      t.data = c.ints.at(i);
    } else {
      for (double &v : t.data) {
        v = u(rng);
        if (c.awayFromZero && std::fabs(v) < 0.2)
          v += v < 0 ? -0.3 : 0.3;
      }
      wrt.push_back(i);
    }
    inputs.push_back(t);
  }
  std::string outStatic = c.out;
  for (size_t p; (p = outStatic.find('?')) != std::string::npos;)
    outStatic.replace(p, 1, std::to_string(dynamicExtent));
  auto outShape = shapeOfType(outStatic, dynamicExtent);
  std::string weights = "dense<[";
  for (int64_t i = 0; i < Tensor::numElements(outShape); ++i)
    weights += (i ? ", " : "") + std::to_string(0.5 + 0.37 * ((i * 7) % 11) / 11.0);
  weights += "]>";
  // The weights are a flat constant reshaped to y's (maybe dynamic) type.
  std::string flatType = "tensor<" + std::to_string(Tensor::numElements(outShape)) + "xf64>";
  std::string text = moduleText(c, wrt, weights);
  // Replace the constant's type by the flat one, then reshape to y's type.
  std::string constLine = "%wts = axon.constant " + weights + " : " + c.out;
  size_t at = text.find(constLine);
  ASSERT_NE(at, std::string::npos);
  std::string dyn;
  std::string reshape = "%cf = axon.constant " + weights + " : " + flatType + "\n  ";
  if (c.out.find('?') != std::string::npos) {
    reshape += "%cd = axon.dim %y {axis = 0 : i64} : " + c.out + "\n  ";
    dyn = "[%cd]";
  }
  reshape += "%wts = axon.reshape %cf" + dyn + " : " + flatType + " -> " + c.out;
  text.replace(at, constLine.size(), reshape);

  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << text;
  mlir::PassManager pm(&ctx);
  addGradientPipeline(pm);
  ASSERT_TRUE(mlir::succeeded(pm.run(*module))) << text;
  reference::Evaluator ev(*module);

  auto grads = ev.call("f_grad", inputs);
  ASSERT_TRUE(bool(grads)) << llvm::toString(grads.takeError()) << "\n" << text;
  const double h = 1e-6;
  for (size_t w = 0; w < wrt.size(); ++w) {
    Tensor &x = inputs[wrt[w]];
    const Tensor &g = (*grads)[w + 1];
    ASSERT_EQ(g.shape, x.shape) << c.op;
    for (int64_t i = 0; i < x.numElements(); ++i) {
      double saved = x.data[i];
      x.data[i] = saved + h;
      auto plus = ev.call("f", inputs);
      x.data[i] = saved - h;
      auto minus = ev.call("f", inputs);
      x.data[i] = saved;
      ASSERT_TRUE(plus && minus);
      double numeric = ((*plus)[0].data[0] - (*minus)[0].data[0]) / (2 * h);
      EXPECT_NEAR(g.data[i], numeric, 1e-6 + 1e-6 * std::fabs(numeric))
          << c.op << " d/da" << wrt[w] << "[" << i << "]";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, GradientCheck, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           std::string n = info.param.op.substr(5);
                           return n + "_" + std::to_string(info.index);
                         });

TEST(GradientCheckCoverage, EveryDifferentiableOpHasACase) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect>();
  std::set<std::string> covered;
  for (const Case &c : cases())
    covered.insert(c.op);
  std::vector<std::string> missing;
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations())
    if (name.getDialectNamespace() == "axon" &&
        name.hasInterface<GradientOpInterface>() &&
        !covered.count(name.getStringRef().str()))
      missing.push_back(name.getStringRef().str());
  EXPECT_TRUE(missing.empty()) << "ops with a VJP rule but no gradient check: "
                               << llvm::join(missing, ", ");
}

} // namespace

// Whole models written in the language, differentiated with respect to
// every parameter (the train block's gradient function).
#include "tests/unit/CompileModel.h"

namespace {

void checkModel(const std::string &source, std::vector<Tensor> inputs) {
  auto compiled = test_support::compileModel(source, /*gradientPipeline=*/true);
  ASSERT_TRUE(compiled->module) << compiled->errors;
  mlir::ModuleOp module = *compiled->module;
  reference::Evaluator ev(module);
  auto grads = ev.call("loss_grad", inputs);
  ASSERT_TRUE(bool(grads)) << llvm::toString(grads.takeError());
  auto gradFn = module.lookupSymbol<mlir::func::FuncOp>("loss_grad");
  auto wrt = gradFn->getAttrOfType<mlir::ArrayAttr>("axon.wrt");
  const double h = 1e-6;
  for (size_t w = 0; w < wrt.size(); ++w) {
    std::string name = mlir::cast<mlir::StringAttr>(wrt[w]).str();
    Tensor p = *ev.getParam(name);
    const Tensor &g = (*grads)[w + 1];
    // Every element for small params; a spread sample for large ones.
    int64_t n = p.numElements(), step = std::max<int64_t>(1, n / 40);
    for (int64_t i = 0; i < n; i += step) {
      Tensor q = p;
      q.data[i] = p.data[i] + h;
      ASSERT_FALSE(bool(ev.setParam(name, q)));
      double plus = (*ev.call("loss", inputs))[0].data[0];
      q.data[i] = p.data[i] - h;
      ASSERT_FALSE(bool(ev.setParam(name, q)));
      double minus = (*ev.call("loss", inputs))[0].data[0];
      ASSERT_FALSE(bool(ev.setParam(name, p)));
      double numeric = (plus - minus) / (2 * h);
      EXPECT_NEAR(g.data[i], numeric, 1e-6 + 1e-5 * std::fabs(numeric))
          << name << "[" << i << "]";
    }
  }
}

Tensor randomTensor(DType dtype, std::vector<int64_t> shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Tensor t(dtype, shape);
  for (double &v : t.data)
    v = u(rng);
  return t;
}

TEST(GradientCheckModels, MlpWithCrossEntropy) {
  checkModel(R"(
param W1: f64[6, 5] = glorot_uniform
param b1: f64[5]    = normal(std = 0.1)
param W2: f64[5, 3] = glorot_uniform
param b2: f64[3]    = normal(std = 0.1)
fn loss(x: f64[N, 6], t: i32[N]) -> f64 {
  let h = tanh(x @ W1 + b1)
  return cross_entropy(h @ W2 + b2, t) + 0.01 * l2(W1)
}
train loss { optimizer = sgd(lr = 0.1) }
)", {randomTensor(DType::F64, {4, 6}, 1), Tensor(DType::I32, {4}, {0, 2, 1, 2})});
}

TEST(GradientCheckModels, SmallCnn) {
  checkModel(R"(
param K: f64[2, 1, 3, 3] = he_normal
param c: f64[2, 1, 1]    = normal(std = 0.1)
param W: f64[8, 3]       = glorot_uniform
fn loss(x: f64[N, 1, 6, 6], t: i32[N]) -> f64 {
  let a = max_pool2d(softplus(conv2d(x, K, padding = 1) + c), kernel = 3, stride = 3)
  return cross_entropy(reshape(a, [N, 8]) @ W, t)
}
train loss { optimizer = sgd(lr = 0.1) }
)", {randomTensor(DType::F64, {2, 1, 6, 6}, 2), Tensor(DType::I32, {2}, {1, 0})});
}

TEST(GradientCheckModels, RnnUnrolledOverFiveSteps) {
  checkModel(R"(
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
)", {randomTensor(DType::F64, {5, 2, 3}, 3), randomTensor(DType::F64, {2, 4}, 4)});
}

} // namespace
