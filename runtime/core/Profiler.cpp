#include "runtime/core/Profiler.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace axon;

void Profiler::record(const std::string &kernel, Clock::time_point start,
                      Clock::time_point end) {
  double seconds = std::chrono::duration<double>(end - start).count();
  Totals &t = byKernel[kernel];
  ++t.calls;
  t.seconds += seconds;
  // Bounded: a long training run keeps its totals but not every event.
  if (events.size() < 1000000)
    events.push_back(
        {kernel,
         std::chrono::duration<double, std::micro>(start - origin).count(),
         seconds * 1e6});
}

void Profiler::recordReference(const std::string &kernel,
                               double threadedSeconds,
                               double oneThreadSeconds) {
  Totals &t = byKernel[kernel];
  ++t.referencedCalls;
  t.referencedSeconds += threadedSeconds;
  t.oneThreadSeconds += oneThreadSeconds;
}

double Profiler::Totals::efficiency(int threads) const {
  if (referencedCalls == 0 || threads < 1 || referencedSeconds <= 0)
    return -1;
  return oneThreadSeconds / (threads * referencedSeconds);
}

void Profiler::print(llvm::raw_ostream &os) const {
  std::vector<std::pair<std::string, Totals>> rows(byKernel.begin(),
                                                   byKernel.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.seconds > b.second.seconds;
  });
  Totals all;
  for (const auto &[name, t] : rows) {
    all.calls += t.calls;
    all.seconds += t.seconds;
    all.referencedCalls += t.referencedCalls;
    all.referencedSeconds += t.referencedSeconds;
    all.oneThreadSeconds += t.oneThreadSeconds;
  }
  // The reference columns only where there is a reference to show.
  const bool referenced = threads > 1 && all.referencedCalls > 0;
  auto referenceCells = [&](const Totals &t) -> std::string {
    if (!referenced)
      return "";
    if (t.referencedCalls == 0)
      return llvm::formatv(" {0,12} {1,8}", "-", "-");
    return llvm::formatv(" {0,12:F1} {1,7:F0}%",
                         t.oneThreadSeconds * 1e6 / t.referencedCalls,
                         100 * t.efficiency(threads));
  };
  os << llvm::formatv("{0,-40} {1,8} {2,12} {3,12} {4,7}", "kernel", "calls",
                      "total ms", "mean us", "share");
  if (referenced)
    os << llvm::formatv(" {0,12} {1,8}", "1-thread us",
                        "eff@" + std::to_string(threads));
  os << "\n";
  for (const auto &[name, t] : rows)
    os << llvm::formatv("{0,-40} {1,8} {2,12:F3} {3,12:F1} {4,6:F1}%", name,
                        t.calls, t.seconds * 1e3, t.seconds * 1e6 / t.calls,
                        all.seconds > 0 ? 100 * t.seconds / all.seconds : 0.0)
       << referenceCells(t) << "\n";
  os << llvm::formatv("{0,-40} {1,8} {2,12:F3}", "total", "",
                      all.seconds * 1e3);
  if (referenced)
    os << llvm::formatv(" {0,12} {1,7} {2,12} {3,7:F0}%", "", "", "",
                        100 * all.efficiency(threads));
  os << "\n";
  if (referenced)
    os << llvm::formatv(
        "eff@{0}: t(1 thread) / ({0} x t({0} threads)) over {1} calls "
        "re-run at 1 thread on the same data\n",
        threads, all.referencedCalls);
}

llvm::Error Profiler::writeChromeTrace(const std::string &path) const {
  llvm::json::Array trace;
  for (const Event &e : events)
    trace.push_back(llvm::json::Object{{"name", e.name},
                                       {"cat", "kernel"},
                                       {"ph", "X"},
                                       {"ts", e.startUs},
                                       {"dur", e.durationUs},
                                       {"pid", 1},
                                       {"tid", 1}});
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError(ec, "cannot write trace '%s': %s",
                                   path.c_str(), ec.message().c_str());
  os << llvm::json::Value(
      llvm::json::Object{{"traceEvents", std::move(trace)},
                         {"displayTimeUnit", "ms"}});
  os.close();
  if (os.has_error())
    return llvm::createStringError(os.error(), "cannot write trace '%s'",
                                   path.c_str());
  return llvm::Error::success();
}
