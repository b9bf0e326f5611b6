// Gradient checks against central finite differences, shared by the
// per-op table's gradient suite (OpGradientTest.cpp) and the whole-model and
// loop checks (GradientCheckTest.cpp). A loss function @f and its gradient
// @f_grad, built by axon-autodiff, are evaluated in f64 on the reference
// evaluator and compared element by element with
// (f(x + h e_i) - f(x - h e_i)) / 2h.
#ifndef AXON_TESTS_UNIT_GRADIENTCHECK_H
#define AXON_TESTS_UNIT_GRADIENTCHECK_H

#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"
#include "tests/unit/OpTable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringRef.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace axon::test_support {

/// Run-time extent of every `?` in a case's argument types.
inline constexpr int64_t kDynamicExtent = 3;

/// Central-difference step and tolerance. With h = 1e-6 the truncation
/// error (h^2 f''' / 6) is ~1e-12 and the rounding error of f's evaluation
/// (~1e-16 |f| / h) ~1e-9 for the losses here, so 1e-7 absolute plus 1e-6
/// relative leaves a wide margin for honest rules and none for a wrong
/// factor, sign or index.
inline constexpr double kStep = 1e-6;
inline constexpr double kAbsTol = 1e-7;
inline constexpr double kRelTol = 1e-6;

inline std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// MLIR lines computing `%<result> = sum(%<y> * c)` for `y` of type `type`,
/// with c a fixed random tensor (values in +-[0.5, 1.5], seeded by
/// `seed`). `?` extents of c follow y's at run time.
inline std::string weightedSum(const std::string &y, const std::string &type,
                               const std::string &result, uint32_t seed) {
  std::vector<int64_t> shape = op_table::shapeOf(type, kDynamicExtent);
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
    if (op_table::shapeOf(type, -1)[i] < 0) {
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
inline mlir::LogicalResult runAutodiff(mlir::ModuleOp module) {
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
inline void expectGradientsMatch(mlir::ModuleOp module,
                                 reference::Evaluator &ev,
                                 std::vector<Tensor> args,
                                 const std::string &fn = "f",
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

} // namespace axon::test_support

#endif // AXON_TESTS_UNIT_GRADIENTCHECK_H
