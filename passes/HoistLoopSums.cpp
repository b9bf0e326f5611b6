// axon-hoist-loop-sums: a loop-carried sum of per-step products becomes
// stacks of the steps' operands and one contraction after the loop.
//
//   acc = init; for t { acc = acc + A_t @ B_t }
//     =>  for t { SA[r] = A_t; SB[r] = B_t };  acc = init + sum(SA @ SB, axis 0)
//
// and likewise acc + sum(X_t, axes) => init + sum(SX, axis 0 and axes + 1),
// and acc + scatter_add(zeros, i, X_t, axis) (gather's adjoint, a zero
// tensor but for slice i) => init + SX with its first axis moved to `axis`
// (the reverse loop of an RNN whose input needs a gradient scattered a
// full-size tensor per step, T^2 work for [N, T, K] inputs).
// The sum over the stacks' first axis is what axon-contract-batch-sums
// (run next) folds into one matmul contracting over the steps and K
// together. Backprop through time writes every weight gradient in this
// form: the reverse loop of an LSTM adds x_t^T dz_t, h_t^T dz_t and
// sum(dz_t) to accumulators at each step, T products of [H, N] x [N, 4H]
// too small to share among threads (or to reach the core's peak), where
// one [H, T*N] x [T*N, 4H] product is neither.
//
// A stack is a new carried value: zeros of [T, ...], written one row per
// step (dynamic_update_row) at r = t - lower. Where an operand already is
// a row of a [T, ...] tensor from before the loop, at a row that runs over
// all T rows once (dynamic_row(S, i) or gather(X, i, axis) with i = t + c
// or c - t: autodiff's reverse loop reads its stored steps at T-1-t), that
// tensor is the stack and the other operands' rows are written at i (the
// sum does not depend on the order of its terms). A transpose between the
// step value and the product moves after the loop (one transpose of the
// stack, composed with any of the source's).
//
// Only where the rewrite is exact and pays: static shapes and constant
// bounds (after axon-specialize) with at least one step; the accumulator
// read only by the add and the add only yielded; the product or sum read
// only by the add, at the accumulator's type (no broadcast), with every
// operand varying per step (a product with a loop-invariant operand would
// stack a copy of it per step). The additions' order changes, not their
// terms.
#include "passes/Passes.h"
#include "passes/StepIndex.h"

#include "ir/ShapeRules.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

namespace axon {
#define GEN_PASS_DEF_HOISTLOOPSUMS
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// A term's operand, as read after the loop: `perm` applied to the stack
/// of its step value `step` (the operand is transpose(step, perm)).
struct Operand {
  Value step;
  SmallVector<int64_t> perm;
  // A tensor from before the loop holding every step's value: `source`
  // transposed by `sourcePerm` (its [T, ...] order), row `index` at each
  // step, read through `indexValue`. Null where the rows are stored.
  Value source;
  SmallVector<int64_t> sourcePerm;
  StepIndex index;
  Value indexValue;
  int stack = -1; ///< The stored stack, where stored.
};

/// An accumulator of the loop and the term added to it at each step.
struct Accumulation {
  unsigned carried;
  Operation *term; // MatmulOp, SumOp or ScatterAddOp
  AddOp add;
  SmallVector<Operand, 2> operands;
  // A scatter's index: the rows its operand's stack must have.
  std::optional<StepIndex> rows;
  Value rowsValue;
};

/// A stack the loop stores: `step`'s value written at row `indexValue`.
struct Stack {
  Value step;
  StepIndex index;
  Value indexValue; // Null: t - lower, made in the body.
};

class LoopRewrite {
public:
  LoopRewrite(LoopOp loop, int64_t lower, int64_t upper)
      : loop(loop), body(loop.getBody().front()), lower(lower),
        trips(upper - lower) {}

  /// Finds the accumulations to hoist; false if there is none.
  bool analyse() {
    auto yield = cast<YieldOp>(body.getTerminator());
    for (unsigned i = 0; i < loop.getInits().size(); ++i)
      if (std::optional<Accumulation> acc = accumulationAt(yield, i))
        accs.push_back(std::move(*acc));
    if (accs.empty())
      return false;
    // Those with operands found before the loop first: the others then
    // write their rows where those are written (one stack of dz for
    // x^T dz, h^T dz and sum(dz)).
    auto found = [](const Accumulation &acc) {
      return llvm::any_of(acc.operands, [](const Operand &o) { return bool(o.source); });
    };
    for (Accumulation &acc : accs)
      if (found(acc))
        placeRows(acc);
    for (Accumulation &acc : accs)
      if (!found(acc))
        placeRows(acc);
    return true;
  }

