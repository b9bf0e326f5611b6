// axon-autodiff: reverse-mode automatic differentiation over the axon dialect.
//
// A gradient function is declared (by the frontend, for `grad(...)` and for
// `train` blocks) as a bodiless func.func with
//   axon.grad_of = @f           the scalar function to differentiate
//   axon.wrt     = ["W1", "x"]  parameters (symbols) or f's argument names
// and type (f's inputs) -> (f's result, one gradient per wrt name). This
// pass gives it a body: f's computation (calls inlined), then one reverse
// sweep in which each op's GradientOpInterface rule turns result gradients
// into operand gradients, summing where a value fans out.
//
// A loop stays a loop (backprop through time, whatever the trip count, so
// the IR does not grow with it): the forward loop also stores each step's
// incoming carried values in [T, ...] tensors at row t - lower (T =
// max(upper - lower, 0); dynamic_update_row, compiled as a write of that
// one row into the carried stack, so a step costs O(row)) -- all but the
// stacks the body itself only row-writes (`s = update(s, t, h)`), whose
// values nothing in the gradient reads --, and the
// gradient is a reverse loop from the last step to the first that reads
// step t's values back (dynamic_row), recomputes the body from them (checkpoint per step:
// random draws are the very same draws, their counters and the step being
// the same) and runs the reverse sweep over the recomputed body. The
// results of exp, sqrt, tanh and sigmoid, whose gradients read the result
// rather than the input, are stored per step too and read back instead of
// recomputed: an LSTM's reverse then recomputes neither its gate matmuls
// nor the gates' exps (which every piece of the fused gate gradient
// recomputed). A stack whose rows the reverse then reads nowhere is
// dropped from the forward loop. It carries
// the carried values' gradients backwards, and sums the gradients of the
// values the body reads from outside (parameters, inputs) in carried
// accumulators. Loops nested in the body are differentiated the same way,
// inside the reverse loop.
// The result is ordinary axon IR for canonicalize, CSE and fusion.
#include "passes/Passes.h"

#include "ir/ShapeRules.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace axon {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

/// Sums gradient contributions per value (and per parameter).
class GradientMap {
public:
  explicit GradientMap(OpBuilder &b) : b(b) {}

  void add(Value key, Value grad, Location loc) {
    grad = castTo(grad, key.getType(), loc);
    auto it = grads.find(key);
    if (it == grads.end()) {
      grads[key] = grad;
      return;
    }
    it->second = b.create<AddOp>(loc, key.getType(), it->second, grad);
  }
  Value lookup(Value key) const { return grads.lookup(key); }

  Value castTo(Value v, Type type, Location loc) {
    return v.getType() == type ? v : b.create<CastOp>(loc, type, v);
  }

private:
  OpBuilder &b;
  DenseMap<Value, Value> grads;
};

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

