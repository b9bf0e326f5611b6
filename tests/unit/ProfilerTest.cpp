// The kernel profile (runtime/core/Profiler.h) and the executor's 1-thread
// reference runs behind its parallel-efficiency column: the table's format
// from synthetic times (never measured ones), and that a reference re-run
// leaves no trace in the parameters or the results.
#include "runtime/core/Executor.h"
#include "runtime/core/Profiler.h"

#include "HalideRuntime.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <vector>

using namespace axon;

namespace {

using Clock = Profiler::Clock;

/// A call of `us` microseconds.
void recordCall(Profiler &p, const std::string &kernel, double us) {
  Clock::time_point start = Clock::now();
  p.record(kernel,
           start, start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double, std::micro>(us)));
}

std::string printed(const Profiler &p) {
  std::string text;
  llvm::raw_string_ostream os(text);
  p.print(os);
  return text;
}

/// The line of `text` that starts with `first`.
std::string lineOf(const std::string &text, const std::string &first) {
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).split(lines, '\n');
  for (llvm::StringRef l : lines)
    if (l.starts_with(first + " "))
      return l.str();
  return "";
}

TEST(ProfilerTest, NoReferenceNoEfficiencyColumns) {
  Profiler p;
  recordCall(p, "k0", 100);
  recordCall(p, "k0", 300);
  recordCall(p, "k1", 100);
  std::string text = printed(p);
  EXPECT_NE(text.find("kernel"), std::string::npos);
  EXPECT_EQ(text.find("1-thread us"), std::string::npos) << text;
  EXPECT_EQ(text.find("eff@"), std::string::npos) << text;
  // Slowest first: k0's 2 calls, 0.400 ms, 200 us each, 80% of the time.
  std::string k0 = lineOf(text, "k0");
  EXPECT_NE(k0.find(" 2 "), std::string::npos) << k0;
  EXPECT_NE(k0.find("0.400"), std::string::npos) << k0;
  EXPECT_NE(k0.find("200.0"), std::string::npos) << k0;
  EXPECT_NE(k0.find("80.0%"), std::string::npos) << k0;
  EXPECT_LT(text.find("k0 "), text.find("k1 "));
}

TEST(ProfilerTest, EfficiencyIsOneThreadOverThreadsTimesThreaded) {
  Profiler p;
  p.setThreads(2);
  for (int i = 0; i < 4; ++i)
    recordCall(p, "shared", 60);
  // Two of the calls re-run at one thread: 60 us at 2 threads against 90
  // at one: 90 / (2 x 60) = 75%.
  p.recordReference("shared", 60e-6, 90e-6);
  p.recordReference("shared", 60e-6, 90e-6);
  recordCall(p, "slower", 50);
  p.recordReference("slower", 50e-6, 40e-6); // 40 / 100 = 40%
  recordCall(p, "unreferenced", 10);
  std::string text = printed(p);
  EXPECT_NE(text.find("1-thread us"), std::string::npos) << text;
  EXPECT_NE(text.find("eff@2"), std::string::npos) << text;
  std::string shared = lineOf(text, "shared");
  EXPECT_NE(shared.find(" 4 "), std::string::npos) << shared;
  EXPECT_NE(shared.find("90.0"), std::string::npos) << shared;
  EXPECT_NE(shared.find("75%"), std::string::npos) << shared;
  std::string slower = lineOf(text, "slower");
  EXPECT_NE(slower.find("40.0"), std::string::npos) << slower;
  EXPECT_NE(slower.find("40%"), std::string::npos) << slower;
  std::string none = lineOf(text, "unreferenced");
  EXPECT_NE(none.find(" - "), std::string::npos) << none;
  EXPECT_EQ(none.find("%", none.find("%") + 1), std::string::npos) << none;
  // The total: (180 + 40) / (2 x (120 + 50)) = 65%, over 3 calls.
  EXPECT_NE(lineOf(text, "total").find("65%"), std::string::npos) << text;
  EXPECT_NE(text.find("over 3 calls"), std::string::npos) << text;
  EXPECT_DOUBLE_EQ(p.totals().at("shared").efficiency(2), 0.75);
  EXPECT_LT(p.totals().at("unreferenced").efficiency(2), 0);
}

