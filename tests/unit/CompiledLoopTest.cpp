// Loops on the compiled path (issue 10 item 6): an axon.loop is compiled
// once, its body's kernels run once per step from a loop step of the plan,
// so the kernel count and compile time do not grow with the trip count.
// Each model runs against the reference evaluator at awkward sizes; the
// plan's loop step survives PlanJson and a built binary runs it.
#include "backends/halide/CompilePipeline.h"
#include "backends/halide/PlanBuilder.h"
#include "backends/reference/Evaluator.h"
#include "runtime/io/Npy.h"
#include "runtime/io/PlanJson.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/CompiledVsReference.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

using namespace axon;
using test_support::expectClose;
using test_support::randomTensor;
using test_support::readText;

namespace {

/// Compiles model-language `text` and checks @fn against the reference
/// evaluator at each argument set's shapes.
void checkAgainstReference(const std::string &text, const std::string &fn,
                           const std::vector<std::vector<Tensor>> &argSets) {
  auto m = test_support::compileModel(text, true);
  ASSERT_TRUE(m->module) << m->errors;
  test_support::checkAgainstReference(*m->module, fn, argSets, m->errors);
}

/// The issue's diffusion-style sampler: a matmul, the step index and a
/// fresh random draw per step (counter = t).
std::string sampler(int steps) {
  return R"(
param W: f32[13, 13] = glorot_uniform
fn sample(x: f32[N, 13]) -> f32[N, 13] {
  let h = x
  for t in 0..)" + std::to_string(steps) +
         R"( {
    let z = normal([N, 13], seed = 3, counter = t)
    h = h - 0.01 * tanh(h @ W + f32(t) * 0.1) + 0.001 * z
  }
  return h
}
)";
}

/// A leaky integrate-and-fire population: membrane potential v, spikes
/// where it crosses 1 (then reset), spike counts accumulated.
std::string lif(int steps) {
  return R"(
fn lif(I: f32[N, 37]) -> (f32[N, 37], f32[N, 37]) {
  let v = zeros([N, 37])
  let count = zeros([N, 37])
  for t in 0..)" + std::to_string(steps) +
         R"( {
    v = 0.9 * v + I
    let spike = f32(v > 1.0)
    v = where(v > 1.0, 0.0, v)
    count = count + spike
  }
  return count, v
}
)";
}

/// The plan of `fn` at `shapes` (no Halide compile).
Plan planOf(const std::string &text, const std::string &fn,
            std::vector<std::vector<int64_t>> shapes) {
  auto m = test_support::compileModel(text, true);
  EXPECT_TRUE(m->module) << m->errors;
  Plan plan;
  if (!m->module)
    return plan;
  std::vector<kernel::KernelSpec> kernels;
  EXPECT_TRUE(mlir::succeeded(buildPlan(*m->module, {{fn, shapes}}, plan, kernels)))
      << m->errors;
  EXPECT_EQ(kernels.size(), plan.kernels.size());
  return plan;
}

/// The top-level loop steps of a function plan.
std::vector<const PlanStep *> loopSteps(const FunctionPlan &f) {
  std::vector<const PlanStep *> loops;
  for (const PlanStep &s : f.steps)
    if (s.kind == PlanStep::Kind::Loop)
      loops.push_back(&s);
  return loops;
}

TEST(CompiledLoop, SamplerMatchesTheReference) {
  uint64_t seed = 5;
  std::vector<std::vector<Tensor>> sets;
  for (int64_t n : {1, 7, 33})
    sets.push_back({randomTensor(DType::F32, {n, 13}, seed)});
  checkAgainstReference(sampler(50), "sample", sets);
}

TEST(CompiledLoop, LeakyIntegrateAndFireMatchesTheReference) {
  uint64_t seed = 9;
  std::vector<std::vector<Tensor>> sets;
  for (int64_t n : {1, 5})
    sets.push_back({randomTensor(DType::F32, {n, 37}, seed, 0, 0.3)});
  auto start = std::chrono::steady_clock::now();
  checkAgainstReference(lif(2000), "lif", sets);
  // Unrolled, 200 steps took minutes to compile; a loop compiles once.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                .count(),
            60.0);
}

