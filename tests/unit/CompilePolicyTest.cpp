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

} // namespace
