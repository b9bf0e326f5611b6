// Vector-Jacobian products of the differentiable axon ops
// (GradientOpInterface), written in axon ops.
//
// Conventions: `g` is the gradient of the loss with respect to the op's
// result (same type); each rule returns gradients of its operands' types.
// Broadcasting ops sum the gradient back over the broadcast axes
// (`reduceTo`). Dynamic extents are read from the forward values with
// axon.dim, so the rules work for symbolic batch sizes.
#include "ir/AxonDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace axon;

namespace {

/// Small builders shared by the rules.
class GradBuilder {
public:
  GradBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  static RankedTensorType typeOf(Value v) {
    return cast<RankedTensorType>(v.getType());
  }

  RankedTensorType tensorType(const shape::Shape &s, Type elem) {
    SmallVector<int64_t> dims;
    for (const shape::Dim &d : s)
      dims.push_back(d.isKnown() ? d.value : ShapedType::kDynamic);
    return RankedTensorType::get(dims, elem);
  }

  /// One axon.dim of `like` per `?` of `target` (same rank as `like`).
  SmallVector<Value> dynamicDimsOf(Value like, RankedTensorType target) {
    SmallVector<Value> dims;
    for (int64_t i = 0; i < target.getRank(); ++i)
      if (target.isDynamicDim(i))
        dims.push_back(b.create<DimOp>(loc, like, i));
    return dims;
  }

  Value scalar(double v, Type elem) {
    auto type = RankedTensorType::get({}, elem);
    return b.create<ConstantOp>(
        loc, type,
        cast<ElementsAttr>(DenseElementsAttr::get(
            type, FloatAttr::get(elem, v).getValue())));
  }

  Value zerosLike(Value like) {
    auto type = typeOf(like);
    return b.create<FillOp>(loc, type, b.getF64FloatAttr(0.0),
                            dynamicDimsOf(like, type));
  }

  template <typename OpT> Value binary(Value x, Value y) {
    shape::Result r = shape::broadcast(shapeOf(x.getType()), shapeOf(y.getType()));
    return b.create<OpT>(loc, tensorType(r.shape, typeOf(x).getElementType()),
                         x, y);
  }
  Value add(Value x, Value y) { return binary<AddOp>(x, y); }
  Value sub(Value x, Value y) { return binary<SubOp>(x, y); }
  Value mul(Value x, Value y) { return binary<MulOp>(x, y); }
  Value div(Value x, Value y) { return binary<DivOp>(x, y); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }

  Value cmp(CmpPredicate p, Value x, Value y) {
    shape::Result r = shape::broadcast(shapeOf(x.getType()), shapeOf(y.getType()));
    return b.create<CmpOp>(loc, tensorType(r.shape, b.getI1Type()), p, x, y);
  }

  /// `cond ? x : y`, broadcasting all three.
  Value select(Value cond, Value x, Value y) {
    shape::Result xy = shape::broadcast(shapeOf(x.getType()), shapeOf(y.getType()));
    shape::Result r = shape::broadcast(shapeOf(cond.getType()), xy.shape);
    Type elem = typeOf(x).getElementType();
    return b.create<SelectOp>(loc, tensorType(r.shape, elem), cond, x, y);
  }

  /// `g` gated by `cond`: g where cond holds, 0 elsewhere.
  Value gate(Value cond, Value g) {
    return select(cond, g, scalar(0.0, typeOf(g).getElementType()));
  }

  Value castTo(Value v, RankedTensorType type) {
    return v.getType() == type ? v : b.create<CastOp>(loc, type, v);
  }

  Value sum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    shape::Result r = shape::reduce(shapeOf(x.getType()),
                                    std::vector<int64_t>(axes.begin(), axes.end()),
                                    keepdims);
    return b.create<SumOp>(loc, tensorType(r.shape, typeOf(x).getElementType()),
                           x, b.getDenseI64ArrayAttr(axes),
                           b.getBoolAttr(keepdims));
  }

  /// Sums `g` over the axes along which `target` was broadcast to it.
  Value reduceTo(Value g, RankedTensorType target) {
    auto gt = typeOf(g);
    int64_t lead = gt.getRank() - target.getRank();
    if (lead > 0) {
      SmallVector<int64_t> axes;
      for (int64_t i = 0; i < lead; ++i)
        axes.push_back(i);
      g = sum(g, axes, /*keepdims=*/false);
      gt = typeOf(g);
    }
    SmallVector<int64_t> stretched;
    for (int64_t i = 0; i < target.getRank(); ++i)
      if (target.getDimSize(i) == 1 && gt.getDimSize(i) != 1)
        stretched.push_back(i);
    if (!stretched.empty())
      g = sum(g, stretched, /*keepdims=*/true);
    return castTo(g, RankedTensorType::get(target.getShape(),
                                           typeOf(g).getElementType()));
  }

  /// Broadcasts `g` (of a keepdims-reduced shape) back to `like`'s shape.
  Value broadcastLike(Value g, Value like) {
    auto type = RankedTensorType::get(typeOf(like).getShape(),
                                      typeOf(g).getElementType());
    return b.create<BroadcastOp>(loc, type, g, dynamicDimsOf(like, type));
  }

  /// `g`, the gradient of a reduction's result, as the keepdims shape of
  /// the reduced input `x`.
  Value withKeptDims(Value g, Value x, ArrayRef<int64_t> axes, bool keepdims) {
    if (keepdims)
      return g;
    auto xt = typeOf(x);
    std::vector<bool> reduced(xt.getRank(), axes.empty());
    for (int64_t a : axes)
      reduced[a] = true;
    SmallVector<int64_t> dims;
    SmallVector<Value> dyn;
    for (int64_t i = 0; i < xt.getRank(); ++i) {
      dims.push_back(reduced[i] ? 1 : xt.getDimSize(i));
      if (!reduced[i] && xt.isDynamicDim(i))
        dyn.push_back(b.create<DimOp>(loc, x, i));
    }
    auto type = RankedTensorType::get(dims, typeOf(g).getElementType());
    return b.create<ReshapeOp>(loc, type, g, dyn);
  }

