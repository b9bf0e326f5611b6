// TensorBuilder: small builders of axon ops for the VJP rules, the losses
// and the optimizer lowering, which build new IR rather than translate a
// model file. Ops infer their result types (InferTypeOpInterface, through
// the shared shape rules); only ops whose result type their operands do not
// fix (a target shape, a chosen element type) are given one here.
#ifndef AXON_IR_TENSORBUILDER_H
#define AXON_IR_TENSORBUILDER_H

#include "ir/AxonDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace axon {

using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::Type;
using mlir::Value;
using mlir::ArrayRef;
using mlir::SmallVector;
using mlir::cast;
using mlir::DenseElementsAttr;
using mlir::ElementsAttr;
using mlir::FloatAttr;
using mlir::ShapedType;

class TensorBuilder {
public:
  TensorBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  static RankedTensorType typeOf(Value v) {
    return cast<RankedTensorType>(v.getType());
  }

  RankedTensorType tensorType(const shape::Shape &s, Type elem) {
    return tensorTypeOf(s, elem);
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
    return b.create<OpT>(loc, x, y);
  }
  Value add(Value x, Value y) { return binary<AddOp>(x, y); }
  Value sub(Value x, Value y) { return binary<SubOp>(x, y); }
  Value mul(Value x, Value y) { return binary<MulOp>(x, y); }
  Value div(Value x, Value y) { return binary<DivOp>(x, y); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }

  Value cmp(CmpPredicate p, Value x, Value y) {
    return b.create<CmpOp>(loc, p, x, y);
  }

  /// `cond ? x : y`, broadcasting all three.
  Value select(Value cond, Value x, Value y) {
    return b.create<SelectOp>(loc, cond, x, y);
  }

  /// `g` gated by `cond`: g where cond holds, 0 elsewhere.
  Value gate(Value cond, Value g) {
    return select(cond, g, scalar(0.0, typeOf(g).getElementType()));
  }

  Value castTo(Value v, RankedTensorType type) {
    return v.getType() == type ? v : b.create<CastOp>(loc, type, v);
  }

  Value sum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    return b.create<SumOp>(loc, x, axes, keepdims);
  }

  Value mean(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    return b.create<MeanOp>(loc, x, axes, keepdims);
  }

  /// An elementwise op of one operand, of the operand's type.
  template <typename OpT> Value unary(Value x) { return b.create<OpT>(loc, x); }

  /// `v` with its elements converted to `elem`.
  Value castElements(Value v, Type elem) {
    return castTo(v, RankedTensorType::get(typeOf(v).getShape(), elem));
  }

  /// The one-hot rows of `labels` as `type`: [..., C] with C static.
  Value oneHot(Value labels, RankedTensorType type) {
    return b.create<OneHotOp>(loc, type, labels,
                              type.getDimSize(type.getRank() - 1));
  }

  Value logSoftmax(Value x, int64_t axis) {
    return b.create<LogSoftmaxOp>(loc, x, axis);
  }

  /// The i32 index of the largest element along `axis` (dropped); the
  /// index type is the caller's choice, so argmax is given its type.
  Value argmax(Value x, int64_t axis) {
    shape::Result r = shape::reduce(shapeOf(x.getType()), {axis}, false);
    return b.create<ArgmaxOp>(loc, tensorType(r.shape, b.getI32Type()), x,
                              axis, false);
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
    for (int64_t a : axes) // axes may count from the end
      reduced[*shape::normalizeAxis(a, xt.getRank())] = true;
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
    return b.create<TransposeOp>(loc, x, perm);
  }

  /// Swaps the two trailing dims.
  Value transposeLast2(Value x) {
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < typeOf(x).getRank(); ++i)
      perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    return transpose(x, perm);
  }

  Value matmul(Value x, Value y) { return b.create<MatmulOp>(loc, x, y); }

  Value slice(Value x, int64_t axis, int64_t start, int64_t limit,
              int64_t stride = 1) {
    return b.create<SliceOp>(loc, x, axis, start, limit, stride);
  }

  OpBuilder &b;
  Location loc;
};

} // namespace axon

#endif // AXON_IR_TENSORBUILDER_H
