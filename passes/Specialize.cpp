// Specialising a model function to static argument shapes.
//
// Model functions are written over symbolic dims (f32[N, 784]); compiled
// kernels and memory plans want every extent known. Like XLA and
// torch.compile, the compiled path specialises per argument shape and keeps
// one plan per shape it has seen. The specialised copy is also flattened
// (calls inlined, constant-trip loops unrolled): a plan is a straight list
// of kernel calls.
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace axon;

namespace {

/// Ops whose trailing operands give the extents of their result's `?`s.
bool takesDynamicDims(Operation *op) {
  return isa<ReshapeOp, BroadcastOp, FillOp, RandomUniformOp, RandomNormalOp,
             RandomBernoulliOp>(op);
}

/// Makes the result of a dynamic_dims op static where all its extents are
/// constants. Returns whether anything changed.
bool staticiseDynamicDims(func::FuncOp fn) {
  bool changed = false;
  fn.walk([&](Operation *op) {
    if (!takesDynamicDims(op))
      return;
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t numDynamic = type.getNumDynamicDims();
    if (numDynamic == 0 || int64_t(op->getNumOperands()) < numDynamic)
      return;
    unsigned firstDim = op->getNumOperands() - numDynamic;
    SmallVector<int64_t> extents;
    for (Value v : op->getOperands().drop_front(firstDim)) {
      DenseIntElementsAttr c;
      if (!matchPattern(v, m_Constant(&c)))
        return;
      int64_t e = (*c.begin()).getSExtValue();
      if (e < 0)
        return; // The verifier-at-run-time case; leave it to report.
      extents.push_back(e);
    }
    SmallVector<int64_t> dims(type.getShape());
    for (size_t i = 0, k = 0; i < dims.size(); ++i)
      if (ShapedType::isDynamic(dims[i]))
        dims[i] = extents[k++];
    SmallVector<Value> fixed(op->getOperands().take_front(firstDim));
    op->setOperands(fixed);
    op->getResult(0).setType(RankedTensorType::get(dims, type.getElementType()));
    changed = true;
  });
  return changed;
}

/// Returns of `fn` read static values directly (axon-infer-shapes leaves
/// casts back to the declared `?` types in front of func.return); the
/// function type follows.
bool staticiseResults(func::FuncOp fn) {
  auto ret = cast<func::ReturnOp>(fn.front().getTerminator());
  bool changed = false;
  for (OpOperand &operand : ret->getOpOperands())
    if (auto cast = operand.get().getDefiningOp<CastOp>())
      if (cast.getInput().getType().getElementType() ==
              cast.getType().getElementType() &&
          cast.getInput().getType().getShape() != cast.getType().getShape()) {
        operand.set(cast.getInput());
        changed = true;
      }
  fn.setFunctionType(FunctionType::get(fn.getContext(),
                                       fn.getArgumentTypes(),
                                       ret.getOperandTypes()));
  return changed;
}

} // namespace

FailureOr<func::FuncOp> axon::specializeFunction(ModuleOp module,
                                                 StringRef name,
                                                 ArrayRef<Type> argTypes,
                                                 StringRef newName) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn || fn.isExternal())
    return module.emitError("no function '") << name << "' with a body";
  if (fn.getNumArguments() != argTypes.size())
    return fn.emitError("'") << name << "' takes " << fn.getNumArguments()
                             << " arguments, got " << argTypes.size();
  for (auto [i, declared, given] :
       llvm::enumerate(fn.getArgumentTypes(), argTypes)) {
    auto d = cast<RankedTensorType>(declared);
    auto g = dyn_cast<RankedTensorType>(given);
    bool fits = g && g.hasStaticShape() && g.getRank() == d.getRank() &&
                g.getElementType() == d.getElementType();
    for (int64_t k = 0; fits && k < d.getRank(); ++k)
      fits = d.isDynamicDim(k) || d.getDimSize(k) == g.getDimSize(k);
    if (!fits)
      return fn.emitError("argument ")
             << i << " of '" << name << "' is " << declared << ", got "
             << given;
  }

  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto spec = cast<func::FuncOp>(b.clone(*fn));
  spec.setName(newName);
  spec.setPrivate();
  for (auto [arg, type] : llvm::zip(spec.getArguments(), argTypes))
    arg.setType(type);
  spec.setFunctionType(FunctionType::get(module.getContext(), argTypes,
                                         spec.getResultTypes()));
  auto fail = [&]() -> FailureOr<func::FuncOp> {
    spec.erase();
    return failure();
  };
  if (failed(inlineCalls(spec.front(), module, "compile")) ||
      failed(unrollLoops(spec.front(), "compile")))
    return fail();

  // Shape inference, folding of axon.dim and friends, and making the
  // dynamic_dims ops static feed each other: iterate to a fixed point.
  for (int round = 0; round < 8; ++round) {
    PassManager pm(module.getContext(), func::FuncOp::getOperationName());
    pm.addPass(createInferShapes());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (failed(pm.run(spec)))
      return fail();
    // Results last: a returned dynamic_dims op that just became static
    // must change the function type with it, before anything verifies.
    bool dims = staticiseDynamicDims(spec);
    bool results = staticiseResults(spec);
    if (!dims && !results)
      break;
  }
  WalkResult dynamic = spec.walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      if (auto rt = dyn_cast<RankedTensorType>(t); rt && !rt.hasStaticShape()) {
        op->emitError("cannot compile '")
            << name << "': an extent of this op's result is only known at "
            << "run time (" << t << ")";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (dynamic.wasInterrupted())
    return fail();
  return spec;
}
