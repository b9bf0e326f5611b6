// An executor's functions called at row counts they were not compiled at
// (runtime/core/ExecutorModel.h): run in compiled pieces, largest first,
// with results joined along the rows, batch-mean scalars weighted by rows,
// and every error surfaced.
#include "backends/halide/CompilePipeline.h"
#include "ir/AxonDialect.h"
#include "runtime/core/ExecutorModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

const char *kModel = R"(
func.func @rowsum(%x: tensor<?x3xf32>) -> tensor<?xf32> {
  %s = axon.sum %x {axes = array<i64: 1>} : tensor<?x3xf32> -> tensor<?xf32>
  return %s : tensor<?xf32>
}
func.func @mean(%x: tensor<?x3xf32>) -> tensor<f32> {
  %m = axon.mean %x {axes = array<i64>} : tensor<?x3xf32> -> tensor<f32>
  return %m : tensor<f32>
}
)";

class ExecutorModelTest : public ::testing::Test {
protected:
  /// One program for the suite: compiled at 4 rows and at 1, as a binary
  /// built at batch 4.
  static void SetUpTestSuite() {
    ctx = new mlir::MLIRContext;
    ctx->loadDialect<AxonDialect, mlir::func::FuncDialect>();
    module = new mlir::OwningOpRef<mlir::ModuleOp>(
        mlir::parseSourceString<mlir::ModuleOp>(kModel, ctx));
    ASSERT_TRUE(*module);
    std::vector<FunctionRequest> requests;
    for (const char *fn : {"rowsum", "mean"})
      for (int64_t rows : {4, 1})
        requests.push_back({fn, {{rows, 3}}});
    auto p = JitProgram::compile(**module, requests, {});
    ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
    program = p->release();
  }
  static void TearDownTestSuite() {
    delete program;
    delete module;
    delete ctx;
  }
  void SetUp() override { ASSERT_TRUE(program); }

  /// Rows of three values: row r holds r, r + 0.5, r + 0.25.
  static Tensor rows(int64_t n) {
    Tensor t(DType::F32, {n, 3});
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < 3; ++c)
        t.data[r * 3 + c] = double(r) + (c == 1 ? 0.5 : c == 2 ? 0.25 : 0);
    return t;
  }

  static mlir::MLIRContext *ctx;
  static mlir::OwningOpRef<mlir::ModuleOp> *module;
  static JitProgram *program;
};

mlir::MLIRContext *ExecutorModelTest::ctx;
mlir::OwningOpRef<mlir::ModuleOp> *ExecutorModelTest::module;
JitProgram *ExecutorModelTest::program;

// 9 rows run as 4 + 4 + 1; row results join in order.
TEST_F(ExecutorModelTest, RowResultsJoinAlongTheRows) {
  ExecutorModel model(program->executor(), program->plan(),
                      ScalarResults::Refuse);
  auto out = model.call("rowsum", {rows(9)});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  ASSERT_EQ(out->size(), 1u);
  ASSERT_EQ((*out)[0].shape, (std::vector<int64_t>{9}));
  for (int64_t r = 0; r < 9; ++r)
    EXPECT_EQ((*out)[0].data[r], 3 * r + 0.75) << "row " << r;
}

// A scalar of some rows says nothing of the others unless it is a batch
// mean: refused for infer, the row-weighted mean for training.
TEST_F(ExecutorModelTest, ScalarsAreBatchMeansOrRefused) {
  ExecutorModel infer(program->executor(), program->plan(),
                      ScalarResults::Refuse);
  auto refused = infer.call("mean", {rows(6)});
  ASSERT_FALSE(bool(refused));
  EXPECT_EQ(llvm::toString(refused.takeError()),
            "'mean' does not map rows to rows; call it with 4, 1 rows");

  ExecutorModel train(program->executor(), program->plan(),
                      ScalarResults::BatchMean);
  auto mean = train.call("mean", {rows(6)}); // 4 + 1 + 1
  ASSERT_TRUE(bool(mean)) << llvm::toString(mean.takeError());
  ASSERT_EQ((*mean)[0].rank(), 0);
  // Rows 0..5 average 2.5; each row's values add 0.75 / 3.
  EXPECT_NEAR((*mean)[0].data[0], 2.5 + 0.25, 1e-6);
  // A compiled count runs as it is.
  auto whole = train.call("mean", {rows(4)});
  ASSERT_TRUE(bool(whole));
  EXPECT_NEAR((*whole)[0].data[0], 1.5 + 0.25, 1e-6);
}

// A piece's error comes back as it is (no retry that hides it).
TEST_F(ExecutorModelTest, ErrorsSurface) {
  ExecutorModel model(program->executor(), program->plan(),
                      ScalarResults::BatchMean);
  Tensor wide(DType::F32, {5, 4});
  auto out = model.call("rowsum", {wide});
  ASSERT_FALSE(bool(out));
  EXPECT_NE(llvm::toString(out.takeError()).find("rowsum"), std::string::npos);
  auto unknown = model.call("nothing", {rows(2)});
  ASSERT_FALSE(bool(unknown));
  EXPECT_EQ(llvm::toString(unknown.takeError()),
            "no compiled function 'nothing'");
}

} // namespace
