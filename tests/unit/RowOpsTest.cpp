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
  Plan plan;
  std::vector<kernel::KernelSpec> specs;
  ASSERT_TRUE(mlir::succeeded(buildPlan(*m->module, {{"grec", {{4, 9}, {16, 4, 9}}}},
                                        plan, specs)))
      << m->errors;
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
      EXPECT_EQ(t.shape, (std::vector<int64_t>{16, 4, 9}));
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

} // namespace
