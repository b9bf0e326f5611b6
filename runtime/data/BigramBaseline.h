// The baseline a language model has to beat: a bigram model (each token
// predicted from the one before it) with add-alpha smoothing, counted on the
// training split and scored on the validation split.
#ifndef AXON_RUNTIME_DATA_BIGRAMBASELINE_H
#define AXON_RUNTIME_DATA_BIGRAMBASELINE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace axon {

struct BigramScore {
  double trainNll = 0;      ///< Mean nats per token on the training split.
  double validationNll = 0; ///< The same on the validation split.
  int64_t validationPairs = 0;
};

/// P(b | a) = (count(a, b) + alpha) / (count(a) + alpha * vocabSize), with
/// the counts of consecutive pairs of `train`; the mean of -log P over the
/// consecutive pairs of each split (a split's first token has no
/// predecessor in it: a language model's windows do not cross the split
/// either). Ids are in [0, vocabSize). Errors: alpha <= 0, a split with
/// fewer than two tokens.
llvm::Expected<BigramScore> bigramBaseline(llvm::ArrayRef<int32_t> train,
                                           llvm::ArrayRef<int32_t> validation,
                                           int64_t vocabSize, double alpha);

} // namespace axon

#endif // AXON_RUNTIME_DATA_BIGRAMBASELINE_H
