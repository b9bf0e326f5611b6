// Resource limits (issue 11 item 3): the memory a model needs is checked
// against what the machine has and --max-memory before anything is
// allocated, on both backends, and refused with an error naming the
// largest parameter or buffer; never an abort. And functions returning
// their arguments or parameters unchanged compile (item 8).
#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"
#include "runtime/core/Executor.h"
#include "runtime/core/Plan.h"
#include "tests/unit/CompileModel.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace axon;

namespace {

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

// 10^12 f32 values: 3.6 TiB compiled, 7.3 TiB in the reference evaluator;
// beyond any machine, so the check must refuse it (an allocation attempt
// would fail or be killed, not come back with this message).
const char *kHuge = R"(
param b: f32[4] = zeros
param W: f32[1000000, 1000000] = glorot_uniform
fn f(x: f32[N, 1000000]) -> f32[N, 1000000] { return x @ W }
fn g() -> f32[4] { return b + 1.0 }
)";

const char *kSmall = R"(
param W: f32[4, 4] = glorot_uniform
param b: f32[4] = ones
fn f(x: f32[N, 4]) -> f32[N, 4] { return relu(x @ W + b) }
fn g() -> f32[4] { return b + 1.0 }
)";

Tensor smallInput() {
  return Tensor(DType::F32, {2, 4}, {1, -2, 3, 0.5, -1, 2, 0.25, 4});
}

TEST(ResourceLimits, ParsesSizes) {
  int64_t b = 0;
  std::string error;
  EXPECT_TRUE(parseByteSize("2G", b, error));
  EXPECT_EQ(b, int64_t(2) << 30);
  EXPECT_TRUE(parseByteSize("512M", b, error));
  EXPECT_EQ(b, int64_t(512) << 20);
  EXPECT_TRUE(parseByteSize("1.5GiB", b, error));
  EXPECT_EQ(b, int64_t(3) << 29);
  EXPECT_TRUE(parseByteSize("4k", b, error));
  EXPECT_EQ(b, 4096);
  EXPECT_TRUE(parseByteSize("1000", b, error));
  EXPECT_EQ(b, 1000);
  for (const char *bad : {"", "2X", "-1", "0", "G", "1.5", "2GG", "1e30G",
                          "nan"}) {
    EXPECT_FALSE(parseByteSize(bad, b, error)) << bad;
    EXPECT_TRUE(contains(error, "is not a size")) << bad << ": " << error;
  }
}

TEST(ResourceLimits, CheckNamesTheLargestAndTheSizes) {
  std::vector<MemoryItem> items = {
      {"parameter b (f32[100000])", 400000, ""},
      {"parameter W (f32[100000, 100000])", int64_t(40000000000), "m.axon:2:7"},
      {"the arena of 'f' (its temporaries)", int64_t(150000000), ""}};
  int64_t gib = int64_t(1) << 30;
  std::string e = checkMemory(items, "the plan", 0, 22 * gib + gib / 10);
  EXPECT_EQ(e, "m.axon:2:7: parameter W (f32[100000, 100000]) needs 37.3 "
               "GiB; the plan needs 37.4 GiB, this machine has 22.1 GiB "
               "available");
  e = checkMemory(items, "the plan", 2 * gib, 100 * gib);
  EXPECT_TRUE(contains(e, "the --max-memory limit is 2.0 GiB")) << e;
  EXPECT_EQ(checkMemory(items, "the plan", 0, 100 * gib), "");
  EXPECT_EQ(checkMemory(items, "the plan", 38 * gib, 100 * gib), "");
  // Sizes saturate instead of wrapping.
  EXPECT_EQ(saturatingBytes({int64_t(1) << 40, int64_t(1) << 40}, 4),
            INT64_MAX);
  EXPECT_NE(checkMemory({{"parameter X", INT64_MAX, ""}, {"y", 5, ""}},
                        "the plan", 0, 100 * gib),
            "");
}

TEST(ResourceLimits, HugeParameterIsRefusedByTheReferenceBeforeAllocating) {
  auto m = test_support::compileModel(kHuge, true);
  ASSERT_TRUE(m->module) << m->errors;
  auto start = std::chrono::steady_clock::now();
  reference::Evaluator evaluator(*m->module);
  std::string e = evaluator.allocationError();
  EXPECT_LT(secondsSince(start), 5.0);
  EXPECT_TRUE(contains(e, "model.axon:3:7: parameter W (f32[1000000, "
                          "1000000]) needs 7.3 TiB; the parameters need "
                          "7.3 TiB, this machine has "))
      << e;
  EXPECT_TRUE(contains(e, " available")) << e;
  auto r = evaluator.call("f", {Tensor(DType::F32, {1, 1000000})});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), e);
  EXPECT_EQ(evaluator.getParam("W"), nullptr);
}

