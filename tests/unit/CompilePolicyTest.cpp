// Which functions get compiled at which row counts (tools/axonc/
// CompilePolicy.h), for `axonc train` and `axonc build` alike.
#include "tools/axonc/CompilePolicy.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

TrainConfig mlpBlock() {
  TrainConfig c;
  c.stepFn = "loss_train_step";
  c.lossFn = "loss";
  c.evalFn = "accuracy";
  return c;
}

std::vector<int64_t> rowsOf(const std::vector<CompiledRows> &all,
                            const std::string &fn) {
  for (const CompiledRows &c : all)
    if (c.function == fn)
      return c.rows;
  return {};
}

// The JIT: exactly what a session calls. 10000 eval samples in batches of
// 32 leave 16; the train metric's 320 samples leave none.
TEST(CompilePolicy, TrainingCompilesTheBatchAndEachLeftover) {
  EvaluatedSizes sizes{10000, 320};
  auto rows = rowsToCompile(mlpBlock(), 32, sizes, {});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].function, "loss_train_step");
  EXPECT_EQ(rowsOf(rows, "loss_train_step"), (std::vector<int64_t>{32}));
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{32, 16}));
  EXPECT_EQ(rowsOf(rows, "accuracy"), (std::vector<int64_t>{32, 16}));
  // A set smaller than a batch is evaluated whole.
  rows = rowsToCompile(mlpBlock(), 32, {20, 330}, {});
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{20}));
  EXPECT_EQ(rowsOf(rows, "accuracy"), (std::vector<int64_t>{20, 32, 10}));
}

// With an eval step (the loss and the metric in one call) the eval and
// validation sets run it alone; the training samples' metric still runs
// the eval_fn, and the loss is not compiled for evaluation at all.
TEST(CompilePolicy, TheEvalStepServesTheEvalAndValidationSets) {
  TrainConfig c = mlpBlock();
  c.evalStepFn = "loss_eval_step";
  EvaluatedSizes sizes{10000, 320, 7};
  auto rows = rowsToCompile(c, 32, sizes, {});
  EXPECT_EQ(rowsOf(rows, "loss_eval_step"), (std::vector<int64_t>{32, 16, 7}));
  EXPECT_EQ(rowsOf(rows, "accuracy"), (std::vector<int64_t>{32}));
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{}));
  EXPECT_TRUE(takesLossArguments(c, "loss_eval_step"));
  EXPECT_EQ(lossArgumentShapes(c, "loss_eval_step", 7).size(),
            lossArgumentShapes(c, "loss", 7).size());
}

// A built binary: the same, and every public function at the batch size and
// at 1 (not the train step), which serve any row count in pieces.
TEST(CompilePolicy, ABinaryAlsoCompilesEveryFunctionAtOne) {
  std::vector<std::string> all{"forward", "loss", "accuracy",
                               "loss_train_step"};
  auto rows = rowsToCompile(mlpBlock(), 32, {10000, 10000}, all);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rowsOf(rows, "loss_train_step"), (std::vector<int64_t>{32}));
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{32, 16, 1}));
  EXPECT_EQ(rowsOf(rows, "accuracy"), (std::vector<int64_t>{32, 16, 1}));
  EXPECT_EQ(rowsOf(rows, "forward"), (std::vector<int64_t>{32, 1}));
  // Data unknown at build time: the batch and 1 only.
  rows = rowsToCompile(mlpBlock(), 32, {}, all);
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{32, 1}));
  // No train block: every function at the batch and 1.
  rows = rowsToCompile(TrainConfig(), 8, {}, {"forward"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rowsOf(rows, "forward"), (std::vector<int64_t>{8, 1}));
  // Batch 1: once.
  rows = rowsToCompile(TrainConfig(), 1, {}, {"forward"});
  EXPECT_EQ(rowsOf(rows, "forward"), (std::vector<int64_t>{1}));
}

// A function with a rank-0 result runs in no pieces (infer refuses to join
// scalars of some rows): at the batch size only, but for the loss and the
// eval_fn, whose batch means the trainer joins.
TEST(CompilePolicy, AScalarResultIsNotCompiledAtOne) {
  std::vector<std::string> all{"forward", "loss", "accuracy", "check",
                               "loss_train_step"};
  std::vector<std::string> scalars{"loss", "accuracy", "check",
                                   "loss_train_step"};
  auto rows = rowsToCompile(mlpBlock(), 32, {}, all, scalars);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rowsOf(rows, "check"), (std::vector<int64_t>{32}));
  EXPECT_EQ(rowsOf(rows, "forward"), (std::vector<int64_t>{32, 1}));
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{32, 1}));
  EXPECT_EQ(rowsOf(rows, "accuracy"), (std::vector<int64_t>{32, 1}));
  EXPECT_EQ(rowsOf(rows, "loss_train_step"), (std::vector<int64_t>{32}));
  // Without a train block every scalar function is such a check.
  rows = rowsToCompile(TrainConfig(), 8, {}, {"forward", "loss"}, {"loss"});
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{8}));
}

// The validation split is evaluated like the eval set: the loss and the
// eval_fn at its batches and leftover. 1001 samples in batches of 32 leave 9.
TEST(CompilePolicy, TheValidationSplitsLeftoverIsCompiled) {
  EvaluatedSizes sizes;
  sizes.validation = 1001;
  auto rows = rowsToCompile(mlpBlock(), 32, sizes, {});
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{32, 9}));
  EXPECT_EQ(rowsOf(rows, "accuracy"), (std::vector<int64_t>{32, 9}));
  sizes.validation = 7; // smaller than a batch: whole
  rows = rowsToCompile(mlpBlock(), 32, sizes, {});
  EXPECT_EQ(rowsOf(rows, "loss"), (std::vector<int64_t>{7}));
}

// The loss's arguments are compiled at the dims the data binds after the
// batch dim (T = seq of a text source), the step with its step counter;
// other functions keep every `?` at the row count (requestAtRows).
TEST(CompilePolicy, LossArgumentsTakeTheDataShapes) {
  TrainConfig c = mlpBlock();
  c.lossArgs = {{"tokens", DType::I32, {33}}, {"targets", DType::I32, {33}}};
  EXPECT_TRUE(takesLossArguments(c, "loss_train_step"));
  EXPECT_TRUE(takesLossArguments(c, "loss"));
  EXPECT_TRUE(takesLossArguments(c, "accuracy"));
  EXPECT_FALSE(takesLossArguments(c, "generate"));
  EXPECT_FALSE(takesLossArguments(TrainConfig(), "loss"));
  EXPECT_EQ(lossArgumentShapes(c, "loss_train_step", 7),
            (std::vector<std::vector<int64_t>>{{7, 33}, {7, 33}, {}}));
  EXPECT_EQ(lossArgumentShapes(c, "loss", 1),
            (std::vector<std::vector<int64_t>>{{1, 33}, {1, 33}}));
  // A configuration without them: the input and label shapes.
  TrainConfig old = mlpBlock();
  old.inputShape = {784};
  EXPECT_EQ(lossArgumentShapes(old, "loss", 32),
            (std::vector<std::vector<int64_t>>{{32, 784}, {32}}));
}

} // namespace
