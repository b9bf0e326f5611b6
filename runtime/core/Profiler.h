// Per-kernel profiling of compiled plans: time and share per kernel, and a
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

  /// Records one kernel call that ran from `start` to `end`.
  void record(const std::string &kernel, Clock::time_point start,
              Clock::time_point end);

  /// A table: kernel, calls, total ms, mean us, share of all kernel time;
  /// slowest first.
  void print(llvm::raw_ostream &os) const;

  /// Writes the calls as Chrome trace events ("X" phase, microseconds).
  llvm::Error writeChromeTrace(const std::string &path) const;

  struct Totals {
    int64_t calls = 0;
    double seconds = 0;
  };
  const std::map<std::string, Totals> &totals() const { return byKernel; }

private:
  struct Event {
    std::string name;
    double startUs, durationUs;
  };
  bool enabled = false;
  Clock::time_point origin = Clock::now();
  std::map<std::string, Totals> byKernel;
  std::vector<Event> events;
};

} // namespace axon

#endif // AXON_RUNTIME_CORE_PROFILER_H
