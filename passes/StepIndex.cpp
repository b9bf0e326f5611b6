#include "passes/StepIndex.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace axon {
namespace {

std::optional<int64_t> constantOf(Value v) {
  DenseIntElementsAttr c;
  if (!matchPattern(v, m_Constant(&c)) || c.getType().getRank() != 0)
    return std::nullopt;
  return (*c.begin()).getSExtValue();
}

} // namespace

std::optional<StepIndex> stepIndexOf(Value v, Value t) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 0 || !type.getElementType().isInteger(64))
    return std::nullopt;
  if (v == t)
    return StepIndex{1, 0};
  if (std::optional<int64_t> c = constantOf(v))
    return StepIndex{0, *c};
  // Through a fused kernel: its result is what its body yields, its block
  // arguments are its inputs.
  if (auto arg = dyn_cast<BlockArgument>(v))
    if (auto kernel = dyn_cast_or_null<KernelOp>(arg.getOwner()->getParentOp()))
      return stepIndexOf(kernel.getInputs()[arg.getArgNumber()], t);
  if (auto kernel = v.getDefiningOp<KernelOp>())
    return stepIndexOf(kernel.getBody().front().getTerminator()->getOperand(
                           cast<OpResult>(v).getResultNumber()),
                       t);
  Operation *op = v.getDefiningOp();
  if (!op || !isa<AddOp, SubOp>(op))
    return std::nullopt;
  std::optional<StepIndex> l = stepIndexOf(op->getOperand(0), t);
  std::optional<StepIndex> r = stepIndexOf(op->getOperand(1), t);
  if (!l || !r)
    return std::nullopt;
  if (isa<AddOp>(op))
    return StepIndex{l->sign + r->sign, l->offset + r->offset};
  return StepIndex{l->sign - r->sign, l->offset - r->offset};
}

} // namespace axon
