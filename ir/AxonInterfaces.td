// Op interfaces of the axon dialect.
#ifndef AXON_INTERFACES_TD
#define AXON_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Axon_InferShapeOpInterface : OpInterface<"InferShapeOpInterface"> {
  let cppNamespace = "::axon";
  let description = [{
    An op's shape rule: the result shape its operand types and attributes
    imply, with unknown extents where only run time can tell. The verifier
    checks the declared result type against it, and `axon-infer-shapes`
    uses it to make `?` extents static wherever the rule knows them. The
    rules themselves live in ir/ShapeRules.h, shared with the frontend.
  }];
  let methods = [
    InterfaceMethod<"The result shape implied by the operands, or an error.",
      "::axon::shape::Result", "inferResultShape", (ins), [{}], [{
        // Default: elementwise on one operand, the shape passes through.
        return ::axon::shape::Result{::axon::shapeOf($_op->getOperand(0).getType()), {}};
      }]>
  ];
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

// The op's results are piecewise constant in its operands (or do not
// depend on them at all): autodiff propagates no gradient through it.
def Axon_NoGradient : NativeOpTrait<"NoGradient"> {
  let cppNamespace = "::axon::OpTrait";
}

#endif // AXON_INTERFACES_TD