  void rewrite();

private:
  LoopOp loop;
  Block &body;
  int64_t lower, trips;
  SmallVector<Accumulation, 4> accs;
  SmallVector<Stack> stacks;

  bool inBody(Value v) {
    return loop.getBody().isAncestor(v.getParentRegion());
  }
  Value step() const { return body.getArgument(0); }

  /// Whether `i` takes every row of a [trips, ...] stack once over the
  /// steps lower..upper-1.
  bool coversRows(StepIndex i) const {
    return i.coversRows(lower, lower + trips);
  }

  /// Carried value `i`, if it is `acc = acc + term` with a term to hoist.
  std::optional<Accumulation> accumulationAt(YieldOp yield, unsigned i) {
    BlockArgument acc = body.getArgument(1 + i);
    auto type = typeOf(acc);
    if (!type.hasStaticShape() || !acc.hasOneUse() ||
        loop.getResult(i).use_empty())
      return std::nullopt;
    auto add = dyn_cast<AddOp>(acc.use_begin()->getOwner());
    if (!add || add->getBlock() != &body || !add.getResult().hasOneUse() ||
        add.getResult().use_begin()->getOwner() != yield ||
        add.getResult().use_begin()->getOperandNumber() != i ||
        add.getType() != type)
      return std::nullopt;
    Value term = add.getLhs() == acc ? add.getRhs() : add.getLhs();
    Operation *op = term.getDefiningOp();
    if (term == acc || !op || op->getBlock() != &body || !term.hasOneUse() ||
        term.getType() != type)
      return std::nullopt;
    Accumulation a{i, op, add, {}};
    if (auto mm = dyn_cast<MatmulOp>(op)) {
      if (typeOf(mm.getLhs()).getRank() < 2 ||
          typeOf(mm.getLhs()).getRank() != typeOf(mm.getRhs()).getRank())
        return std::nullopt;
      for (Value v : {mm.getLhs(), mm.getRhs()}) {
        std::optional<Operand> o = operandOf(v);
        if (!o)
          return std::nullopt;
        a.operands.push_back(*o);
      }
      return a;
    }
    if (auto sum = dyn_cast<SumOp>(op)) {
      std::optional<Operand> o = operandOf(sum.getInput());
      if (!o)
        return std::nullopt;
      a.operands.push_back(*o);
      return a;
    }
    if (auto scatter = dyn_cast<ScatterAddOp>(op)) {
      // Zeros but for the slice at i, which takes every slice once: the
      // sum over the steps is the stack of the updates.
      auto zeros = scatter.getTarget().getDefiningOp<FillOp>();
      std::optional<int64_t> axis =
          shape::normalizeAxis(scatter.getAxis(), type.getRank());
      std::optional<StepIndex> i = stepIndexOf(scatter.getIndices(), step());
      if (!zeros || !zeros.getValue().isZero() || inBody(zeros) || !axis ||
          typeOf(scatter.getIndices()).getRank() != 0 || !i ||
          !coversRows(*i) || type.getDimSize(*axis) != trips)
        return std::nullopt;
      std::optional<Operand> o = operandOf(scatter.getUpdates());
      if (!o)
        return std::nullopt;
      a.operands.push_back(*o);
      a.rows = i;
      a.rowsValue = scatter.getIndices();
      return a;
    }
    return std::nullopt;
  }

  /// `v` as transpose(step value, perm), its rows found in a tensor from
  /// before the loop where they are there; none where `v` does not vary
  /// per step or its shape is not static.
  std::optional<Operand> operandOf(Value v) {
    Operand o;
    int64_t rank = typeOf(v).getRank();
    for (int64_t d = 0; d < rank; ++d)
      o.perm.push_back(d);
    // transpose(u, p) read through perm is u read through p[perm[.]].
    while (auto t = v.getDefiningOp<TransposeOp>()) {
      if (!inBody(t.getInput()))
        break;
      ArrayRef<int64_t> p = t.getPerm();
      for (int64_t &d : o.perm)
        d = p[d];
      v = t.getInput();
    }
    if (!inBody(v) || v == step() || !typeOf(v).hasStaticShape())
      return std::nullopt;
    o.step = v;
    if (auto row = v.getDefiningOp<DynamicRowOp>()) {
      std::optional<StepIndex> i = stepIndexOf(row.getIndex(), step());
      if (!inBody(row.getSource()) && i && coversRows(*i) &&
          typeOf(row.getSource()).getDimSize(0) == trips) {
        o.source = row.getSource();
        for (int64_t d = 0; d <= rank; ++d)
          o.sourcePerm.push_back(d);
        o.index = *i;
        o.indexValue = row.getIndex();
      }
    } else if (auto gather = v.getDefiningOp<GatherOp>()) {
      Value table = gather.getTable();
      int64_t tableRank = typeOf(table).getRank();
      std::optional<int64_t> axis =
          shape::normalizeAxis(gather.getAxis(), tableRank);
      std::optional<StepIndex> i = stepIndexOf(gather.getIndices(), step());
      if (!inBody(table) && axis && i && coversRows(*i) &&
          typeOf(table).getDimSize(*axis) == trips) {
        // The table with the gathered axis first is the stack.
        o.source = table;
        o.sourcePerm.push_back(*axis);
        for (int64_t d = 0; d < tableRank; ++d)
          if (d != *axis)
            o.sourcePerm.push_back(d);
        o.index = *i;
        o.indexValue = gather.getIndices();
      }
    }
    return o;
  }

