// Shape rules (InferShapeOpInterface, InferTypeOpInterface) and verifiers of
// the axon ops. Each rule calls the shared ShapeRules.h, so the frontend and
// the IR agree on every shape; InferShapeOpInterface's verifier checks the
// declared result against the rule, and the ops whose result type the rule
// fixes build without one.
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

RankedTensorType axon::tensorTypeOf(const shape::Shape &s, Type elem) {
  SmallVector<int64_t> dims;
  for (const shape::Dim &d : s)
    dims.push_back(d.isKnown() ? d.value : ShapedType::kDynamic);
  return RankedTensorType::get(dims, elem);
}

bool axon::compatibleResultTypes(TypeRange inferred, TypeRange declared) {
  if (inferred.size() != declared.size())
    return false;
  for (auto [i, d] : llvm::zip(inferred, declared)) {
    auto it = dyn_cast<RankedTensorType>(i), dt = dyn_cast<RankedTensorType>(d);
    if (!it || !dt || it.getElementType() != dt.getElementType() ||
        !shape::compatible(shapeOf(dt), shapeOf(it)))
      return false;
  }
  return true;
}

LogicalResult axon::detail::verifyResultShape(Operation *op) {
  shape::Result inferred = cast<InferShapeOpInterface>(op).inferResultShape();
  if (!inferred.ok())
    return op->emitOpError(inferred.error);
  shape::Shape declared = shapeOf(op->getResult(0).getType());
  if (!shape::compatible(declared, inferred.shape))
    return op->emitOpError("result shape ")
           << shape::str(declared) << " does not match the inferred shape "
           << shape::str(inferred.shape);
  return success();
}

LogicalResult axon::detail::verifyDynamicDims(Operation *op) {
  int64_t n = cast<RankedTensorType>(op->getResult(0).getType()).getNumDynamicDims();
  size_t given = cast<DynamicDimsOpInterface>(op).getDynamicDims().size();
  if (static_cast<size_t>(n) != given)
    return op->emitOpError("result has ")
           << n << " dynamic dims but " << given << " extents are given";
  return success();
}

namespace {

shape::Shape toShape(Type type) { return shapeOf(type); }
shape::Shape toShape(Value v) { return shapeOf(v.getType()); }

std::vector<int64_t> toVector(ArrayRef<int64_t> a) { return {a.begin(), a.end()}; }

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

/// An `axis` attribute in range for `rank`, as the message of a rule.
shape::Result axisInRange(int64_t axis, int64_t rank, shape::Shape result) {
  if (!shape::normalizeAxis(axis, rank))
    return shape::Result::fail("axis " + std::to_string(axis) +
                               " is out of range");
  return {std::move(result), {}};
}

} // namespace

//===----------------------------------------------------------------------===//
// Shape rules of the ops whose result type they infer (Axon_InferResultType):
// functions of the operands and attributes only.
//===----------------------------------------------------------------------===//

