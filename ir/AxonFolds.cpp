// Folders and canonicalization patterns of the axon ops: the algebraic
// identities that clean up autodiff's output (x * 1, x + 0, a + a, splat
// constants reshaped or broadcast), so canonicalize + CSE leave the
// gradient graph as a person would write it.
#include "ir/AxonDialect.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace axon;

namespace {

/// The value of a floating-point splat constant, if `attr` is one.
std::optional<double> splatValue(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

/// A splat of `value`'s splat constant with `type`, when `type` is static.
OpFoldResult resplat(Attribute value, Type type) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(value);
  auto tensor = cast<RankedTensorType>(type);
  if (!dense || !dense.isSplat() || !tensor.hasStaticShape())
    return {};
  return DenseElementsAttr::get(tensor, dense.getSplatValue<Attribute>());
}

/// `x op c` is `x` when c is the splat `identity` and the op changes no type.
OpFoldResult foldIdentity(Value x, Attribute c, double identity, Type result) {
  auto v = splatValue(c);
  if (v && *v == identity && x.getType() == result)
    return x;
  return {};
}

/// `l op r` on integer scalars (extents, loop bounds and steps): both
/// constants, so a trip count upper - lower is a constant once the upper
/// bound is (axon-specialize needs constant extents and bounds).
OpFoldResult foldIntegerScalars(Attribute l, Attribute r, Type result,
                                function_ref<APInt(const APInt &, const APInt &)> op) {
  auto a = dyn_cast_or_null<DenseIntElementsAttr>(l);
  auto b = dyn_cast_or_null<DenseIntElementsAttr>(r);
  auto type = cast<RankedTensorType>(result);
  if (!a || !b || type.getRank() != 0 || !isa<IntegerType>(type.getElementType()) ||
      a.getType() != type || b.getType() != type)
    return {};
  return DenseElementsAttr::get(type, op(*a.begin(), *b.begin()));
}

} // namespace

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  auto v = splatValue(adaptor.getInput());
  if (!v || !getType().hasStaticShape())
    return {};
  return DenseElementsAttr::get(
      getType(), FloatAttr::get(getType().getElementType(), -*v).getValue());
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIntegerScalars(adaptor.getLhs(), adaptor.getRhs(), getType(),
                                  [](const APInt &a, const APInt &b) { return a + b; }))
    return r;
  if (auto r = foldIdentity(getLhs(), adaptor.getRhs(), 0.0, getType()))
    return r;
  return foldIdentity(getRhs(), adaptor.getLhs(), 0.0, getType());
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIntegerScalars(adaptor.getLhs(), adaptor.getRhs(), getType(),
                                  [](const APInt &a, const APInt &b) { return a - b; }))
    return r;
  return foldIdentity(getLhs(), adaptor.getRhs(), 0.0, getType());
}

// max(upper - lower, 0): a trip count that is never negative.
OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldIntegerScalars(adaptor.getLhs(), adaptor.getRhs(), getType(),
                            [](const APInt &a, const APInt &b) {
                              return a.sge(b) ? a : b;
                            });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentity(getLhs(), adaptor.getRhs(), 1.0, getType()))
    return r;
  return foldIdentity(getRhs(), adaptor.getLhs(), 1.0, getType());
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return resplat(adaptor.getInput(), getType());
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return resplat(adaptor.getInput(), getType());
}

// A constant condition picks one side: `where(training(), a, b)` once
// axon-resolve-mode has decided the mode, and its gradients' selects.
OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  auto cond = dyn_cast_or_null<DenseIntElementsAttr>(adaptor.getCond());
  if (!cond || !cond.isSplat())
    return {};
  bool pickTrue = cond.getSplatValue<bool>();
  Value picked = pickTrue ? getOnTrue() : getOnFalse();
  if (picked.getType() == getType())
    return picked;
  return resplat(pickTrue ? adaptor.getOnTrue() : adaptor.getOnFalse(),
                 getType());
}

void AddOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  // a + a -> a * 2: gradient accumulation of a value used twice.
  results.add(+[](AddOp op, PatternRewriter &rewriter) -> LogicalResult {
    auto elem = dyn_cast<FloatType>(op.getType().getElementType());
    if (op.getLhs() != op.getRhs() || !elem)
      return failure();
    auto scalar = RankedTensorType::get({}, elem);
    Value two = rewriter.create<ConstantOp>(
        op.getLoc(), scalar,
        cast<ElementsAttr>(DenseElementsAttr::get(
            scalar, FloatAttr::get(elem, 2.0).getValue())));
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), op.getLhs(), two);
    return success();
  });
}
