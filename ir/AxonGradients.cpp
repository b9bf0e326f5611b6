// Vector-Jacobian products of the differentiable axon ops
// (GradientOpInterface), written in axon ops.
//
// Conventions: `g` is the gradient of the loss with respect to the op's
// result (same type); each rule returns gradients of its operands' types.
// Broadcasting ops sum the gradient back over the broadcast axes
// (`reduceTo`). Dynamic extents are read from the forward values with
// axon.dim, so the rules work for symbolic batch sizes.
#include "ir/AxonDialect.h"
#include "ir/TensorBuilder.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace axon;

namespace {

using GradBuilder = TensorBuilder;

bool isFloatTensor(Value v) {
  return isa<FloatType>(cast<RankedTensorType>(v.getType()).getElementType());
}

/// Fills `grads` with one null entry per operand of `op`.
void noGradients(Operation *op, SmallVectorImpl<Value> &grads) {
  grads.assign(op->getNumOperands(), Value());
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise unary: g * f'(x), with f' in terms of x or of y = f(x).
//===----------------------------------------------------------------------===//

#define AXON_UNARY_VJP(Op, body)                                               \
  LogicalResult Op::buildVJP(OpBuilder &builder, ValueRange resultGrads,      \
                             SmallVectorImpl<Value> &grads) {                  \
    noGradients(*this, grads);                                                 \
    Value g = resultGrads[0];                                                  \
    if (!g || !isFloatTensor(getInput()))                                      \
      return success();                                                        \
    GradBuilder gb(builder, getLoc());                                         \
    Value x = getInput(), y = getResult();                                     \
    (void)x;                                                                   \
    (void)y;                                                                   \
    Type elem = getType().getElementType();                                    \
    (void)elem;                                                                \
    grads[0] = body;                                                           \
    return success();                                                          \
  }

AXON_UNARY_VJP(NegOp, gb.neg(g))
AXON_UNARY_VJP(ExpOp, gb.mul(g, y))
AXON_UNARY_VJP(LogOp, gb.div(g, x))
AXON_UNARY_VJP(SqrtOp, gb.div(gb.mul(g, gb.scalar(0.5, elem)), y))
AXON_UNARY_VJP(AbsOp, gb.mul(g, builder.create<SignOp>(getLoc(), x)))
AXON_UNARY_VJP(SinOp, gb.mul(g, builder.create<CosOp>(getLoc(), x)))
AXON_UNARY_VJP(CosOp, gb.neg(gb.mul(g, builder.create<SinOp>(getLoc(), x))))
AXON_UNARY_VJP(TanhOp, gb.mul(g, gb.sub(gb.scalar(1.0, elem), gb.mul(y, y))))
AXON_UNARY_VJP(SigmoidOp,
               gb.mul(g, gb.mul(y, gb.sub(gb.scalar(1.0, elem), y))))
AXON_UNARY_VJP(ReluOp, gb.gate(gb.cmp(CmpPredicate::gt, x, gb.scalar(0.0, elem)), g))
AXON_UNARY_VJP(SoftplusOp, gb.mul(g, builder.create<SigmoidOp>(getLoc(), x)))
// erf'(x) = 2/sqrt(pi) e^(-x^2).
AXON_UNARY_VJP(ErfOp, gb.mul(g, gb.mul(gb.scalar(1.1283791670955126, elem),
                                       builder.create<ExpOp>(getLoc(), gb.neg(gb.mul(x, x))))))
#undef AXON_UNARY_VJP

// sign is piecewise constant: no gradient.
LogicalResult SignOp::buildVJP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise binary with broadcasting.
//===----------------------------------------------------------------------===//

#define AXON_BINARY_VJP(Op, lhsGrad, rhsGrad)                                  \
  LogicalResult Op::buildVJP(OpBuilder &builder, ValueRange resultGrads,      \
                             SmallVectorImpl<Value> &grads) {                  \
    noGradients(*this, grads);                                                 \
    Value g = resultGrads[0];                                                  \
    if (!g || !isFloatTensor(getResult()))                                     \
      return success();                                                        \
    GradBuilder gb(builder, getLoc());                                         \
    Value a = getLhs(), b = getRhs(), r = getResult();                         \
    (void)r;                                                                   \
    Type elem = getType().getElementType();                                    \
    (void)elem;                                                                \
    grads[0] = gb.reduceTo(lhsGrad, getLhs().getType());                       \
    grads[1] = gb.reduceTo(rhsGrad, getRhs().getType());                       \
    return success();                                                          \
  }

AXON_BINARY_VJP(AddOp, g, g)
AXON_BINARY_VJP(SubOp, g, gb.neg(g))
AXON_BINARY_VJP(MulOp, gb.mul(g, b), gb.mul(g, a))
AXON_BINARY_VJP(DivOp, gb.div(g, b), gb.neg(gb.div(gb.mul(g, r), b)))
// d(a^b)/da = b a^(b-1); d(a^b)/db = ln(a) a^b, taken as 0 where a <= 0.
AXON_BINARY_VJP(PowOp,
                gb.mul(g, gb.mul(b, gb.binary<PowOp>(a, gb.sub(b, gb.scalar(1.0, elem))))),
                gb.mul(g, gb.mul(r, gb.select(gb.cmp(CmpPredicate::gt, a, gb.scalar(0.0, elem)),
                                             builder.create<LogOp>(getLoc(), a),
                                             gb.scalar(0.0, elem)))))
// Ties send the gradient to the left operand.
AXON_BINARY_VJP(MaxOp, gb.gate(gb.cmp(CmpPredicate::ge, a, b), g),
                gb.gate(gb.cmp(CmpPredicate::lt, a, b), g))
AXON_BINARY_VJP(MinOp, gb.gate(gb.cmp(CmpPredicate::le, a, b), g),
                gb.gate(gb.cmp(CmpPredicate::gt, a, b), g))
#undef AXON_BINARY_VJP

LogicalResult SelectOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g || !isFloatTensor(getResult()))
    return success();
  GradBuilder gb(builder, getLoc());
  Value zero = gb.scalar(0.0, getType().getElementType());
  grads[1] = gb.reduceTo(gb.select(getCond(), g, zero), getOnTrue().getType());
  grads[2] = gb.reduceTo(gb.select(getCond(), zero, g), getOnFalse().getType());
  return success();
}

