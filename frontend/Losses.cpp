// The losses and metrics (see Losses.h).
#include "frontend/Losses.h"

using namespace axon;

namespace {

Type elemOf(Value v) { return TensorBuilder::typeOf(v).getElementType(); }

/// The mean of all elements of `x`, a scalar.
Value meanAll(TensorBuilder &b, Value x) { return b.mean(x, {}, false); }

/// The sum of all elements of `x`, a scalar.
Value sumAll(TensorBuilder &b, Value x) { return b.sum(x, {}, false); }

/// log(z) clamped at -100 as PyTorch does, so that a probability of exactly
/// 0 or 1 gives a finite loss. The log only ever sees positive arguments
/// (the others are replaced by 1 and their result by -100), so the
/// gradient is finite too: the clamped term's derivative, 0 where it is
/// clamped.
Value clampedLog(TensorBuilder &b, Value z) {
  Type elem = elemOf(z);
  Value zero = b.scalar(0, elem), one = b.scalar(1, elem);
  Value floor = b.scalar(-100, elem);
  Value positive = b.cmp(CmpPredicate::gt, z, zero);
  Value safe = b.select(positive, z, one);
  Value clamped = b.binary<MaxOp>(b.unary<LogOp>(safe), floor);
  return b.select(positive, clamped, floor);
}

} // namespace

// The label's log-probability is picked by a select, not a one-hot product
// (0 * -inf elsewhere in a row is NaN); one_hot checks the labels are in
// [0, C).
Value losses::negativeLogLikelihood(TensorBuilder &b, Value logp,
                                    Value labels) {
  auto type = TensorBuilder::typeOf(logp);
  Value hot = b.oneHot(labels, type);
  Value zero = b.scalar(0, type.getElementType());
  Value hit = b.cmp(CmpPredicate::gt, hot, zero);
  Value picked = b.select(hit, logp, zero);
  Value perRow = b.sum(picked, {type.getRank() - 1}, false);
  return b.neg(meanAll(b, perRow));
}

Value losses::crossEntropy(TensorBuilder &b, Value logits, Value labels) {
  int64_t last = TensorBuilder::typeOf(logits).getRank() - 1;
  return negativeLogLikelihood(b, b.logSoftmax(logits, last), labels);
}

Value losses::accuracy(TensorBuilder &b, Value logits, Value labels) {
  int64_t last = TensorBuilder::typeOf(logits).getRank() - 1;
  Value predicted = b.castElements(b.argmax(logits, last), elemOf(labels));
  Value hit = b.cmp(CmpPredicate::eq, predicted, labels);
  return meanAll(b, b.castElements(hit, elemOf(logits)));
}

Value losses::meanSquaredError(TensorBuilder &b, Value y, Value t) {
  Value d = b.sub(y, t);
  return meanAll(b, b.mul(d, d));
}

Value losses::binaryCrossEntropy(TensorBuilder &b, Value p, Value t) {
  Type elem = elemOf(p);
  Value logP = clampedLog(b, p);
  Value log1mP = clampedLog(b, b.sub(b.scalar(1, elem), p));
  Value oneMinusT = b.sub(b.scalar(1, elem), t);
  Value negatives = b.mul(oneMinusT, log1mP);
  Value positives = b.mul(t, logP);
  return b.neg(meanAll(b, b.add(positives, negatives)));
}

// softplus(z) - t z: the same loss on logits, without log(0).
Value losses::binaryCrossEntropyWithLogits(TensorBuilder &b, Value z, Value t) {
  Value softplus = b.unary<SoftplusOp>(z);
  return meanAll(b, b.sub(softplus, b.mul(t, z)));
}

Value losses::l1(TensorBuilder &b, Value w) {
  return sumAll(b, b.unary<AbsOp>(w));
}

Value losses::l2(TensorBuilder &b, Value w) {
  Value sum = sumAll(b, b.mul(w, w));
  return b.mul(b.scalar(0.5, elemOf(w)), sum);
}