/// Whether `op` or an op nested in it reads a value in `active`.
bool readsActive(Operation *op, const DenseSet<Value> &active) {
  WalkResult r = op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (active.contains(v))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Marks the results of `ops` (in order) that depend on a value in
/// `active`: the activity of a forward pass. Parameter reads in
/// `wrtParams` start it; NoGradient ops stop it.
void propagateActivity(ArrayRef<Operation *> ops, DenseSet<Value> &active,
                       const llvm::StringSet<> &wrtParams) {
  for (Operation *op : ops) {
    if (auto ref = dyn_cast<ParamRefOp>(op)) {
      if (wrtParams.contains(ref.getParam()))
        active.insert(ref.getResult());
      continue;
    }
    if (op->hasTrait<axon::OpTrait::NoGradient>())
      continue;
    if (readsActive(op, active))
      for (Value r : op->getResults())
        active.insert(r);
  }
}

/// The ops of `block`, its terminator excepted.
SmallVector<Operation *> opsOf(Block &block) {
  SmallVector<Operation *> ops;
  for (Operation &op : block.without_terminator())
    ops.push_back(&op);
  return ops;
}

/// Whether `op`'s gradient reads its result rather than its input (exp,
/// sqrt, tanh, sigmoid): in a loop body such a result is stored per step
/// and read back in the reverse, where the op and the computation feeding
/// only it then go dead instead of being recomputed.
bool gradientReadsResult(Operation *op) {
  return isa<ExpOp, SqrtOp, TanhOp, SigmoidOp>(op);
}

/// Where extent `d` of `v`, a value of `loop`'s body, can be read before
/// the loop runs: a value defined outside the loop and its axis, found by
/// following the shape rules of the body's ops back to values read from
/// outside (a carried value's extents are those of its initial value, as
/// the loop's types say). None where an op's rule is not followed here.
std::optional<std::pair<Value, int64_t>> extentBefore(LoopOp loop, Value v,
                                                      int64_t d) {
  Block &body = loop.getBody().front();
  if (!loop.getBody().isAncestor(v.getParentRegion()))
    return std::make_pair(v, d);
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != &body || arg.getArgNumber() == 0)
      return std::nullopt;
    return std::make_pair(loop.getInits()[arg.getArgNumber() - 1], d);
  }
  Operation *op = v.getDefiningOp();
  if (op->getBlock() != &body)
    return std::nullopt;
  auto rankOf = [](Value x) { return cast<RankedTensorType>(x.getType()).getRank(); };
  auto dynamicAt = [](Value x, int64_t i) {
    return cast<RankedTensorType>(x.getType()).isDynamicDim(i);
  };
  int64_t rank = rankOf(v);
  std::optional<OpFamily> family = familyOf(op);
  if (family == OpFamily::ElementwiseUnary)
    return extentBefore(loop, op->getOperand(0), d);
  if (family == OpFamily::ElementwiseBinary || family == OpFamily::Selection) {
    // Numpy broadcasting: a `?` result extent is that of an operand whose
    // aligned extent is `?` too (static ones are 1 there, or the result's
    // would be static).
    for (Value x : op->getOperands()) {
      int64_t i = d - (rank - rankOf(x));
      if (i >= 0 && dynamicAt(x, i))
        return extentBefore(loop, x, i);
    }
    return std::nullopt;
  }
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    Value a = mm.getLhs(), b = mm.getRhs();
    if (rankOf(a) < 2 || rankOf(b) < 2)
      return std::nullopt;
    if (d == rank - 2)
      return extentBefore(loop, a, rankOf(a) - 2);
    if (d == rank - 1)
      return extentBefore(loop, b, rankOf(b) - 1);
    for (Value x : {a, b}) {
      int64_t i = d - (rank - rankOf(x));
      if (i >= 0 && dynamicAt(x, i))
        return extentBefore(loop, x, i);
    }
    return std::nullopt;
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    std::optional<int64_t> axis = shape::normalizeAxis(slice.getAxis(), rank);
    if (!axis || *axis == d)
      return std::nullopt;
    return extentBefore(loop, slice.getInput(), d);
  }
  if (auto t = dyn_cast<TransposeOp>(op))
    return extentBefore(loop, t.getInput(), t.getPerm()[d]);
  if (auto row = dyn_cast<DynamicRowOp>(op))
    return extentBefore(loop, row.getSource(), d + 1);
  if (auto gather = dyn_cast<GatherOp>(op)) {
    Value table = gather.getTable();
    std::optional<int64_t> axis =
        shape::normalizeAxis(gather.getAxis(), rankOf(table));
    if (!axis)
      return std::nullopt;
    int64_t indexRank = rankOf(gather.getIndices());
    if (d < *axis)
      return extentBefore(loop, table, d);
    if (d < *axis + indexRank)
      return extentBefore(loop, gather.getIndices(), d - *axis);
    return extentBefore(loop, table, d - indexRank + 1);
  }
  return std::nullopt;
}

/// Builds the reverse sweeps of one gradient function.
class ReverseSweep {
public:
  ReverseSweep(OpBuilder &b, func::FuncOp source) : b(b), source(source) {}

