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

#endif // AXON_INTERFACES_TD
