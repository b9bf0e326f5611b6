// Character-level tokens (see CharTokenizer.h).
#include "runtime/data/CharTokenizer.h"

#include "runtime/data/TextCorpus.h"

#include <algorithm>
#include <cassert>

using namespace axon;

CharTokenizer CharTokenizer::fromText(llvm::ArrayRef<uint32_t> trainText) {
  std::vector<uint32_t> set(trainText.begin(), trainText.end());
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  std::vector<std::string> tokens;
  tokens.reserve(set.size());
  for (uint32_t c : set)
    tokens.push_back(utf8(c));
  return CharTokenizer(Vocabulary(TokenLevel::Char, std::move(tokens)));
}

CharTokenizer::CharTokenizer(Vocabulary vocabulary)
    : vocabulary_(std::move(vocabulary)) {
  assert(vocabulary_.level() == TokenLevel::Char &&
         "a character tokenizer needs a character-level vocabulary");
  const std::vector<std::string> &tokens = vocabulary_.tokens();
  for (size_t i = 0; i < tokens.size(); ++i)
    if (std::vector<uint32_t> c = codePoints(tokens[i]); c.size() == 1)
      ids_[c.front()] = int32_t(i + 1);
}

std::vector<int32_t>
CharTokenizer::encode(llvm::ArrayRef<uint32_t> text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (uint32_t c : text) {
    auto it = ids_.find(c);
    ids.push_back(it == ids_.end() ? Vocabulary::kUnknown : it->second);
  }
  return ids;
}

std::vector<int32_t> CharTokenizer::encode(llvm::StringRef text) const {
  return encode(codePoints(text));
}
