// Gradient checks: the VJP rule of every differentiable axon op, autodiff's
// diagnostics and loop unrolling, and whole models, against central finite
// differences in f64 on the reference evaluator.
//
// Each op case is a function @f = sum(op(inputs) * c) with a fixed random
// c of the op's result shape, so every output element enters the loss with
// its own weight and a rule that mixes up elements cannot pass. @f_grad
// (w.r.t. every float input and parameter) is built by axon-autodiff,
// canonicalize and CSE, evaluated at a random point and compared element by
// element with (f(x + h e_i) - f(x - h e_i)) / 2h. The differentiable ops
// are enumerated from the dialect, so an op given a rule but no case here
// fails the suite.
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"
#include "tests/unit/CompileModel.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

using namespace axon;

namespace {

//===----------------------------------------------------------------------===//
// The check
//===----------------------------------------------------------------------===//

/// Run-time extent of every `?` in a case's argument types.
constexpr int64_t kDynamicExtent = 3;

/// Central-difference step and tolerance. With h = 1e-6 the truncation
/// error (h^2 f''' / 6) is ~1e-12 and the rounding error of f's evaluation
/// (~1e-16 |f| / h) ~1e-9 for the losses here, so 1e-7 absolute plus 1e-6
/// relative leaves a wide margin for honest rules and none for a wrong
/// factor, sign or index.
constexpr double kStep = 1e-6;
constexpr double kAbsTol = 1e-7;
constexpr double kRelTol = 1e-6;

/// Stable 32-bit FNV-1a, to seed each case's random numbers by its name.
uint32_t seedOf(const std::string &s) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : s)
    h = (h ^ ch) * 16777619u;
  return h;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// "tensor<2x?x3xf64>" -> {2, `dynamic`, 3}; "tensor<f64>" -> {}.
std::vector<int64_t> shapeOfType(const std::string &type, int64_t dynamic) {
  std::vector<int64_t> s;
  std::string dims = type.substr(7, type.size() - 8);
  size_t pos = 0;
  for (size_t x; (x = dims.find('x', pos)) != std::string::npos; pos = x + 1) {
    std::string d = dims.substr(pos, x - pos);
    s.push_back(d == "?" ? dynamic : std::stoll(d));
  }
  return s;
}

DType dtypeOfType(const std::string &type) {
  auto endsWith = [&](const char *s) {
    return llvm::StringRef(type).ends_with(s);
  };
  if (endsWith("f64>"))
    return DType::F64;
  if (endsWith("i64>"))
    return DType::I64;
  if (endsWith("i32>"))
    return DType::I32;
  if (endsWith("i1>"))
    return DType::I1;
  return DType::F32;
}

/// MLIR lines computing `%<result> = sum(%<y> * c)` for `y` of type `type`,
/// with c a fixed random tensor (values in +-[0.5, 1.5], seeded by
/// `seed`). `?` extents of c follow y's at run time.
std::string weightedSum(const std::string &y, const std::string &type,
                        const std::string &result, uint32_t seed) {
  std::vector<int64_t> shape = shapeOfType(type, kDynamicExtent);
  int64_t n = Tensor::numElements(shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> mag(0.5, 1.5);
  std::string values;
  for (int64_t i = 0; i < n; ++i)
    values += (i ? ", " : "") + fmt(rng() % 2 ? mag(rng) : -mag(rng));
  std::string flat = "tensor<" + std::to_string(n) + "xf64>";
  std::string p = "%" + result + "_";
  std::string text = "  " + p + "flat = axon.constant dense<[" + values +
                     "]> : " + flat + "\n";
  std::string dyn;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shapeOfType(type, -1)[i] < 0) {
      text += "  " + p + "d" + std::to_string(i) + " = axon.dim %" + y +
              " {axis = " + std::to_string(i) + " : i64} : " + type + "\n";
      dyn += (dyn.empty() ? "" : ", ") + p + "d" + std::to_string(i);
    }
  text += "  " + p + "c = axon.reshape " + p + "flat" +
          (dyn.empty() ? "" : "[" + dyn + "]") + " : " + flat + " -> " + type +
          "\n";
  text += "  " + p + "m = axon.mul %" + y + ", " + p + "c : " + type + ", " +
          type + " -> " + type + "\n";
  text += "  %" + result + " = axon.sum " + p +
          "m {axes = array<i64>} : " + type + " -> tensor<f64>\n";
  return text;
}

