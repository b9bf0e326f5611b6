// The losses and metrics of the model language, written in primitive axon
// ops through TensorBuilder (so autodiff and every backend see only those
// ops). The operands were checked by the built-ins table: floating-point
// predictions, integer labels, shapes that agree. Each returns a scalar.
#ifndef AXON_FRONTEND_LOSSES_H
#define AXON_FRONTEND_LOSSES_H

#include "ir/TensorBuilder.h"

namespace axon::losses {

/// -mean over rows of logp[..., label]: log-probabilities [..., C] and
/// integer labels [...] in [0, C).
Value negativeLogLikelihood(TensorBuilder &b, Value logp, Value labels);
/// The negative log-likelihood of log_softmax(logits).
Value crossEntropy(TensorBuilder &b, Value logits, Value labels);
/// The fraction of rows whose largest logit is at the label.
Value accuracy(TensorBuilder &b, Value logits, Value labels);
/// mean((y - t)^2).
Value meanSquaredError(TensorBuilder &b, Value y, Value t);
/// -mean(t log p + (1 - t) log(1 - p)), each log clamped at -100.
Value binaryCrossEntropy(TensorBuilder &b, Value p, Value t);
/// The binary cross-entropy of sigmoid(z), as mean(softplus(z) - t z).
Value binaryCrossEntropyWithLogits(TensorBuilder &b, Value z, Value t);
/// sum(|w|).
Value l1(TensorBuilder &b, Value w);
/// sum(w^2) / 2, so that its gradient is w itself.
Value l2(TensorBuilder &b, Value w);

} // namespace axon::losses

#endif // AXON_FRONTEND_LOSSES_H
