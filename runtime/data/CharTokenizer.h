// Character-level tokens: one per Unicode code point, with the vocabulary
// of the characters of a text source's training split.
#ifndef AXON_RUNTIME_DATA_CHARTOKENIZER_H
#define AXON_RUNTIME_DATA_CHARTOKENIZER_H

#include "runtime/data/Vocabulary.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"

namespace axon {

class CharTokenizer {
public:
  /// The vocabulary of `trainText`: its distinct code points in code point
  /// order (ids 1, 2, ...; 0 for every other character).
  static CharTokenizer fromText(llvm::ArrayRef<uint32_t> trainText);
  /// A character-level vocabulary (one read from a checkpoint); a token that
  /// is not one character (Vocabulary::fromJson refuses them) gets no id.
  explicit CharTokenizer(Vocabulary vocabulary);

  const Vocabulary &vocabulary() const { return vocabulary_; }
  /// Each code point's id; Vocabulary::kUnknown for one not in the
  /// vocabulary.
  std::vector<int32_t> encode(llvm::ArrayRef<uint32_t> text) const;
  /// `text` (UTF-8) as ids.
  std::vector<int32_t> encode(llvm::StringRef text) const;

private:
  Vocabulary vocabulary_;
  llvm::DenseMap<uint32_t, int32_t> ids_; ///< Code point -> id.
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_CHARTOKENIZER_H
