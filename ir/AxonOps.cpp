// Shape rules (InferShapeOpInterface) and verifiers of the axon ops. Each
// rule calls the shared ShapeRules.h, so the frontend and the IR agree on
// every shape; each verifier checks the declared result against its rule.
#include "ir/AxonDialect.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace axon;

#include "mlir/IR/Matchers.h"

/// axon.kernel's kind, written as a quoted string ("injective").
static ParseResult parseQuotedKernelKind(OpAsmParser &parser,
                                         KernelKindAttr &kind) {
  std::string text;
  SMLoc at = parser.getCurrentLocation();
  if (parser.parseString(&text))
    return failure();
  std::optional<KernelKind> value = symbolizeKernelKind(text);
  if (!value)
    return parser.emitError(at, "unknown kernel kind '") << text << "'";
  kind = KernelKindAttr::get(parser.getContext(), *value);
  return success();
}
static void printQuotedKernelKind(OpAsmPrinter &p, Operation *,
                                  KernelKindAttr kind) {
  p << '"' << stringifyKernelKind(kind.getValue()) << '"';
}

#include "ir/AxonEnums.cpp.inc"
#include "ir/AxonInterfaces.cpp.inc"
#define GET_OP_CLASSES
#include "ir/AxonOps.cpp.inc"

namespace {
/// The family among 0..N-1 whose trait `name` carries.
template <int... F>
std::optional<OpFamily> declaredFamily(OperationName name,
                                       std::integer_sequence<int, F...>) {
  std::optional<OpFamily> found;
  ((name.hasTrait<axon::OpTrait::Family<static_cast<OpFamily>(F)>::template Impl>()
        ? void(found = OpFamily(F))
        : void()),
   ...);
  return found;
}
} // namespace

std::optional<OpFamily> axon::familyOf(OperationName name) {
  return declaredFamily(name, std::make_integer_sequence<int, kNumOpFamilies>());
}

shape::Shape axon::shapeOf(Type type) {
  shape::Shape s;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    s.push_back(ShapedType::isDynamic(d) ? shape::Dim::unknown()
                                         : shape::Dim::of(d));
  return s;
}

namespace {

shape::Shape toShape(Type type) { return shapeOf(type); }

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

/// The declared shape with `?` extents replaced by constant dynamic_dims
/// operands where those are known constants.
shape::Shape shapeFromDynamicDims(Type resultType, ValueRange dynamicDims) {
  shape::Shape s = toShape(resultType);
  size_t next = 0;
  for (shape::Dim &d : s) {
    if (d.isKnown() || next >= dynamicDims.size())
      continue;
    DenseIntElementsAttr value;
    if (matchPattern(dynamicDims[next++], m_Constant(&value)))
      d = shape::Dim::of((*value.begin()).getSExtValue());
  }
  return s;
}

std::vector<int64_t> allAxes(ArrayRef<int64_t> axes) { return toVector(axes); }

/// The common verifier: element types agree, the rule holds, and the
/// declared result can hold what the rule infers.
LogicalResult verifyShape(Operation *op, ArrayRef<Type> sameElementTypes) {
  if (!sameElementTypes.empty() && failed(sameElementType(op, sameElementTypes)))
    return failure();
  return checkResult(op, cast<InferShapeOpInterface>(op).inferResultShape(),
                     op->getResult(0).getType());
}

} // namespace

//===----------------------------------------------------------------------===//
// Shape rules
//===----------------------------------------------------------------------===//

#define AXON_BINARY_SHAPE(Op)                                                  \
  shape::Result Op::inferResultShape() {                                       \
    return shape::broadcast(toShape(getLhs().getType()),                       \
                            toShape(getRhs().getType()));                      \
  }
AXON_BINARY_SHAPE(AddOp)
AXON_BINARY_SHAPE(SubOp)
AXON_BINARY_SHAPE(MulOp)
AXON_BINARY_SHAPE(DivOp)
AXON_BINARY_SHAPE(PowOp)
AXON_BINARY_SHAPE(MaxOp)
AXON_BINARY_SHAPE(MinOp)
AXON_BINARY_SHAPE(CmpOp)
#undef AXON_BINARY_SHAPE

shape::Result SelectOp::inferResultShape() {
  shape::Result values = shape::broadcast(toShape(getOnTrue().getType()),
                                          toShape(getOnFalse().getType()));
  if (!values.ok())
    return values;
  return shape::broadcast(toShape(getCond().getType()), values.shape);
}

shape::Result MatmulOp::inferResultShape() {
  return shape::matmul(toShape(getLhs().getType()), toShape(getRhs().getType()));
}

shape::Result Conv2DOp::inferResultShape() {
  return shape::conv2d(toShape(getInput().getType()),
                       toShape(getFilter().getType()), toVector(getStrides()),
                       toVector(getPadding()), toVector(getDilations()),
                       getGroups());
}

