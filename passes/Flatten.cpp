// axon-flatten: calls inlined, constant-trip loops unrolled.
// Autodiff inlines calls with the same `inlineCalls` but keeps loops (it
// differentiates them as loops). The compiled backend inlines calls and
// keeps loops too (a plan has loop steps); it unrolls only the loops its
// plans cannot run (see Specialize.cpp).
#include "passes/Passes.h"

#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/InliningUtils.h"

namespace axon {
#define GEN_PASS_DEF_FLATTEN
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

void axon::addInlinerDependencies(DialectRegistry &registry) {
  registry.insert<AxonDialect, func::FuncDialect>();
  func::registerInlinerExtension(registry);
}

/// Inlines every func.call in `block` (and the blocks nested in it) until
/// none is left. Callees are single-block functions ending in func.return.
LogicalResult axon::inlineCalls(Block &block, ModuleOp module, StringRef purpose) {
  InlinerInterface inliner(module.getContext());
  for (int round = 0;; ++round) {
    SmallVector<func::CallOp> calls;
    block.walk([&](func::CallOp call) { calls.push_back(call); });
    if (calls.empty())
      return success();
    if (round > 64)
      return calls.front().emitOpError("call chain too deep to inline");
    for (func::CallOp call : calls) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return call.emitOpError("cannot ") << purpose << " a call of '"
               << call.getCallee() << "', which has no body";
      // MLIR's inliner cannot clone a region into itself.
      if (callee->isAncestor(call))
        return call.emitOpError("cannot ") << purpose << " a recursive call of '"
               << call.getCallee() << "'";
      // The arguments map to the call's operands directly, whose types may
      // be more static than the callee's (a specialised caller): the
      // inlined ops keep their types for axon-infer-shapes to refine, and
      // their own locations (no call-site locations), as diagnostics
      // expect.
      IRMapping map;
      map.map(callee.getArguments(), call.getOperands());
      if (failed(inlineRegion(inliner, &callee.getBody(), call, map,
                              call.getResults(), callee.getResultTypes())))
        return call.emitOpError("cannot ") << purpose << " a call of '"
               << call.getCallee() << "': the inliner refused it";
      call.erase();
    }
  }
}

llvm::SmallVector<SteppedLoop> axon::steppedLoops(mlir::Operation *root) {
  llvm::SmallVector<SteppedLoop> loops;
  root->walk([&](LoopOp loop) { // post-order: inner loops first
    if (auto bounds = constantBounds(loop); bounds && bounds->second > bounds->first)
      loops.push_back({loop, bounds->first, bounds->second});
  });
  return loops;
}

std::optional<std::pair<int64_t, int64_t>> axon::constantBounds(LoopOp loop) {
  DenseIntElementsAttr lo, hi;
  if (!matchPattern(loop.getLower(), m_Constant(&lo)) ||
      !matchPattern(loop.getUpper(), m_Constant(&hi)))
    return std::nullopt;
  return std::make_pair((*lo.begin()).getSExtValue(), (*hi.begin()).getSExtValue());
}

/// Unrolls `loop`, whose bounds must be constants.
LogicalResult axon::unrollLoop(LoopOp loop, StringRef purpose) {
  std::optional<std::pair<int64_t, int64_t>> bounds = constantBounds(loop);
  if (!bounds)
    return loop.emitOpError("cannot ")
           << purpose
           << " a loop whose trip count is only known at run time; use "
              "constant bounds (for t in 0..5)";
  auto [first, last] = *bounds;
  if (last - first > 100000)
    return loop.emitOpError("loop too long to unroll");
  OpBuilder b(loop);
  SmallVector<Value> carried(loop.getInits());
  Block &body = loop.getBody().front();
  auto stepType = RankedTensorType::get({}, b.getI64Type());
  for (int64_t t = first; t < last; ++t) {
    IRMapping map;
    map.map(body.getArgument(0),
            b.create<ConstantOp>(loop.getLoc(), stepType,
                                 cast<ElementsAttr>(DenseElementsAttr::get(
                                     stepType, APInt(64, t, true)))));
    for (auto [arg, value] : llvm::zip(body.getArguments().drop_front(), carried))
      map.map(arg, value);
    for (Operation &op : body.without_terminator())
      b.clone(op, map);
    auto yield = cast<YieldOp>(body.getTerminator());
    for (auto [i, v] : llvm::enumerate(yield.getValues()))
      carried[i] = map.lookupOrDefault(v);
  }
  for (auto [result, value] : llvm::zip(loop.getResults(), carried))
    result.replaceAllUsesWith(value);
  loop.erase();
  return success();
}

/// Unrolls every axon.loop in `block` whose bounds are constants; a loop
/// whose trip count only run time knows cannot be differentiated yet.
static LogicalResult unrollLoops(Block &block, StringRef purpose) {
  for (;;) {
    LoopOp loop;
    block.walk<WalkOrder::PreOrder>([&](LoopOp l) {
      loop = l;
      return WalkResult::interrupt();
    });
    if (!loop)
      return success();
    if (failed(unrollLoop(loop, purpose)))
      return failure();
  }
}

LogicalResult axon::flatten(Block &block, ModuleOp module, StringRef purpose) {
  if (failed(inlineCalls(block, module, purpose)))
    return failure();
  return unrollLoops(block, purpose);
}

namespace {

struct FlattenPass : public axon::impl::FlattenBase<FlattenPass> {
  using FlattenBase::FlattenBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    addInlinerDependencies(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> targets;
    if (functions.empty()) {
      for (auto fn : module.getOps<func::FuncOp>())
        if (!fn.isExternal())
          targets.push_back(fn);
    }
    for (const std::string &name : functions) {
      auto fn = module.lookupSymbol<func::FuncOp>(name);
      if (!fn || fn.isExternal()) {
        module.emitError("axon-flatten: no function '") << name << "' with a body";
        return signalPassFailure();
      }
      targets.push_back(fn);
    }
    for (func::FuncOp fn : targets)
      if (failed(flatten(fn.front(), module, "flatten")))
        return signalPassFailure();
  }
};

} // namespace
