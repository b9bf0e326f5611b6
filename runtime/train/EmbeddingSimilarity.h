// How well word embeddings group related words: cosine similarities of a
// checkpoint's embedding matrix (one row per vocabulary id), averaged within
// fixed categories of words (weekdays, months, number words, colours) and
// over random pairs, and a word's nearest neighbours. `axonc similar` prints
// them for examples/word2vec; scripts/accuracy.sh compares the two means.
#ifndef AXON_RUNTIME_TRAIN_EMBEDDINGSIMILARITY_H
#define AXON_RUNTIME_TRAIN_EMBEDDINGSIMILARITY_H

#include "runtime/core/Tensor.h"
#include "runtime/data/Vocabulary.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axon {

/// Words that belong together, by meaning.
struct WordCategory {
  std::string name;
  std::vector<std::string> words;
};

/// weekdays (monday..sunday), months (january..december), numbers (one..ten)
/// and colours (red, green, blue, yellow, black, white, brown, orange,
/// purple, pink, grey, gray), lower-case as the word tokenizer makes them.
std::vector<WordCategory> defaultWordCategories();

/// A category's words split by whether the vocabulary has them, and the mean
/// cosine over the unordered pairs of those it has (NaN with fewer than 2).
struct CategorySimilarity {
  std::string name;
  std::vector<std::string> present, missing;
  int64_t pairs = 0;
  double meanCosine = 0;
};

struct Neighbour {
  std::string word;
  double cosine = 0;
};

/// An embedding matrix whose row i is the vector of vocabulary id i.
class WordEmbeddings {
public:
  /// `matrix` is rank 2 with one row per id of `vocabulary` (its size(), the
  /// unknown id 0 included); errors say which of the two is wrong.
  static llvm::Expected<WordEmbeddings> create(Tensor matrix,
                                               Vocabulary vocabulary);

  const Vocabulary &vocabulary() const { return vocabulary_; }
  int64_t dimension() const { return matrix_.shape[1]; }

  /// The cosine of the angle between rows `a` and `b`; 0 when either is the
  /// zero vector (it has no direction).
  double cosine(int64_t a, int64_t b) const;

  /// `category` against the vocabulary (see CategorySimilarity).
  CategorySimilarity similarityWithin(const WordCategory &category) const;

  /// The mean cosine of `pairs` pairs of distinct ids drawn uniformly from
  /// the known words (ids 1..size()-1; not the unknown id) by Philox with
  /// `seed`. Needs at least 2 known words.
  llvm::Expected<double> randomPairMean(int64_t pairs, uint64_t seed) const;

  /// The `k` known words with the largest cosine to `word`, largest first
  /// (ties: smaller id first), the word itself and the unknown id left out.
  /// Errors: `word` is not in the vocabulary.
  llvm::Expected<std::vector<Neighbour>> nearest(llvm::StringRef word,
                                                 int64_t k) const;

private:
  WordEmbeddings(Tensor matrix, Vocabulary vocabulary);
  Tensor matrix_;
  Vocabulary vocabulary_;
  std::vector<double> norms_;
};

/// The parameter `param` of the checkpoint at `path` with the checkpoint's
/// vocabulary. Errors name `path`: readCheckpoint's, no tensor `param` (the
/// ones it has are listed), no vocabulary (not trained on a text source),
/// and create's.
llvm::Expected<WordEmbeddings> readWordEmbeddings(llvm::StringRef path,
                                                  llvm::StringRef param);

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_EMBEDDINGSIMILARITY_H
