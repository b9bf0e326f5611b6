// A text data source end to end (see TextSource.h).
#include "runtime/data/TextSource.h"

#include "runtime/core/Tensor.h"
#include "runtime/data/CharTokenizer.h"
#include "runtime/data/SkipGramPairs.h"
#include "runtime/data/TextWindows.h"
#include "runtime/data/WordTokenizer.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <optional>

using namespace axon;

std::string TextOptions::describe() const {
  std::string s = "text(";
  for (const std::string &f : files)
    s += "\"" + f + "\", ";
  s += llvm::formatv("level = \"{0}\", validation = {1}", tokenLevelName(level),
                     numberText(validation))
           .str();
  if (maxWords > 0)
    s += ", words = " + std::to_string(maxWords);
  return s + ")";
}

namespace {

/// The split point of `n` tokens: the validation split is the last
/// round(n * fraction).
size_t splitPoint(size_t n, double fraction) {
  return n - size_t(std::llround(double(n) * fraction));
}

} // namespace

llvm::Expected<TokenizedText> axon::tokenizeText(const TextOptions &o) {
  if (!(o.validation >= 0 && o.validation < 1))
    return llvm::createStringError(
        o.describe() + ": validation must be a fraction in [0, 1), got " +
        numberText(o.validation));
  auto corpus = readCorpus(o.files, o.fortunesDir);
  if (!corpus)
    return corpus.takeError();
  TokenizedText out;
  if (o.level == TokenLevel::Char) {
    std::vector<uint32_t> chars = codePoints(*corpus);
    size_t split = splitPoint(chars.size(), o.validation);
    llvm::ArrayRef<uint32_t> all(chars);
    CharTokenizer tokenizer = CharTokenizer::fromText(all.take_front(split));
    out.train = tokenizer.encode(all.take_front(split));
    out.validation = tokenizer.encode(all.drop_front(split));
    out.vocabulary = tokenizer.vocabulary();
  } else {
    std::vector<std::string> words = splitWords(*corpus);
    if (words.empty())
      return llvm::createStringError(o.describe() +
                                     ": the text holds no words");
    size_t split = splitPoint(words.size(), o.validation);
    llvm::ArrayRef<std::string> all(words);
    WordTokenizer tokenizer =
        WordTokenizer::fromWords(all.take_front(split), o.maxWords);
    out.train = tokenizer.encode(all.take_front(split));
    out.validation = tokenizer.encode(all.drop_front(split));
    out.vocabulary = tokenizer.vocabulary();
  }
  return out;
}

std::vector<int32_t> axon::encodeText(const Vocabulary &vocabulary,
                                      llvm::StringRef text) {
  if (vocabulary.level() == TokenLevel::Char)
    return CharTokenizer(vocabulary).encode(text);
  return WordTokenizer(vocabulary).encode(text);
}

llvm::Expected<TextSamples> axon::makeTextWindows(TokenizedText text,
                                                  int64_t seq, int64_t stride,
                                                  llvm::StringRef what) {
  if (seq < 1)
    return llvm::createStringError(what + ": seq must be at least 1, got " +
                                   llvm::Twine(seq));
  if (stride < 0)
    return llvm::createStringError(
        what + ": stride must be at least 1 (0: seq), got " +
        llvm::Twine(stride));
  auto tooShort = [&](const char *split, size_t n) {
    return llvm::createStringError(
        what + llvm::formatv(": the {0} split holds {1} tokens, fewer than "
                             "the seq + 1 = {2} of one window",
                             split, n, seq + 1));
  };
  if (TextWindows::count(text.train.size(), seq, stride) == 0)
    return tooShort("training", text.train.size());
  if (!text.validation.empty() &&
      TextWindows::count(text.validation.size(), seq, stride) == 0)
    return tooShort("validation", text.validation.size());
  TextSamples out;
  out.vocabulary = std::move(text.vocabulary);
  out.train = std::make_unique<TextWindows>(std::move(text.train), seq, stride);
  if (!text.validation.empty())
    out.validation =
        std::make_unique<TextWindows>(std::move(text.validation), seq, stride);
  return out;
}

llvm::Expected<TextSamples>
axon::makeSkipGramPairs(TokenizedText text, int64_t window, int64_t negatives,
                        uint64_t seed, llvm::StringRef what) {
  if (window < 1)
    return llvm::createStringError(what + ": window must be at least 1, got " +
                                   llvm::Twine(window));
  if (negatives < 0)
    return llvm::createStringError(
        what + ": negatives must be at least 0, got " + llvm::Twine(negatives));
  if (text.vocabulary.level() != TokenLevel::Word)
    return llvm::createStringError(what +
                                   ": skip-gram pairs need level = word");
  int64_t vocab = text.vocabulary.size();
  std::vector<int64_t> counts = SkipGramPairs::countIds(text.train, vocab);
  auto noPair = [&](const char *split) {
    return llvm::createStringError(
        what + llvm::formatv(": the {0} split has no pair of known words "
                             "within {1} of each other",
                             split, window));
  };
  // The training split first: with no known word it has no counts to draw
  // the validation split's negatives from.
  TextSamples out;
  out.train = std::make_unique<SkipGramPairs>(text.train, vocab, window,
                                              negatives, counts, seed);
  if (out.train->size() == 0)
    return noPair("training");
  if (!text.validation.empty()) {
    out.validation = std::make_unique<SkipGramPairs>(
        text.validation, vocab, window, negatives, counts, seed);
    if (out.validation->size() == 0)
      return noPair("validation");
  }
  out.vocabulary = std::move(text.vocabulary);
  return out;
}