LogicalResult CastOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                               SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  // Only float-to-float casts carry a gradient.
  if (!resultGrads[0] || !isFloatTensor(getInput()) || !isFloatTensor(getResult()))
    return success();
  GradBuilder gb(builder, getLoc());
  grads[0] = gb.castTo(resultGrads[0], getInput().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Contractions and convolutions.
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradBuilder gb(builder, getLoc());
  // dA = g B^T, dB = A^T g, summed over broadcast batch dims.
  grads[0] = gb.reduceTo(gb.matmul(g, gb.transposeLast2(getRhs())),
                         getLhs().getType());
  grads[1] = gb.reduceTo(gb.matmul(gb.transposeLast2(getLhs()), g),
                         getRhs().getType());
  return success();
}

namespace {
/// The filter gradient of a convolution, computed as a convolution of the
/// batch-transposed operands, cropped to the filter's window and put back
/// in filter order.
Value filterGradient(GradBuilder &gb, Value input, Value filter,
                     ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                     ArrayRef<int64_t> dilations, RankedTensorType filterType) {
  Value inT = gb.transpose(input, {1, 0, 2, 3});
  Value filtT = gb.transpose(filter, {1, 0, 2, 3});
  Value full = gb.b.create<Conv2DOp>(gb.loc, inT, filtT, strides, padding,
                                     dilations, 1);
  Value cropped = gb.slice(gb.slice(full, 2, 0, filterType.getDimSize(2)), 3, 0,
                           filterType.getDimSize(3));
  return gb.castTo(gb.transpose(cropped, {1, 0, 2, 3}), filterType);
}

/// The filter gradient of a grouped convolution: group k's filter rows see
/// only channels [k Cg, (k+1) Cg) of `input` and [k Og, (k+1) Og) of
/// `filter` (the operand playing the filter in filterGradient), so each
/// group is one ungrouped filter gradient, and the groups stack along the
/// filter's first axis.
FailureOr<Value> groupedFilterGradient(Operation *op, GradBuilder &gb,
                                       Value input, Value filter,
                                       int64_t groups, ArrayRef<int64_t> strides,
                                       ArrayRef<int64_t> padding,
                                       ArrayRef<int64_t> dilations,
                                       RankedTensorType filterType) {
  if (groups == 1)
    return filterGradient(gb, input, filter, strides, padding, dilations,
                          filterType);
  auto inT = cast<RankedTensorType>(input.getType());
  auto fT = cast<RankedTensorType>(filter.getType());
  if (inT.isDynamicDim(1) || fT.isDynamicDim(1) || filterType.isDynamicDim(0))
    return op->emitOpError("grouped filter gradient needs static channel counts");
  int64_t ci = inT.getDimSize(1) / groups, cf = fT.getDimSize(1) / groups;
  SmallVector<int64_t> groupShape(filterType.getShape());
  groupShape[0] /= groups;
  auto groupType = RankedTensorType::get(groupShape, filterType.getElementType());
  SmallVector<Value> parts;
  for (int64_t k = 0; k < groups; ++k)
    parts.push_back(filterGradient(gb, gb.slice(input, 1, k * ci, (k + 1) * ci),
                                   gb.slice(filter, 1, k * cf, (k + 1) * cf),
                                   strides, padding, dilations, groupType));
  Value all = gb.b.create<ConcatOp>(gb.loc, filterType, parts, 0);
  return all;
}
} // namespace