TEST(ProfilerTest, AtOneThreadNoEfficiencyColumns) {
  Profiler p;
  p.setThreads(1);
  recordCall(p, "k", 10);
  p.recordReference("k", 10e-6, 10e-6);
  EXPECT_EQ(printed(p).find("eff@"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// The executor's 1-thread reference
//===----------------------------------------------------------------------===//

/// Stand-ins for halide_set_num_threads and halide_set_custom_do_par_for:
/// the "kernels" see the thread count, or 1 while the serial handler is
/// in place.
int threadsNow = 2;
int setThreads(int n) {
  int old = threadsNow;
  threadsNow = n == 0 ? 2 : n;
  return old;
}
Executor::DoParFor doParForNow = nullptr;
Executor::DoParFor setDoParFor(Executor::DoParFor f) {
  Executor::DoParFor old = doParForNow;
  doParForNow = f;
  return old;
}
const Executor::ThreadControl kControl{setThreads, setDoParFor};
std::vector<int> threadsSeen;

float *hostOf(void *buffer) {
  return reinterpret_cast<float *>(static_cast<halide_buffer_t *>(buffer)->host);
}

/// A train step in miniature: p += x in place, out = p.
int stepKernel(void **args) {
  threadsSeen.push_back(doParForNow ? 1 : threadsNow);
  float *x = hostOf(args[0]), *p = hostOf(args[1]);
  float *pOut = hostOf(args[2]), *out = hostOf(args[3]);
  pOut[0] = p[0] + x[0];
  out[0] = pOut[0];
  return 0;
}

Plan stepPlan() {
  Plan plan;
  plan.params.push_back({"p", DType::F32, {1}, "zeros"});
  plan.kernels.push_back({"step_k0", 2, 2, ""});
  FunctionPlan f;
  f.name = "step";
  f.argNames = {"x"};
  PlanBuffer x{PlanBuffer::Kind::Input, DType::F32, {1}};
  PlanBuffer p{PlanBuffer::Kind::Param, DType::F32, {1}};
  PlanBuffer out{PlanBuffer::Kind::Arena, DType::F32, {1}};
  f.buffers = {x, p, out};
  f.inputs = {0};
  f.outputs = {2};
  PlanStep k;
  k.kernel = 0;
  k.buffers = {0, 1, 1, 2};
  f.steps = {k};
  f.arenaBytes = f.bufferBytes = 4;
  plan.functions.push_back(f);
  return plan;
}

TEST(ProfilerTest, ReferenceRunsAtOneThreadAndLeavesNoState) {
  Plan plan = stepPlan();
  Executor ex(plan, {stepKernel});
  ASSERT_EQ(ex.allocationError(), "");
  ex.setThreadControl(kControl);
  ex.profiler().enable();
  threadsNow = 2;
  threadsSeen.clear();
  Tensor one(DType::F32, {1});
  one.data[0] = 1;
  for (int i = 1; i <= 4; ++i) {
    auto out = ex.call("step", {one});
    ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
    // The profiled run's result, and its update only: 1, 2, 3, 4.
    EXPECT_EQ((*out)[0].data[0], i);
    EXPECT_EQ(ex.getParam(0).data[0], i);
  }
  // The first call warms up; the next three are re-run at one thread.
  EXPECT_EQ(threadsSeen, (std::vector<int>{2, 2, 1, 2, 1, 2, 1}));
  EXPECT_EQ(threadsNow, 2);
  EXPECT_EQ(doParForNow, nullptr); // The pool's handler is back.
  const Profiler::Totals &t = ex.profiler().totals().at("step_k0");
  EXPECT_EQ(t.calls, 4);
  EXPECT_EQ(t.referencedCalls, 3);
  EXPECT_EQ(ex.profiler().threadCount(), 2);
  EXPECT_NE(printed(ex.profiler()).find("eff@2"), std::string::npos);
}

TEST(ProfilerTest, NoReferenceWithoutProfilingOrAtOneThread) {
  Plan plan = stepPlan();
  Executor ex(plan, {stepKernel});
  ex.setThreadControl(kControl);
  Tensor one(DType::F32, {1});
  one.data[0] = 1;
  threadsNow = 2;
  threadsSeen.clear();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(bool(ex.call("step", {one})));
  EXPECT_EQ(threadsSeen, (std::vector<int>{2, 2, 2}));
  // At one thread there is nothing to compare with.
  ex.profiler().enable();
  threadsNow = 1;
  threadsSeen.clear();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(bool(ex.call("step", {one})));
  EXPECT_EQ(threadsSeen, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(ex.getParam(0).data[0], 6);
  EXPECT_EQ(ex.profiler().totals().at("step_k0").referencedCalls, 0);
  EXPECT_EQ(printed(ex.profiler()).find("eff@"), std::string::npos);
}

} // namespace