shape::Result ConvTranspose2DOp::inferResultShape() {
  return shape::convTranspose2d(
      toShape(getInput().getType()), toShape(getFilter().getType()),
      toVector(getStrides()), toVector(getPadding()),
      toVector(getOutputPadding()), getGroups());
}

#define AXON_POOL_SHAPE(Op)                                                    \
  shape::Result Op::inferResultShape() {                                       \
    return shape::pool2d(toShape(getInput().getType()), toVector(getKernel()), \
                         toVector(getStrides()), toVector(getPadding()));      \
  }
AXON_POOL_SHAPE(MaxPool2DOp)
AXON_POOL_SHAPE(AvgPool2DOp)
#undef AXON_POOL_SHAPE

#define AXON_POOL_GRAD_SHAPE(Op)                                               \
  shape::Result Op::inferResultShape() {                                       \
    shape::Result pooled =                                                     \
        shape::pool2d(toShape(getInput().getType()), toVector(getKernel()),    \
                      toVector(getStrides()), toVector(getPadding()));         \
    if (!pooled.ok())                                                          \
      return pooled;                                                           \
    if (!shape::compatible(toShape(getGrad().getType()), pooled.shape))        \
      return shape::Result::fail(                                              \
          "gradient shape " + shape::str(toShape(getGrad().getType())) +       \
          " does not match the pooled shape " + shape::str(pooled.shape));     \
    return {toShape(getInput().getType()), {}};                                \
  }
AXON_POOL_GRAD_SHAPE(MaxPool2DGradOp)
AXON_POOL_GRAD_SHAPE(AvgPool2DGradOp)
#undef AXON_POOL_GRAD_SHAPE

#define AXON_REDUCE_SHAPE(Op)                                                  \
  shape::Result Op::inferResultShape() {                                       \
    return shape::reduce(toShape(getInput().getType()), allAxes(getAxes()),    \
                         getKeepdims());                                       \
  }
AXON_REDUCE_SHAPE(SumOp)
AXON_REDUCE_SHAPE(MeanOp)
AXON_REDUCE_SHAPE(ReduceMaxOp)
#undef AXON_REDUCE_SHAPE

shape::Result ArgmaxOp::inferResultShape() {
  return shape::reduce(toShape(getInput().getType()), {getAxis()},
                       getKeepdims());
}

shape::Result ReshapeOp::inferResultShape() {
  return shape::reshape(toShape(getInput().getType()),
                        shapeFromDynamicDims(getType(), getDynamicDims()));
}

shape::Result TransposeOp::inferResultShape() {
  return shape::transpose(toShape(getInput().getType()), toVector(getPerm()));
}

shape::Result BroadcastOp::inferResultShape() {
  shape::Shape target = shapeFromDynamicDims(getType(), getDynamicDims());
  if (!shape::broadcastsTo(toShape(getInput().getType()), target))
    return shape::Result::fail("cannot broadcast " +
                               shape::str(toShape(getInput().getType())) +
                               " to " + shape::str(target));
  return {target, {}};
}

shape::Result SliceOp::inferResultShape() {
  return shape::slice(toShape(getInput().getType()), getAxis(), getStart(),
                      getLimit(), getStride());
}

shape::Result InsertSliceOp::inferResultShape() {
  shape::Shape target = toShape(getTarget().getType());
  shape::Shape update = toShape(getUpdate().getType());
  auto axis = shape::normalizeAxis(getAxis(), target.size());
  if (!axis || update.size() != target.size())
    return shape::Result::fail("insert_slice needs an in-range axis and an "
                               "update of the target's rank");
  // I64Attr getters are unsigned: read them as the signed values they hold.
  int64_t start = static_cast<int64_t>(getStart());
  int64_t stride = static_cast<int64_t>(getStride());
  if (start < 0 || stride < 1)
    return shape::Result::fail("insert_slice needs start >= 0 and stride >= 1");
  for (size_t i = 0; i < target.size(); ++i) {
    if (static_cast<int64_t>(i) != *axis) {
      if (!shape::unify(target[i], update[i]))
        return shape::Result::fail("update " + shape::str(update) +
                                   " does not fit target " + shape::str(target));
      continue;
    }
    const shape::Dim &n = update[i], &t = target[i];
    if (n.isKnown() && t.isKnown() && n.value > 0 &&
        start + (n.value - 1) * stride >= t.value)
      return shape::Result::fail("update " + shape::str(update) +
                                 " runs past the end of axis " +
                                 std::to_string(*axis) + " of " +
                                 shape::str(target));
  }
  return {target, {}};
}

