// A tokenizer's vocabulary: token ids and their text, built from a text
// source's training split and kept in the checkpoint's metadata, so that
// generation decodes ids with the vocabulary the model was trained on.
#ifndef AXON_RUNTIME_DATA_VOCABULARY_H
#define AXON_RUNTIME_DATA_VOCABULARY_H

#include "runtime/io/Checkpoint.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axon {

/// What a token is: one Unicode code point, or one lower-cased word or
/// punctuation mark.
enum class TokenLevel { Char, Word };
const char *tokenLevelName(TokenLevel level); ///< "char", "word"

/// Ids 1..size()-1 name the tokens in order; id 0 is the unknown token, for
/// text not seen in the training split (it decodes as U+FFFD at the
/// character level, "<unk>" at the word level).
class Vocabulary {
public:
  static constexpr int32_t kUnknown = 0;

  Vocabulary() = default;
  /// `tokens` are distinct; token i gets id i + 1.
  Vocabulary(TokenLevel level, std::vector<std::string> tokens);

  TokenLevel level() const { return level_; }
  /// The number of ids, the unknown one included.
  int64_t size() const { return int64_t(tokens_.size()) + 1; }
  /// `token`'s id, kUnknown when it is not in the vocabulary.
  int32_t idOf(llvm::StringRef token) const;
  /// Id `id`'s text; the unknown token's for kUnknown and for ids out of
  /// range.
  llvm::StringRef text(int64_t id) const;
  /// The tokens of ids 1, 2, ...
  const std::vector<std::string> &tokens() const { return tokens_; }
  /// The text of `ids`: characters one after another, words separated by
  /// spaces.
  std::string decode(llvm::ArrayRef<int32_t> ids) const;

  /// {"level": "char", "tokens": [...]}, tokens in id order from 1.
  std::string toJson() const;
  /// Errors say what is wrong: not JSON, an unknown level, a token that is
  /// not a string, empty, twice in the list, or (character level) not
  /// exactly one code point.
  static llvm::Expected<Vocabulary> fromJson(llvm::StringRef json);

  bool operator==(const Vocabulary &o) const {
    return level_ == o.level_ && tokens_ == o.tokens_;
  }

private:
  TokenLevel level_ = TokenLevel::Char;
  std::vector<std::string> tokens_;
  llvm::StringMap<int32_t> ids_;
};

/// The checkpoint metadata key that holds a vocabulary's JSON.
constexpr const char *kVocabularyKey = "vocabulary";

/// Records `vocabulary` in `checkpoint`'s metadata.
void storeVocabulary(Checkpoint &checkpoint, const Vocabulary &vocabulary);

/// The vocabulary `checkpoint` (read from `path`) was trained with. Errors
/// name `path`: it holds none (not trained on a text source), or its
/// metadata's vocabulary is malformed (and how).
llvm::Expected<Vocabulary> vocabularyOf(const Checkpoint &checkpoint,
                                        llvm::StringRef path);

/// Reads the checkpoint at `path` and its vocabulary (errors as
/// readCheckpoint's and vocabularyOf's).
llvm::Expected<Vocabulary> readVocabulary(llvm::StringRef path);

} // namespace axon

#endif // AXON_RUNTIME_DATA_VOCABULARY_H
