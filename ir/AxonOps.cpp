// Verifiers of the axon ops. Each checks its op against the shared shape
// rules of ShapeRules.h, so the frontend and the IR agree on every shape.
#include "ir/AxonDialect.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace axon;

#include "ir/AxonEnums.cpp.inc"
#define GET_OP_CLASSES
#include "ir/AxonOps.cpp.inc"

namespace {

shape::Shape toShape(Type type) {
  shape::Shape s;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    s.push_back(ShapedType::isDynamic(d) ? shape::Dim::unknown()
                                         : shape::Dim::of(d));
  return s;
}

std::vector<int64_t> toVector(ArrayRef<int64_t> a) { return {a.begin(), a.end()}; }

/// Checks that the op's declared result type can hold the inferred shape.
LogicalResult checkResult(Operation *op, const shape::Result &inferred,
                          Type resultType) {
  if (!inferred.ok())
    return op->emitOpError(inferred.error);
  shape::Shape declared = toShape(resultType);
  if (!shape::compatible(declared, inferred.shape))
    return op->emitOpError("result shape ")
           << shape::str(declared) << " does not match the inferred shape "
           << shape::str(inferred.shape);
  return success();
}

LogicalResult sameElementType(Operation *op, ArrayRef<Type> types) {
  Type first = cast<ShapedType>(types.front()).getElementType();
  for (Type t : types.drop_front())
    if (cast<ShapedType>(t).getElementType() != first)
      return op->emitOpError("element types differ: ")
             << first << " vs " << cast<ShapedType>(t).getElementType();
  return success();
}

/// The number of `?` dims of a result must equal its dynamic_dims operands.
LogicalResult checkDynamicDims(Operation *op, Type resultType, size_t given) {
  int64_t n = cast<RankedTensorType>(resultType).getNumDynamicDims();
  if (static_cast<size_t>(n) != given)
    return op->emitOpError("result has ")
           << n << " dynamic dims but " << given << " extents are given";
  return success();
}

template <typename BinaryOp>
LogicalResult verifyBinary(BinaryOp op) {
  if (failed(sameElementType(op, {op.getLhs().getType(), op.getRhs().getType(),
                                  op.getType()})))
    return failure();
  return checkResult(op, shape::broadcast(toShape(op.getLhs().getType()),
                                          toShape(op.getRhs().getType())),
                     op.getType());
}

template <typename ReduceOp>
LogicalResult verifyReduce(ReduceOp op) {
  return checkResult(op,
                     shape::reduce(toShape(op.getInput().getType()),
                                   toVector(op.getAxes()), op.getKeepdims()),
                     op.getType());
}

} // namespace

LogicalResult AddOp::verify() { return verifyBinary(*this); }
LogicalResult SubOp::verify() { return verifyBinary(*this); }
LogicalResult MulOp::verify() { return verifyBinary(*this); }
LogicalResult DivOp::verify() { return verifyBinary(*this); }
LogicalResult PowOp::verify() { return verifyBinary(*this); }
LogicalResult MaxOp::verify() { return verifyBinary(*this); }
LogicalResult MinOp::verify() { return verifyBinary(*this); }

LogicalResult CmpOp::verify() {
  if (failed(sameElementType(*this, {getLhs().getType(), getRhs().getType()})))
    return failure();
  return checkResult(*this, shape::broadcast(toShape(getLhs().getType()),
                                             toShape(getRhs().getType())),
                     getType());
}

LogicalResult SelectOp::verify() {
  if (failed(sameElementType(
          *this, {getOnTrue().getType(), getOnFalse().getType(), getType()})))
    return failure();
  shape::Result values = shape::broadcast(toShape(getOnTrue().getType()),
                                          toShape(getOnFalse().getType()));
  if (!values.ok())
    return emitOpError(values.error);
  return checkResult(*this,
                     shape::broadcast(toShape(getCond().getType()), values.shape),
                     getType());
}

LogicalResult CastOp::verify() {
  // Extents may go from static to dynamic and back, but must agree.
  if (!shape::compatible(toShape(getType()), toShape(getInput().getType())))
    return emitOpError("cast must keep the shape: ")
           << shape::str(toShape(getInput().getType())) << " vs "
           << shape::str(toShape(getType()));
  return success();
}