llvm::ArrayRef<TextSetting> axon::textSettings() {
  using K = TextSetting::Kind;
  static const TextSetting kSettings[] = {
      {"level", K::String, "level = \"char\" or \"word\" (tokens)"},
      {"seq", K::Integer, "seq = T (windows of T + 1 tokens)"},
      {"stride", K::Integer, "stride = tokens between windows (default T)"},
      {"validation", K::Number,
       "validation = the fraction at the end held out (default 0.1)"},
      {"words", K::Integer, "words = K most frequent words (word level)"},
      {"window", K::Integer, "window = reach of skip-gram pairs"},
      {"negatives", K::Integer, "negatives = noise words per pair"},
  };
  return kSettings;
}

llvm::Expected<TextSourceSpec>
axon::textSourceSpec(llvm::ArrayRef<std::string> files,
                     const llvm::json::Object &settings) {
  TextSourceSpec spec;
  spec.text.files.assign(files.begin(), files.end());
  std::string what = "text(";
  for (size_t i = 0; i < files.size(); ++i)
    what += (i ? ", \"" : "\"") + files[i] + "\"";
  what += ")";
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(what + ": " + why);
  };
  bool hasSeq = false, hasWindow = false;
  for (const auto &[key, value] : settings) {
    llvm::StringRef name = key;
    const TextSetting *setting = nullptr;
    for (const TextSetting &s : textSettings())
      if (name == s.name)
        setting = &s;
    if (!setting) {
      std::string known;
      for (const TextSetting &s : textSettings())
        known += std::string(known.empty() ? "" : ", ") + s.name;
      return error("unknown setting '" + name + "' (expected " + known + ")");
    }
    std::optional<int64_t> integer = value.getAsInteger();
    std::optional<double> number = value.getAsNumber();
    std::optional<llvm::StringRef> string = value.getAsString();
    switch (setting->kind) {
    case TextSetting::Kind::Integer:
      if (!integer || *integer < 0)
        return error(llvm::Twine(setting->usage) +
                     ": expected a whole number >= 0");
      break;
    case TextSetting::Kind::Number:
      if (!number)
        return error(llvm::Twine(setting->usage) + ": expected a number");
      break;
    case TextSetting::Kind::String:
      if (!string)
        return error(llvm::Twine(setting->usage) + ": expected a string");
      break;
    }
    if (name == "level") {
      if (*string != "char" && *string != "word")
        return error("level must be \"char\" or \"word\", got \"" + *string +
                     "\"");
      spec.text.level = *string == "char" ? TokenLevel::Char : TokenLevel::Word;
    } else if (name == "seq") {
      spec.seq = *integer;
      hasSeq = true;
    } else if (name == "stride") {
      spec.stride = *integer;
    } else if (name == "validation") {
      spec.text.validation = *number;
    } else if (name == "words") {
      spec.text.maxWords = *integer;
    } else if (name == "window") {
      spec.window = *integer;
      hasWindow = true;
    } else if (name == "negatives") {
      spec.negatives = *integer;
    }
  }
  if (hasSeq == hasWindow)
    return error(hasSeq ? "seq (windows) and window (skip-gram pairs) "
                          "exclude each other"
                        : "needs seq = T (windows for a language model) or "
                          "window = W (skip-gram pairs)");
  spec.samples = hasSeq ? TextSourceSpec::Samples::Windows
                        : TextSourceSpec::Samples::SkipGram;
  // The other kind's settings (stride of windows, negatives of pairs).
  const char *other = hasSeq ? "negatives" : "stride";
  if (settings.get(other))
    return error(
        llvm::Twine(other) + " is a setting of " +
        (hasSeq ? "skip-gram pairs (window = W)" : "windows (seq = T)"));
  if (hasWindow && spec.text.level != TokenLevel::Word)
    return error("skip-gram pairs (window = W) need level = \"word\"");
  if (spec.text.maxWords > 0 && spec.text.level != TokenLevel::Word)
    return error("words = K is a setting of level = \"word\"");
  return spec;
}

llvm::Expected<TextSamples> axon::loadTextSamples(const TextSourceSpec &spec,
                                                  uint64_t seed) {
  auto text = tokenizeText(spec.text);
  if (!text)
    return text.takeError();
  std::string what = spec.text.describe();
  if (spec.samples == TextSourceSpec::Samples::Windows)
    return makeTextWindows(std::move(*text), spec.seq, spec.stride, what);
  return makeSkipGramPairs(std::move(*text), spec.window, spec.negatives, seed,
                           what);
}