LogicalResult Conv2DOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g)
    return success();
  auto xt = getInput().getType();
  auto wt = getFilter().getType();
  if (getDilations()[0] != 1 || getDilations()[1] != 1)
    return emitOpError("gradient of a dilated convolution is not supported yet");
  if (xt.isDynamicDim(2) || xt.isDynamicDim(3) || getType().isDynamicDim(2) ||
      getType().isDynamicDim(3))
    return emitOpError("gradient needs static spatial dims");
  GradBuilder gb(builder, getLoc());
  // dx: the transposed convolution, with output padding restoring H, W.
  SmallVector<int64_t> outPad;
  for (int i = 0; i < 2; ++i) {
    int64_t rebuilt = (getType().getDimSize(2 + i) - 1) * getStrides()[i] -
                      2 * getPadding()[i] + wt.getDimSize(2 + i);
    outPad.push_back(xt.getDimSize(2 + i) - rebuilt);
  }
  // The rule is asked first so that a refusal is a diagnostic: the builder
  // infers the result type and cannot report one.
  shape::Result r = shape::convTranspose2d(
      shapeOf(g.getType()), shapeOf(wt),
      std::vector<int64_t>(getStrides().begin(), getStrides().end()),
      std::vector<int64_t>(getPadding().begin(), getPadding().end()),
      std::vector<int64_t>(outPad.begin(), outPad.end()), getGroups());
  if (!r.ok())
    return emitOpError("cannot build the input gradient: ") << r.error;
  grads[0] = gb.castTo(
      builder.create<ConvTranspose2DOp>(getLoc(), g, getFilter(), getStrides(),
                                        getPadding(), outPad, getGroups()),
      xt);
  // dW[o, c, i, j] = sum over n, oh, ow of g[n, o, oh, ow] x[n, c, oh s + i - p, ...]:
  // a convolution of x^T by g^T with the forward stride as dilation.
  auto dw = groupedFilterGradient(*this, gb, getInput(), g, getGroups(),
                                  /*strides=*/getDilations(), getPadding(),
                                  /*dilations=*/getStrides(), wt);
  if (failed(dw))
    return failure();
  grads[1] = *dw;
  return success();
}

