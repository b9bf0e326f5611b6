// The bigram baseline (see BigramBaseline.h).
#include "runtime/data/BigramBaseline.h"

#include "llvm/ADT/DenseMap.h"

#include <cassert>
#include <cmath>
#include <vector>

using namespace axon;

llvm::Expected<BigramScore>
axon::bigramBaseline(llvm::ArrayRef<int32_t> train,
                     llvm::ArrayRef<int32_t> validation, int64_t vocabSize,
                     double alpha) {
  if (!(alpha > 0))
    return llvm::createStringError(
        "the bigram baseline's smoothing alpha must be > 0");
  if (train.size() < 2 || validation.size() < 2)
    return llvm::createStringError(
        "the bigram baseline needs two tokens in each split (training " +
        llvm::Twine(train.size()) + ", validation " +
        llvm::Twine(validation.size()) + ")");
  int64_t v = vocabSize;
  // Sparse pair counts: a character vocabulary would fit a dense table, a
  // 10,000-word one would need 800 MB for the few pairs that occur.
  llvm::DenseMap<uint64_t, double> pairs;
  std::vector<double> firsts(v, 0);
  auto key = [&](int32_t a, int32_t b) { return uint64_t(a) * v + b; };
  for (size_t i = 0; i + 1 < train.size(); ++i) {
    assert(train[i] >= 0 && train[i] < v && train[i + 1] >= 0 &&
           train[i + 1] < v && "token id outside the vocabulary");
    ++pairs[key(train[i], train[i + 1])];
    ++firsts[train[i]];
  }
  auto meanNll = [&](llvm::ArrayRef<int32_t> ids) {
    double sum = 0;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      int32_t a = ids[i], b = ids[i + 1];
      sum -=
          std::log((pairs.lookup(key(a, b)) + alpha) / (firsts[a] + alpha * v));
    }
    return sum / double(ids.size() - 1);
  };
  BigramScore score;
  score.trainNll = meanNll(train);
  score.validationNll = meanNll(validation);
  score.validationPairs = int64_t(validation.size()) - 1;
  return score;
}
