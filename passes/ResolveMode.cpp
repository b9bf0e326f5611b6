// axon-resolve-mode: decides the language's training() and gives a train
// step's random draws fresh numbers at every step.
//
// training() (axon.training) is true in the code a train step runs and
// false in every other call: eval_fn, predict, a built binary's infer,
// grad(...) outside a train step. A function can run in both modes (the
// loss's forward is predict's forward), so a train step that reaches an
// axon.training or a random draw gets the bodies it calls inlined, a copy
// of its own. There axon.training becomes true and each draw's counter c
// becomes c + step * 2^24: a dropout mask is new at every step and fixed
// by the seed and the global step, so a resumed run draws what the
// uninterrupted one drew; a draw in a loop (counter = t) still differs per
// t; and autodiff's reverse loops, which recompute the forward draws with
// the same counter expressions, still see the very same numbers. Counters
// in [0, 2^24) stay distinct for 2^29 steps, within the 2^53 up to which
// the reference evaluator's doubles hold an i64 exactly. Every other
// axon.training becomes false; canonicalize then folds the selects on it,
// so an inference kernel never computes a mask.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace axon {
#define GEN_PASS_DEF_RESOLVEMODE
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

/// log2 of the factor the step is scaled by before it joins a counter.
constexpr int kStepShift = 24;

bool dependsOnMode(Operation *op) {
  return isa<TrainingOp>(op) || familyOf(op) == OpFamily::Random;
}

/// Whether `fn`, or a function it calls, holds a draw or an axon.training.
bool reachesModeDependentOp(func::FuncOp fn, ModuleOp module,
                            DenseSet<Operation *> &seen) {
  if (!seen.insert(fn).second)
    return false;
  WalkResult r = fn.walk([&](Operation *op) {
    if (dependsOnMode(op))
      return WalkResult::interrupt();
    if (auto call = dyn_cast<func::CallOp>(op))
      if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
        if (reachesModeDependentOp(callee, module, seen))
          return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

Value constantScalar(OpBuilder &b, Location loc, Type elem, Attribute value) {
  auto type = RankedTensorType::get({}, elem);
  return b.create<ConstantOp>(
      loc, type, cast<ElementsAttr>(DenseElementsAttr::get(type, value)));
}

/// Replaces axon.training with the constant `mode`.
void decide(TrainingOp op, bool mode) {
  OpBuilder b(op);
  op.replaceAllUsesWith(
      constantScalar(b, op.getLoc(), b.getI1Type(), b.getBoolAttr(mode)));
  op.erase();
}

struct ResolveModePass : public axon::impl::ResolveModeBase<ResolveModePass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    addInlinerDependencies(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (TrainOp train : module.getOps<TrainOp>()) {
      FlatSymbolRefAttr name = train.getStepFnAttr();
      if (!name)
        continue;
      auto step = module.lookupSymbol<func::FuncOp>(name.getAttr());
      if (!step || step.isExternal()) {
        train.emitOpError("train-step function not found");
        return signalPassFailure();
      }
      if (failed(resolveTrainStep(step, module)))
        return signalPassFailure();
    }
    // What is left runs outside any train step.
    SmallVector<TrainingOp> rest;
    module.walk([&](TrainingOp op) { rest.push_back(op); });
    for (TrainingOp op : rest)
      decide(op, false);
  }

  /// Step function `step` (its last argument the global step, as
  /// axon-lower-train builds it) gets its own copy of what it calls, in
  /// training mode and with the step in every draw's counter.
  LogicalResult resolveTrainStep(func::FuncOp step, ModuleOp module) {
    DenseSet<Operation *> seen;
    if (!reachesModeDependentOp(step, module, seen))
      return success();
    Block &body = step.getBody().front();
    if (failed(inlineCalls(body, module, "run in a train step")))
      return failure();
    Value globalStep = body.getArguments().back();
    auto i64 = RankedTensorType::get({}, OpBuilder(step).getI64Type());
    if (globalStep.getType() != i64)
      return step.emitOpError("the last argument must be the step, a "
                              "tensor<i64>");
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Location loc = step.getLoc();
    Value scale = constantScalar(b, loc, b.getI64Type(),
                                 b.getI64IntegerAttr(int64_t(1) << kStepShift));
    Value offset = b.create<MulOp>(loc, i64, globalStep, scale);

    SmallVector<Operation *> ops;
    step.walk([&](Operation *op) {
      if (dependsOnMode(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto mode = dyn_cast<TrainingOp>(op)) {
        decide(mode, true);
        continue;
      }
      // Random draws: operand 0 is the counter (Axon_RandomOp).
      OpBuilder ob(op);
      Value counter = op->getOperand(0);
      op->setOperand(0, ob.create<AddOp>(op->getLoc(), i64, counter, offset));
    }
    return success();
  }
};

} // namespace