  /// Picks the rows of `acc`'s terms: those of its first operand found in
  /// a tensor from before the loop, else those of a stack already stored
  /// for one of its operands, else t - lower; operands found at other
  /// rows, or not found, are stored at these.
  void placeRows(Accumulation &acc) {
    StepIndex index{1, -lower};
    Value indexValue;
    auto pick = [&]() -> bool {
      if (acc.rows) {
        index = *acc.rows;
        indexValue = acc.rowsValue;
        return true;
      }
      for (Operand &o : acc.operands)
        if (o.source) {
          index = o.index;
          indexValue = o.indexValue;
          return true;
        }
      for (Operand &o : acc.operands)
        for (Stack &s : stacks)
          if (s.step == o.step) {
            index = s.index;
            indexValue = s.indexValue;
            return true;
          }
      return false;
    };
    pick();
    for (Operand &o : acc.operands) {
      if (o.source && o.index == index)
        continue;
      o.source = Value();
      o.sourcePerm.clear();
      o.index = index;
      o.indexValue = indexValue;
      for (auto [k, s] : llvm::enumerate(stacks))
        if (s.step == o.step && s.index == index)
          o.stack = int(k);
      if (o.stack < 0) {
        o.stack = int(stacks.size());
        stacks.push_back({o.step, index, indexValue});
      }
    }
  }

  /// The stack of `o` read through its perm, after the loop.
  Value stacked(OpBuilder &b, const Operand &o, LoopOp stepped,
                unsigned firstStack) {
    Value base = o.source ? o.source : stepped.getResult(firstStack + o.stack);
    int64_t rank = typeOf(base).getRank();
    SmallVector<int64_t> sourcePerm(o.sourcePerm);
    if (sourcePerm.empty())
      for (int64_t d = 0; d < rank; ++d)
        sourcePerm.push_back(d);
    SmallVector<int64_t> q = {sourcePerm[0]};
    for (int64_t d : o.perm)
      q.push_back(sourcePerm[d + 1]);
    bool identity = true;
    for (int64_t d = 0; d < rank; ++d)
      identity = identity && q[d] == d;
    if (identity)
      return base;
    return b.create<TransposeOp>(loop.getLoc(), base, q);
  }

