// Frontend to IR: every example compiles and round-trips through MLIR's
// printer and parser; language features lower to the expected ops and give
// the expected numbers on the reference evaluator.
#include "backends/reference/Evaluator.h"
#include "frontend/Diagnostics.h"
#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"
#include "ir/ShapeRules.h"
#include "runtime/core/Tensor.h"
#include "tests/unit/CompileModel.h"
#include "ir/AxonDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>

#include <pthread.h>

using namespace axon;

namespace {

std::unique_ptr<test_support::CompiledModel> compile(const std::string &text,
                                                const std::string &name = "test.axon") {
  return test_support::compileModel(text, /*gradientPipeline=*/false, name);
}

std::string print(mlir::Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->print(os);
  return os.str();
}

std::vector<std::string> examples() {
  std::vector<std::string> out;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator
           it(std::string(AXON_SOURCE_DIR) + "/examples", ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::StringRef(it->path()).ends_with(".axon"))
      out.push_back(it->path());
  return out;
}

TEST(Examples, EveryExampleCompilesVerifiesAndRoundTrips) {
  auto files = examples();
  ASSERT_GE(files.size(), 2u);
  for (const std::string &path : files) {
    auto buffer = llvm::MemoryBuffer::getFile(path);
    ASSERT_TRUE(bool(buffer)) << path;
    auto c = compile((*buffer)->getBuffer().str(), path);
    ASSERT_TRUE(c->module) << path << "\n" << c->errors;
    ASSERT_TRUE(mlir::succeeded(mlir::verify(*c->module))) << path;
    std::string printed = print(*c->module);
    auto reparsed = mlir::parseSourceString<mlir::ModuleOp>(printed, &c->context);
    ASSERT_TRUE(reparsed) << path;
    EXPECT_EQ(print(*reparsed), printed) << path;
  }
}

TEST(Frontend, SymbolicDimsBecomeDynamicAndParamsBecomeSymbols) {
  auto c = compile(R"(
param W: f32[784, 10] = glorot_uniform
fn f(x: f32[N, 784]) -> f32[N, 10] { return x @ W }
)");
  ASSERT_TRUE(c->module) << c->errors;
  std::string ir = print(*c->module);
  EXPECT_NE(ir.find("axon.param @W : tensor<784x10xf32> = glorot_uniform"),
            std::string::npos) << ir;
  EXPECT_NE(ir.find("func.func @f(%arg0: tensor<?x784xf32>) -> tensor<?x10xf32>"),
            std::string::npos) << ir;
  EXPECT_NE(ir.find("axon.matmul"), std::string::npos);
}

/// Compiles `text` and calls `fn` on `args` with the reference evaluator.
std::vector<Tensor> run(const std::string &text, const std::string &fn,
                        std::vector<Tensor> args) {
  auto c = compile(text);
  EXPECT_TRUE(c->module) << c->errors;
  if (!c->module)
    return {};
  reference::Evaluator ev(*c->module);
  auto out = ev.call(fn, args);
  if (!out) {
    ADD_FAILURE() << llvm::toString(out.takeError());
    return {};
  }
  return *out;
}

TEST(Frontend, ForLoopCarriesState) {
  auto out = run(R"(
fn f(x: f32[3]) -> f32[3] {
  let h = x
  let acc = zeros([3])
  for t in 0..4 {
    h = h * 2
    acc = acc + h
  }
  return acc
})", "f", {Tensor(DType::F32, {3}, {1, 2, 3})});
  ASSERT_EQ(out.size(), 1u);
  // acc = x * (2 + 4 + 8 + 16)
  EXPECT_EQ(out[0].data, (std::vector<double>{30, 60, 90}));
}

TEST(Frontend, LoopBoundFromSymbolicDim) {
  auto out = run(R"(
fn f(x: f32[T, 2]) -> f32[2] {
  let s = zeros([2])
  for t in 0..T {
    s = s + gather(x, t)
  }
  return s
})", "f", {Tensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, (std::vector<double>{9, 12}));
}

TEST(Frontend, LiteralsTakeTheOperandsElementType) {
  auto out = run("fn f(x: f64[2]) -> f64[2] { return 2 * x + 0.1 }", "f",
                 {Tensor(DType::F64, {2}, {1, 2})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype, DType::F64);
  EXPECT_DOUBLE_EQ(out[0].data[0], 2.1); // exact in f64, not rounded to f32
}

TEST(Frontend, SymbolicDimAsValue) {
  auto out = run("fn f(x: f32[N]) -> f32 { return sum(x) / f32(N) }", "f",
                 {Tensor(DType::F32, {4}, {1, 2, 3, 6})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].data[0], 3.0f);
}

TEST(Frontend, CallsInstantiateSymbolicDims) {
  auto out = run(R"(
fn double(a: f32[K]) -> f32[K] { return a + a }
fn f(x: f32[3]) -> f32[3] { return double(x) }
)", "f", {Tensor(DType::F32, {3}, {1, 2, 3})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(out[0].data, (std::vector<double>{2, 4, 6}));
}

TEST(Frontend, CrossEntropyAndAccuracyMatchHandComputation) {
  const char *text = R"(
fn ce(z: f32[N, 3], t: i32[N]) -> f32 { return cross_entropy(z, t) }
fn acc(z: f32[N, 3], t: i32[N]) -> f32 { return accuracy(z, t) }
)";
  Tensor z(DType::F32, {2, 3}, {1, 2, 3, 0, 0, 5});
  Tensor t(DType::I32, {2}, {2, 1});
  auto ce = run(text, "ce", {z, t});
  auto acc = run(text, "acc", {z, t});
  ASSERT_EQ(ce.size(), 1u);
  ASSERT_EQ(acc.size(), 1u);
  double l0 = -(3 - std::log(std::exp(1) + std::exp(2) + std::exp(3)));
  double l1 = -(0 - std::log(2 + std::exp(5)));
  EXPECT_NEAR(ce[0].data[0], (l0 + l1) / 2, 1e-5);
  EXPECT_DOUBLE_EQ(acc[0].data[0], 0.5);
}

TEST(Frontend, ReshapeInfersMinusOneAcrossSymbols) {
  auto c = compile(
      "fn f(x: f32[N, 4, 2]) -> f32[N, 8] { return reshape(x, [N, -1]) }");
  ASSERT_TRUE(c->module) << c->errors;
  EXPECT_NE(print(*c->module).find("tensor<?x4x2xf32> -> tensor<?x8xf32>"),
            std::string::npos);
}

// Issue 11 item 1: deep nesting is a located error, never a stack overflow,
// and long operator chains compile at any length. Each case also runs on a
// thread with a 1 MB stack (an eighth of the usual 8 MB main stack) to show
// the limit holds with margin.
struct Outcome {
  bool compiled = false;
  unsigned errors = 0;
  std::string output;
};

Outcome compileText(const std::string &text, bool dumpAst = false) {
  Outcome out;
  llvm::raw_string_ostream os(out.output);
  mlir::MLIRContext context;
  context.loadDialect<axon::AxonDialect, mlir::func::FuncDialect>();
  axon::SourceFile file(context, "deep.axon", text, os);
  if (dumpAst) { // --emit=ast walks the tree too
    std::string ignored;
    llvm::raw_string_ostream is(ignored);
    axon::SourceFile again(context, "deep.axon", text, is);
    axon::ast::Module m = axon::parse(again);
    std::string ast;
    llvm::raw_string_ostream as(ast);
    axon::ast::dump(m, as);
  }
  auto module = axon::compileSource(context, file);
  out.compiled = bool(module);
  out.errors = file.errorCount();
  return out;
}

// ASan grows stack frames a lot (emitBuiltin's, ~100 KB a frame at -O1):
// give it 32 times more.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStackScale = 32;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr size_t kStackScale = 32;
#else
constexpr size_t kStackScale = 1;
#endif
#else
constexpr size_t kStackScale = 1;
#endif

/// Runs `fn` on a thread with a `stackBytes` stack, compileSource's own
/// thread with as much (both scaled under ASan).
void onSmallStack(size_t stackBytes, const std::function<void()> &fn) {
  unsigned saved = axon::frontendStackSize();
  axon::setFrontendStackSize(stackBytes * kStackScale);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stackBytes * kStackScale);
  pthread_t thread;
  auto *task = new std::function<void()>(fn);
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void *p) -> void * {
                  auto *f = static_cast<std::function<void()> *>(p);
                  (*f)();
                  delete f;
                  return nullptr;
                },
                task),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  axon::setFrontendStackSize(saved);
}

