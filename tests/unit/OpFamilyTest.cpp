// Every op of the axon dialect declares exactly one family (ir/OpFamily.h)
// in ODS, and the property traits the passes read agree with it: a new op
// without a family, or with two, fails here by name.
#include "ir/AxonDialect.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <utility>

using namespace axon;

namespace {

/// The families whose traits `name` carries (familyOf returns one of them).
template <int... F>
std::vector<OpFamily> declaredFamilies(mlir::OperationName name,
                                       std::integer_sequence<int, F...>) {
  std::vector<OpFamily> found;
  ((name.hasTrait<axon::OpTrait::Family<static_cast<OpFamily>(F)>::template Impl>()
        ? void(found.push_back(static_cast<OpFamily>(F)))
        : void()),
   ...);
  return found;
}

std::vector<mlir::RegisteredOperationName> axonOps(mlir::MLIRContext &ctx) {
  ctx.loadDialect<AxonDialect>();
  std::vector<mlir::RegisteredOperationName> ops;
  for (mlir::RegisteredOperationName name : ctx.getRegisteredOperations())
    if (name.getDialectNamespace() == "axon")
      ops.push_back(name);
  return ops;
}

TEST(OpFamily, EveryOpDeclaresExactlyOneFamily) {
  mlir::MLIRContext ctx;
  std::vector<mlir::RegisteredOperationName> ops = axonOps(ctx);
  EXPECT_GT(ops.size(), 40u);
  for (mlir::RegisteredOperationName name : ops) {
    std::vector<OpFamily> families = declaredFamilies(
        name, std::make_integer_sequence<int, kNumOpFamilies>());
    ASSERT_EQ(families.size(), 1u)
        << name.getStringRef().str() << " declares " << families.size()
        << " families";
    EXPECT_EQ(familyOf(name), families.front()) << name.getStringRef().str();
  }
}

TEST(OpFamily, PropertyTraitsAgreeWithTheFamily) {
  mlir::MLIRContext ctx;
  for (mlir::RegisteredOperationName name : axonOps(ctx)) {
    std::string op = name.getStringRef().str();
    OpFamily family = *familyOf(name);
    // Broadcasting ops are the binary and select ones, and all of those are.
    bool elementwiseMany = family == OpFamily::ElementwiseBinary ||
                           family == OpFamily::Selection;
    EXPECT_EQ(name.hasTrait<axon::OpTrait::Broadcasting>(), elementwiseMany) << op;
    if (name.hasTrait<axon::OpTrait::View>())
      EXPECT_EQ(family, OpFamily::DataMovement) << op;
    // Unary math keeps its operand's type, as the evaluator and the Halide
    // lowering assume.
    if (family == OpFamily::ElementwiseUnary) {
      EXPECT_TRUE(name.hasTrait<mlir::OpTrait::SameOperandsAndResultType>()) << op;
      EXPECT_TRUE(name.hasTrait<mlir::OpTrait::OneOperand>()) << op;
    }
    if (family == OpFamily::ElementwiseBinary)
      EXPECT_TRUE(name.hasTrait<mlir::OpTrait::NOperands<2>::Impl>()) << op;
  }
}

TEST(OpFamily, FamiliesOfSomeOps) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<AxonDialect>();
  auto family = [&](const char *op) {
    return familyOf(mlir::OperationName(op, &ctx));
  };
  EXPECT_EQ(family("axon.erf"), OpFamily::ElementwiseUnary);
  EXPECT_EQ(family("axon.cmp"), OpFamily::ElementwiseBinary);
  EXPECT_EQ(family("axon.cast"), OpFamily::Conversion);
  EXPECT_EQ(family("axon.one_hot"), OpFamily::DataMovement);
  EXPECT_EQ(family("axon.softmax"), OpFamily::Reduction);
  EXPECT_EQ(family("axon.conv_transpose2d"), OpFamily::Contraction);
  EXPECT_EQ(family("axon.max_pool2d_grad"), OpFamily::Window);
  EXPECT_EQ(family("axon.random_normal"), OpFamily::Random);
  EXPECT_EQ(family("axon.loop"), OpFamily::Control);
  EXPECT_EQ(family("func.call"), std::nullopt);
}

} // namespace
