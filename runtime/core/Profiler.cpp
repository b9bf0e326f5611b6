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

void Profiler::print(llvm::raw_ostream &os) const {
  std::vector<std::pair<std::string, Totals>> rows(byKernel.begin(),
                                                   byKernel.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.seconds > b.second.seconds;
  });
  double all = 0;
  for (const auto &r : rows)
    all += r.second.seconds;
  os << llvm::formatv("{0,-40} {1,8} {2,12} {3,12} {4,7}\n", "kernel", "calls",
                      "total ms", "mean us", "share");
  for (const auto &[name, t] : rows)
    os << llvm::formatv("{0,-40} {1,8} {2,12:F3} {3,12:F1} {4,6:F1}%\n", name,
                        t.calls, t.seconds * 1e3, t.seconds * 1e6 / t.calls,
                        all > 0 ? 100 * t.seconds / all : 0.0);
  os << llvm::formatv("{0,-40} {1,8} {2,12:F3}\n", "total", "",
                      all * 1e3);
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
