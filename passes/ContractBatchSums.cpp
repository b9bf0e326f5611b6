// axon-contract-batch-sums: a sum over batch axes of a matmul becomes one
// matmul whose contraction also runs over those axes.
//
//   sum_s (L[..s.., M, K] @ R[..s.., K, N])  =  L'[.., M, S*K] @ R'[.., S*K, N]
//
// with L' and R' the operands with the summed axes moved next to K and
// merged into it (a transpose and a reshape, data movement the contraction
// takes as its prologue). The forms this catches come from the gradient
// rules and from the layers:
//  - the gradient of a weight broadcast over batch axes, sum_n x[n]^T g[n]
//    for x @ W with x: [N, T, D] (nn.linear_seq): one [D, N*T] x [N*T, F]
//    product instead of N products of [D, T] x [T, F] written out and then
//    summed; per head, sum_n o[n, h]^T g[n, h] for nn.merge_heads's Wo;
//  - the gradient of an input broadcast over stacked weights, sum_k g[k]
//    W[k]^T (an LSTM cell's x @ W with W: [4, I, H]): one product over 4H;
//  - multi-head attention's output projection, sum_h o[n, h] Wo[h]
//    (nn.merge_heads): concat_h(o_h) Wo, one product over H*E.
// Only sums whose every summed axis both operands have at full extent are
// rewritten (an operand broadcast along a summed axis would be read S times
// over), on static shapes (after axon-specialize), and only where the sum
// is the matmul's one use.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

#include <algorithm>

