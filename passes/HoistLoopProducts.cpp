// axon-hoist-loop-products: a loop body's product of a row of a tensor
// from before the loop with a loop-invariant matrix becomes one product of
// the whole tensor before the loop, read a row per step.
//
//   for t { z = gather(X, i, axis) @ W ... }
//     =>  P = reshape(X, [rows, K]) @ W;
//         for t { z = gather(reshape(P, [..., M]), i, axis) ... }
//
// and likewise for dynamic_row(S, i) @ W. An LSTM's or GRU's input
// projection x_t @ Wx is written this way: T products of [N, K] x [K, 4H],
// each too small to share among threads and on the step's serial path,
// where one [T*N, K] x [K, 4H] product before the loop is neither (as
// cuDNN and PyTorch's fused RNNs compute it). The mirror of
// axon-hoist-loop-sums, which moves the per-step weight-gradient sums of
// the reverse loop after it.
//
// Any other product of the body whose operand is the same at every step
// but made in the body (dz_t @ transpose(Wh) in backprop through time)
// reads it made once before the loop: the contraction would transpose it
// again at every step.
//
// Only where the work stays the same and the values too: static shapes
// and constant bounds (after axon-specialize) with at least one step; the
// row index i = t + c or c - t taking every row of the gathered axis once
// (so no row is multiplied that no step reads); the gathered axis not the
// contracted one; W of rank 2 and the same at every step (defined before
// the loop, or by pure ops of the body from such values: a parameter read,
// a transpose; those are cloned before the loop). Each output element is the same dot product over K.
#include "passes/Passes.h"
#include "passes/StepIndex.h"

#include "ir/ShapeRules.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace axon {
#define GEN_PASS_DEF_HOISTLOOPPRODUCTS
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// A matmul of the loop body whose left operand is a row of `source` along
/// `axis`, read at `index` every step, and whose right operand `weight` is
/// the same at every step.
struct RowProduct {
  MatmulOp product;
  Operation *row; // GatherOp or DynamicRowOp
  Value source, index;
  int64_t axis;
  Value weight;
};

class LoopProducts {
public:
  LoopProducts(LoopOp loop, int64_t lower, int64_t upper)
      : loop(loop), body(loop.getBody().front()), lower(lower), upper(upper) {}

  SmallVector<RowProduct> find() {
    SmallVector<RowProduct> found;
    for (Operation &op : body)
      if (auto mm = dyn_cast<MatmulOp>(op))
        if (std::optional<RowProduct> p = rowProduct(mm))
          found.push_back(*p);
    return found;
  }

  void hoist(RowProduct &p);

  /// Makes each operand of the body's products that is the same at every
  /// step but made in the body (a transposed weight: dz_t @ Wh^T in
  /// backprop through time) once before the loop instead: a contraction
  /// reading a transposed operand transposes it again at every step
  /// (measured: [32,512] x [512,128], 49 us against 44.5 us with the
  /// weight transposed once).
  void hoistInvariantOperands() {
    SmallVector<MatmulOp> products;
    for (Operation &op : body)
      if (auto mm = dyn_cast<MatmulOp>(op))
        products.push_back(mm);
    for (MatmulOp mm : products)
      for (OpOperand &operand : mm->getOpOperands()) {
        Value v = operand.get();
        if (!inBody(v) || !invariant(v) || isa<ParamRefOp>(v.getDefiningOp()))
          continue;
        OpBuilder b(loop);
        operand.set(beforeLoop(b, v));
        eraseIfDead(v.getDefiningOp());
      }
  }

private:
  LoopOp loop;
  Block &body;
  int64_t lower, upper;

  bool inBody(Value v) { return loop.getBody().isAncestor(v.getParentRegion()); }

  /// Erases `op` (if of the body) and what only it read there, where
  /// nothing reads them any more.
  void eraseIfDead(Operation *op) {
    SmallVector<Operation *> dead = {op};
    while (!dead.empty()) {
      op = dead.pop_back_val();
      if (!op || op->getBlock() != &body || !isOpTriviallyDead(op))
        continue;
      for (Value v : op->getOperands())
        dead.push_back(v.getDefiningOp());
      dead.erase(std::remove(dead.begin(), dead.end(), op), dead.end());
      op->erase();
    }
  }