shape::Result ConcatOp::inferResultShape() {
  std::vector<shape::Shape> shapes;
  for (Value v : getInputs())
    shapes.push_back(toShape(v.getType()));
  return shape::concat(shapes, getAxis());
}

shape::Result GatherOp::inferResultShape() {
  return shape::gather(toShape(getTable().getType()),
                       toShape(getIndices().getType()), getAxis());
}

shape::Result ScatterAddOp::inferResultShape() {
  shape::Result gathered = shape::gather(toShape(getTarget().getType()),
                                         toShape(getIndices().getType()), getAxis());
  if (!gathered.ok())
    return gathered;
  if (!shape::compatible(toShape(getUpdates().getType()), gathered.shape))
    return shape::Result::fail("updates shape " +
                               shape::str(toShape(getUpdates().getType())) +
                               " does not match the gathered shape " +
                               shape::str(gathered.shape));
  return {toShape(getTarget().getType()), {}};
}

shape::Result OneHotOp::inferResultShape() {
  return shape::oneHot(toShape(getIndices().getType()), getDepth());
}

shape::Result DimOp::inferResultShape() {
  int64_t axis = static_cast<int64_t>(getAxis());
  if (!shape::normalizeAxis(axis, getInput().getType().getRank()))
    return shape::Result::fail("axis " + std::to_string(axis) +
                               " is out of range");
  return {{}, {}};
}

shape::Result FillOp::inferResultShape() {
  return {shapeFromDynamicDims(getType(), getDynamicDims()), {}};
}

#define AXON_RANDOM_SHAPE(Op)                                                  \
  shape::Result Op::inferResultShape() {                                       \
    return {shapeFromDynamicDims(getType(), getDynamicDims()), {}};            \
  }
AXON_RANDOM_SHAPE(RandomUniformOp)
AXON_RANDOM_SHAPE(RandomNormalOp)
AXON_RANDOM_SHAPE(RandomBernoulliOp)
#undef AXON_RANDOM_SHAPE

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

#define AXON_BINARY_VERIFY(Op)                                                 \
  LogicalResult Op::verify() {                                                 \
    return verifyShape(*this, {getLhs().getType(), getRhs().getType(),        \
                               getType()});                                    \
  }
AXON_BINARY_VERIFY(AddOp)
AXON_BINARY_VERIFY(SubOp)
AXON_BINARY_VERIFY(MulOp)
AXON_BINARY_VERIFY(DivOp)
AXON_BINARY_VERIFY(PowOp)
AXON_BINARY_VERIFY(MaxOp)
AXON_BINARY_VERIFY(MinOp)
#undef AXON_BINARY_VERIFY

LogicalResult CmpOp::verify() {
  return verifyShape(*this, {getLhs().getType(), getRhs().getType()});
}

LogicalResult SelectOp::verify() {
  return verifyShape(*this, {getOnTrue().getType(), getOnFalse().getType(),
                             getType()});
}

LogicalResult CastOp::verify() {
  // Extents may go from static to dynamic and back, but must agree.
  if (!shape::compatible(toShape(getType()), toShape(getInput().getType())))
    return emitOpError("cast must keep the shape: ")
           << shape::str(toShape(getInput().getType())) << " vs "
           << shape::str(toShape(getType()));
  return success();
}

// A cast to the same type is the identity; a chain of shape-only casts
// (same element type) collapses to one.
OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto inner = getInput().getDefiningOp<CastOp>();
  if (inner && inner.getInput().getType() == getType() &&
      getInput().getType().getElementType() == getType().getElementType())
    return inner.getInput();
  return {};
}

LogicalResult MatmulOp::verify() {
  return verifyShape(*this, {getLhs().getType(), getRhs().getType(), getType()});
}

LogicalResult Conv2DOp::verify() {
  return verifyShape(*this,
                     {getInput().getType(), getFilter().getType(), getType()});
}

LogicalResult ConvTranspose2DOp::verify() {
  return verifyShape(*this,
                     {getInput().getType(), getFilter().getType(), getType()});
}

LogicalResult MaxPool2DOp::verify() {
  return verifyShape(*this, {getInput().getType(), getType()});
}
LogicalResult AvgPool2DOp::verify() {
  return verifyShape(*this, {getInput().getType(), getType()});
}

LogicalResult MaxPool2DGradOp::verify() {
  return verifyShape(*this, {getInput().getType(), getGrad().getType(), getType()});
}
LogicalResult AvgPool2DGradOp::verify() {
  return verifyShape(*this, {getInput().getType(), getGrad().getType(), getType()});
}

LogicalResult InsertSliceOp::verify() {
  if (getTarget().getType() != getType())
    return emitOpError("result type must equal the target type");
  return verifyShape(*this, {getTarget().getType(), getUpdate().getType()});
}

