// Frontend to IR: every example compiles and round-trips through MLIR's
// printer and parser; language features lower to the expected ops and give
// the expected numbers on the reference evaluator.
#include "backends/reference/Evaluator.h"
#include "frontend/MLIRGen.h"
#include "tests/unit/CompileModel.h"
#include "ir/AxonDialect.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <cmath>

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

} // namespace