std::string repeat(const std::string &s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

std::string fnReturning(const std::string &expr) {
  return "fn g(a: f32[4]) -> f32[4] { return a }\n"
         "fn f(a: f32[4]) -> f32[4] {\n  return " + expr + "\n}\n";
}

struct DeepCase {
  const char *name;
  std::string text;
  bool compiles;
};

std::vector<DeepCase> deepCases() {
  std::string sum = "a";
  for (int i = 1; i < 10000; ++i)
    sum += i % 2 ? " + a" : " * a";
  std::string loops = "fn f(a: f32[4]) -> f32[4] {\n  let x = a\n";
  for (int i = 0; i < 1000; ++i)
    loops += "for t" + std::to_string(i) + " in 0..2 {\n";
  loops += "x = x + a\n" + repeat("}\n", 1000) + "  return x\n}\n";
  std::string loopsAtLimit = "fn f(a: f32[4]) -> f32[4] {\n  let x = a\n";
  for (unsigned i = 0; i < axon::ast::kMaxNestingDepth; ++i)
    loopsAtLimit += "for t" + std::to_string(i) + " in 0..1 {\n";
  loopsAtLimit += "x = neg(x)\n" +
                  repeat("}\n", axon::ast::kMaxNestingDepth) +
                  "  return x\n}\n";
  unsigned at = axon::ast::kMaxNestingDepth - 1;
  // 20,000 functions, each calling the next: the recursion check walks the
  // call graph with its own stack.
  std::string chain;
  for (int i = 0; i < 19999; ++i)
    chain += "fn h" + std::to_string(i) + "(a: f32[4]) -> f32[4] { return h" +
             std::to_string(i + 1) + "(a) }\n";
  chain += "fn h19999(a: f32[4]) -> f32[4] { return a }\n";
  return {
      {"a chain of 20,000 functions", chain, true},
      {"10,000-term sum", fnReturning(sum), true},
      {"10,000 nested neg", fnReturning(repeat("neg(", 10000) + "a" + repeat(")", 10000)), false},
      {"3,000 nested calls", fnReturning(repeat("g(", 3000) + "a" + repeat(")", 3000)), false},
      {"20,000 parentheses", fnReturning(repeat("(", 20000) + "a" + repeat(")", 20000)), false},
      {"10,000 unary minus", fnReturning(repeat("-", 10000) + "a"), false},
      {"10,000 '^'", fnReturning(repeat("a ^ ", 10000) + "a"), false},
      {"10,000-deep list", fnReturning("sum(" + repeat("[", 10000) + repeat("]", 10000) + ")"), false},
      {"1,000 nested for", loops, false},
      {"calls at the limit", fnReturning(repeat("g(", at) + "a" + repeat(")", at)), true},
      {"neg at the limit", fnReturning(repeat("neg(", at) + "a" + repeat(")", at)), true},
      {"parentheses at the limit", fnReturning(repeat("(", at) + "a + a" + repeat(")", at)), true},
      {"loops at the limit", loopsAtLimit, true},
  };
}

void checkDeepCase(const DeepCase &c) {
  Outcome o = compileText(c.text, /*dumpAst=*/true);
  if (c.compiles) {
    EXPECT_TRUE(o.compiled) << c.name << "\n" << o.output.substr(0, 2000);
    return;
  }
  EXPECT_FALSE(o.compiled) << c.name;
  EXPECT_EQ(o.errors, 1u) << c.name << "\n" << o.output.substr(0, 2000);
  EXPECT_NE(o.output.find("deep.axon:"), std::string::npos) << c.name;
  EXPECT_NE(o.output.find("nested too deeply (the limit is 256"),
            std::string::npos)
      << c.name << "\n" << o.output.substr(0, 2000);
}

TEST(FrontendLimits, DeepNestingIsALocatedErrorNotACrash) {
  for (const DeepCase &c : deepCases())
    checkDeepCase(c);
}

// Both limits at once (256 loops around a 255-deep expression) need about
// 1.5 MB of stack in a release build: 2 MB here, 8 MB on a main thread.
TEST(FrontendLimits, BothLimitsAtOnceFitInTwoMegabytes) {
  unsigned n = axon::ast::kMaxNestingDepth;
  std::string text = "fn f(a: f32[4]) -> f32[4] {\n  let x = a\n";
  for (unsigned i = 0; i < n; ++i)
    text += "for t" + std::to_string(i) + " in 0..1 {\n";
  text += "x = " + repeat("neg(", n - 1) + "x" + repeat(")", n - 1) + "\n" +
          repeat("}\n", n) + "  return x\n}\n";
  onSmallStack(2 << 20, [&] { checkDeepCase({"both limits", text, true}); });
}

TEST(FrontendLimits, DeepNestingFitsInAOneMegabyteStack) {
  for (const DeepCase &c : deepCases())
    onSmallStack(1 << 20, [&] { checkDeepCase(c); });
}

// Issue 11 item 9: diagnostics stay linear. A 183 KB line with 5 errors
// used to print the whole line under each (1.8 MB, 9.8 s).
struct Diagnosed {
  unsigned errors = 0;
  std::string output;
};

Diagnosed diagnose(const std::string &text, std::optional<unsigned> limit = {}) {
  Diagnosed d;
  llvm::raw_string_ostream os(d.output);
  mlir::MLIRContext context;
  context.loadDialect<axon::AxonDialect, mlir::func::FuncDialect>();
  axon::SourceFile file(context, "long.axon", text, os);
  if (limit)
    file.setErrorLimit(*limit);
  EXPECT_FALSE(axon::compileSource(context, file));
  d.errors = file.errorCount();
  return d;
}

std::vector<std::string> splitLines(const std::string &s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < s.size()) {
    size_t eol = s.find('\n', at);
    if (eol == std::string::npos)
      eol = s.size();
    out.push_back(s.substr(at, eol - at));
    at = eol + 1;
  }
  return out;
}