  /// Turns the gradients in `grads` of the results of `ops` (a block's ops
  /// in order) into gradients of what they read, appending the VJPs at the
  /// builder's insertion point. Parameter reads add to `paramGrads`.
  LogicalResult run(ArrayRef<Operation *> ops, const DenseSet<Value> &active,
                    GradientMap &grads, llvm::StringMap<Value> &paramGrads) {
    for (Operation *op : llvm::reverse(ops)) {
      if (!llvm::any_of(op->getResults(), [&](Value r) { return active.count(r); }))
        continue;
      SmallVector<Value> resultGrads;
      for (Value r : op->getResults())
        resultGrads.push_back(grads.lookup(r));
      if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
        continue;
      if (auto ref = dyn_cast<ParamRefOp>(op)) {
        Value &slot = paramGrads[ref.getParam()];
        slot = slot ? b.create<AddOp>(op->getLoc(), slot.getType(), slot,
                                      resultGrads[0])
                    : resultGrads[0];
        continue;
      }
      if (auto loop = dyn_cast<LoopOp>(op)) {
        if (failed(differentiateLoop(loop, resultGrads, active, grads, paramGrads)))
          return failure();
        continue;
      }
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule) {
        InFlightDiagnostic diag = op->emitError()
                                  << "cannot differentiate through '"
                                  << op->getName() << "'";
        diag.attachNote(source.getLoc())
            << "while differentiating '" << source.getName() << "'";
        return failure();
      }
      SmallVector<Value> operandGrads;
      if (failed(rule.buildVJP(b, resultGrads, operandGrads)))
        return failure();
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
        if (g && active.count(operand))
          grads.add(operand, g, op->getLoc());
    }
    return success();
  }

  /// Loops replaced by their storing copies; erased once the gradient is
  /// built (until then no new value may reuse their results' addresses,
  /// which the activity sets and gradient maps still hold).
  SmallVector<Operation *> replaced;

