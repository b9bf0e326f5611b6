// TensorBuilder: small builders of axon ops that compute result types with
// the shared shape rules. Used by the VJP rules and the optimizer lowering,
// which build new IR rather than translate a model file.
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

  Value mean(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    shape::Result r = shape::reduce(shapeOf(x.getType()),
                                    std::vector<int64_t>(axes.begin(), axes.end()),
                                    keepdims);
    return b.create<MeanOp>(loc, tensorType(r.shape, typeOf(x).getElementType()),
                            x, b.getDenseI64ArrayAttr(axes),
                            b.getBoolAttr(keepdims));
  }

  /// An elementwise op of one operand, of the operand's type.
  template <typename OpT> Value unary(Value x) {
    return b.create<OpT>(loc, typeOf(x), x);
  }

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
    return b.create<LogSoftmaxOp>(loc, typeOf(x), x, axis);
  }

  /// The i32 index of the largest element along `axis` (dropped).
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

} // namespace axon

#endif // AXON_IR_TENSORBUILDER_H