TEST(ResourceLimits, HugeParameterIsRefusedByTheCompiledPathBeforeCompiling) {
  auto m = test_support::compileModel(kHuge, true);
  ASSERT_TRUE(m->module) << m->errors;
  auto start = std::chrono::steady_clock::now();
  auto program = JitProgram::compile(*m->module, {{"f", {{1, 1000000}}}}, {});
  ASSERT_FALSE(bool(program));
  std::string e = llvm::toString(program.takeError());
  // Before Halide compiles anything (which takes seconds, and warns).
  EXPECT_LT(secondsSince(start), 5.0);
  EXPECT_TRUE(contains(e, "parameter W (f32[1000000, 1000000]) needs 3.6 "
                          "TiB; the plan needs 3.6 TiB, this machine has "))
      << e;
}

TEST(ResourceLimits, ExecutorRefusesAPlanThatDoesNotFitWithoutAllocating) {
  Plan plan;
  PlanParam w;
  w.name = "W";
  w.shape = {1000000, 1000000};
  w.init = "ones";
  plan.params.push_back(w);
  PlanParam s = w;
  s.name = "W_m";
  s.optimizerState = true;
  plan.params.push_back(s);
  FunctionPlan f;
  f.name = "f";
  plan.functions.push_back(f);
  Executor ex(plan, {});
  EXPECT_TRUE(contains(ex.allocationError(),
                       "parameter W (f32[1000000, 1000000]) needs 3.6 TiB; "
                       "the plan needs 7.3 TiB"))
      << ex.allocationError();
  auto r = ex.call("f", {});
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), ex.allocationError());
  auto p = ex.getParam("W");
  ASSERT_FALSE(bool(p));
  llvm::consumeError(p.takeError());
  // Within the machine but over --max-memory.
  plan.params = {w};
  plan.params[0].shape = {4, 4};
  Executor limited(plan, {}, 32);
  EXPECT_TRUE(contains(limited.allocationError(),
                       "parameter W (f32[4, 4]) needs 64 bytes; the plan "
                       "needs 64 bytes, the --max-memory limit is 32 bytes"))
      << limited.allocationError();
}

TEST(ResourceLimits, BuffersOverHalidesExtentsAreRefused) {
  // 2.5 * 10^9 elements: a 9.3 GiB parameter fits some machines, but
  // compiled kernels index buffers with 32 bits.
  Plan plan;
  PlanParam w;
  w.name = "W";
  w.shape = {50000, 50000};
  w.init = "zeros";
  plan.params.push_back(w);
  EXPECT_EQ(checkPlanExtents(plan),
            "parameter W (f32[50000, 50000]) has 2500000000 elements; "
            "compiled kernels address at most 2147483647 (2^31 - 1) in one "
            "buffer (--backend=reference has no such limit)");
  plan.params[0].shape = {40000, 50000};
  EXPECT_EQ(checkPlanExtents(plan), "");
  FunctionPlan f;
  f.name = "f";
  PlanBuffer t;
  t.shape = {3, 1000000000};
  f.buffers.push_back(t);
  plan.functions.push_back(f);
  EXPECT_TRUE(contains(checkPlanExtents(plan),
                       "a temporary of 'f' (f32[3, 1000000000]) has "
                       "3000000000 elements"))
      << checkPlanExtents(plan);
}

TEST(ResourceLimits, MaxMemoryBelowASmallModelIsAnErrorOnBothBackends) {
  auto m = test_support::compileModel(kSmall, true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module, 100);
  EXPECT_TRUE(contains(reference.allocationError(),
                       "model.axon:2:7: parameter W (f32[4, 4]) needs 128 "
                       "bytes; the parameters need 160 bytes, the "
                       "--max-memory limit is 100 bytes"))
      << reference.allocationError();
  auto program =
      JitProgram::compile(*m->module, {{"f", {{2, 4}}}}, {}, /*maxMemory=*/40);
  ASSERT_FALSE(bool(program));
  std::string e = llvm::toString(program.takeError());
  EXPECT_TRUE(contains(e, "the plan needs")) << e;
  EXPECT_TRUE(contains(e, "the --max-memory limit is 40 bytes")) << e;
}

TEST(ResourceLimits, WithinMaxMemoryBothBackendsRun) {
  auto m = test_support::compileModel(kSmall, true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module, 1 << 20);
  ASSERT_EQ(reference.allocationError(), "");
  auto program =
      JitProgram::compile(*m->module, {{"f", {{2, 4}}}}, {}, 1 << 20);
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError());
  auto want = reference.call("f", {smallInput()});
  ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
  auto got = (*program)->executor().call("f", {smallInput()});
  ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
  ASSERT_EQ(got->size(), 1u);
  for (int64_t i = 0; i < 8; ++i)
    EXPECT_NEAR((*got)[0].data[i], (*want)[0].data[i], 1e-5) << i;
}

