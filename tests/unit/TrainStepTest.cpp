// The compiled train step (axon-lower-train + axon-autodiff) against
// hand-computed SGD, momentum and Adam updates, and the semantics of
// update rules and grad() in the language.
#include "backends/reference/Evaluator.h"
#include "frontend/MLIRGen.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"
#include "tests/unit/CompileModel.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;

namespace {

std::unique_ptr<test_support::CompiledModel> build(const std::string &text) {
  return test_support::compileModel(text, /*gradientPipeline=*/true);
}

// loss(x) = sum(w * w * x), so dL/dw = 2 w x.
std::string modelWith(const std::string &optimizer) {
  return "param w: f64[2] = constant(0.5)\n"
         "fn loss(x: f64[2]) -> f64 { return sum(w * w * x) }\n"
         "train loss { optimizer = " + optimizer + " }\n";
}

/// Runs `steps` train steps on x and returns w after each.
std::vector<std::vector<double>> runSteps(const std::string &optimizer,
                                          const std::vector<double> &x,
                                          int steps) {
  auto m = build(modelWith(optimizer));
  EXPECT_TRUE(m->module) << m->errors;
  if (!m->module)
    return {};
  reference::Evaluator ev(*m->module);
  std::vector<std::vector<double>> ws;
  for (int s = 0; s < steps; ++s) {
    auto out = ev.call("loss_train_step",
                       {Tensor(DType::F64, {2}, x),
                        Tensor(DType::I64, {}, static_cast<double>(s))});
    EXPECT_TRUE(bool(out)) << (out ? "" : llvm::toString(out.takeError()));
    ws.push_back(ev.getParam("w")->data);
  }
  return ws;
}

const std::vector<double> kX = {1.5, -2.0};

TEST(TrainStep, SgdMatchesHandComputation) {
  auto ws = runSteps("sgd(lr = 0.1)", kX, 3);
  std::vector<double> w = {0.5, 0.5};
  for (const auto &got : ws) {
    for (int i = 0; i < 2; ++i)
      w[i] -= 0.1 * 2 * w[i] * kX[i];
    EXPECT_NEAR(got[0], w[0], 1e-12);
    EXPECT_NEAR(got[1], w[1], 1e-12);
  }
}

TEST(TrainStep, MomentumMatchesHandComputation) {
  auto ws = runSteps("momentum(lr = 0.05, beta = 0.8)", kX, 4);
  std::vector<double> w = {0.5, 0.5}, v = {0, 0};
  for (const auto &got : ws) {
    for (int i = 0; i < 2; ++i) {
      v[i] = 0.8 * v[i] + 2 * w[i] * kX[i];
      w[i] -= 0.05 * v[i];
    }
    EXPECT_NEAR(got[0], w[0], 1e-12);
    EXPECT_NEAR(got[1], w[1], 1e-12);
  }
}

TEST(TrainStep, AdamWithBiasCorrectionMatchesHandComputation) {
  auto ws = runSteps("adam(lr = 0.01, beta1 = 0.9, beta2 = 0.99, eps = 1e-6)", kX, 5);
  std::vector<double> w = {0.5, 0.5}, m = {0, 0}, v = {0, 0};
  int t = 0;
  for (const auto &got : ws) {
    ++t;
    for (int i = 0; i < 2; ++i) {
      double g = 2 * w[i] * kX[i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.99 * v[i] + 0.01 * g * g;
      double mhat = m[i] / (1 - std::pow(0.9, t));
      double vhat = v[i] / (1 - std::pow(0.99, t));
      w[i] -= 0.01 * mhat / (std::sqrt(vhat) + 1e-6);
    }
    EXPECT_NEAR(got[0], w[0], 1e-12);
    EXPECT_NEAR(got[1], w[1], 1e-12);
  }
}

TEST(TrainStep, ClippingAndWeightDecay) {
  // As in PyTorch: the gradient 2 w x is clipped to norm <= 0.1, then the
  // optimizer adds weight decay wd * w.
  auto ws = runSteps("sgd(lr = 1.0, weight_decay = 0.5, clip_norm = 0.1)", kX, 1);
  ASSERT_EQ(ws.size(), 1u);
  double g[2], norm = 0;
  for (int i = 0; i < 2; ++i) {
    g[i] = 2 * 0.5 * kX[i];
    norm += g[i] * g[i];
  }
  double scale = std::min(1.0, 0.1 / std::sqrt(norm));
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(ws[0][i], 0.5 - (g[i] * scale + 0.5 * 0.5), 1e-12);
}

TEST(TrainStep, UpdateRuleReadsOldValuesAndCommitsAtReturn) {
  auto m = build("param a: f64[2] = constant(1)\n"
                 "param b: f64[2] = constant(10)\n"
                 "fn swap(x: f64[2]) {\n  a <- b + x\n  b <- a\n}\n");
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator ev(*m->module);
  ASSERT_TRUE(bool(ev.call("swap", {Tensor(DType::F64, {2}, {1, 2})})));
  EXPECT_EQ(ev.getParam("a")->data, (std::vector<double>{11, 12}));
  EXPECT_EQ(ev.getParam("b")->data, (std::vector<double>{1, 1})); // old a
}

TEST(TrainStep, GradWithRespectToInputForFgsm) {
  auto m = build("param w: f64[3] = constant(2)\n"
                 "fn loss(x: f64[3]) -> f64 { return sum(w * x * x) }\n"
                 "fn attack(x: f64[3]) -> f64[3] {\n"
                 "  return x + 0.1 * sign(grad(loss, x, wrt = x))\n}\n");
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator ev(*m->module);
  auto out = ev.call("attack", {Tensor(DType::F64, {3}, {1, -2, 0.5})});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  // dL/dx = 2 w x = (4, -8, 2)
  EXPECT_EQ((*out)[0].data, (std::vector<double>{1.1, -2.1, 0.6}));
}

} // namespace
