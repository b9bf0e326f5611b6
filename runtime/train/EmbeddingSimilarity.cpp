// Cosine similarities of word embeddings (see EmbeddingSimilarity.h).
#include "runtime/train/EmbeddingSimilarity.h"

#include "runtime/core/Philox.h"
#include "runtime/io/Checkpoint.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace axon;

std::vector<WordCategory> axon::defaultWordCategories() {
  return {
      {"weekdays",
       {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday"}},
      {"months",
       {"january", "february", "march", "april", "may", "june", "july",
        "august", "september", "october", "november", "december"}},
      {"numbers",
       {"one", "two", "three", "four", "five", "six", "seven", "eight",
        "nine", "ten"}},
      {"colours",
       {"red", "green", "blue", "yellow", "black", "white", "brown", "orange",
        "purple", "pink", "grey", "gray"}},
  };
}

WordEmbeddings::WordEmbeddings(Tensor matrix, Vocabulary vocabulary)
    : matrix_(std::move(matrix)), vocabulary_(std::move(vocabulary)) {
  int64_t rows = matrix_.shape[0], d = matrix_.shape[1];
  norms_.resize(rows);
  for (int64_t i = 0; i < rows; ++i) {
    double s = 0;
    for (int64_t j = 0; j < d; ++j)
      s += matrix_.data[i * d + j] * matrix_.data[i * d + j];
    norms_[i] = std::sqrt(s);
  }
}

llvm::Expected<WordEmbeddings> WordEmbeddings::create(Tensor matrix,
                                                      Vocabulary vocabulary) {
  if (matrix.rank() != 2)
    return llvm::createStringError(
        "the embeddings must be a matrix with one row per word, not " +
        matrix.typeString());
  if (matrix.shape[0] != vocabulary.size())
    return llvm::createStringError(
        "the embeddings " + matrix.typeString() + " have " +
        std::to_string(matrix.shape[0]) + " rows but the vocabulary has " +
        std::to_string(vocabulary.size()) +
        " ids (the unknown one included): one row per id");
  return WordEmbeddings(std::move(matrix), std::move(vocabulary));
}

double WordEmbeddings::cosine(int64_t a, int64_t b) const {
  if (norms_[a] == 0 || norms_[b] == 0)
    return 0;
  int64_t d = dimension();
  double dot = 0;
  for (int64_t j = 0; j < d; ++j)
    dot += matrix_.data[a * d + j] * matrix_.data[b * d + j];
  return dot / (norms_[a] * norms_[b]);
}

CategorySimilarity
WordEmbeddings::similarityWithin(const WordCategory &category) const {
  CategorySimilarity out;
  out.name = category.name;
  std::vector<int32_t> ids;
  for (const std::string &w : category.words) {
    int32_t id = vocabulary_.idOf(w);
    if (id == Vocabulary::kUnknown) {
      out.missing.push_back(w);
    } else {
      out.present.push_back(w);
      ids.push_back(id);
    }
  }
  double sum = 0;
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = i + 1; j < ids.size(); ++j) {
      sum += cosine(ids[i], ids[j]);
      ++out.pairs;
    }
  out.meanCosine = out.pairs ? sum / double(out.pairs)
                             : std::numeric_limits<double>::quiet_NaN();
  return out;
}

llvm::Expected<double> WordEmbeddings::randomPairMean(int64_t pairs,
                                                      uint64_t seed) const {
  uint64_t known = uint64_t(vocabulary_.size() - 1);
  if (known < 2)
    return llvm::createStringError(
        "random pairs need at least 2 known words; the vocabulary has " +
        std::to_string(known));
  if (pairs < 1)
    return llvm::createStringError("the number of random pairs must be "
                                   "positive, not " +
                                   std::to_string(pairs));
  // Pair i takes the first two words of Philox block i; a block whose two
  // ids coincide is skipped (the next index is drawn instead).
  double sum = 0;
  uint64_t index = 0;
  for (int64_t drawn = 0; drawn < pairs; ++index) {
    philox::Block x = philox::block(seed, 0, index);
    int64_t a = 1 + int64_t(x[0] % known), b = 1 + int64_t(x[1] % known);
    if (a == b)
      continue;
    sum += cosine(a, b);
    ++drawn;
  }
  return sum / double(pairs);
}

llvm::Expected<std::vector<Neighbour>>
WordEmbeddings::nearest(llvm::StringRef word, int64_t k) const {
  int32_t id = vocabulary_.idOf(word);
  if (id == Vocabulary::kUnknown)
    return llvm::createStringError("'" + word.str() +
                                   "' is not in the vocabulary (" +
                                   std::to_string(vocabulary_.size() - 1) +
                                   " words)");
  std::vector<std::pair<double, int64_t>> scored;
  for (int64_t other = 1; other < vocabulary_.size(); ++other)
    if (other != id)
      scored.push_back({cosine(id, other), other});
  size_t n = std::min<size_t>(std::max<int64_t>(k, 0), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + n, scored.end(),
                    [](const auto &x, const auto &y) {
                      return x.first != y.first ? x.first > y.first
                                                : x.second < y.second;
                    });
  std::vector<Neighbour> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({vocabulary_.text(scored[i].second).str(), scored[i].first});
  return out;
}

llvm::Expected<WordEmbeddings> axon::readWordEmbeddings(llvm::StringRef path,
                                                        llvm::StringRef param) {
  auto checkpoint = readCheckpoint(path);
  if (!checkpoint)
    return checkpoint.takeError();
  const Tensor *matrix = checkpoint->find(param);
  if (!matrix) {
    std::string names;
    for (const auto &[name, tensor] : checkpoint->tensors)
      names += (names.empty() ? "" : ", ") + name;
    return llvm::createStringError(
        path + ": no parameter '" + param + "' (it holds " +
        (names.empty() ? std::string("no tensors") : names) + ")");
  }
  auto vocabulary = vocabularyOf(*checkpoint, path);
  if (!vocabulary)
    return vocabulary.takeError();
  auto embeddings = WordEmbeddings::create(*matrix, std::move(*vocabulary));
  if (!embeddings)
    return llvm::createStringError(path + ": '" + param +
                                   "': " + llvm::toString(embeddings.takeError()));
  return embeddings;
}