LogicalResult ConvTranspose2DOp::buildVJP(OpBuilder &builder,
                                          ValueRange resultGrads,
                                          SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g)
    return success();
  auto xt = getInput().getType();
  auto wt = getFilter().getType();
  GradBuilder gb(builder, getLoc());
  // dx: the forward convolution with the same filter (the rule asked first,
  // as for conv2d's gradient).
  shape::Result r = shape::conv2d(
      shapeOf(g.getType()), shapeOf(wt),
      std::vector<int64_t>(getStrides().begin(), getStrides().end()),
      std::vector<int64_t>(getPadding().begin(), getPadding().end()), {1, 1},
      getGroups());
  if (!r.ok())
    return emitOpError("cannot build the input gradient: ") << r.error;
  SmallVector<int64_t> ones = {1, 1};
  grads[0] = gb.castTo(builder.create<Conv2DOp>(getLoc(), g, getFilter(),
                                                getStrides(), getPadding(), ones,
                                                getGroups()),
                       xt);
  // dW[c, o, i, j] = sum of x[n, c, a, b] g[n, o, a s + i - p, b s + j - p]:
  // a convolution of g^T by x^T with the stride as dilation.
  auto dw = groupedFilterGradient(*this, gb, g, getInput(), getGroups(), ones,
                                  getPadding(), getStrides(), wt);
  if (failed(dw))
    return failure();
  grads[1] = *dw;
  return success();
}

LogicalResult MaxPool2DOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (resultGrads[0])
    grads[0] = builder.create<MaxPool2DGradOp>(
        getLoc(), getInput().getType(), getInput(), resultGrads[0], getKernel(),
        getStrides(), getPadding());
  return success();
}

LogicalResult AvgPool2DOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (resultGrads[0])
    grads[0] = builder.create<AvgPool2DGradOp>(
        getLoc(), getInput().getType(), getInput(), resultGrads[0], getKernel(),
        getStrides(), getPadding());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations.
//===----------------------------------------------------------------------===//

LogicalResult SumOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                              SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  GradBuilder gb(builder, getLoc());
  grads[0] = gb.broadcastLike(
      gb.withKeptDims(resultGrads[0], getInput(), getAxes(), getKeepdims()),
      getInput());
  return success();
}

LogicalResult MeanOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                               SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0])
    return success();
  GradBuilder gb(builder, getLoc());
  auto xt = getInput().getType();
  Type elem = getType().getElementType();
  // 1 / (number of elements averaged), from static and run-time extents.
  double staticCount = 1;
  Value count;
  for (int64_t i = 0; i < xt.getRank(); ++i) {
    if (!getAxes().empty() &&
        !llvm::any_of(getAxes(), [&](int64_t a) {
          return shape::normalizeAxis(a, xt.getRank()) == i;
        }))
      continue;
    if (!xt.isDynamicDim(i)) {
      staticCount *= xt.getDimSize(i);
      continue;
    }
    Value d = gb.castTo(builder.create<DimOp>(getLoc(), getInput(), i),
                        RankedTensorType::get({}, builder.getI64Type()));
    d = builder.create<CastOp>(getLoc(), RankedTensorType::get({}, elem), d);
    count = count ? gb.mul(count, d) : d;
  }
  Value scale = gb.scalar(1.0 / staticCount, elem);
  if (count)
    scale = gb.div(scale, count);
  Value g = gb.mul(resultGrads[0], scale);
  grads[0] = gb.broadcastLike(
      gb.withKeptDims(g, getInput(), getAxes(), getKeepdims()), getInput());
  return success();
}

LogicalResult ReduceMaxOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  GradBuilder gb(builder, getLoc());
  // The positions equal to the maximum share the gradient evenly (as
  // torch.amax): g * mask / (number of maxima in the reduced slice). A
  // slice with no position equal to its maximum (a NaN) gets none.
  Value x = getInput();
  Type elem = getType().getElementType();
  Value y = gb.broadcastLike(
      gb.withKeptDims(getResult(), x, getAxes(), getKeepdims()), x);
  Value isMax = gb.cmp(CmpPredicate::eq, x, y);
  Value count = gb.sum(
      gb.select(isMax, gb.scalar(1.0, elem), gb.scalar(0.0, elem)), getAxes(),
      /*keepdims=*/true);
  Value share = gb.div(
      gb.withKeptDims(resultGrads[0], x, getAxes(), getKeepdims()), count);
  grads[0] = gb.gate(isMax, gb.broadcastLike(share, x));
  return success();
}