#define AXON_BINARY_SHAPE(Op)                                                  \
  shape::Result Op::shapeRule(Adaptor a) {                                     \
    return shape::broadcast(toShape(a.getLhs()), toShape(a.getRhs()));         \
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

shape::Result SelectOp::shapeRule(Adaptor a) {
  shape::Result values =
      shape::broadcast(toShape(a.getOnTrue()), toShape(a.getOnFalse()));
  if (!values.ok())
    return values;
  return shape::broadcast(toShape(a.getCond()), values.shape);
}

shape::Result MatmulOp::shapeRule(Adaptor a) {
  return shape::matmul(toShape(a.getLhs()), toShape(a.getRhs()));
}

shape::Result Conv2DOp::shapeRule(Adaptor a) {
  return shape::conv2d(toShape(a.getInput()), toShape(a.getFilter()),
                       toVector(a.getStrides()), toVector(a.getPadding()),
                       toVector(a.getDilations()), a.getGroups());
}

shape::Result ConvTranspose2DOp::shapeRule(Adaptor a) {
  return shape::convTranspose2d(toShape(a.getInput()), toShape(a.getFilter()),
                                toVector(a.getStrides()),
                                toVector(a.getPadding()),
                                toVector(a.getOutputPadding()), a.getGroups());
}

#define AXON_POOL_SHAPE(Op)                                                    \
  shape::Result Op::shapeRule(Adaptor a) {                                     \
    return shape::pool2d(toShape(a.getInput()), toVector(a.getKernel()),       \
                         toVector(a.getStrides()), toVector(a.getPadding()));  \
  }
AXON_POOL_SHAPE(MaxPool2DOp)
AXON_POOL_SHAPE(AvgPool2DOp)
#undef AXON_POOL_SHAPE

#define AXON_POOL_GRAD_SHAPE(Op)                                               \
  shape::Result Op::shapeRule(Adaptor a) {                                     \
    shape::Result pooled =                                                     \
        shape::pool2d(toShape(a.getInput()), toVector(a.getKernel()),          \
                      toVector(a.getStrides()), toVector(a.getPadding()));     \
    if (!pooled.ok())                                                          \
      return pooled;                                                           \
    if (!shape::compatible(toShape(a.getGrad()), pooled.shape))                \
      return shape::Result::fail(                                              \
          "gradient shape " + shape::str(toShape(a.getGrad())) +               \
          " does not match the pooled shape " + shape::str(pooled.shape));     \
    return {toShape(a.getInput()), {}};                                        \
  }
AXON_POOL_GRAD_SHAPE(MaxPool2DGradOp)
AXON_POOL_GRAD_SHAPE(AvgPool2DGradOp)
#undef AXON_POOL_GRAD_SHAPE

#define AXON_REDUCE_SHAPE(Op)                                                  \
  shape::Result Op::shapeRule(Adaptor a) {                                     \
    return shape::reduce(toShape(a.getInput()), toVector(a.getAxes()),         \
                         a.getKeepdims());                                     \
  }
AXON_REDUCE_SHAPE(SumOp)
AXON_REDUCE_SHAPE(MeanOp)
AXON_REDUCE_SHAPE(ReduceMaxOp)
#undef AXON_REDUCE_SHAPE

shape::Result TransposeOp::shapeRule(Adaptor a) {
  return shape::transpose(toShape(a.getInput()), toVector(a.getPerm()));
}

shape::Result SliceOp::shapeRule(Adaptor a) {
  return shape::slice(toShape(a.getInput()), a.getAxis(), a.getStart(),
                      a.getLimit(), a.getStride());
}

shape::Result InsertSliceOp::shapeRule(Adaptor a) {
  shape::Shape target = toShape(a.getTarget());
  shape::Shape update = toShape(a.getUpdate());
  auto axis = shape::normalizeAxis(a.getAxis(), target.size());
  if (!axis || update.size() != target.size())
    return shape::Result::fail("insert_slice needs an in-range axis and an "
                               "update of the target's rank");
  // I64Attr getters are unsigned: read them as the signed values they hold.
  int64_t start = static_cast<int64_t>(a.getStart());
  int64_t stride = static_cast<int64_t>(a.getStride());
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

shape::Result ConcatOp::shapeRule(Adaptor a) {
  std::vector<shape::Shape> shapes;
  for (Value v : a.getInputs())
    shapes.push_back(toShape(v));
  return shape::concat(shapes, a.getAxis());
}

shape::Result GatherOp::shapeRule(Adaptor a) {
  return shape::gather(toShape(a.getTable()), toShape(a.getIndices()),
                       a.getAxis());
}

shape::Result ScatterAddOp::shapeRule(Adaptor a) {
  shape::Result gathered = shape::gather(toShape(a.getTarget()),
                                         toShape(a.getIndices()), a.getAxis());
  if (!gathered.ok())
    return gathered;
  if (!shape::compatible(toShape(a.getUpdates()), gathered.shape))
    return shape::Result::fail("updates shape " +
                               shape::str(toShape(a.getUpdates())) +
                               " does not match the gathered shape " +
                               shape::str(gathered.shape));
  return {toShape(a.getTarget()), {}};
}

/// The row of `source`: its shape without the first axis.
static shape::Result rowOf(const shape::Shape &source) {
  if (source.empty())
    return shape::Result::fail("needs a tensor with rows (rank >= 1), not a scalar");
  return {shape::Shape(source.begin() + 1, source.end()), {}};
}

shape::Result DynamicRowOp::shapeRule(Adaptor a) {
  return rowOf(toShape(a.getSource()));
}

//===----------------------------------------------------------------------===//
// Shape rules of the other ops: their result type is fixed by ODS (dim,
// softmax), chosen by the builder (argmax's and one_hot's element type), or
// given by the declared result itself (its `?`s are dynamic_dims operands).
//===----------------------------------------------------------------------===//

shape::Result ArgmaxOp::inferResultShape() {
  return shape::reduce(toShape(getInput()), {getAxis()}, getKeepdims());
}

shape::Result OneHotOp::inferResultShape() {
  return shape::oneHot(toShape(getIndices()), getDepth());
}

shape::Result DimOp::inferResultShape() {
  return axisInRange(getAxis(), getInput().getType().getRank(), {});
}

shape::Result SoftmaxOp::inferResultShape() {
  return axisInRange(getAxis(), getType().getRank(), toShape(getInput()));
}
shape::Result LogSoftmaxOp::inferResultShape() {
  return axisInRange(getAxis(), getType().getRank(), toShape(getInput()));
}

/// tril and triu keep a triangle of the last two axes.
static shape::Result lastTwoAxes(shape::Shape input) {
  if (input.size() < 2)
    return shape::Result::fail("needs rank >= 2 (a triangle of the last two "
                               "axes), got " + shape::str(input));
  return {std::move(input), {}};
}
shape::Result TrilOp::inferResultShape() { return lastTwoAxes(toShape(getInput())); }
shape::Result TriuOp::inferResultShape() { return lastTwoAxes(toShape(getInput())); }

shape::Result ScanOp::inferResultShape() {
  return axisInRange(getAxis(), getType().getRank(), toShape(getA()));
}
shape::Result ShiftOp::inferResultShape() {
  return axisInRange(getAxis(), getType().getRank(), toShape(getInput()));
}

shape::Result DynamicUpdateRowOp::inferResultShape() {
  shape::Shape target = toShape(getTarget());
  shape::Result row = rowOf(target);
  if (!row.ok())
    return row;
  shape::Shape update = toShape(getUpdate());
  if (!shape::compatible(update, row.shape))
    return shape::Result::fail("update " + shape::str(update) +
                               " is not a row " + shape::str(row.shape) + " of " +
                               shape::str(target));
  return {target, {}};
}

shape::Result ArangeOp::inferResultShape() {
  if (getType().getRank() != 1)
    return shape::Result::fail("arange gives a 1-D tensor, not " +
                               shape::str(toShape(getType())));
  return {shapeFromDynamicDims(getType(), getDynamicDims()), {}};
}

shape::Result ReshapeOp::inferResultShape() {
  return shape::reshape(toShape(getInput()),
                        shapeFromDynamicDims(getType(), getDynamicDims()));
}

shape::Result BroadcastOp::inferResultShape() {
  shape::Shape target = shapeFromDynamicDims(getType(), getDynamicDims());
  if (!shape::broadcastsTo(toShape(getInput()), target))
    return shape::Result::fail("cannot broadcast " +
                               shape::str(toShape(getInput())) + " to " +
                               shape::str(target));
  return {target, {}};
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
// Verifiers: what the shape rule (InferShapeOpInterface's verifier), the
// element-type traits and the dynamic_dims count do not already check.
//===----------------------------------------------------------------------===//

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

LogicalResult InsertSliceOp::verify() {
  if (getTarget().getType() != getType())
    return emitOpError("result type must equal the target type");
  return success();
}

LogicalResult MeanOp::verify() {
  if (!isa<FloatType>(getType().getElementType()))
    return emitOpError("mean needs a floating-point result");
  return success();
}

OpFoldResult DimOp::fold(FoldAdaptor) {
  auto type = getInput().getType();
  int64_t axis = *shape::normalizeAxis(getAxis(), type.getRank());
  if (type.isDynamicDim(axis))
    return {};
  return DenseElementsAttr::get(getType(), type.getDimSize(axis));
}

LogicalResult ScatterAddOp::verify() {
  if (getTarget().getType() != getType())
    return emitOpError("result type must equal the target type");
  return success();
}

LogicalResult RandomUniformOp::verify() {
  if (getLow().convertToDouble() > getHigh().convertToDouble())
    return emitOpError("low must not exceed high");
  return success();
}
LogicalResult RandomNormalOp::verify() {
  if (getStd().convertToDouble() < 0)
    return emitOpError("std must be >= 0");
  return success();
}
LogicalResult RandomBernoulliOp::verify() {
  if (getP().convertToDouble() < 0 || getP().convertToDouble() > 1)
    return emitOpError("p must be in [0, 1]");
  return success();
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