TEST(FrontendLimits, LongLinesAreCutAroundTheCaret) {
  std::string line = "fn f(a: f32[4]) -> f32[4] { return a";
  std::vector<std::string> bad;
  for (int i = 1; i < 46000; ++i) {
    std::string term = i % 9200 == 4600 ? "b" + std::to_string(i) : "a";
    if (term != "a")
      bad.push_back(term);
    line += " + " + term;
  }
  line += " }\n";
  ASSERT_GT(line.size(), 180000u);
  Diagnosed d = diagnose(line);
  EXPECT_EQ(d.errors, bad.size());
  EXPECT_LT(d.output.size(), 2000u) << d.output.substr(0, 4000);
  std::vector<std::string> out = splitLines(d.output);
  ASSERT_EQ(out.size(), 3 * bad.size()) << d.output.substr(0, 4000);
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string &msg = out[3 * i], &src = out[3 * i + 1],
                      &caret = out[3 * i + 2];
    EXPECT_NE(msg.find("error: unknown name '" + bad[i] + "'"),
              std::string::npos) << msg;
    // At most the window, "..." on each side, and the caret under the name.
    EXPECT_LE(src.size(), 2 * axon::kDiagnosticContext + 1 + 6);
    EXPECT_EQ(src.substr(0, 3), "...");
    EXPECT_EQ(src.substr(src.size() - 3), "...");
    size_t at = caret.find('^');
    ASSERT_LT(at, src.size());
    EXPECT_EQ(src.substr(at, bad[i].size()), bad[i]);
  }
}

