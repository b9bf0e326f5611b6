// The parallelism decision (backends/halide/Parallelism.h): which outer
// dims a kernel's loop shares among threads, in how many tasks, for shapes
// at awkward sizes (1, 7, 33) and at the thresholds.
#include "backends/halide/Parallelism.h"

#include <gtest/gtest.h>

namespace {

using axon::halide::kMinTaskNs;
using axon::halide::kPlannedThreads;
using axon::halide::kTasksPerThread;
using axon::halide::ParallelLoop;
using axon::halide::planParallelLoop;
using axon::halide::worthSharing;

/// Work of `tasks` minimal tasks.
double tasksOfWork(double tasks) { return tasks * kMinTaskNs; }

TEST(ParallelismTest, WorkBelowTwoTasksStaysSerial) {
  EXPECT_FALSE(planParallelLoop({64, 16, 24}, tasksOfWork(1.99)).parallel());
  EXPECT_FALSE(worthSharing(tasksOfWork(1.99)));
  ParallelLoop two = planParallelLoop({64, 16, 24}, tasksOfWork(2));
  EXPECT_TRUE(worthSharing(tasksOfWork(2)));
  ASSERT_TRUE(two.parallel());
  EXPECT_EQ(two.tasks, 2);
  EXPECT_EQ(two.fusedDims, 1);
  EXPECT_EQ(two.perTask, 32);
}

TEST(ParallelismTest, AnLstmStepsMatmulStaysSerial) {
  using axon::halide::kMinMatmulTaskNs;
  using axon::halide::kNsPerElement;
  using axon::halide::kNsPerMultiplyAdd;
  // Run once per time step: a dispatch per call cost more than sharing
  // ~50 us of work gained (slower at 2 threads than at 1).
  const double gateMatmul = 32.0 * 192 * 512 * kNsPerMultiplyAdd;
  EXPECT_FALSE(worthSharing(gateMatmul, kMinMatmulTaskNs));
  EXPECT_FALSE(planParallelLoop({32}, gateMatmul, kPlannedThreads,
                                kMinMatmulTaskNs).parallel());
  // Its gates' elementwise kernels, [32,512], are too small to share.
  EXPECT_FALSE(planParallelLoop({32, 512}, 32.0 * 512 * kNsPerElement).parallel());
  // The same matmul at batch 256 is shared, in tasks of at least 35 us.
  ParallelLoop big = planParallelLoop({256}, 8 * gateMatmul, kPlannedThreads,
                                      kMinMatmulTaskNs);
  ASSERT_TRUE(big.parallel());
  EXPECT_LE(big.tasks, int64_t(8 * gateMatmul / kMinMatmulTaskNs));
  EXPECT_GE(big.tasks, 2);
  // Pointwise work of 2 tasks' worth (MLP's Adam on W1) is still shared.
  EXPECT_TRUE(planParallelLoop({784, 128}, 784.0 * 128 * kNsPerElement).parallel());
}

TEST(ParallelismTest, CnnsDenseLayerMatmulsAreSharedInTwoTasks) {
  using axon::halide::kMinMatmulTaskNs;
  using axon::halide::kNsPerMultiplyAdd;
  // [64,512]x[512,120] forward, [64,120]x[120,512] input gradient,
  // [512,64]x[64,120] weight gradient: 80-150 us each at one thread,
  // on one thread of two when they were not shared.
  const double dense = 64.0 * 512 * 120 * kNsPerMultiplyAdd;
  EXPECT_TRUE(worthSharing(dense, kMinMatmulTaskNs));
  // One column of 8 row tiles (the weight gradient, 512 rows of 64-wide
  // tiles) or 8 columns of one row tile: two tasks either way.
  ParallelLoop rows = planParallelLoop({1, 8}, dense, kPlannedThreads,
                                       kMinMatmulTaskNs);
  ASSERT_TRUE(rows.parallel());
  EXPECT_EQ(rows.tasks, 2);
  EXPECT_EQ(rows.perTask, 4);
  ParallelLoop cols = planParallelLoop({8, 1}, dense, kPlannedThreads,
                                       kMinMatmulTaskNs);
  ASSERT_TRUE(cols.parallel());
  EXPECT_EQ(cols.tasks, 2);
  EXPECT_EQ(cols.fusedDims, 1);
}

TEST(ParallelismTest, AFillIsSharedOnlyWhenItsStoresAreWorthIt) {
  using axon::halide::kNsPerElementStored;
  // An LSTM's zero stacks, [32, 32, 128], are some 12 us of stores:
  // serial (counted at kNsPerElement they were shared, and slower at 2
  // threads than at 1).
  EXPECT_FALSE(planParallelLoop({32, 32, 128}, 32.0 * 32 * 128 * kNsPerElementStored)
                   .parallel());
  // Zeros of 4M elements are still shared.
  EXPECT_TRUE(planParallelLoop({1024, 4096}, 1024.0 * 4096 * kNsPerElementStored)
                  .parallel());
}

TEST(ParallelismTest, OneThreadOrOneIterationStaysSerial) {
  EXPECT_FALSE(planParallelLoop({64, 16}, tasksOfWork(100), 1).parallel());
  EXPECT_FALSE(planParallelLoop({1}, tasksOfWork(100)).parallel());
  EXPECT_FALSE(planParallelLoop({1, 1, 1}, tasksOfWork(100)).parallel());
  EXPECT_FALSE(planParallelLoop({}, tasksOfWork(100)).parallel());
  EXPECT_EQ(planParallelLoop({1}, tasksOfWork(100)).tasks, 0);
}

TEST(ParallelismTest, TasksGrowWithWorkUpToThePlannedThreads) {
  const int64_t most = int64_t(kTasksPerThread) * kPlannedThreads;
  ParallelLoop some = planParallelLoop({4096}, tasksOfWork(10.5));
  EXPECT_EQ(some.tasks, 10);
  EXPECT_EQ(some.perTask, 410); // ceil(4096 / 10)
  ParallelLoop lots = planParallelLoop({4096}, tasksOfWork(1e6));
  EXPECT_EQ(lots.tasks, most);
  EXPECT_EQ(lots.perTask, 4096 / most);
  // Planned for fewer threads: fewer tasks for the same work.
  ParallelLoop two = planParallelLoop({4096}, tasksOfWork(1e6), 2);
  EXPECT_EQ(two.tasks, 2 * kTasksPerThread);
}

TEST(ParallelismTest, FusesTheFewestOuterDimsThatGiveEnoughTasks) {
  // cnn's pooling gradient, [64, 16, 24, 24] with the innermost dim kept
  // for vectors: the batch alone covers the 14 tasks its work asks for;
  // 8 images each (8 tasks), since 13 tasks of 5 would leave one of two
  // threads a task short.
  ParallelLoop pool = planParallelLoop({64, 16, 24}, tasksOfWork(14.7));
  EXPECT_EQ(pool.fusedDims, 1);
  EXPECT_EQ(pool.iterations, 64);
  EXPECT_EQ(pool.tasks, 8);
  EXPECT_EQ(pool.perTask, 8);
  // A batch of 1: the next dim is fused in.
  ParallelLoop one = planParallelLoop({1, 33, 7}, tasksOfWork(16));
  EXPECT_EQ(one.fusedDims, 2);
  EXPECT_EQ(one.iterations, 33);
  EXPECT_EQ(one.tasks, 11); // 3 iterations each: 16 tasks would be uneven
  EXPECT_EQ(one.perTask, 3);
  // Batch 7 (fewer iterations than tasks wanted), then 7 x 33.
  ParallelLoop seven = planParallelLoop({7, 33}, tasksOfWork(5));
  EXPECT_EQ(seven.fusedDims, 1);
  EXPECT_EQ(seven.tasks, 4); // 2, 2, 2, 1
  EXPECT_EQ(seven.perTask, 2);
  ParallelLoop both = planParallelLoop({7, 33}, tasksOfWork(30));
  EXPECT_EQ(both.fusedDims, 2);
  EXPECT_EQ(both.iterations, 231);
  EXPECT_EQ(both.tasks, 26); // 9 iterations each, the last 6 (29 of 8: odd)
  EXPECT_EQ(both.perTask, 9);
}

TEST(ParallelismTest, TaskCountsBalanceTwoThreads) {
  // Work for 3 tasks over 64 images: 2 of 32, not 3 of 22 (one thread
  // would run two of the three).
  ParallelLoop three = planParallelLoop({64, 16}, tasksOfWork(3.5));
  EXPECT_EQ(three.tasks, 2);
  EXPECT_EQ(three.perTask, 32);
  // An even count that is already balanced is kept: 10 of 410 rows.
  ParallelLoop ten = planParallelLoop({4096}, tasksOfWork(10.5));
  EXPECT_EQ(ten.tasks, 10);
  // Never below half the tasks the work asks for: 33 rows in 16-task
  // work give 11 tasks of 3, as balanced as any count from 16 down to 8.
  ParallelLoop odd = planParallelLoop({33}, tasksOfWork(16));
  EXPECT_EQ(odd.tasks, 11);
  EXPECT_EQ(odd.perTask, 3);
}

TEST(ParallelismTest, NeverMoreTasksThanIterations) {
  ParallelLoop seven = planParallelLoop({7}, tasksOfWork(1000));
  EXPECT_EQ(seven.tasks, 7);
  EXPECT_EQ(seven.perTask, 1);
  ParallelLoop all = planParallelLoop({1, 7, 1}, tasksOfWork(1000));
  EXPECT_EQ(all.fusedDims, 3);
  EXPECT_EQ(all.tasks, 7);
}

TEST(ParallelismTest, EveryIterationIsInExactlyOneTask) {
  for (int64_t a : {1, 2, 7, 33, 64})
    for (int64_t b : {1, 7, 33})
      for (double tasks : {2.0, 3.0, 7.0, 33.0, 1e4}) {
        ParallelLoop p = planParallelLoop({a, b}, tasksOfWork(tasks));
        if (!p.parallel())
          continue;
        SCOPED_TRACE(testing::Message() << a << "x" << b << ", " << tasks);
        EXPECT_GE(p.perTask * p.tasks, p.iterations);
        EXPECT_LT(p.perTask * (p.tasks - 1), p.iterations);
        EXPECT_LE(p.tasks, int64_t(tasks));
      }
}

} // namespace