  /// What `acc` adds up over the steps, from the stacks after the loop.
  Value hoisted(OpBuilder &b, Accumulation &acc, LoopOp stepped,
                unsigned firstStack) {
    Location loc = acc.term->getLoc();
    auto type = typeOf(acc.add.getResult());
    Value total;
    if (isa<MatmulOp>(acc.term)) {
      Value product =
          b.create<MatmulOp>(loc, stacked(b, acc.operands[0], stepped, firstStack),
                             stacked(b, acc.operands[1], stepped, firstStack));
      total = b.create<SumOp>(loc, product, ArrayRef<int64_t>{0}, false);
    } else if (auto scatter = dyn_cast<ScatterAddOp>(acc.term)) {
      // The stack's first axis (the steps' slices) moved to the scatter's.
      total = stacked(b, acc.operands[0], stepped, firstStack);
      int64_t rank = type.getRank(),
              axis = *shape::normalizeAxis(scatter.getAxis(), rank);
      if (axis != 0) {
        SmallVector<int64_t> perm;
        for (int64_t d = 0; d < rank; ++d)
          perm.push_back(d == axis ? 0 : d < axis ? d + 1 : d);
        total = b.create<TransposeOp>(loc, total, perm);
      }
    } else {
      auto sum = cast<SumOp>(acc.term);
      int64_t rank = typeOf(sum.getInput()).getRank();
      SmallVector<int64_t> axes;
      if (!sum.getAxes().empty()) {
        axes.push_back(0);
        for (int64_t a : sum.getAxes())
          axes.push_back(*shape::normalizeAxis(a, rank) + 1);
      }
      total = b.create<SumOp>(loc, stacked(b, acc.operands[0], stepped, firstStack),
                              axes, sum.getKeepdims());
    }
    if (total.getType() != type)
      total = b.create<ReshapeOp>(loc, type, total, ValueRange{});
    Value init = loop.getInits()[acc.carried];
    auto fill = init.getDefiningOp<FillOp>();
    if (fill && fill.getValue().isZero())
      return total;
    return b.create<AddOp>(loc, type, init, total);
  }
};

void LoopRewrite::rewrite() {
  Location loc = loop.getLoc();
  unsigned n = loop.getInits().size();
  llvm::SmallDenseSet<unsigned> gone;
  for (const Accumulation &acc : accs)
    gone.insert(acc.carried);

  OpBuilder b(loop);
  SmallVector<Value> inits;
  SmallVector<Type> types;
  for (unsigned i = 0; i < n; ++i)
    if (!gone.contains(i)) {
      inits.push_back(loop.getInits()[i]);
      types.push_back(loop.getResult(i).getType());
    }
  unsigned firstStack = inits.size();
  for (const Stack &s : stacks) {
    SmallVector<int64_t> shape = {trips};
    llvm::append_range(shape, typeOf(s.step).getShape());
    auto type = RankedTensorType::get(shape, typeOf(s.step).getElementType());
    inits.push_back(b.create<FillOp>(loc, type, b.getF64FloatAttr(0.0), ValueRange{}));
    types.push_back(type);
  }
  auto stepped = b.create<LoopOp>(loc, types, loop.getLower(), loop.getUpper(), inits);
  stepped.getBody().takeBody(loop.getBody());
  auto yield = cast<YieldOp>(body.getTerminator());

  // The rows are written last, when every step value is computed.
  Value firstRow;
  SmallVector<Value> next;
  for (unsigned i = 0; i < n; ++i)
    if (!gone.contains(i))
      next.push_back(yield.getValues()[i]);
  for (auto [k, s] : llvm::enumerate(stacks)) {
    Value index = s.indexValue;
    if (!index) {
      if (!firstRow) {
        b.setInsertionPointToStart(&body);
        firstRow = lower == 0 ? step()
                              : b.create<SubOp>(loc, step().getType(), step(),
                                                loop.getLower())
                                    .getResult();
      }
      index = firstRow;
    }
    b.setInsertionPoint(yield);
    Value stack = body.addArgument(inits[firstStack + k].getType(), loc);
    next.push_back(b.create<DynamicUpdateRowOp>(loc, stack, index, s.step));
  }
  yield->setOperands(next);

  b.setInsertionPointAfter(stepped);
  SmallVector<Value> totals;
  for (Accumulation &acc : accs)
    totals.push_back(hoisted(b, acc, stepped, firstStack));

  // The adds, the terms and what only they read go.
  SmallVector<Operation *> worklist;
  for (Accumulation &acc : accs) {
    acc.add->erase();
    for (Value v : acc.term->getOperands())
      worklist.push_back(v.getDefiningOp());
    acc.term->erase();
  }
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!op || op->getBlock() != &body || !isOpTriviallyDead(op))
      continue;
    for (Value v : op->getOperands())
      worklist.push_back(v.getDefiningOp());
    worklist.erase(std::remove(worklist.begin(), worklist.end(), op), worklist.end());
    op->erase();
  }
  for (unsigned i = n; i-- > 0;)
    if (gone.contains(i))
      body.eraseArgument(1 + i);

  for (unsigned i = 0, j = 0; i < n; ++i)
    if (!gone.contains(i))
      loop.getResult(i).replaceAllUsesWith(stepped.getResult(j++));
  for (auto [acc, total] : llvm::zip(accs, totals))
    loop.getResult(acc.carried).replaceAllUsesWith(total);
  loop.erase();
}

struct HoistLoopSumsPass
    : public axon::impl::HoistLoopSumsBase<HoistLoopSumsPass> {
  void runOnOperation() override {
    for (SteppedLoop l : steppedLoops(getOperation())) {
      LoopRewrite rewrite(l.loop, l.lower, l.upper);
      if (rewrite.analyse())
        rewrite.rewrite();
    }
  }
};

} // namespace
