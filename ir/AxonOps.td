// Op definitions of the axon dialect, grouped by family.
#ifndef AXON_OPS_TD
#define AXON_OPS_TD

include "ir/AxonDialect.td"
include "ir/AxonInterfaces.td"
include "ir/AxonAttrs.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

// Ops whose shape rule is the interface's default (shape of operand 0).
defvar InferShapeDefault = DeclareOpInterfaceMethods<Axon_InferShapeOpInterface>;
// Ops that implement their own shape rule in AxonOps.cpp, reading their
// declared result type (its `?`s match dynamic_dims operands) or leaving
// the result's element type to the builder (argmax, one_hot).
defvar InferShape = DeclareOpInterfaceMethods<Axon_InferShapeOpInterface, ["inferResultShape"]>;

// The C++ side of Axon_InferResultType: the op's shape rule is a static
// `shapeRule(Adaptor)` (AxonOps.cpp), so it needs no op instance; it is the
// op's InferShapeOpInterface rule and, with `elementType` (an expression of
// `context`, `operands` and `adaptor`), its InferTypeOpInterface answer.
class Axon_InferredResultTypeTrait<code elementType>
    : NativeOpTrait<"InferredResultType", [], [{
        /// The result shape the operands and attributes imply, or why none.
        static ::axon::shape::Result shapeRule(Adaptor adaptor);
      }], [{
        ::llvm::LogicalResult $cppClass::inferReturnTypes(
            ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
            ::mlir::ValueRange operands, ::mlir::DictionaryAttr attributes,
            ::mlir::OpaqueProperties properties, ::mlir::RegionRange regions,
            ::llvm::SmallVectorImpl<::mlir::Type> &inferredReturnTypes) {
          Adaptor adaptor(operands, attributes, properties, regions);
          ::axon::shape::Result shape = shapeRule(adaptor);
          if (!shape.ok())
            return ::mlir::emitOptionalError(location, "'", getOperationName(),
                                             "' op ", shape.error);
          inferredReturnTypes.push_back(::axon::tensorTypeOf(shape.shape, }] # elementType # [{));
          return ::mlir::success();
        }
        ::axon::shape::Result $cppClass::inferResultShape() {
          return shapeRule(Adaptor(*this));
        }
      }]> {
  let cppNamespace = "::axon::OpTrait";
}

// A declared result type may be more or less refined than the inferred one
// where the shape rule allows (a static extent for a `?`, as
// axon-infer-shapes and specialisation leave them), with the same element
// type: InferTypeOpInterface's check, the same the shape-rule verifier makes.
def Axon_CompatibleResultTypes : NativeOpTrait<"CompatibleResultTypes", [], [{
    static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                        ::mlir::TypeRange declared);
  }], [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange declared) {
      return ::axon::compatibleResultTypes(inferred, declared);
    }
  }]> {
  let cppNamespace = "::axon::OpTrait";
}

// Ops whose result type follows from their operands and attributes: MLIR's
// InferTypeOpInterface (builders without a result type), answered by the
// op's shape rule.
class Axon_InferResultType<code elementType = "::mlir::getElementTypeOrSelf(operands.front())">
    : TraitList<[DeclareOpInterfaceMethods<InferTypeOpInterface>, Axon_CompatibleResultTypes,
                 DeclareOpInterfaceMethods<Axon_InferShapeOpInterface, ["inferResultShape"]>,
                 Axon_InferredResultTypeTrait<elementType>]>;
// The result's element type is that of operand 0 (the common case).
defvar InferResult = Axon_InferResultType<>;
// Ops whose result type ODS already knows (SameOperandsAndResultType, or a
// result constraint with a fixed type): ODS generates inferReturnTypes; the
// shape rule is the interface's default or the op's own.
defvar InferTypeFromODS = TraitList<[DeclareOpInterfaceMethods<InferTypeOpInterface>,
                                     Axon_CompatibleResultTypes]>;
// Differentiable ops: their VJP rule is in AxonGradients.cpp.
defvar Grad = DeclareOpInterfaceMethods<Axon_GradientOpInterface>;