LogicalResult MatmulOp::verify() {
  if (failed(sameElementType(
          *this, {getLhs().getType(), getRhs().getType(), getType()})))
    return failure();
  return checkResult(*this, shape::matmul(toShape(getLhs().getType()),
                                          toShape(getRhs().getType())),
                     getType());
}

LogicalResult Conv2DOp::verify() {
  if (failed(sameElementType(
          *this, {getInput().getType(), getFilter().getType(), getType()})))
    return failure();
  return checkResult(
      *this,
      shape::conv2d(toShape(getInput().getType()), toShape(getFilter().getType()),
                    toVector(getStrides()), toVector(getPadding()),
                    toVector(getDilations()), getGroups()),
      getType());
}

LogicalResult ConvTranspose2DOp::verify() {
  if (failed(sameElementType(
          *this, {getInput().getType(), getFilter().getType(), getType()})))
    return failure();
  return checkResult(*this,
                     shape::convTranspose2d(toShape(getInput().getType()),
                                            toShape(getFilter().getType()),
                                            toVector(getStrides()),
                                            toVector(getPadding()),
                                            toVector(getOutputPadding()),
                                            getGroups()),
                     getType());
}

template <typename PoolOp>
static LogicalResult verifyPool(PoolOp op) {
  if (failed(sameElementType(op, {op.getInput().getType(), op.getType()})))
    return failure();
  return checkResult(op,
                     shape::pool2d(toShape(op.getInput().getType()),
                                   toVector(op.getKernel()),
                                   toVector(op.getStrides()),
                                   toVector(op.getPadding())),
                     op.getType());
}
LogicalResult MaxPool2DOp::verify() { return verifyPool(*this); }
LogicalResult AvgPool2DOp::verify() { return verifyPool(*this); }

LogicalResult SumOp::verify() { return verifyReduce(*this); }
LogicalResult MeanOp::verify() {
  if (!isa<FloatType>(getType().getElementType()))
    return emitOpError("mean needs a floating-point result");
  return verifyReduce(*this);
}
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this); }

LogicalResult ArgmaxOp::verify() {
  return checkResult(*this,
                     shape::reduce(toShape(getInput().getType()),
                                   {getAxis()}, getKeepdims()),
                     getType());
}