private:
  OpBuilder &b;
  func::FuncOp source;

  Value i64Constant(Location loc, int64_t v) {
    auto type = RankedTensorType::get({}, b.getI64Type());
    return b.create<ConstantOp>(
        loc, type, cast<ElementsAttr>(DenseElementsAttr::get(type, APInt(64, v, true))));
  }
  /// l + r or l - r on rank-0 i64 tensors (r = 0 gives l).
  Value i64Op(Location loc, bool add, Value l, Value r) {
    DenseIntElementsAttr c;
    if (matchPattern(r, m_Constant(&c)) && (*c.begin()).isZero())
      return l;
    Type type = l.getType();
    return add ? Value(b.create<AddOp>(loc, type, l, r))
               : Value(b.create<SubOp>(loc, type, l, r));
  }

  /// Zeros of `type`, whose `?` extents are those of `like`.
  Value zerosLike(Location loc, Type type, Value like) {
    auto t = cast<RankedTensorType>(type);
    SmallVector<Value> dims;
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (t.isDynamicDim(d))
        dims.push_back(b.create<DimOp>(loc, like, d));
    return b.create<FillOp>(loc, t, b.getF64FloatAttr(0.0), dims);
  }

  /// Whether carried value `i` of `loop` is a stack the body only writes
  /// one row of (`s = update(s, t, h)`: its one use a dynamic_update_row's
  /// target, yielded as the next `s`). Neither the recomputed body nor the
  /// write's gradient reads the stack's values, so storing it per step
  /// (O(T) rows of O(T) each) would be waste.
  static bool onlyRowWritten(LoopOp loop, unsigned i) {
    Block &body = loop.getBody().front();
    Value carried = body.getArgument(1 + i);
    if (!carried.hasOneUse())
      return false;
    OpOperand &use = *carried.use_begin();
    auto write = dyn_cast<DynamicUpdateRowOp>(use.getOwner());
    if (!write || use.getOperandNumber() != 0 || !write.getResult().hasOneUse())
      return false;
    OpOperand &next = *write.getResult().use_begin();
    return isa<YieldOp>(next.getOwner()) && next.getOperandNumber() == i;
  }

  /// Replaces `loop` by a copy that also returns, for each carried value
  /// the body reads, a [T, ...] tensor of its value at the start of each
  /// step (T = max(upper - lower, 0): a loop whose upper bound is below its
  /// lower one runs no step), then one for each of the body's values in
  /// `candidates` whose extents can be read before the loop (the rest are
  /// left to be recomputed). Returns the new loop; `stored` gets the
  /// indices of the stored carried values and `kept` the stored body
  /// values, in the order of the stacks.
  LoopOp storeSteps(LoopOp loop, SmallVectorImpl<unsigned> &stored,
                    ArrayRef<Value> candidates, SmallVectorImpl<Value> &kept) {
    Location loc = loop.getLoc();
    Block &body = loop.getBody().front();
    unsigned n = loop.getInits().size();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop);

    // The trip count: a constant when the bounds are (so the stacks are
    // static), else upper - lower at run time.
    std::optional<int64_t> trips;
    if (auto bounds = constantBounds(loop))
      trips = std::max<int64_t>(0, bounds->second - bounds->first);
    Value tripValue;
    if (!trips) {
      Value span = i64Op(loc, false, loop.getUpper(), loop.getLower());
      tripValue = b.create<MaxOp>(loc, span.getType(), span, i64Constant(loc, 0));
    }

    SmallVector<Value> inits(loop.getInits());
    SmallVector<Type> types(loop.getResultTypes());
    // A zero [trips, ...type] stack carried by the loop, its dynamic
    // extents read off (value, axis) pairs defined before the loop.
    auto addStack = [&](RankedTensorType type,
                        ArrayRef<std::pair<Value, int64_t>> extents) {
      SmallVector<int64_t> shape = {trips ? *trips : ShapedType::kDynamic};
      llvm::append_range(shape, type.getShape());
      auto stackType = RankedTensorType::get(shape, type.getElementType());
      SmallVector<Value> dims;
      if (!trips)
        dims.push_back(tripValue);
      for (auto [from, axis] : extents)
        dims.push_back(b.create<DimOp>(loc, from, axis));
      inits.push_back(b.create<FillOp>(loc, stackType, b.getF64FloatAttr(0.0), dims));
      types.push_back(stackType);
    };
    for (unsigned i = 0; i < n; ++i) {
      if (body.getArgument(1 + i).use_empty() || onlyRowWritten(loop, i))
        continue;
      stored.push_back(i);
      auto carried = cast<RankedTensorType>(body.getArgument(1 + i).getType());
      SmallVector<std::pair<Value, int64_t>> extents;
      for (int64_t d = 0; d < carried.getRank(); ++d)
        if (carried.isDynamicDim(d))
          extents.push_back({loop.getInits()[i], d});
      addStack(carried, extents);
    }
    for (Value v : candidates) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<std::pair<Value, int64_t>> extents;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d)) {
          std::optional<std::pair<Value, int64_t>> e = extentBefore(loop, v, d);
          if (!e)
            break;
          extents.push_back(*e);
        }
      if (int64_t(extents.size()) != type.getNumDynamicDims())
        continue;
      kept.push_back(v);
      addStack(type, extents);
    }

    auto stepped = b.create<LoopOp>(loc, types, loop.getLower(), loop.getUpper(), inits);
    stepped.getBody().takeBody(loop.getBody());
    Block &newBody = stepped.getBody().front();
    auto yield = cast<YieldOp>(newBody.getTerminator());
    // The stores come first in the body: they read the incoming carried
    // values before anything else, so a step's new value can still be
    // computed into its carried buffer (axon-plan-memory).
    b.setInsertionPointToStart(&newBody);
    Value index = i64Op(loc, false, newBody.getArgument(0), stepped.getLower());
    SmallVector<Value> next(yield.getValues());
    for (auto [k, i] : llvm::enumerate(stored)) {
      Value stack = newBody.addArgument(inits[n + k].getType(), loc);
      next.push_back(
          b.create<DynamicUpdateRowOp>(loc, stack, index, newBody.getArgument(1 + i)));
    }
    // The kept values' rows are written last, when they are all computed.
    b.setInsertionPoint(yield);
    for (auto [k, v] : llvm::enumerate(kept)) {
      Value stack = newBody.addArgument(inits[n + stored.size() + k].getType(), loc);
      next.push_back(b.create<DynamicUpdateRowOp>(loc, stack, index, v));
    }
    yield->setOperands(next);
    for (unsigned i = 0; i < n; ++i)
      loop.getResult(i).replaceAllUsesWith(stepped.getResult(i));
    replaced.push_back(loop);
    return stepped;
  }

  /// Erases the ops of `block` (its loops and the ops of `keep` excepted)
  /// whose results nothing reads and that have no effects.
  static void eraseDeadOps(Block &block, ArrayRef<Value> keep) {
    llvm::SmallPtrSet<Operation *, 8> kept;
    for (Value v : keep)
      kept.insert(v.getDefiningOp());
    SmallVector<Operation *> ops = opsOf(block);
    for (Operation *op : llvm::reverse(ops))
      if (!isa<LoopOp>(op) && !kept.contains(op) && isOpTriviallyDead(op))
        op->erase();
  }

  /// `stepped` (storeSteps' loop over `n` carried values, then its stacks)
  /// without the stacks at positions `unread`: a new loop takes its body,
  /// less those stacks' arguments and row writes, and its other results'
  /// uses. `stepped` is erased with the replaced loops.
  LoopOp dropStacks(LoopOp stepped, unsigned n, ArrayRef<unsigned> unread) {
    Block &body = stepped.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    llvm::SmallDenseSet<unsigned> gone;
    for (unsigned k : unread)
      gone.insert(n + k);
    SmallVector<Value> inits, next;
    SmallVector<Type> types;
    SmallVector<Operation *> writes;
    for (unsigned i = 0; i < stepped.getNumResults(); ++i) {
      if (gone.contains(i)) {
        writes.push_back(yield.getValues()[i].getDefiningOp());
        continue;
      }
      inits.push_back(stepped.getInits()[i]);
      types.push_back(stepped.getResult(i).getType());
      next.push_back(yield.getValues()[i]);
    }
    yield->setOperands(next);
    for (Operation *w : writes)
      w->erase();
    for (unsigned i = stepped.getNumResults(); i-- > n;)
      if (gone.contains(i))
        body.eraseArgument(1 + i);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(stepped);
    auto pruned = b.create<LoopOp>(stepped.getLoc(), types, stepped.getLower(),
                                   stepped.getUpper(), inits);
    pruned.getBody().takeBody(stepped.getBody());
    for (unsigned i = 0, j = 0; i < stepped.getNumResults(); ++i)
      if (!gone.contains(i))
        stepped.getResult(i).replaceAllUsesWith(pruned.getResult(j++));
    replaced.push_back(stepped);
    return pruned;
  }

  /// The reverse loop of `loop` (see the top of the file), appended at the
  /// builder's insertion point; adds the gradients of its carried inputs
  /// and of the active values its body reads from outside to `grads`.
  LogicalResult differentiateLoop(LoopOp loop, ArrayRef<Value> resultGrads,
                                  const DenseSet<Value> &active, GradientMap &grads,
                                  llvm::StringMap<Value> &paramGrads) {
    Location loc = loop.getLoc();
    Block &body = loop.getBody().front();
    unsigned n = loop.getInits().size();

    // The body as it is before the stores are added, and the active float
    // values it reads from outside the loop.
    SmallVector<Operation *> bodyOps = opsOf(body);
    SmallVector<Value> yielded(cast<YieldOp>(body.getTerminator()).getValues());
    llvm::SetVector<Value> captured;
    loop.getBody().walk([&](Operation *op) {
      for (Value v : op->getOperands())
        if (!loop.getBody().isAncestor(v.getParentRegion()) && active.contains(v) &&
            isFloatTensor(v))
          captured.insert(v);
    });
    SmallVector<Value> blockArgs(body.getArguments());

    // Results to keep per step (gradientReadsResult): those active and
    // varying from step to step (a loop-invariant one is not worth a row
    // per step; an inactive one has no gradient to read it).
    DenseSet<Value> bodyActiveFwd(captured.begin(), captured.end());
    DenseSet<Value> varying;
    for (BlockArgument arg : body.getArguments()) {
      varying.insert(arg);
      if (arg.getArgNumber() > 0 && isFloatTensor(arg))
        bodyActiveFwd.insert(arg);
    }
    propagateActivity(bodyOps, bodyActiveFwd, {});
    propagateActivity(bodyOps, varying, {});
    SmallVector<Value> candidates;
    for (Operation *op : bodyOps)
      if (gradientReadsResult(op) && isFloatTensor(op->getResult(0)) &&
          bodyActiveFwd.contains(op->getResult(0)) && varying.contains(op->getResult(0)))
        candidates.push_back(op->getResult(0));

    SmallVector<unsigned> stored;
    SmallVector<Value> kept;
    LoopOp stepped = storeSteps(loop, stored, candidates, kept);

    // Initial values: the gradients of the loop's float results, then zero
    // accumulators of the captured values.
    SmallVector<unsigned> diffCarried;
    SmallVector<Value> revInits;
    for (unsigned i = 0; i < n; ++i) {
      if (!isFloatTensor(stepped.getResult(i)))
        continue;
      diffCarried.push_back(i);
      Value g = resultGrads[i];
      g = g ? grads.castTo(g, stepped.getResult(i).getType(), loc)
            : zerosLike(loc, stepped.getResult(i).getType(), stepped.getResult(i));
      revInits.push_back(g);
    }
    for (Value c : captured)
      revInits.push_back(zerosLike(loc, c.getType(), c));
    // Step t of the forward loop is lower + upper - 1 - s in the reverse.
    Value mirror = i64Op(loc, false, i64Op(loc, true, loop.getLower(), loop.getUpper()),
                         i64Constant(loc, 1));

    SmallVector<Value> stackRows; // Each stack's row read in the reverse, stacks' order.
    auto reverse = b.create<LoopOp>(loc, ValueRange(revInits).getTypes(), stepped.getLower(),
                                    stepped.getUpper(), revInits);
    Block *revBody = new Block();
    reverse.getBody().push_back(revBody);
    Value s = revBody->addArgument(stepped.getLower().getType(), loc);
    for (Value v : revInits)
      revBody->addArgument(v.getType(), loc);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(revBody);
      Value t = i64Op(loc, false, mirror, s);
      Value index = i64Op(loc, false, t, stepped.getLower());
      IRMapping map;
      map.map(blockArgs[0], t);
      DenseSet<Value> bodyActive(captured.begin(), captured.end());
      for (auto [k, i] : llvm::enumerate(stored)) {
        Value stack = stepped.getResult(n + k);
        Value carried = b.create<DynamicRowOp>(loc, blockArgs[1 + i].getType(), stack, index);
        stackRows.push_back(carried);
        map.map(blockArgs[1 + i], carried);
        if (isFloatTensor(carried))
          bodyActive.insert(carried);
      }
      // A stack the body only row-writes was not stored: its recomputed
      // write (dead after the sweep, which reads only its gradient) takes
      // zeros, active so that the gradient flows back through it.
      for (unsigned i = 0; i < n; ++i) {
        if (blockArgs[1 + i].use_empty() || map.contains(blockArgs[1 + i]))
          continue;
        Value stand = zerosLike(loc, blockArgs[1 + i].getType(), stepped.getInits()[i]);
        map.map(blockArgs[1 + i], stand);
        if (isFloatTensor(stand))
          bodyActive.insert(stand);
      }
      SmallVector<Value> keptRows;
      for (auto [k, v] : llvm::enumerate(kept))
        keptRows.push_back(b.create<DynamicRowOp>(
            loc, v.getType(), stepped.getResult(n + stored.size() + k), index));
      llvm::append_range(stackRows, keptRows);
      SmallVector<Operation *> recomputed;
      for (Operation *op : bodyOps)
        recomputed.push_back(b.clone(*op, map));
      propagateActivity(recomputed, bodyActive, {});

      GradientMap stepGrads(b);
      for (auto [k, i] : llvm::enumerate(diffCarried)) {
        Value y = map.lookupOrDefault(yielded[i]);
        if (bodyActive.contains(y))
          stepGrads.add(y, revBody->getArgument(1 + k), loc);
      }
      if (failed(run(recomputed, bodyActive, stepGrads, paramGrads)))
        return failure();
      // The sweep is built: every read of a kept value (the gradients' and
      // the recomputed body's) takes its stored row, and the recomputation
      // feeding only it goes dead.
      for (auto [v, row] : llvm::zip(kept, keptRows))
        map.lookup(v).replaceAllUsesWith(row);

      SmallVector<Value> next;
      for (auto [k, i] : llvm::enumerate(diffCarried)) {
        Value arg = map.lookupOrNull(blockArgs[1 + i]);
        Value g = arg ? stepGrads.lookup(arg) : Value();
        Type type = revBody->getArgument(1 + k).getType();
        next.push_back(g ? stepGrads.castTo(g, type, loc)
                         : zerosLike(loc, type, revBody->getArgument(1 + k)));
      }
      for (auto [j, c] : llvm::enumerate(captured)) {
        Value acc = revBody->getArgument(1 + diffCarried.size() + j);
        Value g = stepGrads.lookup(c);
        next.push_back(g ? b.create<AddOp>(loc, acc.getType(), acc,
                                           stepGrads.castTo(g, acc.getType(), loc))
                         : acc);
      }
      b.create<YieldOp>(loc, next);
    }

    // A stack whose row nothing in the reverse reads once the recomputation
    // feeding only kept values is gone (a carried value read only by a
    // tanh whose result is kept) is not stored at all.
    eraseDeadOps(*revBody, stackRows);
    SmallVector<unsigned> unread;
    for (auto [k, row] : llvm::enumerate(stackRows))
      if (row.use_empty()) {
        unread.push_back(k);
        row.getDefiningOp()->erase();
      }
    if (!unread.empty())
      stepped = dropStacks(stepped, n, unread);

    for (auto [k, i] : llvm::enumerate(diffCarried))
      if (active.contains(stepped.getInits()[i]))
        grads.add(stepped.getInits()[i], reverse.getResult(k), loc);
    for (auto [j, c] : llvm::enumerate(captured))
      grads.add(c, reverse.getResult(diffCarried.size() + j), loc);
    return success();
  }
};