/// Diagnostics of a context, as text, for failure messages.
struct CapturedDiagnostics {
  std::string text;
  mlir::ScopedDiagnosticHandler handler;
  explicit CapturedDiagnostics(mlir::MLIRContext &ctx)
      : handler(&ctx, [this](mlir::Diagnostic &d) {
          text += d.str() + "\n";
          for (mlir::Diagnostic &note : d.getNotes())
            text += "  note: " + note.str() + "\n";
          return mlir::success();
        }) {}
};

/// Runs axon-autodiff, canonicalize and CSE on `module`.
mlir::LogicalResult runAutodiff(mlir::ModuleOp module) {
  mlir::PassManager pm(module.getContext());
  pm.addPass(createAutodiff());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  return pm.run(module);
}

/// Evaluates `gradFn` (built by autodiff from `fn`) at `args` and the
/// evaluator's current parameters, and compares each gradient it returns
/// with central differences of `fn`. A tensor with more than `maxSamples`
/// elements is checked at an evenly spread sample of them.
void expectGradientsMatch(mlir::ModuleOp module, reference::Evaluator &ev,
                          std::vector<Tensor> args, const std::string &fn = "f",
                          const std::string &gradFn = "f_grad",
                          int64_t maxSamples = 1 << 30) {
  auto source = module.lookupSymbol<mlir::func::FuncOp>(fn);
  auto grad = module.lookupSymbol<mlir::func::FuncOp>(gradFn);
  ASSERT_TRUE(source && grad);
  auto wrt = grad->getAttrOfType<mlir::ArrayAttr>("axon.wrt");
  auto argNames = source->getAttrOfType<mlir::ArrayAttr>("axon.arg_names");
  ASSERT_TRUE(wrt && argNames);

  auto grads = ev.call(gradFn, args);
  ASSERT_TRUE(bool(grads)) << llvm::toString(grads.takeError());
  ASSERT_EQ(grads->size(), wrt.size() + 1);
  auto loss = ev.call(fn, args);
  ASSERT_TRUE(bool(loss)) << llvm::toString(loss.takeError());
  EXPECT_NEAR((*grads)[0].data[0], (*loss)[0].data[0],
              1e-12 * (1 + std::fabs((*loss)[0].data[0])))
      << "the gradient function's loss differs from " << fn << "'s";

  auto evalLoss = [&]() -> double {
    auto r = ev.call(fn, args);
    if (!r) {
      ADD_FAILURE() << llvm::toString(r.takeError());
      return NAN;
    }
    return (*r)[0].data[0];
  };
  for (size_t w = 0; w < wrt.size(); ++w) {
    std::string name = mlir::cast<mlir::StringAttr>(wrt[w]).str();
    int arg = -1;
    for (size_t i = 0; i < argNames.size(); ++i)
      if (mlir::cast<mlir::StringAttr>(argNames[i]).getValue() == name)
        arg = static_cast<int>(i);
    Tensor param;
    if (arg < 0) {
      const Tensor *p = ev.getParam(name);
      ASSERT_TRUE(p) << name;
      param = *p;
    }
    Tensor &x = arg >= 0 ? args[arg] : param;
    // Sets element i of the differentiated tensor (argument or parameter).
    auto set = [&](int64_t i, double v) {
      x.data[i] = v;
      if (arg < 0)
        ASSERT_FALSE(bool(ev.setParam(name, x)));
    };
    const Tensor &g = (*grads)[w + 1];
    ASSERT_EQ(g.shape, x.shape) << "gradient of " << name;
    int64_t n = x.numElements();
    int64_t step = std::max<int64_t>(1, n / maxSamples);
    int mismatches = 0;
    double worst = 0;
    for (int64_t i = 0; i < n; i += step) {
      double saved = x.data[i];
      set(i, saved + kStep);
      double plus = evalLoss();
      set(i, saved - kStep);
      double minus = evalLoss();
      set(i, saved);
      double numeric = (plus - minus) / (2 * kStep);
      double tol = kAbsTol + kRelTol * std::fabs(numeric);
      double err = std::fabs(g.data[i] - numeric);
      worst = std::max(worst, std::isnan(err) ? INFINITY : err / tol);
      if (!(err <= tol) && ++mismatches <= 6)
        ADD_FAILURE() << "d" << fn << "/d" << name << "[" << i << "]: autodiff "
                      << fmt(g.data[i]) << ", central difference "
                      << fmt(numeric);
    }
    EXPECT_EQ(mismatches, 0)
        << name << ": " << mismatches << " of " << (n + step - 1) / step
        << " elements differ; worst error " << worst << " x tolerance";
  }
}