/// Runs `axonc <args>`; returns the exit status, output in `out`.
int axonc(const std::string &args, std::string &out) {
  char dir[] = "/tmp/axon-limits-XXXXXX";
  if (!mkdtemp(dir))
    return -1;
  std::string log = std::string(dir) + "/log";
  std::string cmd = std::string(AXONC_PATH) + " " + args + " > " + log +
                    " 2>&1";
  int status = std::system(cmd.c_str());
  std::ifstream in(log);
  out.assign(std::istreambuf_iterator<char>(in), {});
  std::remove(log.c_str());
  ::rmdir(dir);
  return status;
}

TEST(ResourceLimits, AxoncRefusesHugeModelsAndHonoursMaxMemory) {
  char dir[] = "/tmp/axon-limits-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string huge = std::string(dir) + "/huge.axon",
              small = std::string(dir) + "/small.axon";
  std::ofstream(huge) << kHuge;
  std::ofstream(small) << kSmall;
  for (const char *backend : {"reference", "halide"}) {
    std::string out;
    int status =
        axonc("run " + huge + " --fn g --backend=" + std::string(backend), out);
    ASSERT_TRUE(WIFEXITED(status)) << backend << ": killed: " << out;
    EXPECT_EQ(WEXITSTATUS(status), 1) << backend << ": " << out;
    EXPECT_TRUE(contains(out, "parameter W (f32[1000000, 1000000]) needs"))
        << backend << ": " << out;
    EXPECT_FALSE(contains(out, "internal error")) << out;

    status = axonc("run " + small + " --fn g --max-memory 100 --backend=" +
                       std::string(backend),
                   out);
    ASSERT_TRUE(WIFEXITED(status)) << backend << ": killed: " << out;
    EXPECT_EQ(WEXITSTATUS(status), 1) << backend << ": " << out;
    EXPECT_TRUE(contains(out, "the --max-memory limit is 100 bytes"))
        << backend << ": " << out;

    status = axonc("run " + small + " --fn g --max-memory 1M --backend=" +
                       std::string(backend),
                   out);
    ASSERT_TRUE(WIFEXITED(status)) << backend << ": killed: " << out;
    EXPECT_EQ(WEXITSTATUS(status), 0) << backend << ": " << out;

    status = axonc("run " + small + " --fn g --max-memory 2X", out);
    EXPECT_EQ(WEXITSTATUS(status), 1) << out;
    EXPECT_TRUE(contains(out, "--max-memory: '2X' is not a size")) << out;
  }
  std::remove(huge.c_str());
  std::remove(small.c_str());
  ::rmdir(dir);
}

//===----------------------------------------------------------------------===//
// Functions returning their arguments or parameters unchanged (item 8)
//===----------------------------------------------------------------------===//

TEST(HalideBackendReturns, ArgumentsAndParametersReturnedUnchanged) {
  auto m = test_support::compileModel(R"(
param P: f32[3, 4] = glorot_uniform
fn id(x: f32[N, 4]) -> f32[N, 4] { return x }
fn twice(x: f32[N, 4]) -> (f32[N, 4], f32[N, 4]) { return x, x }
fn fromParam(x: f32[N, 4]) -> f32[3, 4] { return P }
fn mixed(x: f32[N, 4]) -> (f32[N, 4], f32[3, 4], f32[N, 4]) { return x, P, x * 2.0 }
)",
                                      /*gradientPipeline=*/true);
  ASSERT_TRUE(m->module) << m->errors;
  reference::Evaluator reference(*m->module);
  std::vector<FunctionRequest> requests;
  for (const char *fn : {"id", "twice", "fromParam", "mixed"})
    for (int64_t rows : {1, 5})
      requests.push_back({fn, {{rows, 4}}});
  auto program = JitProgram::compile(*m->module, requests, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError()) << "\n"
                             << m->errors;
  for (const FunctionRequest &r : requests) {
    Tensor x(DType::F32, r.argShapes[0]);
    for (int64_t i = 0; i < x.numElements(); ++i)
      x.data[i] = double(i) - 3.5;
    auto want = reference.call(r.function, {x});
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    auto got = (*program)->executor().call(r.function, {x});
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    ASSERT_EQ(got->size(), want->size()) << r.function;
    for (size_t k = 0; k < got->size(); ++k) {
      EXPECT_EQ((*got)[k].shape, (*want)[k].shape) << r.function << " " << k;
      EXPECT_EQ((*got)[k].data, (*want)[k].data) << r.function << " " << k;
    }
  }
}

} // namespace