struct AutodiffPass : public axon::impl::AutodiffBase<AutodiffPass> {
  // Calls in the forward copy are inlined (axon-flatten's inlineCalls).
  void getDependentDialects(DialectRegistry &registry) const override {
    addInlinerDependencies(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> targets;
    module.walk([&](func::FuncOp fn) {
      if (fn->hasAttr("axon.grad_of") && fn.isExternal())
        targets.push_back(fn);
    });
    for (func::FuncOp fn : targets)
      if (failed(buildGradient(fn, module)))
        return signalPassFailure();
  }

  LogicalResult buildGradient(func::FuncOp gradFn, ModuleOp module) {
    auto ofAttr = gradFn->getAttrOfType<FlatSymbolRefAttr>("axon.grad_of");
    auto wrtAttr = gradFn->getAttrOfType<ArrayAttr>("axon.wrt");
    auto source = ofAttr ? module.lookupSymbol<func::FuncOp>(ofAttr) : nullptr;
    if (!source || source.isExternal() || !wrtAttr)
      return gradFn.emitOpError("axon.grad_of must name a function with a "
                                "body, and axon.wrt list what to differentiate for");
    FunctionType srcType = source.getFunctionType();
    if (srcType.getNumResults() != 1 ||
        cast<RankedTensorType>(srcType.getResult(0)).getRank() != 0 ||
        !isa<FloatType>(cast<RankedTensorType>(srcType.getResult(0)).getElementType()))
      return gradFn.emitOpError("can only differentiate a function returning "
                                "one floating-point scalar; '")
             << source.getName() << "' does not";

    // Resolve wrt names: argument names of the source first, then params.
    auto argNames = source->getAttrOfType<ArrayAttr>("axon.arg_names");
    SmallVector<Type> results = {srcType.getResult(0)};
    SmallVector<std::pair<int, std::string>> wrt; // arg index or -1 + param name
    for (Attribute a : wrtAttr) {
      std::string name = cast<StringAttr>(a).str();
      int arg = -1;
      for (unsigned i = 0; argNames && i < argNames.size(); ++i)
        if (cast<StringAttr>(argNames[i]).getValue() == name)
          arg = i;
      if (arg >= 0) {
        results.push_back(srcType.getInput(arg));
      } else if (auto param = module.lookupSymbol<ParamOp>(name)) {
        results.push_back(param.getType());
      } else {
        return gradFn.emitOpError("'") << name << "' is neither an argument of '"
                                       << source.getName() << "' nor a parameter";
      }
      wrt.push_back({arg, name});
    }
    auto expected = FunctionType::get(&getContext(), srcType.getInputs(), results);
    if (gradFn.getFunctionType() != expected)
      return gradFn.emitOpError("type must be ") << expected;

    // Forward: the source's body, calls inlined. Parameter reads in loop
    // bodies move to the top, so that a loop's reverse sums their
    // gradients over the steps like those of any value read from outside.
    Block *entry = gradFn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    IRMapping map;
    map.map(source.getArguments(), entry->getArguments());
    for (Operation &op : source.front())
      b.clone(op, map);
    if (failed(inlineCalls(*entry, module, "differentiate through")))
      return failure();
    SmallVector<ParamRefOp> nestedRefs;
    entry->walk([&](ParamRefOp ref) {
      if (ref->getBlock() != entry)
        nestedRefs.push_back(ref);
    });
    for (ParamRefOp ref : nestedRefs)
      ref->moveBefore(entry, entry->begin());
    // The return stays until the end: a loop's storing copy replaces the
    // value it returns.
    Operation *ret = entry->getTerminator();
    SmallVector<Operation *> forward = opsOf(*entry);

    // Activity: values that depend on something we differentiate for.
    DenseSet<Value> active;
    llvm::StringSet<> wrtParams;
    for (auto &[arg, name] : wrt) {
      if (arg >= 0)
        active.insert(entry->getArgument(arg));
      else
        wrtParams.insert(name);
    }
    propagateActivity(forward, active, wrtParams);

    // Reverse sweep.
    b.setInsertionPoint(ret);
    GradientMap grads(b);
    Value loss = ret->getOperand(0);
    Location lossLoc = loss.getLoc();
    auto lossType = cast<RankedTensorType>(loss.getType());
    grads.add(loss,
              b.create<ConstantOp>(lossLoc, lossType,
                                   cast<ElementsAttr>(DenseElementsAttr::get(
                                       lossType, FloatAttr::get(lossType.getElementType(), 1.0)
                                                     .getValue()))),
              lossLoc);
    llvm::StringMap<Value> paramGrads;
    ReverseSweep sweep(b, source);
    if (failed(sweep.run(forward, active, grads, paramGrads)))
      return failure();

    // Results: the loss, then each gradient (zeros where none flowed).
    SmallVector<Value> outs = {ret->getOperand(0)};
    for (auto [i, w] : llvm::enumerate(wrt)) {
      Type type = results[i + 1];
      Value g = w.first >= 0 ? grads.lookup(entry->getArgument(w.first))
                             : paramGrads.lookup(w.second);
      if (!g) {
        auto t = cast<RankedTensorType>(type);
        SmallVector<Value> dims;
        for (int64_t d = 0; d < t.getRank(); ++d)
          if (t.isDynamicDim(d))
            dims.push_back(b.create<DimOp>(gradFn.getLoc(),
                                           entry->getArgument(w.first), d));
        g = b.create<FillOp>(gradFn.getLoc(), t, b.getF64FloatAttr(0.0), dims);
      }
      outs.push_back(grads.castTo(g, type, gradFn.getLoc()));
    }
    b.create<func::ReturnOp>(gradFn.getLoc(), outs);
    ret->erase();
    for (Operation *op : sweep.replaced)
      op->erase();
    gradFn.setPublic();
    gradFn->setAttr("axon.arg_names", source->getAttr("axon.arg_names"));
    return success();
  }
};

} // namespace