//===----------------------------------------------------------------------===//
// One case per op (and per interesting attribute setting)
//===----------------------------------------------------------------------===//

/// An argument of @f: a float tensor drawn at random, or integer indices.
struct Arg {
  std::string type;         ///< MLIR tensor type.
  double lo = -1, hi = 1;   ///< Range of random float values...
  double gap = 0;           ///< ...kept at least this far from 0 (kinks).
  std::vector<double> ints; ///< Integer argument: its values.
  bool constant = false;    ///< A float argument not differentiated.
};
Arg any(std::string type) { return {std::move(type)}; }
Arg positive(std::string type) { return {std::move(type), 0.3, 2.0}; }
Arg awayFromZero(std::string type) {
  return {std::move(type), -1.5, 1.5, 0.25};
}
Arg ints(std::string type, std::vector<double> values) {
  return {std::move(type), 0, 0, 0, std::move(values)};
}
Arg constant(std::string type) { return {std::move(type), -1, 1, 0, {}, true}; }

struct OpCase {
  std::string op;        ///< The op under test, e.g. "axon.matmul".
  std::string name;      ///< Unique test name suffix.
  std::vector<Arg> args; ///< %a0, %a1, ...
  std::string out;       ///< Type of %y.
  std::string body;      ///< MLIR computing %y from the arguments.
  /// Parameters (name, type) the body reads with axon.param_ref; they are
  /// differentiated too, after the float arguments.
  std::vector<std::pair<std::string, std::string>> params = {};
};

/// gtest prints a case by its name, not its bytes.
void PrintTo(const OpCase &c, std::ostream *os) { *os << c.name; }

std::string unaryBody(const std::string &op, const std::string &t) {
  return "%y = " + op + " %a0 : " + t;
}
std::string binaryBody(const std::string &op, const std::string &l,
                       const std::string &r, const std::string &o) {
  return "%y = " + op + " %a0, %a1 : " + l + ", " + r + " -> " + o;
}

