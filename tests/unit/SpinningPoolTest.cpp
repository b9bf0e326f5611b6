// SpinningPool: the do_par_for the binaries' kernels run on. Every task of
// a loop runs exactly once at any thread count, a loop is shared among
// threads, a task's failure is returned, nested loops run, and the thread
// count follows --threads, then HL_NUM_THREADS, then the cores.
#include "runtime/core/SpinningPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace axon;

namespace {

/// Counts each index's runs: closure is a std::vector<std::atomic<int>>.
int countRun(void *, int index, uint8_t *closure) {
  auto &runs = *reinterpret_cast<std::vector<std::atomic<int>> *>(closure);
  runs[index].fetch_add(1);
  return 0;
}

struct PoolThreads {
  explicit PoolThreads(int n) { setSpinningPoolThreads(n); }
  ~PoolThreads() { setSpinningPoolThreads(1); }
};

TEST(SpinningPool, EveryTaskRunsOnceAtAnyThreadCount) {
  for (int threads : {1, 2, 3, 5}) {
    PoolThreads pool(threads);
    for (int size : {0, 1, 7, 33, 1000}) {
      const int min = 5;
      std::vector<std::atomic<int>> runs(min + size + 3);
      // Twice: the second loop finds the workers spinning or asleep.
      for (int round = 0; round < 2; ++round)
        EXPECT_EQ(spinningDoParFor(nullptr, countRun, min, size,
                                   reinterpret_cast<uint8_t *>(&runs)),
                  0);
      for (int i = 0; i < int(runs.size()); ++i)
        EXPECT_EQ(runs[i].load(), i >= min && i < min + size ? 2 : 0)
            << "index " << i << ", " << size << " tasks at " << threads
            << " threads";
    }
  }
}

/// Two tasks that each wait for the other to start: they finish only when
/// two threads run them at once (each gives up after 20 s and fails).
struct Rendezvous {
  std::atomic<int> arrived{0};
  std::atomic<bool> timedOut{false};
};

int meet(void *, int, uint8_t *closure) {
  auto &r = *reinterpret_cast<Rendezvous *>(closure);
  r.arrived.fetch_add(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.arrived.load() < 2)
    if (std::chrono::steady_clock::now() > deadline) {
      r.timedOut = true;
      return 1;
    }
  return 0;
}

TEST(SpinningPool, ALoopIsSharedAmongThreads) {
  PoolThreads pool(2);
  for (int round = 0; round < 3; ++round) {
    Rendezvous r;
    EXPECT_EQ(spinningDoParFor(nullptr, meet, 0, 2, reinterpret_cast<uint8_t *>(&r)), 0);
    EXPECT_FALSE(r.timedOut);
  }
  // Past the spin, the worker is asleep and woken for the loop.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Rendezvous r;
  EXPECT_EQ(spinningDoParFor(nullptr, meet, 0, 2, reinterpret_cast<uint8_t *>(&r)), 0);
  EXPECT_FALSE(r.timedOut);
}

int failAt13(void *, int index, uint8_t *closure) {
  countRun(nullptr, index, closure);
  return index == 13 ? -7 : 0;
}

TEST(SpinningPool, ATasksFailureIsReturnedAndTheOthersStillRun) {
  for (int threads : {1, 2}) {
    PoolThreads pool(threads);
    std::vector<std::atomic<int>> runs(40);
    EXPECT_EQ(spinningDoParFor(nullptr, failAt13, 0, 40,
                               reinterpret_cast<uint8_t *>(&runs)),
              -7);
    for (int i = 0; i < 40; ++i)
      EXPECT_EQ(runs[i].load(), 1) << "index " << i;
    // The next loop starts clean.
    std::vector<std::atomic<int>> again(40);
    EXPECT_EQ(spinningDoParFor(nullptr, countRun, 0, 40,
                               reinterpret_cast<uint8_t *>(&again)),
              0);
  }
}

/// Each outer task runs an inner loop of 7 tasks into its own row.
int outerTask(void *, int index, uint8_t *closure) {
  auto &rows = *reinterpret_cast<std::vector<std::vector<std::atomic<int>>> *>(closure);
  return spinningDoParFor(nullptr, countRun, 0, 7,
                          reinterpret_cast<uint8_t *>(&rows[index]));
}

TEST(SpinningPool, NestedLoopsRun) {
  PoolThreads pool(2);
  std::vector<std::vector<std::atomic<int>>> rows(9);
  for (auto &row : rows)
    row = std::vector<std::atomic<int>>(7);
  EXPECT_EQ(spinningDoParFor(nullptr, outerTask, 0, 9,
                             reinterpret_cast<uint8_t *>(&rows)),
            0);
  for (auto &row : rows)
    for (auto &runs : row)
      EXPECT_EQ(runs.load(), 1);
}

TEST(SpinningPool, ThreadCountFromTheOptionThenHlNumThreadsThenTheCores) {
  const char *saved = std::getenv("HL_NUM_THREADS");
  std::string savedValue = saved ? saved : "";
  setenv("HL_NUM_THREADS", "3", 1);
  EXPECT_EQ(kernelThreadCount(2), 2);
  EXPECT_EQ(kernelThreadCount(0), 3);
  setenv("HL_NUM_THREADS", "0", 1);
  EXPECT_EQ(kernelThreadCount(0), int(std::max(1u, std::thread::hardware_concurrency())));
  unsetenv("HL_NUM_THREADS");
  EXPECT_EQ(kernelThreadCount(0), int(std::max(1u, std::thread::hardware_concurrency())));
  if (saved)
    setenv("HL_NUM_THREADS", savedValue.c_str(), 1);
}

} // namespace