LogicalResult SoftmaxOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradBuilder gb(builder, getLoc());
  // dx = y * (g - sum(g * y, axis))
  Value y = getResult();
  Value s = gb.sum(gb.mul(g, y), {getAxis()}, /*keepdims=*/true);
  grads[0] = gb.castTo(gb.mul(y, gb.sub(g, s)), getInput().getType());
  return success();
}

LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradBuilder gb(builder, getLoc());
  // dx = g - softmax(x) * sum(g, axis), with softmax(x) = exp(y)
  Value p = builder.create<ExpOp>(getLoc(), getResult());
  Value s = gb.sum(g, {getAxis()}, /*keepdims=*/true);
  grads[0] = gb.castTo(gb.sub(g, gb.mul(p, s)), getInput().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Movement.
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  GradBuilder gb(builder, getLoc());
  auto xt = getInput().getType();
  grads[0] = builder.create<ReshapeOp>(getLoc(), xt, resultGrads[0],
                                       gb.dynamicDimsOf(getInput(), xt));
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  GradBuilder gb(builder, getLoc());
  SmallVector<int64_t> inverse(getPerm().size());
  for (size_t i = 0; i < getPerm().size(); ++i)
    inverse[getPerm()[i]] = i;
  grads[0] = gb.castTo(gb.transpose(resultGrads[0], inverse), getInput().getType());
  return success();
}

LogicalResult BroadcastOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  GradBuilder gb(builder, getLoc());
  grads[0] = gb.reduceTo(resultGrads[0], getInput().getType());
  return success();
}

LogicalResult SliceOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  GradBuilder gb(builder, getLoc());
  int64_t axis = *shape::normalizeAxis(getAxis(), getInput().getType().getRank());
  grads[0] = builder.create<InsertSliceOp>(
      getLoc(), getInput().getType(), gb.zerosLike(getInput()), resultGrads[0],
      axis, getStart(), getStride());
  return success();
}

LogicalResult InsertSliceOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                      SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g || !isFloatTensor(getTarget()))
    return success();
  GradBuilder gb(builder, getLoc());
  auto ut = getUpdate().getType();
  int64_t axis = *shape::normalizeAxis(getAxis(), ut.getRank());
  if (ut.isDynamicDim(axis))
    return emitOpError("gradient needs a static update extent along the axis");
  // The overwritten positions take no gradient from the target.
  grads[0] = builder.create<InsertSliceOp>(getLoc(), getType(), g,
                                           gb.zerosLike(getUpdate()), axis,
                                           getStart(), getStride());
  int64_t n = ut.getDimSize(axis);
  grads[1] = gb.castTo(
      gb.slice(g, axis, getStart(), getStart() + (n - 1) * getStride() + 1,
               getStride()),
      ut);
  return success();
}

LogicalResult ConcatOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g || !isFloatTensor(getResult()))
    return success();
  GradBuilder gb(builder, getLoc());
  int64_t axis = *shape::normalizeAxis(getAxis(), getType().getRank());
  int64_t offset = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    auto t = cast<RankedTensorType>(input.getType());
    if (t.isDynamicDim(axis))
      return emitOpError("gradient needs static extents along the concat axis");
    int64_t n = t.getDimSize(axis);
    grads[i] = gb.castTo(gb.slice(g, axis, offset, offset + n), t);
    offset += n;
  }
  return success();
}

LogicalResult GatherOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getTable()))
    return success();
  GradBuilder gb(builder, getLoc());
  grads[0] = builder.create<ScatterAddOp>(
      getLoc(), getTable().getType(), gb.zerosLike(getTable()), getIndices(),
      gb.castTo(resultGrads[0],
                RankedTensorType::get(
                    getType().getShape(),
                    getTable().getType().getElementType())),
      getAxis());
  return success();
}