TEST(FrontendLimits, ErrorLimitStopsTheReport) {
  std::string text = "fn f(a: f32[4]) -> f32[4] {\n";
  for (int i = 0; i < 5000; ++i)
    text += "  let x" + std::to_string(i) + " = q" + std::to_string(i) + "\n";
  text += "  return a\n}\n";
  auto count = [](const std::string &s, const std::string &what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
      ++n;
    return n;
  };
  Diagnosed d = diagnose(text); // the default: 20
  EXPECT_EQ(count(d.output, "long.axon:"), 20u + 1);
  EXPECT_EQ(count(d.output, ": error: unknown name"), 20u);
  EXPECT_NE(d.output.find("long.axon: error: too many errors (20; "
                          "--error-limit=N to change), stopping\n"),
            std::string::npos);
  EXPECT_GT(d.errors, 20u);
  d = diagnose(text, 3);
  EXPECT_EQ(count(d.output, ": error: unknown name"), 3u);
  EXPECT_NE(d.output.find("too many errors (3;"), std::string::npos);
  d = diagnose(text, 0); // no limit
  EXPECT_EQ(count(d.output, ": error: unknown name"), 5000u);
  EXPECT_EQ(d.output.find("too many errors"), std::string::npos);
  // Lexical errors stop the lexer too.
  d = diagnose(std::string(100000, '$'), 5);
  EXPECT_EQ(count(d.output, "unexpected character"), 5u);
  EXPECT_LT(d.output.size(), 2000u);
}

