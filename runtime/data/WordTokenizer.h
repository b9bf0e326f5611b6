// Word-level tokens for word embeddings (skip-gram word2vec): lower-cased
// words and punctuation marks, with a vocabulary of the most frequent words
// of a text source's training split.
#ifndef AXON_RUNTIME_DATA_WORDTOKENIZER_H
#define AXON_RUNTIME_DATA_WORDTOKENIZER_H

#include "runtime/data/Vocabulary.h"

#include "llvm/ADT/ArrayRef.h"

namespace axon {

/// `text` (UTF-8) as lower-cased tokens. A word is a run of letters and
/// digits (ASCII, and every code point above U+007F that is not a space or
/// general punctuation: accented letters stay inside their word), with an
/// apostrophe (' or U+2019) kept inside it when a letter follows it on both
/// sides ("don't"); every other printable ASCII character is a token of its
/// own ("," "." "("); spaces and control characters separate tokens. Lower
/// case is Unicode's simple case folding.
std::vector<std::string> splitWords(llvm::StringRef text);

class WordTokenizer {
public:
  /// The vocabulary of `trainWords`: the `maxWords` most frequent (0: all),
  /// most frequent first, ties in byte order of the words, so a corpus
  /// gives one vocabulary everywhere.
  static WordTokenizer fromWords(llvm::ArrayRef<std::string> trainWords,
                                 int64_t maxWords);
  /// A word-level vocabulary (one read from a checkpoint).
  explicit WordTokenizer(Vocabulary vocabulary);

  const Vocabulary &vocabulary() const { return vocabulary_; }
  /// Each word's id; Vocabulary::kUnknown for one not in the vocabulary.
  std::vector<int32_t> encode(llvm::ArrayRef<std::string> words) const;
  /// splitWords(text) as ids.
  std::vector<int32_t> encode(llvm::StringRef text) const;

private:
  Vocabulary vocabulary_;
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_WORDTOKENIZER_H
