// The reference evaluator against the per-op table (OpTable.h): each op's
// hand-worked examples (values, and errors naming the op and its line),
// and each instance that has an oracle, at awkward extents and FP edges.
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "tests/unit/OpTable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;
using namespace axon::op_table;

namespace {

/// Parses `source` as the file "test.mlir" (errors name its lines).
mlir::OwningOpRef<mlir::ModuleOp> parse(mlir::MLIRContext &ctx,
                                        const std::string &source) {
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(
      source, mlir::ParserConfig(&ctx), "test.mlir");
  EXPECT_TRUE(module) << "cannot parse:\n" << source;
  return module;
}

/// How many ops named `op` `module` holds.
int countOps(mlir::ModuleOp module, const std::string &op) {
  int n = 0;
  module->walk(
      [&](mlir::Operation *o) { n += o->getName().getStringRef() == op; });
  return n;
}

/// Checks dtype, shape and every value of `t` within `tol`.
void expectTensor(const Tensor &t, const Expected &want) {
  EXPECT_EQ(dtypeName(t.dtype), std::string(dtypeName(want.dtype)));
  ASSERT_EQ(t.shape, want.shape) << "got " << t.typeString();
  ASSERT_EQ(t.data.size(), want.values.size());
  for (size_t i = 0; i < want.values.size(); ++i)
    EXPECT_NEAR(t.data[i], want.values[i], want.tol) << "element " << i;
}

/// `got` equals the oracle's `want`: integers exactly; floats relatively
/// to max(1, |want|) (1e-13 in f64, 2e-6 in f32: a few roundings of the
/// evaluator's double arithmetic against the oracle's long double), NaN
/// where the oracle has NaN, infinities exactly.
void expectMatchesOracle(const Tensor &got, const Tensor &want,
                         const std::string &what) {
  ASSERT_EQ(got.dtype, want.dtype) << what;
  ASSERT_EQ(got.shape, want.shape) << what;
  double tol = got.dtype == DType::F64 ? 1e-13 : 2e-6;
  int reported = 0;
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double g = got.data[i], w = want.data[i];
    bool ok = std::isnan(w) ? std::isnan(g)
              : !isFloat(got.dtype) || std::isinf(w)
                  ? g == w
                  : std::fabs(g - w) <= tol * std::max(1.0, std::fabs(w));
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", oracle "
                    << w;
  }
}

void runExample(const Example &ex) {
  SCOPED_TRACE(ex.what);
  mlir::MLIRContext ctx;
  auto module = parse(ctx, ex.source);
  ASSERT_TRUE(module);
  reference::Evaluator evaluator(*module);
  for (size_t c = 0; c < ex.calls.size(); ++c) {
    const Call &call = ex.calls[c];
    SCOPED_TRACE("call " + std::to_string(c));
    auto results = evaluator.call(call.fn, call.inputs);
    if (!call.errors.empty()) {
      ASSERT_FALSE(bool(results)) << "expected an error";
      std::string msg = llvm::toString(results.takeError());
      for (const std::string &part : call.errors)
        EXPECT_NE(msg.find(part), std::string::npos) << msg;
      continue;
    }
    ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
    ASSERT_EQ(results->size(), call.results.size());
    for (size_t r = 0; r < call.results.size(); ++r)
      expectTensor((*results)[r], call.results[r]);
  }
}

void runOracle(const std::string &op, const Instance &instance) {
  SCOPED_TRACE(instance.name);
  mlir::MLIRContext ctx;
  auto module =
      parse(ctx, instanceParams(instance) + instanceFunction(instance, "f"));
  ASSERT_TRUE(module);
  EXPECT_GT(countOps(*module, op), 0)
      << instance.name << " does not use " << op;
  reference::Evaluator evaluator(*module);
  std::mt19937 rng(seedOf(instance.name));
  std::vector<int64_t> extents(std::begin(kAwkwardExtents),
                               std::end(kAwkwardExtents));
  if (!hasDynamicExtent(instance))
    extents = {0};
  for (int64_t extent : extents) {
    std::vector<Tensor> args;
    for (const Arg &a : instance.args)
      args.push_back(drawArg(a, extent, rng));
    auto got = evaluator.call("f", args);
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    std::vector<Tensor> want = instance.oracle(args);
    ASSERT_EQ(got->size(), want.size());
    for (size_t r = 0; r < want.size(); ++r)
      expectMatchesOracle(
          (*got)[r], want[r],
          instance.name + (extent ? " at ? = " + std::to_string(extent) : ""));
  }
}

class OpEvaluatorTest : public ::testing::TestWithParam<const OpEntry *> {};

TEST_P(OpEvaluatorTest, MatchesExamplesAndOracle) {
  const OpEntry &entry = *GetParam();
  int checks = 0;
  for (const Example &ex : entry.examples) {
    runExample(ex);
    ++checks;
  }
  for (const Instance &instance : entry.instances)
    if ((instance.checks & Evaluator) && instance.oracle) {
      runOracle(entry.op, instance);
      ++checks;
    }
  EXPECT_GT(checks, 0) << entry.op << " has neither examples nor an oracle";
}

std::vector<const OpEntry *> evaluatedOps() {
  std::vector<const OpEntry *> out;
  for (const OpEntry &e : opTable())
    if (!e.exemption(Evaluator))
      out.push_back(&e);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    OpTable, OpEvaluatorTest, ::testing::ValuesIn(evaluatedOps()),
    [](const ::testing::TestParamInfo<const OpEntry *> &i) {
      return testName(i.param->op);
    });

} // namespace