TEST(FrontendLimits, TabsAndShortLinesPrintAsBefore) {
  Diagnosed d = diagnose("fn f(a: f32[4]) -> f32[4] {\n\treturn q\n}\n");
  EXPECT_EQ(d.output, "long.axon:2:9: error: unknown name 'q'\n"
                      "        return q\n"
                      "               ^\n");
}

// Issue 11 item 2, below the language: sizes and roundings stay defined.
TEST(FrontendLimits, TensorSizesAndRoundingAreDefined) {
  EXPECT_EQ(Tensor::numElements({65536, 65536, 65536, 65536}), INT64_MAX);
  EXPECT_EQ(Tensor::numElements({int64_t(1) << 62, 4}), INT64_MAX);
  EXPECT_EQ(Tensor::numElements({3, 4}), 12);
  double nan = std::nan(""), inf = INFINITY;
  EXPECT_EQ(roundTo(DType::I32, nan), 0.0);
  EXPECT_EQ(roundTo(DType::I64, nan), 0.0);
  EXPECT_EQ(roundTo(DType::I32, inf), 2147483647.0);
  EXPECT_EQ(roundTo(DType::I32, -1e300), -2147483648.0);
  EXPECT_EQ(roundTo(DType::I64, 1e300), 9223372036854774784.0);
  EXPECT_EQ(roundTo(DType::I64, -inf), -9223372036854775808.0);
  EXPECT_EQ(roundTo(DType::I32, -2.7), -2.0);
  EXPECT_EQ(roundTo(DType::I64, 7.9), 7.0);
}

TEST(FrontendLimits, ShapeRulesSaturateInsteadOfOverflowing) {
  namespace sh = axon::shape;
  auto r = sh::pool2d({sh::Dim::of(1), sh::Dim::of(1), sh::Dim::of(4), sh::Dim::of(4)},
                      {2, 2}, {1, 1}, {INT64_MAX, 0});
  EXPECT_FALSE(r.ok()); // padding more than half the kernel, no overflow
  r = sh::conv2d({sh::Dim::of(1), sh::Dim::of(1), sh::Dim::of(4), sh::Dim::of(4)},
                 {sh::Dim::of(1), sh::Dim::of(1), sh::Dim::of(1), sh::Dim::of(1)},
                 {1, 1}, {INT64_MAX, 0}, {1, 1}, 1);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.shape[2].value, INT64_MAX);
  r = sh::concat({{sh::Dim::of(INT64_MAX)}, {sh::Dim::of(INT64_MAX)}}, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.shape[0].value, INT64_MAX);
  r = sh::slice({sh::Dim::of(INT64_MAX)}, 0, 0, -1, INT64_MAX);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.shape[0].value, 1);
  r = sh::reshape({sh::Dim::of(INT64_MAX), sh::Dim::of(4)},
                  {sh::Dim::of(4), sh::Dim::of(4)});
  EXPECT_TRUE(r.ok()); // the count overflows: left to run time, no UB
}

} // namespace