// A rank-0 i64 tensor: a dimension extent, loop bound or RNG counter.
def Axon_I64Scalar : 0DTensorOf<[I64]> {
  let builderCall = "::mlir::RankedTensorType::get({}, $_builder.getI64Type())";
}
def Axon_IntTensor : RankedTensorOf<[AnySignlessInteger]>;
def Axon_FloatTensor : RankedTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Axon_UnaryOp<string mnemonic, string math>
    : Axon_Op<mnemonic, [Pure, Elementwise, Axon_ElementwiseUnaryFamily,
                         SameOperandsAndResultType, InferTypeFromODS, InferShapeDefault,
                         Grad]> {
  let summary = "elementwise " # math;
  let description = "Applies `" # math # "` to every element.";
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Axon_NegOp      : Axon_UnaryOp<"neg", "-x"> { let hasFolder = 1; }
def Axon_ExpOp      : Axon_UnaryOp<"exp", "e^x">;
def Axon_LogOp      : Axon_UnaryOp<"log", "ln(x)">;
def Axon_SqrtOp     : Axon_UnaryOp<"sqrt", "sqrt(x)">;
def Axon_AbsOp      : Axon_UnaryOp<"abs", "|x|">;
def Axon_SinOp      : Axon_UnaryOp<"sin", "sin(x)">;
def Axon_CosOp      : Axon_UnaryOp<"cos", "cos(x)">;
def Axon_TanhOp     : Axon_UnaryOp<"tanh", "tanh(x)">;
def Axon_SigmoidOp  : Axon_UnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Axon_ReluOp     : Axon_UnaryOp<"relu", "max(x, 0)">;
def Axon_SoftplusOp : Axon_UnaryOp<"softplus", "ln(1 + e^x)">;
def Axon_SignOp     : Axon_UnaryOp<"sign", "sign(x) in {-1, 0, 1}">;
def Axon_ErfOp      : Axon_UnaryOp<"erf", "erf(x) = 2/sqrt(pi) * integral of e^(-t^2) from 0 to x">;

//===----------------------------------------------------------------------===//
// Elementwise binary ops with numpy-style broadcasting
//===----------------------------------------------------------------------===//

class Axon_BinaryOp<string mnemonic, string math, list<Trait> traits = []>
    : Axon_Op<mnemonic, !listconcat([Pure, Axon_ElementwiseBinaryFamily,
                                     Axon_Broadcasting, SameOperandsAndResultElementType,
                                     InferResult, Grad], traits)> {
  let summary = "elementwise " # math # " with broadcasting";
  let description = [{
    Operands broadcast numpy-style: shapes align on the right, and an
    extent of 1 stretches to the other operand's extent.
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Axon_AddOp : Axon_BinaryOp<"add", "a + b", [Commutative]> {
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}
def Axon_SubOp : Axon_BinaryOp<"sub", "a - b"> { let hasFolder = 1; }
def Axon_MulOp : Axon_BinaryOp<"mul", "a * b", [Commutative]> { let hasFolder = 1; }
def Axon_DivOp : Axon_BinaryOp<"div", "a / b">;
def Axon_PowOp : Axon_BinaryOp<"pow", "a ^ b">;
def Axon_MaxOp : Axon_BinaryOp<"max", "max(a, b)", [Commutative]> { let hasFolder = 1; }
def Axon_MinOp : Axon_BinaryOp<"min", "min(a, b)", [Commutative]>;

def Axon_CmpPredicate : I64EnumAttr<"CmpPredicate", "comparison predicate", [
    I64EnumAttrCase<"eq", 0>, I64EnumAttrCase<"ne", 1>,
    I64EnumAttrCase<"lt", 2>, I64EnumAttrCase<"le", 3>,
    I64EnumAttrCase<"gt", 4>, I64EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::axon";
}

def Axon_CmpOp : Axon_Op<"cmp", [Pure, Axon_ElementwiseBinaryFamily, Axon_Broadcasting,
                                 Axon_NoGradient, AllElementTypesMatch<["lhs", "rhs"]>,
                                 Axon_InferResultType<"::mlir::IntegerType::get(context, 1)">]> {
  let summary = "elementwise comparison with broadcasting, giving i1";
  let arguments = (ins Axon_CmpPredicate:$predicate, AnyRankedTensor:$lhs,
                       AnyRankedTensor:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Axon_SelectOp : Axon_Op<"select", [Pure, Axon_SelectionFamily, Axon_Broadcasting, Grad,
                                       AllElementTypesMatch<["on_true", "on_false", "result"]>,
                                       Axon_InferResultType<"::mlir::getElementTypeOrSelf(adaptor.getOnTrue())">]> {
  let summary = "elementwise cond ? a : b with broadcasting of all three";
  let arguments = (ins RankedTensorOf<[I1]>:$cond, AnyRankedTensor:$on_true,
                       AnyRankedTensor:$on_false);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $cond `,` $on_true `,` $on_false attr-dict `:` type($cond) `,` type($on_true) `,` type($on_false) `->` type($result)
  }];
  let hasFolder = 1;
}

// tril/triu are ops of their own rather than compositions (a cmp of two
// arange broadcasts and a select): one op in the IR and in the gradient
// (the same mask applied to the incoming gradient), one select on the
// coordinates in the kernel, and they fuse like any injective op. Their
// family is DataMovement, the one whose results depend on coordinates.
class Axon_TriangleOp<string mnemonic, string which, string kept>
    : Axon_Op<mnemonic, [Pure, Axon_DataMovementFamily, SameOperandsAndResultType,
                         InferTypeFromODS, InferShape, Grad]> {
  let summary = "keeps the " # which # " triangle of the last two axes, zero elsewhere";
  let description = "Element [..., i, j] is kept where `" # kept # [{` and is
    zero elsewhere: `k` = 0 is the main diagonal, k > 0 above it, k < 0
    below. The input has rank >= 2.}];
  let arguments = (ins AnyRankedTensor:$input, DefaultValuedAttr<I64Attr, "0">:$k);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Axon_TrilOp : Axon_TriangleOp<"tril", "lower", "j - i <= k">;
def Axon_TriuOp : Axon_TriangleOp<"triu", "upper", "j - i >= k">;

def Axon_CastOp : Axon_Op<"cast", [Pure, Elementwise, Axon_ConversionFamily,
                                   InferShapeDefault, Grad]> {
  let summary = "elementwise conversion to another element type and/or shape refinement";
  let description = [{
    Float to int truncates toward zero; i1 converts to 0/1. The shape may
    change only between compatible forms (a static extent and `?`), which
    lets a call pass a static tensor where a symbolic one is expected.
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions and convolutions
//===----------------------------------------------------------------------===//

def Axon_MatmulOp : Axon_Op<"matmul", [Pure, Axon_ContractionFamily, Grad,
                                       SameOperandsAndResultElementType, InferResult]> {
  let summary = "batched matrix product [..., M, K] x [..., K, N] -> [..., M, N]";
  let description = [{
    Both operands have rank >= 2. Leading (batch) dims broadcast numpy-style,
    as in `numpy.matmul`.
  }];
  let arguments = (ins Axon_FloatTensor:$lhs, Axon_FloatTensor:$rhs);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Axon_Conv2DOp : Axon_Op<"conv2d", [Pure, Axon_ContractionFamily, Grad,
                                       SameOperandsAndResultElementType, InferResult]> {
  let summary = "2-D convolution, NCHW input, OIHW filter";
  let description = [{
    `input` is [N, C, H, W], `filter` is [O, C / groups, KH, KW]; the result
    is [N, O, OH, OW] with OH = (H + 2 * pad_h - dil_h * (KH - 1) - 1) / stride_h + 1.
    Zero padding; bias is a separate broadcasting add.
  }];
  let arguments = (ins Axon_FloatTensor:$input, Axon_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->` type($result)
  }];
}

def Axon_ConvTranspose2DOp : Axon_Op<"conv_transpose2d", [Pure, Axon_ContractionFamily, Grad,
                                                          SameOperandsAndResultElementType,
                                                          InferResult]> {
  let summary = "2-D transposed convolution, NCHW input, IOHW filter";
  let description = [{
    The adjoint of conv2d with respect to its input. `input` is [N, C, H, W],
    `filter` is [C, O / groups, KH, KW]; the result is [N, O, OH, OW] with
    OH = (H - 1) * stride_h - 2 * pad_h + KH + output_padding_h.
  }];
  let arguments = (ins Axon_FloatTensor:$input, Axon_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->` type($result)
  }];
}

class Axon_PoolOp<string mnemonic, string how>
    : Axon_Op<mnemonic, [Pure, Axon_WindowFamily, SameOperandsAndResultElementType,
                         InferResult, Grad]> {
  let summary = how # " pooling over the two trailing dims of NCHW";
  let description = [{
    Window `kernel`, step `strides`, implicit `padding` on both sides.
    Padded positions never win a max and are not counted in an average.
  }];
  let arguments = (ins Axon_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Axon_MaxPool2DOp : Axon_PoolOp<"max_pool2d", "max">;
def Axon_AvgPool2DOp : Axon_PoolOp<"avg_pool2d", "average">;

class Axon_PoolGradOp<string mnemonic, string how>
    : Axon_Op<mnemonic, [Pure, Axon_WindowFamily, SameOperandsAndResultElementType,
                         InferResult]> {
  let summary = "gradient of " # mnemonic # " with respect to its input";
  let description = how # [{
    `grad` has the pooled shape; the result has the input's shape. The
    window attributes are those of the forward op.
  }];
  let arguments = (ins Axon_FloatTensor:$input, Axon_FloatTensor:$grad,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad attr-dict `:` type($input) `,` type($grad) `->` type($result)
  }];
}

def Axon_MaxPool2DGradOp : Axon_PoolGradOp<"max_pool2d_grad",
  "Routes each window's gradient to the input position that won its max (the first in row-major order on ties); positions that win several windows accumulate.">;
def Axon_AvgPool2DGradOp : Axon_PoolGradOp<"avg_pool2d_grad",
  "Spreads each window's gradient evenly over the window's unpadded input positions.">;

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

class Axon_ReduceOp<string mnemonic, string how>
    : Axon_Op<mnemonic, [Pure, Axon_ReductionFamily, SameOperandsAndResultElementType,
                         InferResult, Grad]> {
  let summary = how # " over `axes`";
  let description = [{
    Reduces the listed axes (all axes when the list is empty). With
    `keepdims` the reduced axes stay as extent 1.
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Axon_SumOp : Axon_ReduceOp<"sum", "sum">;
def Axon_MeanOp : Axon_ReduceOp<"mean", "arithmetic mean"> { let hasVerifier = 1; }
def Axon_ReduceMaxOp : Axon_ReduceOp<"reduce_max", "maximum">;

def Axon_ArgmaxOp : Axon_Op<"argmax", [Pure, Axon_ReductionFamily, Axon_NoGradient,
                                       InferShape]> {
  let summary = "index of the largest element along one axis";
  let description = "Ties go to the lowest index. The result is integer.";
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Axon_IntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

class Axon_SoftmaxLikeOp<string mnemonic, string math>
    : Axon_Op<mnemonic, [Pure, Axon_ReductionFamily, SameOperandsAndResultType,
                         InferTypeFromODS, InferShape, Grad]> {
  let summary = math # " along `axis`";
  let description = "Computed stably: the maximum along the axis is subtracted first.";
  let arguments = (ins Axon_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Axon_SoftmaxOp : Axon_SoftmaxLikeOp<"softmax", "exp(x) / sum(exp(x))">;
def Axon_LogSoftmaxOp : Axon_SoftmaxLikeOp<"log_softmax", "x - log(sum(exp(x)))">;

//===----------------------------------------------------------------------===//
// Scans along an axis
//===----------------------------------------------------------------------===//

def Axon_ScanOp : Axon_Op<"scan", [Pure, Axon_ScanFamily, SameOperandsAndResultType,
                                   InferTypeFromODS, InferShape, Grad]> {
  let summary = "linear recurrence h_t = a_t * h_(t-1) + b_t along `axis`";
  let description = [{
    From h_0 = b_0 (a_0 is not read; h_(-1) = 0 without the 0 * inf of a
    literal reading), over same-shaped `a` and `b`: cumsum is a = 1, cumprod
    is a = x with b = x at t = 0 and 0 after; minGRU's h_t = (1 - z_t) h_(t-1)
    + z_t g_t is a = 1 - z, b = z g. With `reverse` it runs from the end as
    the transpose of the forward recurrence with the same `a`:
    h_t = a_(t+1) * h_(t+1) + b_t, h_(T-1) = b_(T-1), which is the forward scan's
    gradient with respect to `b` (and the other way round). Compiled kernels
    scan blocks of the axis independently and then combine the block
    carries in log2(blocks) passes.
  }];
  let arguments = (ins Axon_FloatTensor:$a, Axon_FloatTensor:$b, I64Attr:$axis,
                       UnitAttr:$reverse);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = "$a `,` $b attr-dict `:` type($result)";
}

def Axon_ShiftOp : Axon_Op<"shift", [Pure, Axon_DataMovementFamily, SameOperandsAndResultType,
                                     InferTypeFromODS, InferShape, Grad]> {
  let summary = "moves elements `offset` places along `axis`, filling with zero";
  let description = [{
    result[..., t, ...] = input[..., t - offset, ...] where t - offset is in
    range, zero elsewhere. A shift by -offset is its adjoint; scan's
    gradient reads h_(t-1) through it (a slice cannot drop the last element
    of an axis whose extent is only known at run time).
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis, I64Attr:$offset);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Movement ops
//===----------------------------------------------------------------------===//

def Axon_ReshapeOp : Axon_Op<"reshape", [Pure, Axon_DataMovementFamily, Axon_View,
                                         AllElementTypesMatch<["input", "result"]>,
                                         Axon_DynamicDimsOpInterface, Grad, InferShape]> {
  let summary = "same elements in row-major order, new shape";
  let description = [{
    One `dynamic_dims` operand gives the extent of each `?` of the result,
    in order.
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Axon_I64Scalar>:$dynamic_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`[` $dynamic_dims^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Axon_TransposeOp : Axon_Op<"transpose", [Pure, Axon_DataMovementFamily, Axon_View, Grad,
                                             SameOperandsAndResultElementType, InferResult]> {
  let summary = "permutes dims: result dim i is input dim perm[i]";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Axon_BroadcastOp : Axon_Op<"broadcast", [Pure, Axon_DataMovementFamily, Axon_View,
                                             AllElementTypesMatch<["input", "result"]>,
                                             Axon_DynamicDimsOpInterface, Grad, InferShape]> {
  let summary = "numpy-style broadcast to the result shape";
  let description = [{
    Shapes align on the right; input extents of 1 stretch. One
    `dynamic_dims` operand gives the extent of each `?` of the result.
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Axon_I64Scalar>:$dynamic_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input (`[` $dynamic_dims^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Axon_SliceOp : Axon_Op<"slice", [Pure, Axon_DataMovementFamily, Axon_View, Grad,
                                     SameOperandsAndResultElementType, InferResult]> {
  let summary = "elements start, start+stride, ... < limit along one axis";
  let description = "`limit` may be -1 for the end of the axis.";
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$limit, DefaultValuedAttr<I64Attr, "1">:$stride);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Axon_InsertSliceOp : Axon_Op<"insert_slice", [Pure, Axon_DataMovementFamily, Grad,
                                                  SameOperandsAndResultElementType,
                                                  InferResult]> {
  let summary = "a copy of `target` with a strided slice along one axis replaced";
  let description = [{
    Positions start, start + stride, ... along `axis` take the values of
    `update` (whose extent along `axis` is the slice's length); all other
    positions keep `target`'s. With a zero target it is slice's adjoint.
  }];
  let arguments = (ins AnyRankedTensor:$target, AnyRankedTensor:$update,
                       I64Attr:$axis, I64Attr:$start,
                       DefaultValuedAttr<I64Attr, "1">:$stride);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $update `into` $target attr-dict `:` type($update) `,` type($target) `->` type($result)
  }];
  let hasVerifier = 1;
}

// The shape rule first: it says "needs at least one operand" where the
// element-type trait would only count operands.
def Axon_ConcatOp : Axon_Op<"concat", [Pure, Axon_DataMovementFamily, Grad, InferResult,
                                       SameOperandsAndResultElementType]> {
  let summary = "joins tensors along `axis`";
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
}

def Axon_GatherOp : Axon_Op<"gather", [Pure, Axon_DataMovementFamily, Grad,
                                       AllElementTypesMatch<["table", "result"]>, InferResult]> {
  let summary = "picks slices of `table` along `axis` (embedding lookup)";
  let description = [{
    result shape = table.shape[:axis] ++ indices.shape ++ table.shape[axis+1:].
    Indices out of range are an error at run time.
  }];
  let arguments = (ins AnyRankedTensor:$table, Axon_IntTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $table `[` $indices `]` attr-dict `:` type($table) `,` type($indices) `->` type($result)
  }];
}

def Axon_ScatterAddOp : Axon_Op<"scatter_add", [Pure, Axon_ScatterFamily, Grad,
                                                AllElementTypesMatch<["target", "updates", "result"]>,
                                                InferResult]> {
  let summary = "adds `updates` into a copy of `target` at `indices` (gather's adjoint)";
  let description = [{
    `updates` has the shape gather(target, indices, axis) would give; each
    slice is added to the target slice its index names. Repeated indices
    accumulate.
  }];
  let arguments = (ins AnyRankedTensor:$target, Axon_IntTensor:$indices,
                       AnyRankedTensor:$updates, DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $target `[` $indices `]` `,` $updates attr-dict `:` type($target) `,` type($indices) `,` type($updates) `->` type($result)
  }];
  let hasVerifier = 1;
}

// Rows at a run-time index: what a loop stores per step and reads back in
// its reverse (backprop through time), one row at a time.
def Axon_DynamicRowOp : Axon_Op<"dynamic_row", [Pure, Axon_DataMovementFamily, Grad,
                                                 AllElementTypesMatch<["source", "result"]>,
                                                 InferResult]> {
  let summary = "row `index` of `source` (its first axis), `index` known at run time";
  let description = [{
    result = source[index], of shape source.shape[1:]. An index outside
    [0, source.shape[0]) is an error at run time, as for gather. Reads one
    row whatever the number of rows.
  }];
  let arguments = (ins AnyRankedTensor:$source, Axon_I64Scalar:$index);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $source `[` $index `]` attr-dict `:` type($source) `->` type($result)
  }];
}

def Axon_DynamicUpdateRowOp : Axon_Op<"dynamic_update_row", [
    Pure, Axon_ScatterFamily, Grad, AllTypesMatch<["target", "result"]>,
    AllElementTypesMatch<["target", "update"]>, InferTypeFromODS, InferShape]> {
  let summary = "a copy of `target` with row `index` replaced by `update`";
  let description = [{
    result[index] = update (of shape target.shape[1:]); every other row is
    target's. An index outside [0, target.shape[0]) is an error at run time.
    Compiled, it writes one row into a buffer that already holds `target`:
    the memory planner gives the result the target's buffer where the target
    is not read after it (a loop's carried stack), else the plan copies the
    target there first.
  }];
  let arguments = (ins AnyRankedTensor:$target, Axon_I64Scalar:$index,
                       AnyRankedTensor:$update);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $target `[` $index `]` `,` $update attr-dict `:` type($target) `,` type($update)
  }];
}

def Axon_OneHotOp : Axon_Op<"one_hot", [Pure, Axon_DataMovementFamily, Axon_NoGradient,
                                         InferShape]> {
  let summary = "integer labels [...] to one-hot rows [..., depth]";
  let arguments = (ins Axon_IntTensor:$indices, I64Attr:$depth);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$indices attr-dict `:` type($indices) `->` type($result)";
}

def Axon_DimOp : Axon_Op<"dim", [Pure, Axon_ShapeQueryFamily, Axon_NoGradient,
                                 InferTypeFromODS, InferShape]> {
  let summary = "extent of one axis, as a rank-0 i64 tensor";
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis);
  let results = (outs Axon_I64Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Tensor creation
//===----------------------------------------------------------------------===//

def Axon_ConstantOp : Axon_Op<"constant", [Pure, ConstantLike, Axon_ConstantFamily,
                                           Axon_NoGradient]> {
  let summary = "a constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Axon_FillOp : Axon_Op<"fill", [Pure, Axon_ConstantFamily, Axon_DynamicDimsOpInterface,
                                   Axon_NoGradient, InferShape]> {
  let summary = "a tensor with every element equal to `value`";
  let arguments = (ins F64Attr:$value, Variadic<Axon_I64Scalar>:$dynamic_dims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "(`[` $dynamic_dims^ `]`)? attr-dict `:` type($result)";
}

def Axon_ArangeOp : Axon_Op<"arange", [Pure, Axon_ConstantFamily, Axon_DynamicDimsOpInterface,
                                       Axon_NoGradient, InferShape]> {
  let summary = "start, start + step, start + 2 step, ... as a 1-D tensor";
  let description = [{
    Element i is start + i * step, in the result's element type. The extent
    is static or given by one `dynamic_dims` operand (arange(T) with T a
    symbolic dimension).
  }];
  let arguments = (ins DefaultValuedAttr<F64Attr, "0.0">:$start,
                       DefaultValuedAttr<F64Attr, "1.0">:$step,
                       Variadic<Axon_I64Scalar>:$dynamic_dims);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$result);
  let assemblyFormat = "(`[` $dynamic_dims^ `]`)? attr-dict `:` type($result)";
}

class Axon_RandomOp<string mnemonic, string dist, dag params>
    : Axon_Op<mnemonic, [Pure, Axon_RandomFamily, Axon_DynamicDimsOpInterface,
                         Axon_NoGradient, InferShape]> {
  let summary = "draws from " # dist # " with the counter-based generator";
  let description = [{
    Element i of the result is a pure function of (seed, counter, i) through
    Philox-4x32-10, so the same seed and counter give the same numbers on
    every backend and in forward and backward passes. Pass a different
    `counter` (e.g. a loop's step t) for fresh draws. In a train step,
    `axon-resolve-mode` adds the global step to every draw's counter
    (counter + step * 2^24), so a dropout mask is new at each step.
  }];
  let arguments = !con((ins I64Attr:$seed, Axon_I64Scalar:$counter,
                            Variadic<Axon_I64Scalar>:$dynamic_dims), params);
  let results = (outs Axon_FloatTensor:$result);
  let assemblyFormat = "$counter (`[` $dynamic_dims^ `]`)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Axon_RandomUniformOp : Axon_RandomOp<"random_uniform", "U[low, high)",
    (ins DefaultValuedAttr<F64Attr, "0.0">:$low, DefaultValuedAttr<F64Attr, "1.0">:$high)>;
def Axon_RandomNormalOp : Axon_RandomOp<"random_normal", "N(mean, std^2)",
    (ins DefaultValuedAttr<F64Attr, "0.0">:$mean, DefaultValuedAttr<F64Attr, "1.0">:$std)>;
def Axon_RandomBernoulliOp : Axon_RandomOp<"random_bernoulli", "Bernoulli(p), as 0/1",
    (ins DefaultValuedAttr<F64Attr, "0.5">:$p)>;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Axon_InitKind : I64EnumAttr<"InitKind", "parameter initialiser", [
    I64EnumAttrCase<"zeros", 0>, I64EnumAttrCase<"ones", 1>,
    I64EnumAttrCase<"constant", 2>, I64EnumAttrCase<"uniform", 3>,
    I64EnumAttrCase<"normal", 4>, I64EnumAttrCase<"glorot_uniform", 5>,
    I64EnumAttrCase<"glorot_normal", 6>, I64EnumAttrCase<"he_uniform", 7>,
    I64EnumAttrCase<"he_normal", 8>]> {
  let cppNamespace = "::axon";
}

def Axon_ParamOp : Axon_Op<"param", [Symbol, Axon_StateFamily]> {
  let summary = "a trainable parameter: a module-level tensor with an initialiser";
  let description = [{
    `a` and `b` parametrise the initialiser: the value of `constant`, the
    bounds of `uniform`, mean and std of `normal`. Glorot/He use the fan-in
    and fan-out of the shape (for rank > 2, trailing dims are the receptive
    field, as for conv filters). `seed` makes the initial draw reproducible.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttr:$type, Axon_InitKind:$init,
                       DefaultValuedAttr<F64Attr, "0.0">:$a,
                       DefaultValuedAttr<F64Attr, "0.0">:$b,
                       DefaultValuedAttr<I64Attr, "0">:$seed,
                       UnitAttr:$optimizer_state);
  let assemblyFormat = "$sym_name `:` $type `=` $init attr-dict";
  let hasVerifier = 1;
}

def Axon_ParamRefOp : Axon_Op<"param_ref", [Pure, Axon_StateFamily, Axon_NoGradient,
                                            DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads the current value of a parameter";
  let arguments = (ins FlatSymbolRefAttr:$param);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$param attr-dict `:` type($result)";
}

def Axon_ParamStoreOp : Axon_Op<"param_store", [
    Axon_StateFamily, DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemWrite]>]> {
  let summary = "gives a parameter a new value when the call returns";
  let description = [{
    Reads of the parameter (axon.param_ref) in the same call still see the
    value it had when the call began; all stores take effect together when
    the outermost call returns. So an update rule reads like the math
    (`W <- W + k * (X^T @ X / M - I)`) and an optimizer step can read every
    parameter before writing any.
  }];
  let arguments = (ins FlatSymbolRefAttr:$param, AnyRankedTensor:$value);
  let assemblyFormat = "$value `into` $param attr-dict `:` type($value)";
}

def Axon_TrainOp : Axon_Op<"train", [Axon_StateFamily,
                                     DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "training configuration for a loss function";
  let description = [{
    Keeps the model file's `train` block (data, optimizer, batch, epochs,
    ...) as a typed attribute (ir/AxonAttrs.td), for the optimizer lowering
    and training driver; `<...>` is left out when the block sets nothing.
    `grad_fn` names the gradient function of the loss the frontend declared
    (with respect to the block's parameters); `step_fn` names the function
    `axon-lower-train` built for one optimizer step, absent until then.
  }];
  let arguments = (ins FlatSymbolRefAttr:$loss, Axon_TrainConfigAttr:$config,
                       OptionalAttr<FlatSymbolRefAttr>:$grad_fn,
                       OptionalAttr<FlatSymbolRefAttr>:$step_fn);
  let assemblyFormat = "$loss `` custom<TrainConfig>($config) attr-dict";
}

def Axon_TrainingOp : Axon_Op<"training", [Pure, Axon_StateFamily, Axon_NoGradient]> {
  let summary = "whether the code runs in a train step: the language's `training()`";
  let description = [{
    True in the code a train step runs, false everywhere else (eval_fn,
    predict, a built binary's infer, `grad(...)` outside a train step). A
    function may run in both modes, so the mode belongs to the call, not to
    the function: `axon-resolve-mode` gives each train step its own copy of
    what it calls and replaces every axon.training with a constant, after
    which canonicalize folds the selects that test it. Nothing runs it
    before then (the reference evaluator refuses it).
  }];
  let results = (outs 0DTensorOf<[I1]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Loops over time
//===----------------------------------------------------------------------===//

def Axon_LoopOp : Axon_Op<"loop", [
    Axon_ControlFamily, SingleBlockImplicitTerminator<"YieldOp">,
    RecursiveMemoryEffects]> {
  let summary = "for t in [lower, upper): carried values flow from one step to the next";
  let description = [{
    The body block takes the step `t` (rank-0 i64) and the carried values;
    `axon.yield` gives the carried values of the next step. The results are
    the carried values after the last step (the initial ones when no step
    runs). Autodiff differentiates it as backprop through time.
  }];
  let arguments = (ins Axon_I64Scalar:$lower, Axon_I64Scalar:$upper,
                       Variadic<AnyRankedTensor>:$inits);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $lower `to` $upper (`carry` `(` $inits^ `:` type($inits) `)`)? $body attr-dict (`->` type($results)^)?
  }];
  let hasVerifier = 1;
}

def Axon_YieldOp : Axon_Op<"yield", [Pure, Axon_ControlFamily, Terminator, ReturnLike,
                                     HasParent<"LoopOp">]> {
  let summary = "carried values of the next loop step";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* no carried values */ }]>];
}

//===----------------------------------------------------------------------===//
// Fused kernels (formed by axon-fuse)
//===----------------------------------------------------------------------===//

def Axon_KernelKind : I32EnumAttr<"KernelKind", "the fusion rule that formed a kernel", [
    I32EnumAttrCase<"injective", 0>, I32EnumAttrCase<"reduction", 1>,
    I32EnumAttrCase<"contraction", 2>, I32EnumAttrCase<"window", 3>,
    I32EnumAttrCase<"single", 4>]> {
  let cppNamespace = "::axon";
}

def Axon_KernelOp : Axon_Op<"kernel", [
    Axon_ControlFamily, Axon_NoGradient, IsolatedFromAbove,
    SingleBlockImplicitTerminator<"KernelYieldOp">,
    RecursiveMemoryEffects]> {
  let summary = "a fused kernel: ops the backend compiles into one pipeline";
  let description = [{
    Formed by `axon-fuse`. The body block takes one argument per operand and
    holds the fused ops; `axon.kernel_yield` gives the results, the values
    the rest of the function reads. `sym_name` names the kernel in plans,
    profiles and generated code; `kind` says which fusion rule formed it
    (`injective`, `reduction`, `contraction`, `window`, `single`), which is also how
    the backend picks its schedule. Isolated from above: everything the body
    reads comes in as an operand, so a kernel can be compiled alone.
  }];
  let arguments = (ins StrAttr:$sym_name, Axon_KernelKind:$kind,
                       Variadic<AnyRankedTensor>:$inputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  // The kind is written as a string ("injective"), as before it was an enum.
  let assemblyFormat = [{
    $sym_name custom<QuotedKernelKind>($kind) (`(` $inputs^ `:` type($inputs) `)`)? $body attr-dict `->` type($results)
  }];
  let hasVerifier = 1;
}

def Axon_KernelYieldOp : Axon_Op<"kernel_yield", [Pure, Axon_ControlFamily, Axon_NoGradient,
                                                  Terminator, ReturnLike, HasParent<"KernelOp">]> {
  let summary = "the results of a fused kernel";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ /* no results */ }]>];
}

#endif // AXON_OPS_TD