template <typename SoftmaxOp>
static LogicalResult verifySoftmax(SoftmaxOp op) {
  if (!shape::normalizeAxis(op.getAxis(), op.getType().getRank()))
    return op.emitOpError("axis ") << op.getAxis() << " is out of range";
  return success();
}
LogicalResult SoftmaxOp::verify() { return verifySoftmax(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmax(*this); }

LogicalResult ReshapeOp::verify() {
  if (failed(sameElementType(*this, {getInput().getType(), getType()})) ||
      failed(checkDynamicDims(*this, getType(), getDynamicDims().size())))
    return failure();
  return checkResult(*this,
                     shape::reshape(toShape(getInput().getType()),
                                    toShape(getType())),
                     getType());
}

LogicalResult TransposeOp::verify() {
  if (failed(sameElementType(*this, {getInput().getType(), getType()})))
    return failure();
  return checkResult(*this,
                     shape::transpose(toShape(getInput().getType()),
                                      toVector(getPerm())),
                     getType());
}

LogicalResult BroadcastOp::verify() {
  if (failed(sameElementType(*this, {getInput().getType(), getType()})) ||
      failed(checkDynamicDims(*this, getType(), getDynamicDims().size())))
    return failure();
  if (!shape::broadcastsTo(toShape(getInput().getType()), toShape(getType())))
    return emitOpError("cannot broadcast ")
           << shape::str(toShape(getInput().getType())) << " to "
           << shape::str(toShape(getType()));
  return success();
}

LogicalResult SliceOp::verify() {
  if (failed(sameElementType(*this, {getInput().getType(), getType()})))
    return failure();
  return checkResult(*this,
                     shape::slice(toShape(getInput().getType()), getAxis(),
                                  getStart(), getLimit(), getStride()),
                     getType());
}

LogicalResult ConcatOp::verify() {
  SmallVector<Type> types(getInputs().getTypes());
  types.push_back(getType());
  if (failed(sameElementType(*this, types)))
    return failure();
  std::vector<shape::Shape> shapes;
  for (Value v : getInputs())
    shapes.push_back(toShape(v.getType()));
  return checkResult(*this, shape::concat(shapes, getAxis()), getType());
}

LogicalResult GatherOp::verify() {
  if (failed(sameElementType(*this, {getTable().getType(), getType()})))
    return failure();
  return checkResult(*this,
                     shape::gather(toShape(getTable().getType()),
                                   toShape(getIndices().getType()), getAxis()),
                     getType());
}

LogicalResult ScatterAddOp::verify() {
  if (getTarget().getType() != getType())
    return emitOpError("result type must equal the target type");
  if (failed(sameElementType(*this, {getTarget().getType(), getUpdates().getType()})))
    return failure();
  shape::Result gathered = shape::gather(toShape(getTarget().getType()),
                                         toShape(getIndices().getType()), getAxis());
  if (!gathered.ok())
    return emitOpError(gathered.error);
  if (!shape::compatible(toShape(getUpdates().getType()), gathered.shape))
    return emitOpError("updates shape ")
           << shape::str(toShape(getUpdates().getType()))
           << " does not match the gathered shape " << shape::str(gathered.shape);
  return success();
}

LogicalResult OneHotOp::verify() {
  return checkResult(*this,
                     shape::oneHot(toShape(getIndices().getType()), getDepth()),
                     getType());
}

LogicalResult DimOp::verify() {
  if (!shape::normalizeAxis(getAxis(), getInput().getType().getRank()))
    return emitOpError("axis ") << getAxis() << " is out of range";
  return success();
}

OpFoldResult DimOp::fold(FoldAdaptor) {
  auto type = getInput().getType();
  int64_t axis = *shape::normalizeAxis(getAxis(), type.getRank());
  if (type.isDynamicDim(axis))
    return {};
  return DenseElementsAttr::get(getType(), type.getDimSize(axis));
}

LogicalResult FillOp::verify() {
  return checkDynamicDims(*this, getType(), getDynamicDims().size());
}

template <typename RandomOp>
static LogicalResult verifyRandom(RandomOp op) {
  return checkDynamicDims(op, op.getType(), op.getDynamicDims().size());
}
LogicalResult RandomUniformOp::verify() {
  if (getLow().convertToDouble() > getHigh().convertToDouble())
    return emitOpError("low must not exceed high");
  return verifyRandom(*this);
}
LogicalResult RandomNormalOp::verify() {
  if (getStd().convertToDouble() < 0)
    return emitOpError("std must be >= 0");
  return verifyRandom(*this);
}
LogicalResult RandomBernoulliOp::verify() {
  if (getP().convertToDouble() < 0 || getP().convertToDouble() > 1)
    return emitOpError("p must be in [0, 1]");
  return verifyRandom(*this);
}

LogicalResult ParamOp::verify() {
  auto type = dyn_cast<RankedTensorType>(getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("parameter type must be a statically shaped tensor");
  if (!isa<FloatType>(type.getElementType()))
    return emitOpError("parameter element type must be floating-point");
  return success();
}

LogicalResult ParamRefOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(*this, getParamAttr());
  if (!param)
    return emitOpError("'") << getParam() << "' does not name an axon.param";
  if (param.getType() != getType())
    return emitOpError("type ") << getType() << " does not match parameter type "
                                << param.getType();
  return success();
}

LogicalResult TrainOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto fn = symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, getLossAttr());
  if (!fn)
    return emitOpError("'") << getLoss() << "' does not name a function";
  if (fn.getFunctionType().getNumResults() != 1 ||
      cast<RankedTensorType>(fn.getFunctionType().getResult(0)).getRank() != 0)
    return emitOpError("loss function '") << getLoss() << "' must return a scalar";
  return success();
}

LogicalResult LoopOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInits().size() + 1)
    return emitOpError("body must take the step and one value per carried value");
  if (body.getArgument(0).getType() != getLower().getType())
    return emitOpError("first body argument must be the rank-0 i64 step");
  for (auto [init, arg, result] :
       llvm::zip(getInits(), body.getArguments().drop_front(), getResults()))
    if (init.getType() != arg.getType() || init.getType() != result.getType())
      return emitOpError("carried value types must match across init, body and results");
  if (getResults().size() != getInits().size())
    return emitOpError("one result per carried value");
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().getTypes() != getInits().getTypes())
    return emitOpError("yield must give one value per carried value, of the same type");
  return success();
}
