// training() and dropout(x, p) (issue 13): in a train step dropout draws a
// new mask at every step, the same for the same seed and step; kept
// elements are scaled by 1 / (1 - p) (as torch.nn.functional.dropout) and
// a fraction 1 - p of them is kept; outside the train step dropout is its
// input and no mask is computed; the train step's gradient through dropout
// (and through draws in a loop, recomputed by the reverse loop) matches
// finite differences at a fixed step; compiled kernels draw the reference's
// masks.
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "tests/unit/CompileModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace axon;

namespace {

Tensor scalarI64(int64_t v) { return Tensor(DType::I64, {}, double(v)); }

std::string errorOf(llvm::Error e) { return llvm::toString(std::move(e)); }

// loss(x) = sum(dropout(w * x, p)) with x = 1 and w = 1: an SGD step at
// rate 1 moves w by the dropout's gradient, mask / (1 - p), so the mask
// can be read off the update.
std::string maskModel(int64_t rows, int64_t cols, double p,
                      const std::string &options = "") {
  return "param w: f32[" + std::to_string(rows) + ", " + std::to_string(cols) +
         "] = ones\n"
         "fn loss(x: f32[1]) -> f32 { return sum(dropout(w * x, " +
         std::to_string(p) + options +
         ")) }\n"
         "train loss { optimizer = sgd(lr = 1) }\n";
}

/// Runs the train step at `step` from w = 1 and returns the kept elements
/// (1 where kept, 0 where dropped), checking that each update is 0 or the
/// scale 1 / (1 - p) and that the step's loss is the scaled kept count (the
/// forward pass used the gradient's mask).
std::vector<bool> maskAt(reference::Evaluator &ev, int64_t step, double p) {
  const Tensor *w = ev.getParam("w");
  EXPECT_TRUE(w);
  if (!w)
    return {};
  Tensor ones(DType::F32, w->shape, 1.0);
  EXPECT_FALSE(bool(ev.setParam("w", ones)));
  auto out = ev.call("loss_train_step",
                     {Tensor(DType::F32, {1}, 1.0), scalarI64(step)});
  EXPECT_TRUE(bool(out)) << (out ? "" : errorOf(out.takeError()));
  if (!out)
    return {};
  // In f32, as the kernels compute it: 1 / f32(1 - p).
  double scale = double(1.0f / float(1 - p));
  std::vector<bool> kept;
  int64_t count = 0;
  for (double v : ev.getParam("w")->data) {
    double moved = 1 - v;
    EXPECT_TRUE(moved == 0 || std::fabs(moved - scale) <= 1e-6 * scale)
        << "an update of " << moved << ", expected 0 or " << scale;
    kept.push_back(moved != 0);
    count += moved != 0;
  }
  double loss = out->front().data[0];
  EXPECT_NEAR(loss, double(count) * scale, 1e-6 * double(count) * scale + 1e-6);
  return kept;
}

int64_t differences(const std::vector<bool> &a, const std::vector<bool> &b) {
  EXPECT_EQ(a.size(), b.size());
  int64_t n = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    n += a[i] != b[i];
  return n;
}

TEST(Dropout, EachStepDrawsANewMaskThatTheSeedFixes) {
  const double p = 0.5;
  auto first = test_support::compileModel(maskModel(33, 7, p), true);
  auto second = test_support::compileModel(maskModel(33, 7, p), true);
  ASSERT_TRUE(first->module && second->module) << first->errors;
  reference::Evaluator a(*first->module), b(*second->module);
  std::vector<bool> step0 = maskAt(a, 0, p), step1 = maskAt(a, 1, p);
  // 231 elements, each differing with probability 1/2 between two
  // independent masks: fewer than 40 differences is a 1e-20 event.
  EXPECT_GT(differences(step0, step1), 40);
  // Another run with the same seed draws the same masks, at any step and
  // in any order (what a resumed run relies on).
  EXPECT_EQ(differences(maskAt(b, 1, p), step1), 0);
  EXPECT_EQ(differences(maskAt(b, 0, p), step0), 0);
  EXPECT_EQ(differences(maskAt(b, 0, p), step0), 0);
  // Steps far apart (the step enters the counter as step * 2^24).
  EXPECT_GT(differences(maskAt(a, 1 << 20, p), step0), 40);

  // Another seed, another mask.
  auto seeded =
      test_support::compileModel(maskModel(33, 7, p, ", seed = 5"), true);
  ASSERT_TRUE(seeded->module) << seeded->errors;
  reference::Evaluator c(*seeded->module);
  EXPECT_GT(differences(maskAt(c, 0, p), step0), 40);
}

/// The updates of w (from 1, SGD at rate 1) for loss(x) = sum(drop(w * x,
/// 0)) + 2 sum(drop(w * x, `second`)), drop(v, k) a dropout at p = 0.5 with
/// counter = k: each element moves by 2 m0 + 4 m1 for the two calls' masks.
std::set<double> updatesOfTwoCalls(int second) {
  auto m = test_support::compileModel(
      "param w: f32[33, 7] = ones\n"
      "fn drop(v: f32[33, 7], k: i64) -> f32[33, 7] {\n"
      "  return dropout(v, 0.5, counter = k)\n"
      "}\n"
      "fn loss(x: f32[1]) -> f32 {\n"
      "  return sum(drop(w * x, 0)) + 2 * sum(drop(w * x, " +
          std::to_string(second) +
          "))\n"
          "}\n"
          "train loss { optimizer = sgd(lr = 1) }\n",
      true);
  EXPECT_TRUE(m->module) << m->errors;
  if (!m->module)
    return {};
  reference::Evaluator ev(*m->module);
  auto out =
      ev.call("loss_train_step", {Tensor(DType::F32, {1}, 1.0), scalarI64(3)});
  EXPECT_TRUE(bool(out)) << (out ? "" : errorOf(out.takeError()));
  std::set<double> moves;
  for (double v : ev.getParam("w")->data)
    moves.insert(1 - v);
  return moves;
}

TEST(Dropout, CallsOfOneFunctionDrawOneMaskUnlessTheirCountersDiffer) {
  // A dropout in a function is one draw site: calls with the same counter
  // share its mask (moves of 0 or 6 only), calls with other counters draw
  // their own (2 and 4 appear where one kept and the other dropped).
  EXPECT_EQ(updatesOfTwoCalls(0), std::set<double>({0, 6}));
  EXPECT_EQ(updatesOfTwoCalls(1), std::set<double>({0, 2, 4, 6}));
}

TEST(Dropout, KeepsAFractionOneMinusPScaledByItsInverse) {
  // 10^6 elements: the kept fraction's standard deviation is
  // sqrt(p (1 - p) / n) = 4.6e-4 at p = 0.3; 5 of them is 2.3e-3.
  for (double p : {0.3, 0.9}) {
    auto m = test_support::compileModel(maskModel(1000, 1000, p), true);
    ASSERT_TRUE(m->module) << m->errors;
    reference::Evaluator ev(*m->module);
    std::vector<bool> kept = maskAt(ev, 3, p);
    ASSERT_EQ(kept.size(), 1000000u);
    double fraction = double(std::count(kept.begin(), kept.end(), true)) / 1e6;
    double sigma = std::sqrt(p * (1 - p) / 1e6);
    EXPECT_NEAR(fraction, 1 - p, 5 * sigma) << "p = " << p;
  }
}

TEST(Dropout, TrainingIsTrueInTheTrainStepOnly) {
  // The gradient of sum(w * f32(training())) is 1 in the step: w moves by
  // the rate; outside, training() is 0.
  auto m = test_support::compileModel(
      "param w: f32[3] = zeros\n"
      "fn loss(x: f32[1]) -> f32 { return sum(w * x * f32(training())) }\n"
      "fn mode(x: f32[1]) -> f32[1] { return x * f32(training()) }\n"
      "train loss { optimizer = sgd(lr = 0.5) }\n",
      true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator ev(*m->module);
  Tensor one(DType::F32, {1}, 1.0);
  auto step = ev.call("loss_train_step", {one, scalarI64(0)});
  ASSERT_TRUE(bool(step)) << errorOf(step.takeError());
  EXPECT_EQ(ev.getParam("w")->data, std::vector<double>({-0.5, -0.5, -0.5}));
  auto loss = ev.call("loss", {one});
  ASSERT_TRUE(bool(loss)) << errorOf(loss.takeError());
  EXPECT_EQ(loss->front().data[0], 0.0);
  auto mode = ev.call("mode", {one});
  ASSERT_TRUE(bool(mode)) << errorOf(mode.takeError());
  EXPECT_EQ(mode->front().data[0], 0.0);
}

const char *kClassifier = R"(
param W1: f32[6, 9] = glorot_uniform
param W2: f32[9, 4] = glorot_uniform
fn forward(x: f32[N, 6]) -> f32[N, 4] {
  let h = HIDDEN
  return h @ W2
}
fn predict(x: f32[N, 6]) -> f32[N, 4] { return forward(x) }
fn loss(x: f32[N, 6], t: i32[N]) -> f32 { return cross_entropy(forward(x), t) }
train loss { optimizer = adam(lr = 0.01) }
)";

std::string classifier(const std::string &hidden) {
  std::string text = kClassifier;
  text.replace(text.find("HIDDEN"), 6, hidden);
  return text;
}

TEST(Dropout, InferenceIsTheModelWithoutDropout) {
  auto with = test_support::compileModel(
      classifier("dropout(relu(x @ W1), 0.5)"), true);
  auto without = test_support::compileModel(classifier("relu(x @ W1)"), true);
  ASSERT_TRUE(with->module && without->module) << with->errors;
  // The mode is decided everywhere, and the functions that run in
  // inference draw no mask: only the step does. (loss_grad, the loss's
  // gradient in inference, keeps its draw until axon-specialize makes its
  // shapes static and the gradient's select of zeros folds too.)
  int stepDraws = 0;
  with->module->walk([&](mlir::Operation *op) {
    EXPECT_FALSE(mlir::isa<TrainingOp>(op));
    if (familyOf(op) != OpFamily::Random)
      return;
    llvm::StringRef fn = op->getParentOfType<mlir::func::FuncOp>().getName();
    EXPECT_NE(fn, "forward");
    EXPECT_NE(fn, "predict");
    EXPECT_NE(fn, "loss");
    stepDraws += fn == "loss_train_step";
  });
  EXPECT_GT(stepDraws, 0);

  reference::Evaluator a(*with->module), b(*without->module);
  for (int64_t n : {1, 7, 33}) {
    Tensor x(DType::F32, {n, 6});
    for (size_t i = 0; i < x.data.size(); ++i)
      x.data[i] = std::sin(double(i) * 0.7);
    auto first = a.call("predict", {x});
    auto again = a.call("predict", {x});
    auto plain = b.call("predict", {x});
    ASSERT_TRUE(first && again && plain);
    EXPECT_EQ(first->front().data, again->front().data);
    EXPECT_EQ(first->front().data, plain->front().data);
  }
}

/// The train step's gradient (an SGD step at rate 1 moves W by it) against
/// central differences of the step's own loss at the same step, so with
/// the same masks. f64 throughout. Returns the gradient.
std::vector<double> checkStepGradient(const std::string &text, const Tensor &x,
                                      int64_t step) {
  auto m = test_support::compileModel(text, true);
  EXPECT_TRUE(m->module) << m->errors;
  if (!m->module)
    return {};
  reference::Evaluator ev(*m->module);
  Tensor w0 = *ev.getParam("W");
  auto base = ev.call("loss_train_step", {x, scalarI64(step)});
  EXPECT_TRUE(bool(base)) << (base ? "" : errorOf(base.takeError()));
  Tensor w1 = *ev.getParam("W");
  const double eps = 1e-6;
  auto lossAt = [&](size_t i, double delta) {
    Tensor w = w0;
    w.data[i] += delta;
    EXPECT_FALSE(bool(ev.setParam("W", w)));
    auto r = ev.call("loss_train_step", {x, scalarI64(step)});
    EXPECT_TRUE(bool(r)) << (r ? "" : errorOf(r.takeError()));
    return r ? r->front().data[0] : NAN;
  };
  std::vector<double> grads;
  for (size_t i = 0; i < w0.data.size(); ++i) {
    double grad = w0.data[i] - w1.data[i];
    double fd = (lossAt(i, eps) - lossAt(i, -eps)) / (2 * eps);
    EXPECT_NEAR(grad, fd, 1e-6 * (1 + std::fabs(fd))) << "W[" << i << "]";
    grads.push_back(grad);
  }
  return grads;
}

TEST(Dropout, StepGradientMatchesFiniteDifferences) {
  Tensor x(DType::F64, {7, 5});
  for (size_t i = 0; i < x.data.size(); ++i)
    x.data[i] = std::cos(double(i) * 1.3);
  const char *model = "param W: f64[5, 3] = glorot_uniform\n"
                      "fn loss(x: f64[N, 5]) -> f64 {\n"
                      "  return sum(tanh(dropout(x @ W, 0.4)) ^ 2)\n"
                      "}\n"
                      "train loss { optimizer = sgd(lr = 1) }\n";
  std::vector<double> at0 = checkStepGradient(model, x, 0);
  std::vector<double> at5 = checkStepGradient(model, x, 5);
  // Other masks, another gradient: the check saw dropout at work.
  EXPECT_NE(at0, at5);
}

// A mask per loop step (counter = t) and per train step, over a run-time
// trip count: the reverse loop recomputes each step's draw and must see
// the forward's.
const char *kLoopModel = "param W: f64[4, 4] = glorot_uniform\n"
                         "fn loss(x: f64[N, 4]) -> f64 {\n"
                         "  let h = x\n"
                         "  for t in 0..dim(x, 0) {\n"
                         "    h = tanh(dropout(h @ W, 0.3, counter = t) + x)\n"
                         "  }\n"
                         "  return sum(h * h)\n"
                         "}\n"
                         "train loss { optimizer = sgd(lr = 1) }\n";

Tensor loopInput() {
  Tensor x(DType::F64, {3, 4});
  for (size_t i = 0; i < x.data.size(); ++i)
    x.data[i] = std::sin(double(i) + 0.5);
  return x;
}

TEST(Dropout, StepGradientThroughALoopRecomputesItsDraws) {
  std::vector<double> grads = checkStepGradient(kLoopModel, loopInput(), 2);
  EXPECT_NE(std::count(grads.begin(), grads.end(), 0.0), int64_t(grads.size()));
}

TEST(Dropout, CompiledStepsDrawTheReferencesMasks) {
  const double p = 0.25;
  auto m = test_support::compileModel(maskModel(7, 33, p), true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module);
  auto program =
      JitProgram::compile(*m->module, {{"loss_train_step", {{1}, {}}}}, {});
  ASSERT_TRUE(bool(program)) << errorOf(program.takeError());
  Executor &jit = (*program)->executor();
  Tensor one(DType::F32, {1}, 1.0);
  for (int64_t step : {0, 1, 2, 1 << 20}) {
    auto want = reference.call("loss_train_step", {one, scalarI64(step)});
    auto got = jit.call("loss_train_step", {one, scalarI64(step)});
    ASSERT_TRUE(bool(want)) << errorOf(want.takeError());
    ASSERT_TRUE(bool(got)) << errorOf(got.takeError());
    // The losses sum in different orders; the masks are compared below.
    EXPECT_NEAR(got->front().data[0], want->front().data[0],
                1e-5 * std::fabs(want->front().data[0]))
        << "step " << step;
  }
  // w accumulated every step's update: the same masks, bit for bit.
  EXPECT_EQ(jit.getParam(0).data, reference.getParam("w")->data);
}

TEST(Dropout, CompiledLoopStepsMatchTheReference) {
  // The draws in the forward loop and their recomputation in the compiled
  // reverse loop, at several train steps.
  auto m = test_support::compileModel(kLoopModel, true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module);
  auto program =
      JitProgram::compile(*m->module, {{"loss_train_step", {{3, 4}, {}}}}, {});
  ASSERT_TRUE(bool(program)) << errorOf(program.takeError());
  Executor &jit = (*program)->executor();
  Tensor x = loopInput();
  for (int64_t step : {0, 1, 9}) {
    auto want = reference.call("loss_train_step", {x, scalarI64(step)});
    auto got = jit.call("loss_train_step", {x, scalarI64(step)});
    ASSERT_TRUE(bool(want)) << errorOf(want.takeError());
    ASSERT_TRUE(bool(got)) << errorOf(got.takeError());
    EXPECT_NEAR(got->front().data[0], want->front().data[0], 1e-12)
        << "step " << step;
  }
  const Tensor &w = *reference.getParam("W");
  Tensor compiled = jit.getParam(0);
  ASSERT_EQ(compiled.data.size(), w.data.size());
  for (size_t i = 0; i < w.data.size(); ++i)
    EXPECT_NEAR(compiled.data[i], w.data[i], 1e-12) << "W[" << i << "]";
}

} // namespace