LogicalResult ScatterAddOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g || !isFloatTensor(getTarget()))
    return success();
  GradBuilder gb(builder, getLoc());
  grads[0] = g;
  Value picked =
      builder.create<GatherOp>(getLoc(), g, getIndices(), getAxis());
  grads[2] = gb.castTo(picked, getUpdates().getType());
  return success();
}

// y = x[i]: dx is g in row i, zeros elsewhere.
LogicalResult DynamicRowOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g || !isFloatTensor(getSource()))
    return success();
  GradBuilder gb(builder, getLoc());
  grads[0] = builder.create<DynamicUpdateRowOp>(
      getLoc(), gb.zerosLike(getSource()), getIndex(),
      gb.castTo(g, getType()));
  return success();
}

// y = x with row i = u: dx is g with row i zeroed, du is g's row i.
LogicalResult DynamicUpdateRowOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                           SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g || !isFloatTensor(getTarget()))
    return success();
  GradBuilder gb(builder, getLoc());
  g = gb.castTo(g, getType());
  // The row is read before it is zeroed, so that the write may take g's
  // buffer (nothing reads g after it; a loop carries g backwards).
  grads[2] = gb.castTo(builder.create<DynamicRowOp>(getLoc(), g, getIndex()),
                       getUpdate().getType());
  grads[0] = builder.create<DynamicUpdateRowOp>(getLoc(), g, getIndex(),
                                                gb.zerosLike(getUpdate()));
  return success();
}

//===----------------------------------------------------------------------===//
// Triangles, shifts and scans.
//===----------------------------------------------------------------------===//

// The kept triangle passes the gradient through, the zeroed one takes none:
// the same mask applied to the incoming gradient.
#define AXON_TRIANGLE_VJP(Op)                                                  \
  LogicalResult Op::buildVJP(OpBuilder &builder, ValueRange resultGrads,      \
                             SmallVectorImpl<Value> &grads) {                  \
    noGradients(*this, grads);                                                 \
    if (!resultGrads[0] || !isFloatTensor(getInput()))                         \
      return success();                                                        \
    grads[0] = builder.create<Op>(getLoc(), resultGrads[0], getKAttr());       \
    return success();                                                          \
  }
AXON_TRIANGLE_VJP(TrilOp)
AXON_TRIANGLE_VJP(TriuOp)
#undef AXON_TRIANGLE_VJP

LogicalResult ShiftOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                                SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  if (!resultGrads[0] || !isFloatTensor(getInput()))
    return success();
  grads[0] = builder.create<ShiftOp>(
      getLoc(), resultGrads[0], getAxisAttr(),
      builder.getI64IntegerAttr(-static_cast<int64_t>(getOffset())));
  return success();
}

// h = L(a) b with L lower-triangular (L[t, s] = a_(s+1) ... a_t), so the
// gradient with respect to b is L^T g: the reverse scan with the same a
// (and a reverse scan's is the forward one). a_t multiplies h_(t-1) in the
// forward recurrence, h_t in the reverse one (where it is a_(t+1) of
// h_(t-1)): one shift by a place along the axis gives the partner. Nothing
// is divided, so zeros in a (cumprod) are exact.
LogicalResult ScanOp::buildVJP(OpBuilder &builder, ValueRange resultGrads,
                               SmallVectorImpl<Value> &grads) {
  noGradients(*this, grads);
  Value g = resultGrads[0];
  if (!g)
    return success();
  GradBuilder gb(builder, getLoc());
  int64_t axis = *shape::normalizeAxis(getAxis(), getType().getRank());
  IntegerAttr axisAttr = builder.getI64IntegerAttr(axis);
  bool reverse = getReverse();
  Value adjoint = builder.create<ScanOp>(
      getLoc(), getA(), g, axisAttr,
      reverse ? UnitAttr() : builder.getUnitAttr());
  auto previous = [&](Value v) -> Value {
    return builder.create<ShiftOp>(getLoc(), v, axisAttr,
                                   builder.getI64IntegerAttr(1));
  };
  grads[0] = reverse ? gb.mul(previous(adjoint), getResult())
                     : gb.mul(adjoint, previous(getResult()));
  grads[1] = adjoint;
  return success();
}