// The number of kernels (and so the compile time) does not depend on the
// trip count: each body is compiled once and run per step.
TEST(CompiledLoop, KernelCountDoesNotGrowWithTheTripCount) {
  for (auto [text, fn] : {std::pair{&sampler, "sample"}, std::pair{&lif, "lif"}}) {
    std::vector<std::vector<int64_t>> shapes{{4, fn == std::string("lif") ? 37 : 13}};
    Plan shortPlan = planOf(text(16), fn, shapes);
    Plan longPlan = planOf(text(512), fn, shapes);
    ASSERT_FALSE(shortPlan.kernels.empty()) << fn;
    EXPECT_EQ(shortPlan.kernels.size(), longPlan.kernels.size()) << fn;
    EXPECT_LE(longPlan.kernels.size(), 4u) << fn;
    ASSERT_EQ(longPlan.functions.size(), 1u);
    auto loops = loopSteps(longPlan.functions.front());
    ASSERT_EQ(loops.size(), 1u) << fn;
    EXPECT_EQ(loops[0]->lower, 0);
    EXPECT_EQ(loops[0]->upper, 512);
    EXPECT_FALSE(loops[0]->body.empty());
  }
}

// Carried values that swap (a, b = b, a + b) go through a staging buffer;
// a carried value left alone, one set from outside the loop and the step
// index itself are carried too.
TEST(CompiledLoop, SwappedAndUnchangedCarriedValues) {
  std::string text = R"(
fn fib(x: f32[N, 3], y: f32[N, 3]) -> (f32[N, 3], f32[N, 3], f32[N, 3], f32[N, 3], f32[N, 3]) {
  let a = x
  let b = y
  let same = x * 2.0
  let outer = y
  let s = x
  for t in 0..7 {
    let c = a + b
    a = b
    b = c
    outer = y * 3.0
    s = s * 0.0 + f32(t)
  }
  return a, b, same, outer, s
}
)";
  uint64_t seed = 3;
  std::vector<std::vector<Tensor>> sets;
  for (int64_t n : {1, 4})
    sets.push_back({randomTensor(DType::F32, {n, 3}, seed),
                    randomTensor(DType::F32, {n, 3}, seed)});
  checkAgainstReference(text, "fib", sets);
}

// Nested loops read both indices; a one-step loop is unrolled (the
// fallback), and so is a zero-step loop (its carried values stay as they
// were).
TEST(CompiledLoop, NestedShortAndEmptyLoops) {
  std::string text = R"(
fn nested(x: f32[N, 4]) -> f32[N, 4] {
  let h = x
  for i in 0..3 {
    for j in 0..4 {
      h = tanh(h + f32(i) * 0.1 + f32(j) * 0.01)
    }
    h = h * 1.5
  }
  for k in 0..1 {
    h = h * 2.0
  }
  for k in 0..0 {
    h = h * 3.0
  }
  return h
}
)";
  uint64_t seed = 7;
  std::vector<std::vector<Tensor>> sets;
  for (int64_t n : {1, 9})
    sets.push_back({randomTensor(DType::F32, {n, 4}, seed)});
  checkAgainstReference(text, "nested", sets);

  Plan plan = planOf(text, "nested", {{2, 4}});
  ASSERT_EQ(plan.functions.size(), 1u);
  auto loops = loopSteps(plan.functions.front());
  // 0..3 with 0..4 inside; 0..1 and 0..0 are unrolled (to one copy of the
  // body and to nothing).
  ASSERT_EQ(loops.size(), 1u);
  EXPECT_EQ(loops[0]->upper, 3);
  bool inner = false;
  for (const PlanStep &s : loops[0]->body)
    inner = inner || (s.kind == PlanStep::Kind::Loop && s.upper == 4);
  EXPECT_TRUE(inner);
}