std::vector<OpCase> opCases() {
  std::vector<OpCase> cs;
  const std::string t23 = "tensor<2x3xf64>";

  // Unary. log and sqrt get positive inputs; abs, relu and sign stay off
  // their kink at 0 (sign's gradient is zero, which is checked too).
  for (const char *op :
       {"neg", "exp", "sin", "cos", "tanh", "sigmoid", "softplus"})
    cs.push_back({std::string("axon.") + op,
                  op,
                  {any(t23)},
                  t23,
                  unaryBody(std::string("axon.") + op, t23)});
  for (const char *op : {"log", "sqrt"})
    cs.push_back({std::string("axon.") + op,
                  op,
                  {positive(t23)},
                  t23,
                  unaryBody(std::string("axon.") + op, t23)});
  for (const char *op : {"abs", "relu", "sign"})
    cs.push_back({std::string("axon.") + op,
                  op,
                  {awayFromZero(t23)},
                  t23,
                  unaryBody(std::string("axon.") + op, t23)});

  // Binary, with two broadcasting patterns each: a trailing vector, and
  // both operands stretched ([2,1,3] with [4,1] -> [2,4,3]). div keeps its
  // divisor off 0, pow its base positive; max/min draw distinct values, so
  // no ties.
  for (const char *op : {"add", "sub", "mul", "div", "pow", "max", "min"}) {
    std::string o = std::string("axon.") + op;
    auto lhs = [&](std::string t) {
      return o == "axon.pow" ? positive(t) : any(t);
    };
    auto rhs = [&](std::string t) {
      return o == "axon.div" ? awayFromZero(t) : any(t);
    };
    cs.push_back(
        {o,
         std::string(op) + "_trailing_broadcast",
         {lhs("tensor<3x4xf64>"), rhs("tensor<4xf64>")},
         "tensor<3x4xf64>",
         binaryBody(o, "tensor<3x4xf64>", "tensor<4xf64>", "tensor<3x4xf64>")});
    cs.push_back({o,
                  std::string(op) + "_both_broadcast",
                  {lhs("tensor<2x1x3xf64>"), rhs("tensor<4x1xf64>")},
                  "tensor<2x4x3xf64>",
                  binaryBody(o, "tensor<2x1x3xf64>", "tensor<4x1xf64>",
                             "tensor<2x4x3xf64>")});
  }

  // select: the condition comes from a comparison (no gradient); the
  // second case broadcasts all three operands, and %a2 reaches the loss
  // only through the comparison, so its gradient is exactly zero.
  cs.push_back(
      {"axon.select",
       "select_trailing_broadcast",
       {awayFromZero(t23), any("tensor<3xf64>")},
       t23,
       "%z = axon.constant dense<0.0> : tensor<f64>\n"
       "  %c = axon.cmp gt, %a0, %z : tensor<2x3xf64>, tensor<f64> -> "
       "tensor<2x3xi1>\n"
       "  %y = axon.select %c, %a0, %a1 : tensor<2x3xi1>, tensor<2x3xf64>, "
       "tensor<3xf64> -> tensor<2x3xf64>"});
  cs.push_back(
      {"axon.select",
       "select_all_broadcast",
       {any("tensor<2x1x3xf64>"), any("tensor<3xf64>"),
        awayFromZero("tensor<4x1xf64>")},
       "tensor<2x4x3xf64>",
       "%z = axon.constant dense<0.0> : tensor<f64>\n"
       "  %c = axon.cmp lt, %a2, %z : tensor<4x1xf64>, tensor<f64> -> "
       "tensor<4x1xi1>\n"
       "  %y = axon.select %c, %a0, %a1 : tensor<4x1xi1>, tensor<2x1x3xf64>, "
       "tensor<3xf64> -> tensor<2x4x3xf64>"});

  // cast f64 -> f64 changing only the static-ness of the shape.
  cs.push_back({"axon.cast",
                "cast_to_dynamic",
                {any("tensor<3x2xf64>")},
                "tensor<?x2xf64>",
                "%y = axon.cast %a0 : tensor<3x2xf64> -> tensor<?x2xf64>"});
  cs.push_back({"axon.cast",
                "cast_refine_shape",
                {any("tensor<?x2xf64>")},
                "tensor<3x2xf64>",
                "%y = axon.cast %a0 : tensor<?x2xf64> -> tensor<3x2xf64>"});

  // matmul: a rank-2 rhs under a batched lhs, batch dims broadcast both
  // ways, and a parameter as the rhs with a dynamic batch.
  cs.push_back({"axon.matmul",
                "matmul_rank_broadcast",
                {any("tensor<2x3x4xf64>"), any("tensor<4x5xf64>")},
                "tensor<2x3x5xf64>",
                binaryBody("axon.matmul", "tensor<2x3x4xf64>",
                           "tensor<4x5xf64>", "tensor<2x3x5xf64>")});
  cs.push_back({"axon.matmul",
                "matmul_batch_broadcast",
                {any("tensor<2x1x3x4xf64>"), any("tensor<3x4x2xf64>")},
                "tensor<2x3x3x2xf64>",
                binaryBody("axon.matmul", "tensor<2x1x3x4xf64>",
                           "tensor<3x4x2xf64>", "tensor<2x3x3x2xf64>")});
  cs.push_back({"axon.matmul",
                "matmul_param",
                {any("tensor<?x3xf64>")},
                "tensor<?x4xf64>",
                "%w = axon.param_ref @W : tensor<3x4xf64>\n"
                "  %y = axon.matmul %a0, %w : tensor<?x3xf64>, tensor<3x4xf64> "
                "-> tensor<?x4xf64>",
                {{"W", "tensor<3x4xf64>"}}});

  // conv2d (groups = 1): stride 2 + padding 1; the same with a remainder
  // (the last input row and column reach no output); unequal strides,
  // paddings and kernel extents.
  auto conv = [](const std::string &x, const std::string &w,
                 const std::string &o, const std::string &attrs) {
    return "%y = axon.conv2d %a0, %a1 {" + attrs + "} : " + x + ", " + w +
           " -> " + o;
  };
  cs.push_back(
      {"axon.conv2d",
       "conv2d_stride2_pad1",
       {any("tensor<2x2x5x5xf64>"), any("tensor<3x2x3x3xf64>")},
       "tensor<2x3x3x3xf64>",
       conv("tensor<2x2x5x5xf64>", "tensor<3x2x3x3xf64>", "tensor<2x3x3x3xf64>",
            "strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, "
            "dilations = array<i64: 1, 1>")});
  cs.push_back(
      {"axon.conv2d",
       "conv2d_stride2_remainder",
       {any("tensor<1x2x6x6xf64>"), any("tensor<2x2x3x3xf64>")},
       "tensor<1x2x3x3xf64>",
       conv("tensor<1x2x6x6xf64>", "tensor<2x2x3x3xf64>", "tensor<1x2x3x3xf64>",
            "strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, "
            "dilations = array<i64: 1, 1>")});
  cs.push_back(
      {"axon.conv2d",
       "conv2d_asymmetric",
       {any("tensor<1x2x6x5xf64>"), any("tensor<2x2x2x3xf64>")},
       "tensor<1x2x5x3xf64>",
       conv("tensor<1x2x6x5xf64>", "tensor<2x2x2x3xf64>", "tensor<1x2x5x3xf64>",
            "strides = array<i64: 1, 2>, padding = array<i64: 0, 1>, "
            "dilations = array<i64: 1, 1>")});

  // Grouped convolutions, w.r.t. the input alone (constant filter) and
  // w.r.t. both (the filter gradient is built per group).
  for (bool filterToo : {false, true}) {
    auto filter = [&](const char *type) {
      return filterToo ? any(type) : constant(type);
    };
    std::string suffix = filterToo ? "" : "_input_only";
    cs.push_back(
        {"axon.conv2d",
         "conv2d_grouped" + suffix,
         {any("tensor<1x4x5x5xf64>"), filter("tensor<2x2x3x3xf64>")},
         "tensor<1x2x3x3xf64>",
         conv("tensor<1x4x5x5xf64>", "tensor<2x2x3x3xf64>",
              "tensor<1x2x3x3xf64>",
              "strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, "
              "dilations = array<i64: 1, 1>, groups = 2 : i64")});
    cs.push_back(
        {"axon.conv_transpose2d",
         "conv_transpose2d_grouped" + suffix,
         {any("tensor<1x4x3x3xf64>"), filter("tensor<4x1x3x3xf64>")},
         "tensor<1x2x5x5xf64>",
         "%y = axon.conv_transpose2d %a0, %a1 {strides = array<i64: 2, 2>, "
         "padding = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, "
         "groups = 2 : i64} : tensor<1x4x3x3xf64>, tensor<4x1x3x3xf64> -> "
         "tensor<1x2x5x5xf64>"});
  }

  // conv_transpose2d: stride 2, padding 1, output_padding 1; and a batch
  // of 2 with stride 1, no padding and a non-square kernel.
  cs.push_back(
      {"axon.conv_transpose2d",
       "conv_transpose2d_stride2_pad1_outpad1",
       {any("tensor<1x2x3x3xf64>"), any("tensor<2x3x3x3xf64>")},
       "tensor<1x3x6x6xf64>",
       "%y = axon.conv_transpose2d %a0, %a1 {strides = array<i64: 2, 2>, "
       "padding = array<i64: 1, 1>, output_padding = array<i64: 1, 1>} : "
       "tensor<1x2x3x3xf64>, tensor<2x3x3x3xf64> -> tensor<1x3x6x6xf64>"});
  cs.push_back(
      {"axon.conv_transpose2d",
       "conv_transpose2d_batch_stride1",
       {any("tensor<2x2x3x4xf64>"), any("tensor<2x1x2x3xf64>")},
       "tensor<2x1x4x6xf64>",
       "%y = axon.conv_transpose2d %a0, %a1 {strides = array<i64: 1, 1>, "
       "padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>} : "
       "tensor<2x2x3x4xf64>, tensor<2x1x2x3xf64> -> tensor<2x1x4x6xf64>"});

  // Pools with overlapping windows and padding (random inputs: no ties).
  for (const char *op : {"max_pool2d", "avg_pool2d"}) {
    std::string o = std::string("axon.") + op;
    cs.push_back(
        {o,
         std::string(op) + "_k3_s2_pad1",
         {any("tensor<1x2x5x5xf64>")},
         "tensor<1x2x3x3xf64>",
         "%y = " + o +
             " %a0 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, "
             "padding = array<i64: 1, 1>} : tensor<1x2x5x5xf64> -> "
             "tensor<1x2x3x3xf64>"});
    cs.push_back(
        {o,
         std::string(op) + "_asymmetric",
         {any("tensor<2x1x4x6xf64>")},
         "tensor<2x1x3x3xf64>",
         "%y = " + o +
             " %a0 {kernel = array<i64: 2, 3>, strides = array<i64: 1, 2>, "
             "padding = array<i64: 0, 1>} : tensor<2x1x4x6xf64> -> "
             "tensor<2x1x3x3xf64>"});
  }

  // Reductions: all axes, positive and negative axes, keepdims, a dynamic
  // extent among the reduced ones (mean divides by its run-time value).
  auto reduce = [](const std::string &op, const std::string &x,
                   const std::string &o, const std::string &attrs) {
    return "%y = " + op + " %a0 {" + attrs + "} : " + x + " -> " + o;
  };
  for (const char *op : {"sum", "mean", "reduce_max"}) {
    std::string o = std::string("axon.") + op;
    cs.push_back(
        {o,
         std::string(op) + "_all",
         {any("tensor<2x3xf64>")},
         "tensor<f64>",
         reduce(o, "tensor<2x3xf64>", "tensor<f64>", "axes = array<i64>")});
    cs.push_back({o,
                  std::string(op) + "_axis1",
                  {any("tensor<2x3x4xf64>")},
                  "tensor<2x4xf64>",
                  reduce(o, "tensor<2x3x4xf64>", "tensor<2x4xf64>",
                         "axes = array<i64: 1>")});
    cs.push_back({o,
                  std::string(op) + "_negative_axis_keepdims",
                  {any("tensor<2x3x4xf64>")},
                  "tensor<2x1x4xf64>",
                  reduce(o, "tensor<2x3x4xf64>", "tensor<2x1x4xf64>",
                         "axes = array<i64: -2>, keepdims = true")});
    cs.push_back({o,
                  std::string(op) + "_negative_axes",
                  {any("tensor<2x3x4xf64>")},
                  "tensor<3xf64>",
                  reduce(o, "tensor<2x3x4xf64>", "tensor<3xf64>",
                         "axes = array<i64: -1, 0>")});
    cs.push_back({o,
                  std::string(op) + "_dynamic",
                  {any("tensor<?x4xf64>")},
                  "tensor<4xf64>",
                  reduce(o, "tensor<?x4xf64>", "tensor<4xf64>",
                         "axes = array<i64: 0>")});
  }
  cs.push_back({"axon.softmax",
                "softmax_axis1",
                {any("tensor<2x3x4xf64>")},
                "tensor<2x3x4xf64>",
                "%y = axon.softmax %a0 {axis = 1 : i64} : tensor<2x3x4xf64>"});
  cs.push_back({"axon.softmax",
                "softmax_negative_axis",
                {any("tensor<2x5xf64>")},
                "tensor<2x5xf64>",
                "%y = axon.softmax %a0 {axis = -1 : i64} : tensor<2x5xf64>"});
  cs.push_back(
      {"axon.log_softmax",
       "log_softmax_axis0",
       {any("tensor<3x4xf64>")},
       "tensor<3x4xf64>",
       "%y = axon.log_softmax %a0 {axis = 0 : i64} : tensor<3x4xf64>"});
  cs.push_back(
      {"axon.log_softmax",
       "log_softmax_negative_axis",
       {any("tensor<2x5xf64>")},
       "tensor<2x5xf64>",
       "%y = axon.log_softmax %a0 {axis = -1 : i64} : tensor<2x5xf64>"});

  // Movement.
  cs.push_back(
      {"axon.reshape",
       "reshape_dynamic_batch",
       {any("tensor<?x3x2xf64>")},
       "tensor<?x6xf64>",
       "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x3x2xf64>\n"
       "  %y = axon.reshape %a0[%n] : tensor<?x3x2xf64> -> tensor<?x6xf64>"});
  cs.push_back(
      {"axon.reshape",
       "reshape_static",
       {any("tensor<2x6xf64>")},
       "tensor<3x2x2xf64>",
       "%y = axon.reshape %a0 : tensor<2x6xf64> -> tensor<3x2x2xf64>"});
  cs.push_back({"axon.transpose",
                "transpose_rotate",
                {any("tensor<2x3x4xf64>")},
                "tensor<4x2x3xf64>",
                "%y = axon.transpose %a0 {perm = array<i64: 2, 0, 1>} : "
                "tensor<2x3x4xf64> -> "
                "tensor<4x2x3xf64>"});
  cs.push_back(
      {"axon.broadcast",
       "broadcast_rank_and_extent",
       {any("tensor<3x1xf64>")},
       "tensor<2x3x4xf64>",
       "%y = axon.broadcast %a0 : tensor<3x1xf64> -> tensor<2x3x4xf64>"});
  // %a1 only supplies the dynamic extent: its gradient is zero.
  cs.push_back(
      {"axon.broadcast",
       "broadcast_dynamic",
       {any("tensor<1x4xf64>"), any("tensor<?xf64>")},
       "tensor<?x4xf64>",
       "%n = axon.dim %a1 {axis = 0 : i64} : tensor<?xf64>\n"
       "  %y = axon.broadcast %a0[%n] : tensor<1x4xf64> -> tensor<?x4xf64>"});
  cs.push_back(
      {"axon.slice",
       "slice_strided",
       {any("tensor<7x3xf64>")},
       "tensor<3x3xf64>",
       "%y = axon.slice %a0 {axis = 0 : i64, start = 1 : i64, limit = 6 : i64, "
       "stride = 2 : i64} : tensor<7x3xf64> -> tensor<3x3xf64>"});
  cs.push_back({"axon.slice",
                "slice_negative_axis_to_end",
                {any("tensor<3x7xf64>")},
                "tensor<3x4xf64>",
                "%y = axon.slice %a0 {axis = -1 : i64, start = 0 : i64, limit "
                "= -1 : i64, "
                "stride = 2 : i64} : tensor<3x7xf64> -> tensor<3x4xf64>"});
  cs.push_back(
      {"axon.insert_slice",
       "insert_slice_strided",
       {any("tensor<3x7xf64>"), any("tensor<3x2xf64>")},
       "tensor<3x7xf64>",
       "%y = axon.insert_slice %a1 into %a0 {axis = 1 : i64, start = 2 : i64, "
       "stride = 3 : i64} : tensor<3x2xf64>, tensor<3x7xf64> -> "
       "tensor<3x7xf64>"});
  cs.push_back({"axon.insert_slice",
                "insert_slice_axis0",
                {any("tensor<5x2xf64>"), any("tensor<2x2xf64>")},
                "tensor<5x2xf64>",
                "%y = axon.insert_slice %a1 into %a0 {axis = 0 : i64, start = "
                "3 : i64} : "
                "tensor<2x2xf64>, tensor<5x2xf64> -> tensor<5x2xf64>"});
  cs.push_back(
      {"axon.concat",
       "concat_three_negative_axis",
       {any("tensor<2x3xf64>"), any("tensor<2x1xf64>"), any("tensor<2x2xf64>")},
       "tensor<2x6xf64>",
       "%y = axon.concat %a0, %a1, %a2 {axis = -1 : i64} : tensor<2x3xf64>, "
       "tensor<2x1xf64>, tensor<2x2xf64> -> tensor<2x6xf64>"});
  cs.push_back({"axon.concat",
                "concat_axis0",
                {any("tensor<1x3xf64>"), any("tensor<2x3xf64>")},
                "tensor<3x3xf64>",
                "%y = axon.concat %a0, %a1 {axis = 0 : i64} : tensor<1x3xf64>, "
                "tensor<2x3xf64> -> tensor<3x3xf64>"});

  // gather / scatter_add with repeated indices (the table gradient
  // accumulates; scatter_add's update gradient gathers).
  cs.push_back({"axon.gather",
                "gather_repeated",
                {any("tensor<5x3xf64>"), ints("tensor<4xi32>", {4, 1, 4, 0})},
                "tensor<4x3xf64>",
                "%y = axon.gather %a0[%a1] : tensor<5x3xf64>, tensor<4xi32> -> "
                "tensor<4x3xf64>"});
  cs.push_back({"axon.gather",
                "gather_axis1_matrix_indices",
                {any("tensor<3x5xf64>"), ints("tensor<2x2xi64>", {1, 3, 3, 1})},
                "tensor<3x2x2xf64>",
                "%y = axon.gather %a0[%a1] {axis = 1 : i64} : tensor<3x5xf64>, "
                "tensor<2x2xi64> "
                "-> tensor<3x2x2xf64>"});
  cs.push_back(
      {"axon.scatter_add",
       "scatter_add_repeated",
       {any("tensor<5x3xf64>"), ints("tensor<4xi32>", {2, 2, 0, 4}),
        any("tensor<4x3xf64>")},
       "tensor<5x3xf64>",
       "%y = axon.scatter_add %a0[%a1], %a2 : tensor<5x3xf64>, tensor<4xi32>, "
       "tensor<4x3xf64> -> tensor<5x3xf64>"});
  cs.push_back({"axon.scatter_add",
                "scatter_add_axis1",
                {any("tensor<3x5xf64>"), ints("tensor<4xi64>", {1, 4, 1, 1}),
                 any("tensor<3x4xf64>")},
                "tensor<3x5xf64>",
                "%y = axon.scatter_add %a0[%a1], %a2 {axis = 1 : i64} : "
                "tensor<3x5xf64>, "
                "tensor<4xi64>, tensor<3x4xf64> -> tensor<3x5xf64>"});
  return cs;
}

