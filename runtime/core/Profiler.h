// Per-kernel profiling of compiled plans: time and share per kernel, the
// parallel efficiency of each kernel against a 1-thread reference, and a
// Chrome trace (chrome://tracing, Perfetto) of every call.
#ifndef AXON_RUNTIME_CORE_PROFILER_H
#define AXON_RUNTIME_CORE_PROFILER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace axon {

class Profiler {
public:
  using Clock = std::chrono::steady_clock;

  void enable(bool on = true) { enabled = on; }
  bool isEnabled() const { return enabled; }

  /// The thread count the recorded calls ran at (the executor sets it when
  /// it measures a 1-thread reference; 0: unknown).
  void setThreads(int n) { threads = n; }
  int threadCount() const { return threads; }

  /// Records one kernel call that ran from `start` to `end`.
  void record(const std::string &kernel, Clock::time_point start,
              Clock::time_point end);

  /// Records the same kernel call timed twice, back to back on the same
  /// data: `threadedSeconds` at threadCount() threads (also given to
  /// record()) and `oneThreadSeconds` at one thread. The efficiency column
  /// compares the two sums over the same calls.
  void recordReference(const std::string &kernel, double threadedSeconds,
                       double oneThreadSeconds);

  /// A table: kernel, calls, total ms, mean us, share of all kernel time;
  /// slowest first. With 1-thread references (threadCount() > 1), two more
  /// columns: the mean time of the referenced calls at one thread and the
  /// parallel efficiency t(1) / (threads x t(threads)) (100%: perfect
  /// speed-up; below 1/threads: slower than one thread); "-" for a kernel
  /// with no reference.
  void print(llvm::raw_ostream &os) const;

  /// Writes the calls as Chrome trace events ("X" phase, microseconds).
  llvm::Error writeChromeTrace(const std::string &path) const;

  struct Totals {
    int64_t calls = 0;
    double seconds = 0;
    /// Calls with a 1-thread reference, and their time at threadCount()
    /// threads and at one thread.
    int64_t referencedCalls = 0;
    double referencedSeconds = 0, oneThreadSeconds = 0;

    /// t(1) / (threads x t(threads)) over the referenced calls; negative
    /// when there are none.
    double efficiency(int threads) const;
  };
  const std::map<std::string, Totals> &totals() const { return byKernel; }

private:
  struct Event {
    std::string name;
    double startUs, durationUs;
  };
  bool enabled = false;
  int threads = 0;
  Clock::time_point origin = Clock::now();
  std::map<std::string, Totals> byKernel;
  std::vector<Event> events;
};

} // namespace axon

#endif // AXON_RUNTIME_CORE_PROFILER_H