// scatter_add in a loop body: compiled once, without Halide's warning
// about its unscheduled update (which unrolling printed once per step).
TEST(CompiledLoop, ScatterAddInALoop) {
  std::string text = R"(
fn scatter(x: f32[N, 64], idx: i32[70]) -> f32[N, 64] {
  let acc = x
  for t in 0..6 {
    let u = ones([N, 70]) * f32(t)
    acc = scatter_add(acc, idx, u, axis = 1)
  }
  return acc
}
)";
  uint64_t seed = 1;
  std::vector<std::vector<Tensor>> sets;
  for (int64_t n : {1, 33})
    sets.push_back({randomTensor(DType::F32, {n, 64}, seed),
                    randomTensor(DType::I32, {70}, seed, 0, 64)});
  testing::internal::CaptureStderr();
  checkAgainstReference(text, "scatter", sets);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("has not been scheduled"), std::string::npos) << err;
}

// A loop in the forward pass of a trained model: the train step (whose
// gradient is a reverse loop) and the compiled loop of `forward` both match
// the reference over a few steps.
TEST(CompiledLoop, TrainingThroughALoopMatchesTheReference) {
  std::string text = R"(
param Wx: f32[5, 8] = glorot_uniform
param Wh: f32[8, 8] = glorot_uniform
param Wo: f32[8, 3] = glorot_uniform
fn forward(x: f32[N, 5]) -> f32[N, 3] {
  let h = zeros([N, 8])
  for t in 0..6 {
    h = tanh(x @ Wx + h @ Wh + f32(t) * 0.1)
  }
  return h @ Wo
}
fn loss(x: f32[N, 5], y: i32[N]) -> f32 {
  return cross_entropy(forward(x), y)
}
train loss {
  data = npy("x.npy", "y.npy")
  optimizer = adam(lr = 0.05)
  batch = 7
  epochs = 1
}
)";
  auto m = test_support::compileModel(text, true);
  ASSERT_TRUE(m->module) << m->errors;
  mlir::ModuleOp module = *m->module;
  TrainOp train = *module.getOps<TrainOp>().begin();
  std::string step =
      train.getStepFnAttr().getValue().str();
  const int64_t batch = 7;
  reference::Evaluator reference(module);
  auto program = JitProgram::compile(
      module, {{step, {{batch, 5}, {batch}, {}}}, {"forward", {{batch, 5}}}}, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError()) << "\n"
                             << m->errors;
  Executor &jit = (*program)->executor();
  uint64_t seed = 17;
  for (int s = 0; s < 3; ++s) {
    Tensor x = randomTensor(DType::F32, {batch, 5}, seed);
    Tensor t = randomTensor(DType::I32, {batch}, seed, 0, 3);
    Tensor counter(DType::I64, {}, {double(s)});
    auto want = reference.call(step, {x, t, counter});
    auto got = jit.call(step, {x, t, counter});
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    expectClose(got->front(), want->front(), "loss at step " + std::to_string(s));
    auto fw = reference.call("forward", {x});
    auto fg = jit.call("forward", {x});
    ASSERT_TRUE(fw && fg);
    expectClose(fg->front(), fw->front(), "forward after step " + std::to_string(s));
  }
  const Plan &plan = (*program)->plan();
  for (size_t i = 0; i < plan.params.size(); ++i)
    expectClose(jit.getParam(int(i)), *reference.getParam(plan.params[i].name),
                "parameter " + plan.params[i].name);
  const FunctionPlan *forward = plan.function("forward");
  ASSERT_TRUE(forward);
  EXPECT_EQ(loopSteps(*forward).size(), 1u);
}

/// An RNN classifier over the T steps of x ([N, T, 5]) and its train block.
/// `steps` is how the model names T: a symbol ("T", bound when a function
/// is compiled or called) or a number.
std::string rnnOverSteps(const std::string &steps, int epochs = 1) {
  return R"(
param Wx: f32[5, 8] = glorot_uniform
param Wh: f32[8, 8] = glorot_uniform
param Wo: f32[8, 2] = glorot_uniform
fn forward(x: f32[N, )" + steps + R"(, 5]) -> f32[N, 2] {
  let h = zeros([N, 8])
  for t in 0..dim(x, 1) {
    h = tanh(gather(x, t, axis = 1) @ Wx + h @ Wh)
  }
  return h @ Wo
}
fn loss(x: f32[N, )" + steps + R"(, 5], y: i32[N]) -> f32 {
  return cross_entropy(forward(x), y)
}
train loss {
  data = npy("x.npy", "y.npy")
  optimizer = adam(lr = 0.02)
  batch = 8
  epochs = )" + std::to_string(epochs) + R"(
}
)";
}