namespace axon {
#define GEN_PASS_DEF_CONTRACTBATCHSUMS
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// `x` transposed by `perm`, folding a transpose that produced `x` into it
/// and leaving `x` alone for the identity.
Value transposed(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> p(perm);
  if (auto inner = x.getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> innerPerm = inner.getPerm();
    for (int64_t &i : p)
      i = innerPerm[i];
    x = inner.getInput();
  }
  bool identity = true;
  for (size_t i = 0; i < p.size(); ++i)
    identity = identity && p[i] == int64_t(i);
  if (identity)
    return x;
  return b.create<TransposeOp>(loc, x, p);
}

/// `x` reshaped to static `shape` (through any reshape that produced it).
Value reshaped(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> shape) {
  if (auto inner = x.getDefiningOp<ReshapeOp>())
    if (typeOf(inner.getInput()).hasStaticShape())
      x = inner.getInput();
  auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
  if (typeOf(x) == type)
    return x;
  return b.create<ReshapeOp>(loc, type, x, ValueRange{});
}

/// The axes of one matmul operand (rank r - offset: numpy broadcasting
/// aligns its axes with the result's last ones) that the new contraction
/// keeps as batch axes and those it merges into K. Fails when the operand
/// lacks a summed axis or has it at extent 1 (broadcast along it).
LogicalResult splitAxes(RankedTensorType type, ArrayRef<bool> summed,
                        ArrayRef<int64_t> outShape, SmallVectorImpl<int64_t> &kept,
                        SmallVectorImpl<int64_t> &sums) {
  int64_t r = int64_t(outShape.size());
  int64_t offset = r - type.getRank();
  for (int64_t i = 0; i < r - 2; ++i) {
    if (i < offset) {
      if (summed[i])
        return failure();
      continue;
    }
    if (!summed[i])
      kept.push_back(i - offset);
    else if (type.getDimSize(i - offset) == outShape[i])
      sums.push_back(i - offset);
    else
      return failure();
  }
  return success();
}

/// One operand of the matmul as the new contraction reads it: its kept
/// batch axes, then (left operand) M and the summed axes merged with K, or
/// (right operand) the summed axes merged with K and N.
Value foldOperand(OpBuilder &b, Location loc, Value x, bool left,
                  ArrayRef<int64_t> kept, ArrayRef<int64_t> sums) {
  auto type = typeOf(x);
  int64_t rowAxis = type.getRank() - 2, colAxis = type.getRank() - 1;
  int64_t merged = type.getDimSize(left ? colAxis : rowAxis);
  for (int64_t a : sums)
    merged *= type.getDimSize(a);
  SmallVector<int64_t> perm(kept), shape;
  for (int64_t a : kept)
    shape.push_back(type.getDimSize(a));
  if (left) {
    perm.push_back(rowAxis);
    perm.append(sums.begin(), sums.end());
    perm.push_back(colAxis);
    shape.append({type.getDimSize(rowAxis), merged});
  } else {
    perm.append(sums.begin(), sums.end());
    perm.append({rowAxis, colAxis});
    shape.append({merged, type.getDimSize(colAxis)});
  }
  return reshaped(b, loc, transposed(b, loc, x, perm), shape);
}

/// Rewrites `sum` when it sums batch axes of a matmul it alone reads.
bool contract(SumOp sum) {
  auto mm = sum.getInput().getDefiningOp<MatmulOp>();
  if (!mm || !mm->hasOneUse())
    return false;
  auto outType = typeOf(mm.getResult());
  auto sumType = typeOf(sum.getResult());
  if (!outType.hasStaticShape() || !sumType.hasStaticShape() ||
      !typeOf(mm.getLhs()).hasStaticShape() ||
      !typeOf(mm.getRhs()).hasStaticShape())
    return false;
  int64_t r = outType.getRank();
  ArrayRef<int64_t> axes = sum.getAxes();
  if (axes.empty() || r < 3)
    return false;
  SmallVector<bool> summed(r, false);
  for (int64_t a : axes) {
    int64_t axis = a < 0 ? a + r : a;
    if (axis < 0 || axis >= r - 2)
      return false; // M or N: not a batch axis
    summed[axis] = true;
  }
  SmallVector<int64_t> keptL, sumsL, keptR, sumsR;
  if (failed(splitAxes(typeOf(mm.getLhs()), summed, outType.getShape(), keptL,
                       sumsL)) ||
      failed(splitAxes(typeOf(mm.getRhs()), summed, outType.getShape(), keptR,
                       sumsR)))
    return false;
  OpBuilder b(sum);
  Location loc = sum.getLoc();
  Value lhs = foldOperand(b, loc, mm.getLhs(), /*left=*/true, keptL, sumsL);
  Value rhs = foldOperand(b, loc, mm.getRhs(), /*left=*/false, keptR, sumsR);
  Value product = b.create<MatmulOp>(loc, lhs, rhs);
  sum.getResult().replaceAllUsesWith(
      reshaped(b, loc, product, sumType.getShape()));
  sum.erase();
  mm.erase();
  return true;
}

/// Erases the transposes and reshapes among `ops` (and their producers)
/// that nothing reads any more: what the old operands went through.
void eraseDeadDataMovement(ArrayRef<Operation *> ops) {
  SmallVector<Operation *> worklist(ops);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!op || !op->use_empty() || !isa<TransposeOp, ReshapeOp>(op))
      continue;
    Operation *producer = op->getOperand(0).getDefiningOp();
    op->erase();
    // Listed twice when both operands came from it.
    worklist.erase(std::remove(worklist.begin(), worklist.end(), op),
                   worklist.end());
    worklist.push_back(producer);
  }
}

struct ContractBatchSumsPass
    : public axon::impl::ContractBatchSumsBase<ContractBatchSumsPass> {
  void runOnOperation() override {
    SmallVector<SumOp> sums;
    getOperation().walk([&](SumOp op) { sums.push_back(op); });
    for (SumOp sum : sums) {
      auto mm = sum.getInput().getDefiningOp<MatmulOp>();
      if (!mm)
        continue;
      Operation *producers[] = {mm.getLhs().getDefiningOp(),
                                mm.getRhs().getDefiningOp()};
      if (contract(sum))
        eraseDeadDataMovement(producers);
    }
  }
};

} // namespace