  Value transpose(Value x, ArrayRef<int64_t> perm) {
    shape::Result r = shape::transpose(shapeOf(x.getType()),
                                       std::vector<int64_t>(perm.begin(), perm.end()));
    return b.create<TransposeOp>(loc, tensorType(r.shape, typeOf(x).getElementType()),
                                 x, perm);
  }

  /// Swaps the two trailing dims.
  Value transposeLast2(Value x) {
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < typeOf(x).getRank(); ++i)
      perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return transpose(x, perm);
  }

  Value matmul(Value x, Value y) {
    shape::Result r = shape::matmul(shapeOf(x.getType()), shapeOf(y.getType()));
    return b.create<MatmulOp>(loc, tensorType(r.shape, typeOf(x).getElementType()),
                              x, y);
  }

  Value slice(Value x, int64_t axis, int64_t start, int64_t limit,
              int64_t stride = 1) {
    shape::Result r = shape::slice(shapeOf(x.getType()), axis, start, limit, stride);
    return b.create<SliceOp>(loc, tensorType(r.shape, typeOf(x).getElementType()),
                             x, axis, start, limit, stride);
  }

  OpBuilder &b;
  Location loc;
};

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
  shape::Result r = shape::conv2d(
      shapeOf(inT.getType()), shapeOf(filtT.getType()),
      std::vector<int64_t>(strides.begin(), strides.end()),
      std::vector<int64_t>(padding.begin(), padding.end()),
      std::vector<int64_t>(dilations.begin(), dilations.end()), 1);
  Value full = gb.b.create<Conv2DOp>(
      gb.loc, gb.tensorType(r.shape, filterType.getElementType()), inT, filtT,
      strides, padding, dilations, 1);
  Value cropped = gb.slice(gb.slice(full, 2, 0, filterType.getDimSize(2)), 3, 0,
                           filterType.getDimSize(3));
  return gb.castTo(gb.transpose(cropped, {1, 0, 2, 3}), filterType);
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
  shape::Result r = shape::convTranspose2d(
      shapeOf(g.getType()), shapeOf(wt),
      std::vector<int64_t>(getStrides().begin(), getStrides().end()),
      std::vector<int64_t>(getPadding().begin(), getPadding().end()),
      std::vector<int64_t>(outPad.begin(), outPad.end()), getGroups());
  if (!r.ok())
    return emitOpError("cannot build the input gradient: ") << r.error;
  grads[0] = gb.castTo(
      builder.create<ConvTranspose2DOp>(getLoc(),
                                        gb.tensorType(r.shape, xt.getElementType()),
                                        g, getFilter(), getStrides(), getPadding(),
                                        outPad, getGroups()),
      xt);
  if (getGroups() != 1)
    return emitOpError("filter gradient of a grouped convolution is not supported yet");
  // dW[o, c, i, j] = sum over n, oh, ow of g[n, o, oh, ow] x[n, c, oh s + i - p, ...]:
  // a convolution of x^T by g^T with the forward stride as dilation.
  grads[1] = filterGradient(gb, getInput(), g, /*strides=*/getDilations(),
                            getPadding(), /*dilations=*/getStrides(), wt);
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
  // dx: the forward convolution with the same filter.
  shape::Result r = shape::conv2d(
      shapeOf(g.getType()), shapeOf(wt),
      std::vector<int64_t>(getStrides().begin(), getStrides().end()),
      std::vector<int64_t>(getPadding().begin(), getPadding().end()), {1, 1},
      getGroups());
  if (!r.ok())
    return emitOpError("cannot build the input gradient: ") << r.error;
  SmallVector<int64_t> ones = {1, 1};
  grads[0] = gb.castTo(
      builder.create<Conv2DOp>(getLoc(), gb.tensorType(r.shape, xt.getElementType()),
                               g, getFilter(), getStrides(), getPadding(), ones,
                               getGroups()),
      xt);
  if (getGroups() != 1)
    return emitOpError("filter gradient of a grouped transposed convolution is "
                       "not supported yet");
  // dW[c, o, i, j] = sum of x[n, c, a, b] g[n, o, a s + i - p, b s + j - p]:
  // a convolution of g^T by x^T with the stride as dilation.
  grads[1] = filterGradient(gb, g, getInput(), ones, getPadding(), getStrides(), wt);
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
    if (!getAxes().empty() && !llvm::is_contained(getAxes(), i))
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
  // Every position equal to the maximum receives the gradient.
  Value y = gb.broadcastLike(
      gb.withKeptDims(getResult(), getInput(), getAxes(), getKeepdims()),
      getInput());
  Value g = gb.broadcastLike(
      gb.withKeptDims(resultGrads[0], getInput(), getAxes(), getKeepdims()),
      getInput());
  grads[0] = gb.gate(gb.cmp(CmpPredicate::eq, getInput(), y), g);
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
  shape::Result r = shape::gather(shapeOf(g.getType()),
                                  shapeOf(getIndices().getType()), getAxis());
  Value picked = builder.create<GatherOp>(
      getLoc(), gb.tensorType(r.shape, getType().getElementType()), g,
      getIndices(), getAxis());
  grads[2] = gb.castTo(picked, getUpdates().getType());
  return success();
}
