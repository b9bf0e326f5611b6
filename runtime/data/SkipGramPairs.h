// Word2vec's skip-gram samples: (center word, context word) pairs of one
// split of a corpus, with negative samples drawn from the unigram
// distribution raised to the 3/4 power.
#ifndef AXON_RUNTIME_DATA_SKIPGRAMPAIRS_H
#define AXON_RUNTIME_DATA_SKIPGRAMPAIRS_H

#include "runtime/data/SampleSource.h"

namespace axon {

class SkipGramPairs : public SampleSource {
public:
  /// The pairs of `ids` (word ids of a vocabulary of `vocabSize` ids): every
  /// word with every other word at most `window` positions before or after
  /// it, by position and then offset (-window .. window). Unknown words
  /// (id 0) are dropped first, as word2vec drops words outside its
  /// vocabulary, so a window reaches over them. With `negatives` = k > 0
  /// each pair also gets k word ids drawn with probability proportional to
  /// count^0.75 (`counts`: each id's count in the training split; the
  /// unknown word is never drawn), from `seed`, the epoch and the pair's
  /// index only.
  SkipGramPairs(llvm::ArrayRef<int32_t> ids, int64_t vocabSize, int64_t window,
                int64_t negatives, llvm::ArrayRef<int64_t> counts,
                uint64_t seed);

  /// How often each id of a vocabulary of `vocabSize` ids occurs in `ids`.
  static std::vector<int64_t> countIds(llvm::ArrayRef<int32_t> ids,
                                       int64_t vocabSize);

  int64_t size() const override { return int64_t(center_.size()); }
  /// center: i32[], context: i32[], and negatives: i32[k] when k > 0.
  std::vector<ArraySpec> specs() const override;
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override;

private:
  /// The id whose slice of the noise distribution holds uniform `u`.
  int32_t noiseWord(double u) const;

  std::vector<int32_t> center_, context_;
  int64_t negatives_;
  uint64_t seed_;
  /// Running sums of count^0.75 over ids 0, 1, ...
  std::vector<double> noiseCumulative_;
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_SKIPGRAMPAIRS_H
