// Word-level tokens (see WordTokenizer.h).
#include "runtime/data/WordTokenizer.h"

#include "runtime/data/TextCorpus.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Unicode.h"

#include <algorithm>
#include <cassert>

using namespace axon;

namespace {

bool isSpace(uint32_t c) {
  return c <= 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
         c == 0xFEFF;
}

bool isApostrophe(uint32_t c) { return c == '\'' || c == 0x2019; }

/// Letters and digits; above ASCII, everything but spaces and the General
/// Punctuation block (dashes, quotes, ellipsis), which are tokens of their
/// own like ASCII punctuation.
bool isWordChar(uint32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
  return !isSpace(c) && !(c >= 0x2010 && c <= 0x205E);
}

} // namespace

std::vector<std::string> axon::splitWords(llvm::StringRef text) {
  std::vector<uint32_t> cs = codePoints(text);
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty())
      words.push_back(std::move(word));
    word.clear();
  };
  for (size_t i = 0; i < cs.size(); ++i) {
    uint32_t c = cs[i];
    if (isWordChar(c)) {
      word += utf8(uint32_t(llvm::sys::unicode::foldCharSimple(int(c))));
    } else if (isApostrophe(c) && !word.empty() && i + 1 < cs.size() &&
               isWordChar(cs[i + 1])) {
      word += '\'';
    } else {
      flush();
      if (!isSpace(c))
        words.push_back(utf8(c));
    }
  }
  flush();
  return words;
}

WordTokenizer WordTokenizer::fromWords(llvm::ArrayRef<std::string> trainWords,
                                       int64_t maxWords) {
  llvm::StringMap<int64_t> counts;
  for (const std::string &w : trainWords)
    ++counts[w];
  std::vector<std::pair<int64_t, llvm::StringRef>> ranked;
  ranked.reserve(counts.size());
  for (const auto &entry : counts)
    ranked.push_back({entry.second, entry.first()});
  std::sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (maxWords > 0 && int64_t(ranked.size()) > maxWords)
    ranked.resize(maxWords);
  std::vector<std::string> tokens;
  tokens.reserve(ranked.size());
  for (const auto &[count, word] : ranked)
    tokens.push_back(word.str());
  return WordTokenizer(Vocabulary(TokenLevel::Word, std::move(tokens)));
}

WordTokenizer::WordTokenizer(Vocabulary vocabulary)
    : vocabulary_(std::move(vocabulary)) {
  assert(vocabulary_.level() == TokenLevel::Word &&
         "a word tokenizer needs a word-level vocabulary");
}

std::vector<int32_t>
WordTokenizer::encode(llvm::ArrayRef<std::string> words) const {
  std::vector<int32_t> ids;
  ids.reserve(words.size());
  for (const std::string &w : words)
    ids.push_back(vocabulary_.idOf(w));
  return ids;
}

std::vector<int32_t> WordTokenizer::encode(llvm::StringRef text) const {
  return encode(splitWords(text));
}
