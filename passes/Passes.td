// Passes over the axon dialect. Each has one .cpp in passes/ and a lit test
// in tests/ir/<flag>.mlir.
#ifndef AXON_PASSES_TD
#define AXON_PASSES_TD

include "mlir/Pass/PassBase.td"

def InferShapes : Pass<"axon-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Make `?` extents static wherever the ops' shape rules know them";
  let description = [{
    Model functions are written over symbolic dims (`f32[N, 784]`), so their
    IR is full of `?`. Once a function is specialised (a static argument
    type, or a call inlined with static operands), each op's shape rule
    (InferShapeOpInterface) can tell more. This pass walks the function in
    order and refines every result type to the most static one its rule
    gives; uses that need the old type exactly (func.return, func.call,
    axon.loop, axon.yield) get an `axon.cast` back. Static shapes let the
    backend pick schedules and plan memory at compile time.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def Autodiff : Pass<"axon-autodiff", "::mlir::ModuleOp"> {
  let summary = "Build the bodies of gradient functions by reverse-mode autodiff";
  let description = [{
    Training needs the gradient of a scalar loss with respect to parameters
    (and, for attacks such as FGSM, inputs). The frontend declares each
    gradient it needs as a bodiless function with `axon.grad_of = @f` and
    `axon.wrt = [...]`, returning f's value followed by the gradients. This
    pass fills in the body: f's forward computation (calls inlined, loops
    with constant trip counts unrolled), then a reverse sweep applying each
    op's vector-Jacobian rule (GradientOpInterface) and summing gradients
    where a value has several uses. Ops marked NoGradient (comparisons,
    argmax, random draws) pass no gradient; any other op without a rule is
    reported at its source location. Run canonicalize and CSE afterwards.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

def LowerTrain : Pass<"axon-lower-train", "::mlir::ModuleOp"> {
  let summary = "Compile each train block into a train-step function";
  let description = [{
    A `train` block names a loss, an optimizer and (through the frontend) the
    gradient function of the loss with respect to the trained parameters.
    This pass emits `@<loss>_train_step(<loss args>, %step) -> loss`: the
    gradient call, optional clipping by global norm and weight decay, and
    the optimizer's update (SGD, momentum, Adam with bias correction) as
    axon ops, storing new parameters and optimizer state (new
    `optimizer_state` params) with axon.param_store. The optimizer is thus
    ordinary IR that fusion and the backend treat like the model. Run
    before axon-autodiff.
  }];
  let dependentDialects = ["::axon::AxonDialect"];
}

#endif // AXON_PASSES_TD
