// axon-infer-shapes: refine `?` extents with the ops' shape rules.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace axon {
#define GEN_PASS_DEF_INFERSHAPES
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

/// `declared` with each `?` replaced by the inferred extent, when known.
RankedTensorType refine(RankedTensorType declared, const shape::Shape &inferred) {
  if (declared.getRank() != static_cast<int64_t>(inferred.size()))
    return declared;
  SmallVector<int64_t> dims(declared.getShape());
  for (size_t i = 0; i < dims.size(); ++i)
    if (ShapedType::isDynamic(dims[i]) && inferred[i].isKnown())
      dims[i] = inferred[i].value;
  return RankedTensorType::get(dims, declared.getElementType());
}

/// Ops whose operand types must equal a type fixed elsewhere (a function
/// signature, a loop's carried type).
bool needsExactType(Operation *user) {
  return !isa<InferShapeOpInterface>(user) || isa<LoopOp, YieldOp>(user);
}

struct InferShapesPass : public axon::impl::InferShapesBase<InferShapesPass> {
  void runOnOperation() override {
    // Pre-order: operands are refined before their users look at them.
    getOperation().walk<WalkOrder::PreOrder>([&](InferShapeOpInterface op) {
      // Ops with dynamic_dims operands keep them matched to their `?`s.
      if (isa<DynamicDimsOpInterface>(op.getOperation()))
        return;
      Value result = op->getResult(0);
      auto declared = cast<RankedTensorType>(result.getType());
      if (declared.hasStaticShape())
        return;
      shape::Result inferred = op.inferResultShape();
      if (!inferred.ok())
        return;
      RankedTensorType refined = refine(declared, inferred.shape);
      if (refined == declared)
        return;
      result.setType(refined);
      // Keep exact-type users on the old type with a cast.
      OpBuilder builder(op->getContext());
      builder.setInsertionPointAfter(op);
      Value back;
      for (OpOperand &use : llvm::make_early_inc_range(result.getUses())) {
        if (!needsExactType(use.getOwner()))
          continue;
        if (!back)
          back = builder.create<CastOp>(op->getLoc(), declared, result);
        use.set(back);
      }
    });
  }
};

} // namespace
