// The compiled path (specialise, fuse, plan memory, Halide kernels, JIT)
// against the reference evaluator, for every instance of every op in the
// per-op table (OpTable.h) that the compiled check runs: at each awkward
// extent (1, 7, 33) of its `?` dims, called twice so that a parameter
// store shows in the second call. One case per family of ops (as ODS
// declares it, ir/OpFamily.h), compiled as one program: the Halide runtime
// and the link are paid once per family.
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "tests/unit/CompiledVsReference.h"
#include "tests/unit/OpTable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

using namespace axon;
using namespace axon::op_table;
using test_support::expectClose;

namespace {

/// The ODS family's name of an op of the table ("ElementwiseUnary").
std::string familyName(const std::string &op) {
  static mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.loadDialect<AxonDialect>();
  std::optional<OpFamily> family = familyOf(mlir::OperationName(op, &ctx));
  return family ? opFamilyName(*family) : "no family: " + op;
}

/// The families with compiled instances, in OpFamily order.
std::vector<std::string> compiledFamilies() {
  std::vector<std::string> out;
  for (int f = 0; f < kNumOpFamilies; ++f) {
    std::string name = opFamilyName(OpFamily(f));
    for (const OpEntry &e : opTable())
      for (const Instance &i : e.instances)
        if ((i.checks & Compiled) && familyName(e.op) == name &&
            (out.empty() || out.back() != name))
          out.push_back(name);
  }
  return out;
}

/// One call to compare: an instance's function at one argument set.
struct Comparison {
  std::string fn;
  std::vector<Tensor> args;
};

class OpCompiledTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OpCompiledTest, MatchesTheReference) {
  // The family's instances, each as a function named after it; parameters
  // declared once.
  std::vector<std::pair<std::string, const Instance *>> instances;
  for (const OpEntry &e : opTable())
    if (familyName(e.op) == GetParam())
      for (const Instance &i : e.instances)
        if (i.checks & Compiled)
          instances.push_back({e.op, &i});
  ASSERT_FALSE(instances.empty()) << "no compiled instances";
  std::map<std::string, std::string> paramTypes;
  std::string params, functions;
  for (auto &[op, instance] : instances) {
    for (auto &[name, type] : instance->params) {
      auto [it, fresh] = paramTypes.insert({name, type});
      ASSERT_EQ(it->second, type)
          << "parameter @" << name << " of " << instance->name;
      if (fresh)
        params +=
            instanceParams(Instance{"", {}, "", "", {{name, type}}, Compiled});
    }
    functions += instanceFunction(*instance, instance->name);
  }

  mlir::MLIRContext ctx;
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    llvm::raw_string_ostream(diagnostics) << d << "\n";
    return mlir::success();
  });
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  auto module =
      mlir::parseSourceString<mlir::ModuleOp>(params + functions, &ctx);
  ASSERT_TRUE(module) << diagnostics << "\n" << params + functions;

  std::vector<Comparison> runs;
  std::vector<FunctionRequest> requests;
  for (auto &[op, instance] : instances) {
    ASSERT_TRUE(module->lookupSymbol<mlir::func::FuncOp>(instance->name))
        << instance->name;
    // The instance on its own (an op at module level, such as axon.param,
    // counts) must use the op it is an instance of.
    auto alone = mlir::parseSourceString<mlir::ModuleOp>(
        instanceParams(*instance) + instanceFunction(*instance, "f"), &ctx);
    ASSERT_TRUE(alone) << diagnostics;
    int uses = 0;
    alone->walk([&, op = op](mlir::Operation *o) {
      uses += o->getName().getStringRef() == op;
    });
    EXPECT_GT(uses, 0) << instance->name << " does not use " << op;
    std::mt19937 rng(seedOf(instance->name));
    std::vector<int64_t> extents(std::begin(kAwkwardExtents),
                                 std::end(kAwkwardExtents));
    if (!hasDynamicExtent(*instance))
      extents = {0};
    for (int64_t extent : extents) {
      Comparison run{instance->name, {}};
      FunctionRequest request{instance->name, {}};
      for (const Arg &a : instance->args) {
        run.args.push_back(drawArg(a, extent, rng));
        request.argShapes.push_back(run.args.back().shape);
      }
      runs.push_back(std::move(run));
      requests.push_back(std::move(request));
    }
  }

  reference::Evaluator reference(*module);
  auto program = JitProgram::compile(*module, requests, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError()) << "\n"
                             << diagnostics;
  for (const Comparison &run : runs) {
    std::string shapes;
    for (const Tensor &t : run.args)
      shapes += t.typeString() + " ";
    for (int call = 0; call < 2; ++call) {
      std::string what =
          "@" + run.fn + " (" + shapes + ") call " + std::to_string(call);
      auto want = reference.call(run.fn, run.args);
      ASSERT_TRUE(bool(want))
          << what << ": " << llvm::toString(want.takeError());
      auto got = (*program)->executor().call(run.fn, run.args);
      ASSERT_TRUE(bool(got)) << what << ": " << llvm::toString(got.takeError());
      ASSERT_EQ(got->size(), want->size()) << what;
      for (size_t i = 0; i < got->size(); ++i)
        expectClose((*got)[i], (*want)[i],
                    what + " result " + std::to_string(i));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OpTable, OpCompiledTest,
                         ::testing::ValuesIn(compiledFamilies()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                           return i.param;
                         });

} // namespace
