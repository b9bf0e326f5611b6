// Vocabularies and their place in checkpoints (see Vocabulary.h).
#include "runtime/data/Vocabulary.h"

#include "runtime/data/TextCorpus.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace axon;
namespace json = llvm::json;

const char *axon::tokenLevelName(TokenLevel level) {
  return level == TokenLevel::Char ? "char" : "word";
}

Vocabulary::Vocabulary(TokenLevel level, std::vector<std::string> tokens)
    : level_(level), tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i)
    ids_[tokens_[i]] = int32_t(i + 1);
}

int32_t Vocabulary::idOf(llvm::StringRef token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnknown : it->second;
}

llvm::StringRef Vocabulary::text(int64_t id) const {
  if (id >= 1 && id < size())
    return tokens_[id - 1];
  return level_ == TokenLevel::Char ? "\xEF\xBF\xBD" : "<unk>";
}

std::string Vocabulary::decode(llvm::ArrayRef<int32_t> ids) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0 && level_ == TokenLevel::Word)
      out += ' ';
    out += text(ids[i]);
  }
  return out;
}

std::string Vocabulary::toJson() const {
  json::Array tokens;
  for (const std::string &t : tokens_)
    tokens.push_back(t);
  std::string text;
  llvm::raw_string_ostream(text) << json::Value(json::Object{
      {"level", tokenLevelName(level_)}, {"tokens", std::move(tokens)}});
  return text;
}

llvm::Expected<Vocabulary> Vocabulary::fromJson(llvm::StringRef text) {
  auto parsed = json::parse(text);
  if (!parsed)
    return llvm::createStringError("not JSON: " +
                                   llvm::toString(parsed.takeError()));
  const json::Object *o = parsed->getAsObject();
  if (!o)
    return llvm::createStringError("not a JSON object");
  auto levelName = o->getString("level");
  if (!levelName || (*levelName != "char" && *levelName != "word"))
    return llvm::createStringError("'level' must be \"char\" or \"word\"");
  TokenLevel level = *levelName == "char" ? TokenLevel::Char : TokenLevel::Word;
  const json::Array *list = o->getArray("tokens");
  if (!list)
    return llvm::createStringError("'tokens' must be an array of strings");
  std::vector<std::string> tokens;
  llvm::StringMap<size_t> seen;
  for (size_t i = 0; i < list->size(); ++i) {
    auto token = (*list)[i].getAsString();
    std::string where = "token " + std::to_string(i + 1);
    if (!token)
      return llvm::createStringError(where + " is not a string");
    if (token->empty())
      return llvm::createStringError(where + " is empty");
    if (level == TokenLevel::Char && codePoints(*token).size() != 1)
      return llvm::createStringError(where + " (\"" + *token +
                                     "\") is not one character");
    auto [it, fresh] = seen.try_emplace(*token, i + 1);
    if (!fresh)
      return llvm::createStringError(where + " (\"" + *token +
                                     "\") repeats token " +
                                     std::to_string(it->second));
    tokens.push_back(token->str());
  }
  return Vocabulary(level, std::move(tokens));
}

void axon::storeVocabulary(Checkpoint &checkpoint,
                           const Vocabulary &vocabulary) {
  checkpoint.metadata[kVocabularyKey] = vocabulary.toJson();
}

llvm::Expected<Vocabulary> axon::vocabularyOf(const Checkpoint &checkpoint,
                                              llvm::StringRef path) {
  auto it = checkpoint.metadata.find(kVocabularyKey);
  if (it == checkpoint.metadata.end())
    return llvm::createStringError(
        path + ": holds no vocabulary (__metadata__." + kVocabularyKey +
        "); only a model trained on a text(...) source can decode tokens");
  auto v = Vocabulary::fromJson(it->second);
  if (!v)
    return llvm::createStringError(
        path + ": __metadata__." + kVocabularyKey +
        " is malformed: " + llvm::toString(v.takeError()));
  return v;
}

llvm::Expected<Vocabulary> axon::readVocabulary(llvm::StringRef path) {
  auto checkpoint = readCheckpoint(path);
  if (!checkpoint)
    return checkpoint.takeError();
  return vocabularyOf(*checkpoint, path);
}
