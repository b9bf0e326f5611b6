// Op interfaces of the axon dialect.
#ifndef AXON_INTERFACES_TD
#define AXON_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Axon_InferShapeOpInterface : OpInterface<"InferShapeOpInterface"> {
  let cppNamespace = "::axon";
  let description = [{
    An op's shape rule: the result shape its operand types and attributes
    imply, with unknown extents where only run time can tell. Its verifier
    checks the declared result type against it (before the op's own
    verifier), and `axon-infer-shapes` uses it to make `?` extents static
    wherever the rule knows them. The rules themselves live in
    ir/ShapeRules.h, shared with the frontend; ops whose whole result type
    follows from the rule also answer MLIR's InferTypeOpInterface through
    it (Axon_InferResultType).
  }];
  let methods = [
    InterfaceMethod<"The result shape implied by the operands, or an error.",
      "::axon::shape::Result", "inferResultShape", (ins), [{}], [{
        // Default: elementwise on one operand, the shape passes through.
        return ::axon::shape::Result{::axon::shapeOf($_op->getOperand(0).getType()), {}};
      }]>
  ];
  let verify = [{ return ::axon::detail::verifyResultShape($_op); }];
}

def Axon_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::axon";
  let description = [{
    A differentiable op's vector-Jacobian product, written in axon ops, so
    reverse-mode autodiff is one generic pass (passes/Autodiff.cpp) and the
    gradient graph is ordinary IR. Ops through which no gradient flows
    (comparisons, argmax, random draws, ...) carry the NoGradient trait
    instead; an op with neither cannot be differentiated, and the pass says
    so at its source location.
  }];
  let methods = [
    InterfaceMethod<[{
        Given the gradient of the loss with respect to each result (a null
        value where a result does not reach the loss), sets `operandGrads`
        to the gradient with respect to each operand: one entry per
        operand, null where none flows (integer indices, dynamic extents).
        Gradients have their operand's type. Fails (with a diagnostic) for
        a configuration the rule does not cover.
      }],
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

def Axon_DynamicDimsOpInterface : OpInterface<"DynamicDimsOpInterface"> {
  let cppNamespace = "::axon";
  let description = [{
    An op whose `dynamic_dims` operands give the extent of each `?` of its
    result, in order: its result type cannot be inferred from its other
    operands, so shape refinement keeps the `?`s matched to those operands.
  }];
  let methods = [
    InterfaceMethod<"The operands giving the result's `?` extents.",
      "::mlir::OperandRange", "getDynamicDims", (ins), [{
        return $_op.getDynamicDims();
      }]>
  ];
  // One extent per `?`, checked before the shape rule reads them.
  let verify = [{ return ::axon::detail::verifyDynamicDims($_op); }];
}

// The op's results are piecewise constant in its operands (or do not
// depend on them at all): autodiff propagates no gradient through it.
def Axon_NoGradient : NativeOpTrait<"NoGradient"> {
  let cppNamespace = "::axon::OpTrait";
}

//===----------------------------------------------------------------------===//
// Op families (ir/OpFamily.h): every op has exactly one, which passes,
// the evaluator and the backends read instead of lists of ops.
//===----------------------------------------------------------------------===//

class Axon_Family<string name>
    : ParamNativeOpTrait<"Family", "::axon::OpFamily::" # name> {
  let cppNamespace = "::axon::OpTrait";
}
def Axon_ElementwiseUnaryFamily : Axon_Family<"ElementwiseUnary">;
def Axon_ElementwiseBinaryFamily : Axon_Family<"ElementwiseBinary">;
def Axon_SelectionFamily : Axon_Family<"Selection">;
def Axon_ConversionFamily : Axon_Family<"Conversion">;
def Axon_DataMovementFamily : Axon_Family<"DataMovement">;
def Axon_ConstantFamily : Axon_Family<"Constant">;
def Axon_RandomFamily : Axon_Family<"Random">;
def Axon_ReductionFamily : Axon_Family<"Reduction">;
def Axon_ContractionFamily : Axon_Family<"Contraction">;
def Axon_WindowFamily : Axon_Family<"Window">;
def Axon_ScatterFamily : Axon_Family<"Scatter">;
def Axon_ScanFamily : Axon_Family<"Scan">;
def Axon_ShapeQueryFamily : Axon_Family<"ShapeQuery">;
def Axon_StateFamily : Axon_Family<"State">;
def Axon_ControlFamily : Axon_Family<"Control">;

// All operands broadcast numpy-style to the result's shape.
def Axon_Broadcasting : NativeOpTrait<"Broadcasting"> {
  let cppNamespace = "::axon::OpTrait";
}

// Each result element is one element of operand 0, moved (no arithmetic):
// transpose, reshape, broadcast, slice.
def Axon_View : NativeOpTrait<"View"> {
  let cppNamespace = "::axon::OpTrait";
}

#endif // AXON_INTERFACES_TD
