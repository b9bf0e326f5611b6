// A text data source end to end: a corpus read, split by position into a
// training part and a validation part (the last fraction), tokenized with a
// vocabulary of the training part only, and made into samples: windows for
// a language model, skip-gram pairs for word embeddings.
#ifndef AXON_RUNTIME_DATA_TEXTSOURCE_H
#define AXON_RUNTIME_DATA_TEXTSOURCE_H

#include "runtime/data/SampleSource.h"
#include "runtime/data/TextCorpus.h"
#include "runtime/data/Vocabulary.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <memory>

namespace axon {

struct TextOptions {
  /// "fortunes" (the fortunes corpus) or UTF-8 text files, read in order.
  std::vector<std::string> files;
  TokenLevel level = TokenLevel::Char;
  /// The fraction of tokens at the end of the corpus that is the validation
  /// split, in [0, 1).
  double validation = 0.1;
  /// Word level: the vocabulary's most frequent words (0: every word).
  int64_t maxWords = 0;
  std::string fortunesDir = kFortunesDir;

  /// `text("fortunes", level = "char", validation = 0.1)`, for messages.
  std::string describe() const;
};

/// A corpus as token ids of its training and validation splits.
struct TokenizedText {
  Vocabulary vocabulary;
  std::vector<int32_t> train, validation;
};

/// Reads `options.files` (readCorpus), splits the tokens by position (the
/// validation split is the last round(n * validation) tokens) and encodes
/// both splits with the vocabulary of the training split. Errors name the
/// file (readCorpus) or the source: a validation fraction outside [0, 1), a
/// corpus without tokens.
llvm::Expected<TokenizedText> tokenizeText(const TextOptions &options);

/// `text` (UTF-8) as the ids of `vocabulary`, at its level (a prompt to
/// generate from, with a checkpoint's vocabulary).
std::vector<int32_t> encodeText(const Vocabulary &vocabulary,
                                llvm::StringRef text);

/// Training and validation samples (validation null when the split is
/// empty) and the vocabulary they were encoded with.
struct TextSamples {
  Vocabulary vocabulary;
  std::unique_ptr<SampleSource> train, validation;
};

/// TextWindows of `seq` tokens, `stride` apart (0: `seq`), over each split;
/// no window crosses the split. Errors: seq < 1, stride < 0, a split too
/// short for one window (with its token count).
llvm::Expected<TextSamples> makeTextWindows(TokenizedText text, int64_t seq,
                                            int64_t stride,
                                            llvm::StringRef what);

/// SkipGramPairs of each split (negatives drawn from the training split's
/// counts). Errors: window < 1, negatives < 0, a split with no pair.
llvm::Expected<TextSamples> makeSkipGramPairs(TokenizedText text,
                                              int64_t window, int64_t negatives,
                                              uint64_t seed,
                                              llvm::StringRef what);

/// A train block's `text(...)` source as its settings say:
///   text("fortunes", level = "char", seq = 64, validation = 0.1)
///   text("corpus.txt", level = "word", words = 5000, window = 2,
///        negatives = 5)
/// `seq` makes windows (with `stride`), `window` skip-gram pairs (with
/// `negatives`); one of the two.
struct TextSourceSpec {
  TextOptions text;
  enum class Samples { Windows, SkipGram } samples = Samples::Windows;
  int64_t seq = 0, stride = 0;       ///< Windows.
  int64_t window = 0, negatives = 0; ///< Skip-gram pairs.
};

/// The settings `text(...)` takes, with what each means (for messages and
/// for the model file's checks): level (string), seq, stride, validation
/// (number), words, window, negatives (integers).
struct TextSetting {
  const char *name;
  enum class Kind { Integer, Number, String } kind;
  const char *usage;
};
llvm::ArrayRef<TextSetting> textSettings();

/// The spec of `text(file, settings...)`, `settings` as a train
/// configuration's JSON holds them ({"level": "char", "seq": 64}). Errors
/// name the setting: unknown (listing the known ones), of the wrong type,
/// out of range, a level other than char and word, neither or both of seq
/// and window, settings of the other kind of samples, skip-gram pairs at the
/// character level.
llvm::Expected<TextSourceSpec>
textSourceSpec(llvm::ArrayRef<std::string> files,
               const llvm::json::Object &settings);

/// Reads, tokenizes and samples the source `spec` describes (negative
/// samples drawn from `seed`). Errors as tokenizeText's, makeTextWindows'
/// and makeSkipGramPairs', each starting with the source's description.
llvm::Expected<TextSamples> loadTextSamples(const TextSourceSpec &spec,
                                            uint64_t seed);

} // namespace axon

#endif // AXON_RUNTIME_DATA_TEXTSOURCE_H