/// The module of a case: its parameters, @f(args) = sum(y * c), @f_grad.
std::string caseModule(const OpCase &c) {
  std::string text, args, names, types, wrt, gradTypes;
  for (auto &[name, type] : c.params)
    text += "axon.param @" + name + " : " + type + " = zeros\n";
  for (size_t i = 0; i < c.args.size(); ++i) {
    std::string a = "a" + std::to_string(i);
    args += (i ? ", %" : "%") + a + ": " + c.args[i].type;
    names += (i ? ", \"" : "\"") + a + "\"";
    types += (i ? ", " : "") + c.args[i].type;
    if (c.args[i].ints.empty() && !c.args[i].constant) {
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

/// Draws a tensor of `type` (`?` = kDynamicExtent) as `arg` says.
Tensor drawArg(const Arg &arg, std::mt19937 &rng) {
  Tensor t(dtypeOfType(arg.type), shapeOfType(arg.type, kDynamicExtent));
  if (!arg.ints.empty()) {
    t.data = arg.ints;
    return t;
  }
  std::uniform_real_distribution<double> u(arg.lo, arg.hi);
  for (double &v : t.data) {
    do
      v = u(rng);
    while (std::fabs(v) < arg.gap);
  }
  return t;
}

class GradientCheckOp : public ::testing::TestWithParam<OpCase> {};

TEST_P(GradientCheckOp, MatchesCentralDifferences) {
  const OpCase &c = GetParam();
  std::string text = caseModule(c);
  SCOPED_TRACE(text);
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  CapturedDiagnostics diags(ctx);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << diags.text;
  ASSERT_TRUE(mlir::succeeded(runAutodiff(*module))) << diags.text;

  std::mt19937 rng(seedOf(c.name) ^ 0x5eed);
  std::vector<Tensor> args;
  for (const Arg &a : c.args)
    args.push_back(drawArg(a, rng));
  reference::Evaluator ev(*module);
  for (auto &[name, type] : c.params)
    ASSERT_FALSE(bool(ev.setParam(name, drawArg(any(type), rng))));
  expectGradientsMatch(*module, ev, args);
}

INSTANTIATE_TEST_SUITE_P(GradientCheck, GradientCheckOp,
                         ::testing::ValuesIn(opCases()),
                         [](const ::testing::TestParamInfo<OpCase> &info) {
                           return info.param.name;
                         });

//===----------------------------------------------------------------------===//
// Coverage: every op with a VJP rule has a case
//===----------------------------------------------------------------------===//

TEST(GradientCheckCoverage, EveryDifferentiableOpHasACase) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect>();
  std::set<std::string> covered;
  for (const OpCase &c : opCases())
    covered.insert(c.op);
  std::vector<std::string> missing;
  int differentiable = 0;
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations()) {
    if (name.getDialectNamespace() != "axon" ||
        !name.hasInterface<GradientOpInterface>())
      continue;
    ++differentiable;
    if (!covered.count(name.getStringRef().str()))
      missing.push_back(name.getStringRef().str());
  }
  EXPECT_GE(differentiable, 30) << "the dialect's ops were not enumerated";
  EXPECT_TRUE(missing.empty()) << "ops with a VJP rule but no gradient check: "
                               << llvm::join(missing, ", ");
}

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