// The trip count is x's extent T, a symbol of the model bound when the
// train step is compiled: the compiled train step (a forward loop storing
// each step's state, a reverse loop over them) matches the reference's at
// T = 7, and at T = 2 and 1, which the plan unrolls.
TEST(CompiledLoop, TrainingOverTheInputsStepsMatchesTheReference) {
  const int64_t batch = 3;
  for (int64_t steps : {7, 2, 1}) {
    SCOPED_TRACE("T = " + std::to_string(steps));
    // Compiling adds the specialised functions to the module: one each.
    auto m = test_support::compileModel(rnnOverSteps("T"), true);
    ASSERT_TRUE(m->module) << m->errors;
    mlir::ModuleOp module = *m->module;
    std::string step = (*module.getOps<TrainOp>().begin()).getStepFnAttr().getValue().str();
    reference::Evaluator reference(module);
    auto program = JitProgram::compile(module, {{step, {{batch, steps, 5}, {batch}, {}}}}, {});
    ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError()) << "\n" << m->errors;
    Executor &jit = (*program)->executor();
    uint64_t seed = 40;
    for (int s = 0; s < 2; ++s) {
      Tensor x = randomTensor(DType::F32, {batch, steps, 5}, seed);
      Tensor y = randomTensor(DType::I32, {batch}, seed, 0, 2);
      Tensor counter(DType::I64, {}, {double(s)});
      auto want = reference.call(step, {x, y, counter});
      auto got = jit.call(step, {x, y, counter});
      ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
      ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
      expectClose(got->front(), want->front(), "loss at step " + std::to_string(s));
    }
    const Plan &plan = (*program)->plan();
    for (size_t i = 0; i < plan.params.size(); ++i)
      expectClose(jit.getParam(int(i)), *reference.getParam(plan.params[i].name),
                  "parameter " + plan.params[i].name);
    // Forward and reverse loops stay loops from two steps on.
    EXPECT_EQ(loopSteps(plan.functions.front()).size(), steps >= 2 ? 2u : 0u);
  }
}

// The train step's plan does not grow with the trip count: the same
// kernels at T = 16 and T = 512, in a forward and a reverse loop step.
TEST(CompiledLoop, TrainStepKernelCountDoesNotGrowWithTheTripCount) {
  size_t kernels = 0;
  for (int64_t steps : {16, 512}) {
    std::string text = rnnOverSteps(std::to_string(steps));
    auto m = test_support::compileModel(text, true);
    ASSERT_TRUE(m->module) << m->errors;
    std::string step =
        (*m->module->getOps<TrainOp>().begin()).getStepFnAttr().getValue().str();
    Plan plan = planOf(text, step, {{4, steps, 5}, {4}, {}});
    ASSERT_EQ(plan.functions.size(), 1u);
    auto loops = loopSteps(plan.functions.front());
    ASSERT_EQ(loops.size(), 2u);
    for (const PlanStep *loop : loops)
      EXPECT_EQ(loop->upper, steps);
    if (steps == 16)
      kernels = plan.kernels.size();
    else
      EXPECT_EQ(plan.kernels.size(), kernels);
  }
}

