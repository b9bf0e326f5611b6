// Skip-gram pairs and negative samples (see SkipGramPairs.h).
#include "runtime/data/SkipGramPairs.h"

#include "runtime/core/Philox.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace axon;

SkipGramPairs::SkipGramPairs(llvm::ArrayRef<int32_t> ids, int64_t vocabSize,
                             int64_t window, int64_t negatives,
                             llvm::ArrayRef<int64_t> counts, uint64_t seed)
    : negatives_(std::max<int64_t>(negatives, 0)), seed_(seed) {
  assert(window >= 1 && "a skip-gram window reaches at least one word");
  std::vector<int32_t> words;
  words.reserve(ids.size());
  for (int32_t id : ids)
    if (id != 0)
      words.push_back(id);
  int64_t n = words.size();
  for (int64_t p = 0; p < n; ++p)
    for (int64_t o = -window; o <= window; ++o)
      if (o != 0 && p + o >= 0 && p + o < n) {
        center_.push_back(words[p]);
        context_.push_back(words[p + o]);
      }

  // count^0.75 as sqrt(sqrt(count^3)): IEEE square roots are correctly
  // rounded, pow is not, so every machine draws the same words.
  noiseCumulative_.assign(vocabSize, 0);
  double sum = 0;
  for (int64_t id = 1; id < vocabSize; ++id) {
    double c = id < int64_t(counts.size()) ? double(counts[id]) : 0;
    sum += std::sqrt(std::sqrt(c * c * c));
    noiseCumulative_[id] = sum;
  }
  assert((negatives_ == 0 || center_.empty() || sum > 0) &&
         "negative samples need a word with a count");
}

std::vector<int64_t> SkipGramPairs::countIds(llvm::ArrayRef<int32_t> ids,
                                             int64_t vocabSize) {
  std::vector<int64_t> counts(vocabSize, 0);
  for (int32_t id : ids)
    if (id >= 0 && id < vocabSize)
      ++counts[id];
  return counts;
}

std::vector<ArraySpec> SkipGramPairs::specs() const {
  std::vector<ArraySpec> specs = {{"center", DType::I32, {}},
                                  {"context", DType::I32, {}}};
  if (negatives_ > 0)
    specs.push_back({"negatives", DType::I32, {negatives_}});
  return specs;
}

int32_t SkipGramPairs::noiseWord(double u) const {
  double target = u * noiseCumulative_.back();
  auto it = std::upper_bound(noiseCumulative_.begin(), noiseCumulative_.end(),
                             target);
  // u < 1, so target < the total and some id's running sum passes it; ids of
  // weight 0 (the unknown word, words absent from the split) never do first.
  return int32_t(std::min<ptrdiff_t>(it - noiseCumulative_.begin(),
                                     noiseCumulative_.size() - 1));
}

NamedArrays SkipGramPairs::gather(llvm::ArrayRef<int64_t> rows,
                                  int64_t epoch) const {
  int64_t n = rows.size(), k = negatives_;
  Tensor center(DType::I32, {n}), context(DType::I32, {n});
  Tensor negatives(DType::I32, {n, k});
  for (int64_t r = 0; r < n; ++r) {
    int64_t pair = rows[r];
    assert(pair >= 0 && pair < size() && "pair out of range");
    center.data[r] = center_[pair];
    context.data[r] = context_[pair];
    for (int64_t j = 0; j < k; ++j) {
      // Philox keyed by the seed, counter = epoch, index = the draw's place
      // in the epoch: 53 random bits from the block's first two words.
      philox::Block b = philox::block(seed_, uint64_t(epoch),
                                      uint64_t(pair) * uint64_t(k) + j);
      uint64_t bits = ((uint64_t(b[0]) << 32) | b[1]) >> 11;
      negatives.data[r * k + j] = noiseWord(double(bits) * 0x1p-53);
    }
  }
  NamedArrays out{
      {{"center", std::move(center)}, {"context", std::move(context)}}};
  if (k > 0)
    out.arrays.push_back({"negatives", std::move(negatives)});
  return out;
}
