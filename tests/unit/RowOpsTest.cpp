// The row ops compiled (dynamic_row, dynamic_update_row): an index out of
// range fails with the op's position, as in the reference evaluator; and
// in the loop that autodiff stores each step's state from, the row write
// runs in place in the carried stack, so a step writes one row and copies
// nothing of the [T, ...] stack (O(row) per step, not O(T x row)). Values
// are OpTable's business (OpCompiledTest); the loop's gradients,
// GradientCheckLoop's and CompiledLoop's.
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "tests/unit/CompileModel.h"
#include "tests/unit/CompiledVsReference.h"

#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

const char *kRows = R"(func.func @f(%x: tensor<4x3xf32>, %i: tensor<i64>, %u: tensor<3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>) {
  %r = axon.dynamic_row %x[%i] : tensor<4x3xf32> -> tensor<3xf32>
  %w = axon.dynamic_update_row %x[%i], %u : tensor<4x3xf32>, tensor<3xf32>
  return %r, %w : tensor<3xf32>, tensor<4x3xf32>
}
)";

TEST(RowOps, CompiledIndexOutOfRangeIsAnErrorAtTheOp) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(kRows, "rows.mlir"),
                             llvm::SMLoc());
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(sources, &ctx);
  ASSERT_TRUE(module);
  auto program = JitProgram::compile(*module, {{"f", {{4, 3}, {}, {3}}}}, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError());
  reference::Evaluator reference(*module);
  uint64_t seed = 3;
  Tensor x = test_support::randomTensor(DType::F32, {4, 3}, seed);
  Tensor u = test_support::randomTensor(DType::F32, {3}, seed);
  for (int64_t i : {0, 3}) {
    std::vector<Tensor> args = {x, Tensor(DType::I64, {}, {double(i)}), u};
    auto got = (*program)->executor().call("f", args);
    auto want = reference.call("f", args);
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    for (size_t r = 0; r < 2; ++r)
      test_support::expectClose((*got)[r], (*want)[r], "result " + std::to_string(r));
  }
  // The read's kernel checks first; both name the op and the bad index.
  for (int64_t bad : {int64_t(4), int64_t(-1), int64_t(1) << 40}) {
    auto got = (*program)->executor().call(
        "f", {x, Tensor(DType::I64, {}, {double(bad)}), u});
    ASSERT_FALSE(bool(got));
    std::string error = llvm::toString(got.takeError());
    EXPECT_NE(error.find("rows.mlir:2:"), std::string::npos) << error;
    EXPECT_NE(error.find("axon.dynamic_row"), std::string::npos) << error;
    EXPECT_NE(error.find("index " + std::to_string(bad) + " is out of range [0, 4)"),
              std::string::npos)
        << error;
    EXPECT_EQ(error.find("Halide"), std::string::npos) << error;
  }
}

/// @fnName's plan at `shapes` has one loop whose step writes one row of a
/// `stack`-shaped buffer in place (the target's buffer, or its arena
/// offset) and copies no whole stack.
void expectOneRowWriteInPlacePerStep(mlir::ModuleOp module, const std::string &fnName,
                                     std::vector<std::vector<int64_t>> shapes,
                                     std::vector<int64_t> stack,
                                     const std::string &errors) {
  Plan plan;
  std::vector<kernel::KernelSpec> specs;
  ASSERT_TRUE(mlir::succeeded(buildPlan(module, {{fnName, shapes}}, plan, specs)))
      << errors;
  ASSERT_EQ(plan.functions.size(), 1u);
  const FunctionPlan &fn = plan.functions.front();
  int rowWrites = 0;
  for (const PlanStep &loop : fn.steps) {
    if (loop.kind != PlanStep::Kind::Loop)
      continue;
    for (const PlanStep &s : loop.body) {
      if (s.kind != PlanStep::Kind::Kernel || !kernel::writesRowInPlace(specs[s.kernel]))
        continue;
      ++rowWrites;
      int target = s.buffers[specs[s.kernel].ops[0].operands[0]];
      int out = s.buffers.back();
      const PlanBuffer &t = fn.buffers[target], &o = fn.buffers[out];
      EXPECT_EQ(t.shape, stack);
      EXPECT_TRUE(target == out || (t.kind == PlanBuffer::Kind::Arena &&
                                    o.kind == PlanBuffer::Kind::Arena &&
                                    t.offset == o.offset))
          << "the row write has a buffer of its own";
      // Nothing in the step copies a whole stack.
      for (const PlanStep &c : loop.body)
        if (c.kind == PlanStep::Kind::Copy)
          EXPECT_LT(fn.buffers[c.buffers[1]].bytes(), t.bytes()) << "a copy of the stack";
    }
  }
  EXPECT_EQ(rowWrites, 1) << "one stack, written once per forward step";
}