  /// Whether `v` is the same at every step: defined before the loop, or
  /// by a pure op of the body (a parameter read, a transpose) whose
  /// operands are.
  bool invariant(Value v) {
    if (!inBody(v))
      return true;
    Operation *op = v.getDefiningOp();
    return op && op->getBlock() == &body && op->getNumRegions() == 0 &&
           isPure(op) &&
           llvm::all_of(op->getOperands(), [&](Value u) { return invariant(u); });
  }

  /// `v` (invariant) as a value before the loop: the body's ops that make
  /// it cloned there.
  Value beforeLoop(OpBuilder &b, Value v) {
    if (!inBody(v))
      return v;
    Operation *op = v.getDefiningOp();
    IRMapping map;
    for (Value u : op->getOperands())
      map.map(u, beforeLoop(b, u));
    return b.clone(*op, map)->getResult(cast<OpResult>(v).getResultNumber());
  }

  std::optional<RowProduct> rowProduct(MatmulOp mm) {
    RankedTensorType lhs = typeOf(mm.getLhs()), rhs = typeOf(mm.getRhs());
    if (lhs.getRank() < 2 || rhs.getRank() != 2 || !rhs.hasStaticShape() ||
        !invariant(mm.getRhs()))
      return std::nullopt;
    RowProduct p{mm, nullptr, Value(), Value(), 0, mm.getRhs()};
    if (auto gather = mm.getLhs().getDefiningOp<GatherOp>()) {
      p.row = gather;
      p.source = gather.getTable();
      p.index = gather.getIndices();
      std::optional<int64_t> axis =
          shape::normalizeAxis(gather.getAxis(), typeOf(p.source).getRank());
      if (!axis)
        return std::nullopt;
      p.axis = *axis;
    } else if (auto row = mm.getLhs().getDefiningOp<DynamicRowOp>()) {
      p.row = row;
      p.source = row.getSource();
      p.index = row.getIndex();
      p.axis = 0;
    } else {
      return std::nullopt;
    }
    RankedTensorType source = typeOf(p.source);
    // The row has the source's rank less one (a gather at a rank-0 index).
    if (inBody(p.source) || !source.hasStaticShape() ||
        source.getRank() != lhs.getRank() + 1 ||
        p.axis >= source.getRank() - 1 ||
        source.getDimSize(p.axis) != upper - lower)
      return std::nullopt;
    std::optional<StepIndex> i = stepIndexOf(p.index, body.getArgument(0));
    if (!i || !i->coversRows(lower, upper))
      return std::nullopt;
    return p;
  }
};

void LoopProducts::hoist(RowProduct &p) {
  Location loc = p.product.getLoc();
  RankedTensorType source = typeOf(p.source);
  ArrayRef<int64_t> dims = source.getShape();
  int64_t k = dims.back(), rows = source.getNumElements() / std::max<int64_t>(k, 1);
  int64_t m = typeOf(p.weight).getDimSize(1);
  Type element = source.getElementType();

  OpBuilder b(loop);
  Value flat = b.create<ReshapeOp>(
      loc, RankedTensorType::get({rows, k}, element), p.source, ValueRange{});
  Value all = b.create<MatmulOp>(loc, flat, beforeLoop(b, p.weight));

  // In the body, the product's rows in the source's layout, then the row.
  b.setInsertionPoint(p.product);
  SmallVector<int64_t> shape(dims.begin(), dims.end());
  shape.back() = m;
  Value steps = b.create<ReshapeOp>(loc, RankedTensorType::get(shape, element),
                                    all, ValueRange{});
  Value row = isa<GatherOp>(p.row)
                  ? b.create<GatherOp>(loc, steps, p.index, p.axis).getResult()
                  : b.create<DynamicRowOp>(loc, steps, p.index).getResult();
  p.product.replaceAllUsesWith(row);
  p.product->erase();
  // The row and the body's ops making the weight, where nothing else
  // reads them.
  eraseIfDead(p.row);
  eraseIfDead(p.weight.getDefiningOp());
}

struct HoistLoopProductsPass
    : public axon::impl::HoistLoopProductsBase<HoistLoopProductsPass> {
  void runOnOperation() override {
    for (SteppedLoop l : steppedLoops(getOperation())) {
      LoopProducts products(l.loop, l.lower, l.upper);
      for (RowProduct &p : products.find())
        products.hoist(p);
      products.hoistInvariantOperands();
    }
  }
};

} // namespace