LogicalResult SumOp::verify() {
  return verifyShape(*this, {getInput().getType(), getType()});
}
LogicalResult MeanOp::verify() {
  if (!isa<FloatType>(getType().getElementType()))
    return emitOpError("mean needs a floating-point result");
  return verifyShape(*this, {getInput().getType(), getType()});
}
LogicalResult ReduceMaxOp::verify() {
  return verifyShape(*this, {getInput().getType(), getType()});
}
LogicalResult ArgmaxOp::verify() { return verifyShape(*this, {}); }

template <typename SoftmaxOp>
static LogicalResult verifySoftmax(SoftmaxOp op) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (!shape::normalizeAxis(axis, op.getType().getRank()))
    return op.emitOpError("axis ") << axis << " is out of range";
  return success();
}
LogicalResult SoftmaxOp::verify() { return verifySoftmax(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmax(*this); }

LogicalResult ReshapeOp::verify() {
  if (failed(checkDynamicDims(*this, getType(), getDynamicDims().size())))
    return failure();
  return verifyShape(*this, {getInput().getType(), getType()});
}

LogicalResult TransposeOp::verify() {
  return verifyShape(*this, {getInput().getType(), getType()});
}

LogicalResult BroadcastOp::verify() {
  if (failed(checkDynamicDims(*this, getType(), getDynamicDims().size())))
    return failure();
  return verifyShape(*this, {getInput().getType(), getType()});
}

LogicalResult SliceOp::verify() {
  return verifyShape(*this, {getInput().getType(), getType()});
}

LogicalResult ConcatOp::verify() {
  SmallVector<Type> types(getInputs().getTypes());
  types.push_back(getType());
  return verifyShape(*this, types);
}

LogicalResult GatherOp::verify() {
  return verifyShape(*this, {getTable().getType(), getType()});
}

LogicalResult ScatterAddOp::verify() {
  if (getTarget().getType() != getType())
    return emitOpError("result type must equal the target type");
  return verifyShape(*this, {getTarget().getType(), getUpdates().getType()});
}

LogicalResult OneHotOp::verify() { return verifyShape(*this, {}); }
LogicalResult DimOp::verify() { return verifyShape(*this, {}); }

OpFoldResult DimOp::fold(FoldAdaptor) {
  auto type = getInput().getType();
  int64_t axis = *shape::normalizeAxis(getAxis(), type.getRank());
  if (type.isDynamicDim(axis))
    return {};
  return DenseElementsAttr::get(getType(), type.getDimSize(axis));
}

LogicalResult FillOp::verify() {
  if (failed(checkDynamicDims(*this, getType(), getDynamicDims().size())))
    return failure();
  return verifyShape(*this, {});
}

template <typename RandomOp>
static LogicalResult verifyRandom(RandomOp op) {
  if (failed(checkDynamicDims(op, op.getType(), op.getDynamicDims().size())))
    return failure();
  return verifyShape(op, {});
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

LogicalResult ParamStoreOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(*this, getParamAttr());
  if (!param)
    return emitOpError("'") << getParam() << "' does not name an axon.param";
  if (param.getType() != getValue().getType())
    return emitOpError("value type ") << getValue().getType()
                                      << " does not match parameter type "
                                      << param.getType();
  return success();
}

LogicalResult TrainOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto fn = symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, getLossAttr());
  if (!fn)
    return emitOpError("'") << getLoss() << "' does not name a function";
  auto result = fn.getFunctionType().getNumResults() == 1
                    ? dyn_cast<RankedTensorType>(fn.getFunctionType().getResult(0))
                    : RankedTensorType();
  if (!result || result.getRank() != 0 || !isa<FloatType>(result.getElementType()))
    return emitOpError("loss function '") << getLoss() << "' must return a scalar";
  for (auto [what, fn] : {std::pair{"step_fn", getStepFnAttr()},
                          {"grad_fn", getGradFnAttr()},
                          {"eval_fn", getConfig().getEvalFn()}})
    if (fn && !symbols.lookupNearestSymbolFrom<func::FuncOp>(*this, fn))
      return emitOpError(what) << " '" << fn.getValue() << "' does not name a function";
  for (FlatSymbolRefAttr p : getConfig().getParams())
    if (!symbols.lookupNearestSymbolFrom<ParamOp>(*this, p))
      return emitOpError("params: '") << p.getValue() << "' does not name an axon.param";
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

LogicalResult KernelOp::verify() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError("body must take one argument per input, of the same type");
  auto yield = cast<KernelYieldOp>(body.getTerminator());
  if (yield.getValues().getTypes() != getResults().getTypes())
    return emitOpError("kernel_yield must give one value per result, of the same type");
  if (getSymName().empty())
    return emitOpError("needs a name");
  return success();
}
