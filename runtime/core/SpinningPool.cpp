#include "runtime/core/SpinningPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace axon {
namespace {

using Clock = std::chrono::steady_clock;

/// How long a worker spins for the next loop before it sleeps: longer than
/// the serial stretches between the parallel kernels of a step (cnn's
/// serial kernels run 10-100 us), short enough that a process between
/// steps gives the cores back at once. Spinning yields the core at every
/// check (sched_yield, ~0.5 us where nothing else waits for it), as does
/// the caller waiting for the workers' last tasks: with more runnable
/// threads than cores (two other processes busy on the 2-core VM) a
/// worker spinning with pause took the time of the caller's serial
/// kernels, cnn's step at 2 threads 7.5-8.8 ms against 5.2 on Halide's
/// pool; yielding, 5.4-5.9. On a quiet machine both spins measured alike
/// (14 runs each alternating, medians 3.26 and 3.31 ms).
constexpr auto kSpin = std::chrono::microseconds(300);

/// Set while a thread runs a task: a loop it starts is nested.
thread_local bool inTask = false;

class SpinningPool {
public:
  ~SpinningPool() { resize(0); }

  void resize(int workerCount) {
    std::lock_guard<std::mutex> call(callMutex);
    {
      std::lock_guard<std::mutex> lock(m);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
    workers.clear();
    stopping = false;
    // The generation before the workers start: a loop published before a
    // worker first runs is still one it joins.
    const uint64_t seen = generation.load(std::memory_order_acquire);
    for (int i = 0; i < workerCount; ++i)
      workers.emplace_back([this, seen] { work(seen); });
  }

  int run(void *userContext, ParForTask fn, int first, int count,
          uint8_t *data) {
    if (count <= 0)
      return 0;
    std::unique_lock<std::mutex> call(callMutex, std::defer_lock);
    if (count == 1 || inTask || workers.empty() || !call.try_lock())
      return serial(userContext, fn, first, count, data);
    {
      std::lock_guard<std::mutex> lock(m);
      task = fn;
      context = userContext;
      closure = data;
      min = first;
      size = count;
      next = 0;
      result = 0;
      done.store(0, std::memory_order_relaxed);
      generation.fetch_add(1, std::memory_order_release);
      if (sleeping > 0)
        wake.notify_all();
    }
    inTask = true;
    while (runOneTask()) {
    }
    inTask = false;
    while (done.load(std::memory_order_acquire) < count)
      std::this_thread::yield();
    std::lock_guard<std::mutex> lock(m);
    return result;
  }

private:
  static int serial(void *userContext, ParForTask fn, int first, int count,
                    uint8_t *data) {
    int first_error = 0;
    for (int i = first; i < first + count; ++i)
      if (int rc = fn(userContext, i, data); rc && !first_error)
        first_error = rc;
    return first_error;
  }

  /// Claims the current loop's next task and runs it; false when none is
  /// left. The loop's fields are read under the lock, so a claim never
  /// sees a finished loop's (the caller returns only after every claimed
  /// task is done, and the next loop resets them under the lock).
  bool runOneTask() {
    ParForTask fn;
    void *userContext;
    uint8_t *data;
    int index;
    {
      std::lock_guard<std::mutex> lock(m);
      if (next >= size)
        return false;
      index = min + next++;
      fn = task;
      userContext = context;
      data = closure;
    }
    if (int rc = fn(userContext, index, data)) {
      std::lock_guard<std::mutex> lock(m);
      if (!result)
        result = rc;
    }
    done.fetch_add(1, std::memory_order_release);
    return true;
  }

  void work(uint64_t seen) {
    for (;;) {
      const Clock::time_point start = Clock::now();
      while (generation.load(std::memory_order_acquire) == seen) {
        if (Clock::now() - start < kSpin) {
          std::this_thread::yield();
          continue;
        }
        std::unique_lock<std::mutex> lock(m);
        ++sleeping;
        wake.wait(lock, [&] {
          return stopping || generation.load(std::memory_order_relaxed) != seen;
        });
        --sleeping;
        break;
      }
      {
        std::lock_guard<std::mutex> lock(m);
        if (stopping)
          return;
      }
      seen = generation.load(std::memory_order_acquire);
      inTask = true;
      while (runOneTask()) {
      }
      inTask = false;
    }
  }

  std::mutex callMutex; ///< One loop at a time (and not while resizing).
  std::mutex m;         ///< Guards the loop's fields below, sleeping, stopping.
  std::condition_variable wake;
  ParForTask task = nullptr;
  void *context = nullptr;
  uint8_t *closure = nullptr;
  int min = 0, size = 0, next = 0, result = 0;
  int sleeping = 0;
  bool stopping = false;
  std::atomic<int> done{0};
  /// Bumped per loop: what spinning workers watch.
  std::atomic<uint64_t> generation{0};
  std::vector<std::thread> workers;
};

SpinningPool &pool() {
  static SpinningPool p;
  return p;
}

} // namespace

int spinningDoParFor(void *userContext, ParForTask task, int min, int size,
                     uint8_t *closure) {
  return pool().run(userContext, task, min, size, closure);
}

void setSpinningPoolThreads(int threads) {
  pool().resize(std::max(threads, 1) - 1);
}

int kernelThreadCount(int requested) {
  if (requested > 0)
    return requested;
  if (const char *env = std::getenv("HL_NUM_THREADS"))
    if (int n = std::atoi(env); n > 0)
      return n;
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

} // namespace axon