// h <- tanh(h * x_t + 0.5) over the T steps of x, differentiated for h0:
// the forward loop stores h as row t of a [T, 4, 9] stack.
const char *kRecurrence = R"(
fn rec(h0: f32[4, 9], x: f32[T, 4, 9]) -> f32 {
  let h = h0
  for t in 0..dim(x, 0) { h = tanh(h * gather(x, t, axis = 0) + 0.5) }
  return sum(h * h)
}
fn grec(h0: f32[4, 9], x: f32[T, 4, 9]) -> f32[4, 9] { return grad(rec, h0, x, wrt = h0) }
)";

TEST(RowOps, StoredLoopWritesOneRowInPlacePerStep) {
  auto m = test_support::compileModel(kRecurrence, true);
  ASSERT_TRUE(m->module) << m->errors;
  expectOneRowWriteInPlacePerStep(*m->module, "grec", {{4, 9}, {16, 4, 9}},
                                  {16, 4, 9}, m->errors);
}

// The forward loop writes every row of its stack once and reads none: the
// stack's zeros are never read, so the plan neither fills them (no fill
// kernel of the stack's shape runs) nor copies them in before the loop.
// The values are the reference's (grec's test above and GradientCheckLoop).
TEST(RowOps, AStackEveryStepWritesIsNeitherFilledNorCopiedIn) {
  auto m = test_support::compileModel(kRecurrence, true);
  ASSERT_TRUE(m->module) << m->errors;
  Plan plan;
  std::vector<kernel::KernelSpec> specs;
  ASSERT_TRUE(mlir::succeeded(
      buildPlan(*m->module, {{"grec", {{4, 9}, {16, 4, 9}}}}, plan, specs)))
      << m->errors;
  const FunctionPlan &fn = plan.functions.front();
  const std::vector<int64_t> stack = {16, 4, 9};
  int loops = 0;
  for (const PlanStep &s : fn.steps) {
    loops += s.kind == PlanStep::Kind::Loop;
    if (s.kind == PlanStep::Kind::Copy)
      EXPECT_NE(fn.buffers[s.buffers[1]].shape, stack) << "the stack copied in";
    if (s.kind != PlanStep::Kind::Kernel)
      continue;
    const kernel::KernelSpec &k = specs[s.kernel];
    bool fills = llvm::all_of(k.ops, [](const kernel::OpSpec &o) { return o.name == "fill"; });
    EXPECT_FALSE(fills && fn.buffers[s.buffers.back()].shape == stack)
        << k.name << " fills the stack";
  }
  EXPECT_EQ(loops, 2) << "the forward and the reverse loop";
}