// `axonc train` learns through a loop over the input's steps: whether the
// first feature sums to more than 0 over T = 12 steps, from an npy dataset
// written here; the last epoch's loss is well below the first's.
TEST(CompiledLoop, AxoncTrainLearnsThroughTheLoop) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-loop-train", dir));
  auto path = [&](const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  const int64_t rows = 96, steps = 12;
  uint64_t seed = 61;
  Tensor x = randomTensor(DType::F32, {rows, steps, 5}, seed);
  Tensor y(DType::I32, {rows});
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t t = 0; t < steps; ++t)
      sum += x.data[(r * steps + t) * 5];
    y.data[r] = sum > 0 ? 1 : 0;
  }
  ASSERT_FALSE(bool(writeNpy(path("x.npy"), x)));
  ASSERT_FALSE(bool(writeNpy(path("y.npy"), y)));
  {
    std::ofstream out(path("rnn.axon"));
    out << rnnOverSteps(std::to_string(steps), /*epochs=*/8);
  }
  std::string train = "cd " + std::string(dir) + " && " + AXONC_PATH + " train rnn.axon --metrics " +
                      path("m.jsonl") + " > " + path("log") + " 2>&1";
  ASSERT_EQ(std::system(train.c_str()), 0) << readText(path("log"));
  std::vector<double> losses;
  std::istringstream log(readText(path("m.jsonl")));
  for (std::string line; std::getline(log, line);) {
    size_t at = line.find("\"train_loss\":");
    if (at != std::string::npos)
      losses.push_back(std::stod(line.substr(at + 13)));
  }
  ASSERT_EQ(losses.size(), 8u) << readText(path("m.jsonl"));
  EXPECT_LT(losses.back(), 0.6 * losses.front());
  llvm::sys::fs::remove_directories(dir);
}

// A loop step survives the JSON a built binary embeds.
TEST(CompiledLoop, LoopStepsRoundTripThroughPlanJson) {
  Plan plan = planOf(sampler(9), "sample", {{2, 13}});
  ASSERT_EQ(plan.functions.size(), 1u);
  Plan back;
  BinaryConfig config;
  ASSERT_FALSE(bool(readPlanJson(writePlanJson(plan, config), back, config)));
  ASSERT_EQ(back.functions.size(), 1u);
  std::function<void(const std::vector<PlanStep> &, const std::vector<PlanStep> &)>
      same = [&](const std::vector<PlanStep> &a, const std::vector<PlanStep> &b) {
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
          EXPECT_EQ(a[i].kind, b[i].kind);
          EXPECT_EQ(a[i].kernel, b[i].kernel);
          EXPECT_EQ(a[i].buffers, b[i].buffers);
          EXPECT_EQ(a[i].lower, b[i].lower);
          EXPECT_EQ(a[i].upper, b[i].upper);
          same(a[i].body, b[i].body);
        }
      };
  same(plan.functions[0].steps, back.functions[0].steps);
  EXPECT_EQ(loopSteps(back.functions[0]).size(), 1u);
}

// `axonc build` of a loop model: the binary's infer runs the loop step and
// matches the reference evaluator.
TEST(CompiledLoop, BuiltBinaryRunsTheLoop) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-loop-test", dir));
  auto path = [&](const char *name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::string text = sampler(40) + lif(300);
  {
    std::ofstream out(path("loops.axon"));
    out << text;
  }
  std::string build = std::string(AXONC_PATH) + " build " + path("loops.axon") +
                      " --batch 3 -o " + path("loops") + " > " + path("log") +
                      " 2>&1";
  ASSERT_EQ(std::system(build.c_str()), 0) << readText(path("log"));

  auto m = test_support::compileModel(text, true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module);
  uint64_t seed = 21;
  // The binary's parameters start from the same seeded initialisers.
  struct Case {
    const char *fn, *arg;
    Tensor x;
  };
  for (Case c : {Case{"sample", "x", randomTensor(DType::F32, {3, 13}, seed)},
                 Case{"lif", "I", randomTensor(DType::F32, {3, 37}, seed, 0, 0.3)}}) {
    ASSERT_FALSE(bool(writeNpy(path("x.npy"), c.x)));
    std::string infer = path("loops") + " infer --fn " + c.fn + " --input " +
                        c.arg + "=" + path("x.npy") + " -o " + path("y.npy") +
                        " > " + path("log") + " 2>&1";
    ASSERT_EQ(std::system(infer.c_str()), 0) << readText(path("log"));
    auto want = reference.call(c.fn, {c.x});
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    // Several results go to y.0.npy, y.1.npy, ..., as axonc run writes them.
    auto got = readNpy(path(want->size() == 1 ? "y.npy" : "y.0.npy"));
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    expectClose(*got, want->front(), std::string("binary ") + c.fn);
  }
  std::string bench = path("loops") + " bench --iterations 2 --fn lif > " +
                      path("log") + " 2>&1";
  EXPECT_EQ(std::system(bench.c_str()), 0) << readText(path("log"));
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
