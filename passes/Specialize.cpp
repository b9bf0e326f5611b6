// axon-specialize: a copy of a model function at static argument shapes.
//
// Model functions are written over symbolic dims (f32[N, 784]); compiled
// kernels and memory plans want every extent known. Like XLA and
// torch.compile, the compiled path specialises per argument shape and keeps
// one plan per shape it has seen. Calls are inlined into the specialised
// copy. Loops stay loops: their carried values take the static type of
// their initial values, the body is fused and memory-planned in place, and
// the plan runs its kernels once per step (a loop step), so a 2,000-step
// loop compiles its body once. Unrolling is the fallback, for loops the
// plan does not run as loops: fewer than two steps (nothing to share), or
// carried values whose shape stays unknown. Bounds must be constants once
// shapes are known (axon.dim folds to one).
#include "passes/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <optional>

namespace axon {
#define GEN_PASS_DEF_SPECIALIZE
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

/// Ops whose dynamic_dims operands give the extents of their result's `?`s.
bool takesDynamicDims(Operation *op) { return isa<DynamicDimsOpInterface>(op); }

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

/// Ops whose operands must have exactly a type fixed elsewhere (see
/// axon-infer-shapes): when a value becomes static, they keep reading the
/// old type through a cast.
bool needsExactType(Operation *user) {
  return !isa<InferShapeOpInterface>(user) || isa<LoopOp, YieldOp>(user);
}

/// Gives `v` the static type `type`; users that need the old type read it
/// through an axon.cast (placed after `v`'s definition).
void retype(Value v, RankedTensorType type) {
  Type old = v.getType();
  v.setType(type);
  Value back;
  for (OpOperand &use : llvm::make_early_inc_range(v.getUses())) {
    if (!needsExactType(use.getOwner()))
      continue;
    if (!back) {
      OpBuilder b(v.getContext());
      if (auto arg = dyn_cast<BlockArgument>(v))
        b.setInsertionPointToStart(arg.getOwner());
      else
        b.setInsertionPointAfter(v.getDefiningOp());
      back = b.create<CastOp>(v.getLoc(), old, v);
    }
    use.set(back);
  }
}

/// The static value behind `v`: `v` itself, or the input of the shape-only
/// cast axon-infer-shapes left in front of an exact-type user.
Value staticSource(Value v) {
  if (auto c = v.getDefiningOp<CastOp>())
    if (c.getInput().getType().getElementType() ==
        c.getType().getElementType())
      v = c.getInput();
  return v;
}

/// Loop-carried values whose type has `?`s take the static type of their
/// initial value: body argument, result and yield (through a cast that
/// folds away once the body's shapes are inferred). Returns whether
/// anything changed.
bool staticiseLoops(func::FuncOp fn) {
  bool changed = false;
  fn.walk<WalkOrder::PreOrder>([&](LoopOp loop) {
    Block &body = loop.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    for (unsigned i = 0, e = loop.getInits().size(); i < e; ++i) {
      auto type = cast<RankedTensorType>(loop.getResult(i).getType());
      if (type.hasStaticShape())
        continue;
      Value init = staticSource(loop.getInits()[i]);
      auto st = cast<RankedTensorType>(init.getType());
      if (!st.hasStaticShape())
        continue;
      loop->setOperand(2 + i, init);
      retype(body.getArgument(1 + i), st);
      retype(loop.getResult(i), st);
      Value next = staticSource(yield.getValues()[i]);
      if (next.getType() != st) {
        OpBuilder b(yield);
        next = b.create<CastOp>(yield.getLoc(), st, yield.getValues()[i]);
      }
      yield->setOperand(i, next);
      changed = true;
    }
  });
  return changed;
}

/// The constant value of a loop bound, if it is one.
std::optional<int64_t> constantBound(Value v) {
  DenseIntElementsAttr c;
  if (!matchPattern(v, m_Constant(&c)))
    return std::nullopt;
  return (*c.begin()).getSExtValue();
}

/// Unrolls the loops the plan does not run as loops (see the top of the
/// file); a loop with non-constant bounds is an error. Returns failure
/// after an error, else whether anything was unrolled.
FailureOr<bool> unrollWhereNeeded(func::FuncOp fn, StringRef name) {
  SmallVector<LoopOp> loops;
  fn.walk<WalkOrder::PreOrder>([&](LoopOp l) { loops.push_back(l); });
  bool unrolled = false;
  DenseSet<Operation *> erased;
  for (LoopOp loop : loops) {
    // A loop nested in one unrolled before is gone (its copies are
    // handled in the next round).
    bool gone = false;
    for (Operation *p = loop; p && !gone; p = p->getParentOp())
      gone = erased.contains(p);
    if (gone)
      continue;
    std::optional<int64_t> lo = constantBound(loop.getLower());
    std::optional<int64_t> hi = constantBound(loop.getUpper());
    if (!lo || !hi)
      return loop.emitOpError("cannot compile '")
             << name << "': the loop's trip count is only known at run "
             << "time; use constant bounds (for t in 0..5)";
    bool staticCarry = llvm::all_of(loop.getResultTypes(), [](Type t) {
      return cast<RankedTensorType>(t).hasStaticShape();
    });
    if (*hi - *lo >= 2 && staticCarry)
      continue;
    erased.insert(loop);
    if (failed(unrollLoop(loop, "compile")))
      return failure();
    unrolled = true;
  }
  return unrolled;
}

/// Adds to `module` a private copy of function `name` named `newName`,
/// specialised to the static `argTypes`; `simplify` runs shape inference,
/// canonicalize and CSE on it. Emits an error and returns failure when an
/// argument does not fit the declared type, a loop's bounds are not
/// constants or an extent stays unknown.
FailureOr<func::FuncOp>
specializeFunction(ModuleOp module, StringRef name, ArrayRef<Type> argTypes,
                   StringRef newName,
                   function_ref<LogicalResult(func::FuncOp)> simplify) {
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
  // A result that returns an argument (or a value that is static already)
  // has its static type now: the function type follows before anything
  // verifies.
  staticiseResults(spec);
  auto fail = [&]() -> FailureOr<func::FuncOp> {
    spec.erase();
    return failure();
  };
  if (failed(inlineCalls(spec.front(), module, "compile")))
    return fail();

  // Shape inference, folding of axon.dim and friends, making the
  // dynamic_dims ops and loop-carried values static feed each other:
  // iterate to a fixed point. Then unroll the loops that need it, whose
  // copies go round again.
  for (int unrollRound = 0; unrollRound < 8; ++unrollRound) {
    for (int round = 0; round < 8; ++round) {
      // Before anything verifies: a loop whose initial value just became
      // static (a specialised argument) must carry that type.
      staticiseLoops(spec);
      if (failed(simplify(spec)))
        return fail();
      bool loops = staticiseLoops(spec);
      // Results last: a returned dynamic_dims op that just became static
      // must change the function type with it, before anything verifies.
      bool dims = staticiseDynamicDims(spec);
      bool results = staticiseResults(spec);
      if (!loops && !dims && !results)
        break;
    }
    FailureOr<bool> unrolled = unrollWhereNeeded(spec, name);
    if (failed(unrolled))
      return fail();
    if (!*unrolled)
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

struct SpecializePass : public axon::impl::SpecializeBase<SpecializePass> {
  using SpecializeBase::SpecializeBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    addInlinerDependencies(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (function.empty() || name.empty()) {
      module.emitError("axon-specialize needs function=<name> and "
                       "name=<name of the copy>");
      return signalPassFailure();
    }
    SmallVector<Type> types;
    for (const std::string &text : argTypes) {
      Type type = parseType(text, &getContext());
      if (!type) {
        module.emitError("axon-specialize: arg-types: '")
            << text << "' is not a type";
        return signalPassFailure();
      }
      types.push_back(type);
    }
    OpPassManager simplify(func::FuncOp::getOperationName());
    simplify.addPass(createInferShapes());
    simplify.addPass(createCanonicalizerPass());
    simplify.addPass(createCSEPass());
    auto run = [&](func::FuncOp fn) { return runPipeline(simplify, fn); };
    if (failed(specializeFunction(module, function, types, name, run)))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> axon::createSpecialize(StringRef name,
                                             ArrayRef<Type> argTypes,
                                             StringRef newName) {
  std::vector<std::string> types;
  for (Type type : argTypes) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << type;
    types.push_back(os.str());
  }
  SpecializeOptions options;
  options.function = name.str();
  options.name = newName.str();
  options.argTypes = types; // Copied into the pass's option.
  return createSpecialize(options);
}