// The language's update(x, t, v, axis =): a loop that stores its state per
// step, along axis 0 (one dynamic_update_row) and axis 1 (moved to the
// front and back), at awkward sizes and a trip count bound at run time, and
// a write that overwrites the same row every step.
const char *kUpdate = R"(
fn rows(x: f32[T, N, 7]) -> f32[T, N, 7] {
  let h = zeros([N, 7])
  let s = zeros([T, N, 7])
  for t in 0..T {
    h = tanh(h + gather(x, t))
    s = update(s, t, h)
  }
  return s
}
fn columns(x: f32[N, T, 7]) -> (f32[N, T, 7], f32[2, N, 7]) {
  let s = x * 0.5
  let last = zeros([2, N, 7])
  for t in 0..T {
    let v = gather(x, t, axis = 1) * 2.0 + 1.0
    s = update(s, dim(x, 1) - 1 - t, v, axis = 1)
    last = update(last, 1, v)
  }
  return s, last
}
fn at(x: f32[4, 3], i: i64, v: f32[3]) -> f32[4, 3] { return update(x, i, v) }
fn at_column(x: f32[4, 3], i: i32, v: f32[4]) -> f32[4, 3] { return update(x, i, v, axis = -1) }
)";

TEST(RowOps, UpdateBuiltinMatchesTheReference) {
  auto m = test_support::compileModel(kUpdate, true);
  ASSERT_TRUE(m->module) << m->errors;
  uint64_t seed = 11;
  auto random = [&](std::vector<int64_t> shape) {
    return test_support::randomTensor(DType::F32, std::move(shape), seed);
  };
  std::vector<std::vector<Tensor>> rowArgs, columnArgs;
  for (int64_t steps : {1, 2, 33})
    for (int64_t n : {1, 7}) {
      rowArgs.push_back({random({steps, n, 7})});
      columnArgs.push_back({random({n, steps, 7})});
    }
  test_support::checkAgainstReference(*m->module, "rows", rowArgs, m->errors);
  test_support::checkAgainstReference(*m->module, "columns", columnArgs, m->errors);
  std::vector<std::vector<Tensor>> atArgs, columnAtArgs;
  for (int64_t i : {0, 3}) {
    atArgs.push_back({random({4, 3}), Tensor(DType::I64, {}, {double(i)}), random({3})});
    columnAtArgs.push_back(
        {random({4, 3}), Tensor(DType::I32, {}, {double(i % 3)}), random({4})});
  }
  test_support::checkAgainstReference(*m->module, "at", atArgs, m->errors);
  test_support::checkAgainstReference(*m->module, "at_column", columnAtArgs, m->errors);
}

// An index outside the axis is an error at run time on both paths (as
// dynamic_update_row, and gather), located at the call in the model file.
TEST(RowOps, UpdateBuiltinIndexOutOfRangeIsAnError) {
  auto m = test_support::compileModel(kUpdate, false, "update.axon");
  ASSERT_TRUE(m->module) << m->errors;
  auto program = JitProgram::compile(*m->module, {{"at", {{4, 3}, {}, {3}}}}, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError());
  reference::Evaluator reference(*m->module);
  uint64_t seed = 5;
  Tensor x = test_support::randomTensor(DType::F32, {4, 3}, seed);
  Tensor v = test_support::randomTensor(DType::F32, {3}, seed);
  for (int64_t bad : {int64_t(4), int64_t(-1)}) {
    std::vector<Tensor> args = {x, Tensor(DType::I64, {}, {double(bad)}), v};
    auto got = (*program)->executor().call("at", args);
    auto want = reference.call("at", args);
    ASSERT_FALSE(bool(got));
    ASSERT_FALSE(bool(want));
    for (std::string error : {llvm::toString(got.takeError()),
                              llvm::toString(want.takeError())}) {
      EXPECT_NE(error.find("update.axon:21:"), std::string::npos) << error;
      EXPECT_NE(error.find("index " + std::to_string(bad) + " is out of range [0, 4)"),
                std::string::npos)
          << error;
    }
  }
}

TEST(RowOps, UpdateBuiltinInAUserLoopWritesInPlace) {
  auto m = test_support::compileModel(kUpdate, true);
  ASSERT_TRUE(m->module) << m->errors;
  expectOneRowWriteInPlacePerStep(*m->module, "rows", {{16, 4, 7}}, {16, 4, 7},
                                  m->errors);
}

} // namespace
