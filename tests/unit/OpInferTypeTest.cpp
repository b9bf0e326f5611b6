// The axon ops whose result type follows from their operands and attributes
// implement MLIR's InferTypeOpInterface through their shape rules: on every
// instance of the per-op table (OpTable.h) the inferred type agrees with the
// declared one, the builders without a result type build what the frontend
// used to spell out, and a declared result may be as refined as the shape
// rule allows (what axon-infer-shapes leaves), exactly as the verifier says.
#include "ir/AxonDialect.h"
#include "tests/unit/OpTable.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <set>

using namespace axon;
using namespace axon::op_table;

namespace {

std::string str(mlir::TypeRange types) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(types, os);
  return s;
}

/// The result types `op` infers from its operands, attributes and regions.
mlir::SmallVector<mlir::Type> inferred(mlir::Operation *op) {
  mlir::SmallVector<mlir::Type> types;
  auto infer = mlir::cast<mlir::InferTypeOpInterface>(op);
  EXPECT_TRUE(mlir::succeeded(infer.inferReturnTypes(
      op->getContext(), op->getLoc(), op->getOperands(),
      op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
      op->getRegions(), types)))
      << op->getName().getStringRef().str();
  return types;
}

bool allStatic(mlir::TypeRange types) {
  return llvm::all_of(types, [](mlir::Type t) {
    return mlir::cast<mlir::ShapedType>(t).hasStaticShape();
  });
}

TEST(OpInferType, EveryTableInstanceInfersItsDeclaredType) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  std::set<std::string> seen;
  for (const OpEntry &entry : opTable())
    for (const Instance &instance : entry.instances) {
      std::string source = instanceParams(instance) + instanceFunction(instance, "f");
      auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &ctx);
      ASSERT_TRUE(module) << instance.name;
      module->walk([&](mlir::InferTypeOpInterface op) {
        std::string name = op->getName().getStringRef().str();
        seen.insert(name);
        mlir::SmallVector<mlir::Type> types = inferred(op);
        mlir::TypeRange declared = op->getResultTypes();
        EXPECT_TRUE(op.isCompatibleReturnTypes(types, declared))
            << instance.name << ": " << name << " infers " << str(types)
            << ", declares " << str(declared);
        // From static operands the rule knows every extent.
        if (allStatic(op->getOperandTypes()))
          EXPECT_EQ(str(types), str(declared)) << instance.name << ": " << name;
      });
    }
  // Each op that infers its type was seen doing so at least once.
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations())
    if (name.getDialectNamespace() == "axon" &&
        name.hasInterface<mlir::InferTypeOpInterface>())
      EXPECT_TRUE(seen.count(name.getStringRef().str()))
          << name.getStringRef().str() << " infers its type in no table instance";
  EXPECT_GE(seen.size(), 40u);
}

TEST(OpInferType, InferringOpsAcceptRefinedResultsAsTheVerifierDoes) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect>();
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations())
    if (name.getDialectNamespace() == "axon" &&
        name.hasInterface<mlir::InferTypeOpInterface>())
      EXPECT_TRUE(name.hasTrait<axon::OpTrait::CompatibleResultTypes>())
          << name.getStringRef().str()
          << " infers its type but compares results exactly";

  mlir::Builder b(&ctx);
  auto f32 = b.getF32Type();
  auto t = [&](llvm::ArrayRef<int64_t> shape, mlir::Type elem) -> mlir::Type {
    return mlir::RankedTensorType::get(shape, elem);
  };
  int64_t dyn = mlir::ShapedType::kDynamic;
  // A static declared extent where the rule infers `?`, and the other way.
  EXPECT_TRUE(AddOp::isCompatibleReturnTypes({t({dyn, 3}, f32)}, {t({7, 3}, f32)}));
  EXPECT_TRUE(AddOp::isCompatibleReturnTypes({t({7, 3}, f32)}, {t({dyn, 3}, f32)}));
  EXPECT_FALSE(AddOp::isCompatibleReturnTypes({t({7, 3}, f32)}, {t({7, 4}, f32)}));
  EXPECT_FALSE(AddOp::isCompatibleReturnTypes({t({7, 3}, f32)}, {t({3}, f32)}));
  EXPECT_FALSE(
      AddOp::isCompatibleReturnTypes({t({7, 3}, f32)}, {t({7, 3}, b.getF64Type())}));
  EXPECT_FALSE(AddOp::isCompatibleReturnTypes({t({1}, f32)}, {}));
}

TEST(OpInferType, BuildersWithoutAResultType) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  mlir::OpBuilder b(&ctx);
  mlir::Location loc = b.getUnknownLoc();
  auto module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(module.getBody());
  int64_t dyn = mlir::ShapedType::kDynamic;
  auto f32 = b.getF32Type();
  auto fn = b.create<mlir::func::FuncOp>(
      loc, "f",
      b.getFunctionType({mlir::RankedTensorType::get({dyn, 33}, f32),
                         mlir::RankedTensorType::get({1, 33}, f32),
                         mlir::RankedTensorType::get({33, 7}, f32),
                         mlir::RankedTensorType::get({dyn}, b.getI64Type())},
                        {}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  mlir::Value x = fn.getArgument(0), row = fn.getArgument(1),
              w = fn.getArgument(2), idx = fn.getArgument(3);
  auto typeOf = [](mlir::Value v) {
    std::string s;
    llvm::raw_string_ostream(s) << v.getType();
    return s;
  };
  EXPECT_EQ(typeOf(b.create<CmpOp>(loc, CmpPredicate::lt, x, row)), "tensor<?x33xi1>");
  mlir::Value sum = b.create<AddOp>(loc, x, row);
  EXPECT_EQ(typeOf(sum), "tensor<?x33xf32>");
  EXPECT_EQ(typeOf(b.create<MatmulOp>(loc, sum, w)), "tensor<?x7xf32>");
  EXPECT_EQ(typeOf(b.create<SumOp>(loc, sum, llvm::ArrayRef<int64_t>{1}, true)),
            "tensor<?x1xf32>");
  EXPECT_EQ(typeOf(b.create<SliceOp>(loc, row, 1, 2, 33, 3)), "tensor<1x11xf32>");
  EXPECT_EQ(typeOf(b.create<TransposeOp>(loc, w, llvm::ArrayRef<int64_t>{1, 0})),
            "tensor<7x33xf32>");
  EXPECT_EQ(typeOf(b.create<GatherOp>(loc, w, idx, 0)), "tensor<?x7xf32>");
  EXPECT_EQ(typeOf(b.create<ConcatOp>(loc, mlir::ValueRange{x, row, x}, 0)),
            "tensor<?x33xf32>");
  EXPECT_EQ(typeOf(b.create<DimOp>(loc, x, 0)), "tensor<i64>");
  EXPECT_EQ(typeOf(b.create<ExpOp>(loc, x)), "tensor<?x33xf32>");
  b.create<mlir::func::ReturnOp>(loc);
  EXPECT_TRUE(mlir::succeeded(mlir::verify(module)));
  module->erase();
}

} // namespace
