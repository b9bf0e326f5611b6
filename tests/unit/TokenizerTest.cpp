// Tests of the text source's tokenizers and vocabulary
// (runtime/data/CharTokenizer.h, WordTokenizer.h, Vocabulary.h, TextSource.h):
// round trips, unknown tokens, a vocabulary of the training split only, and
// the vocabulary in a checkpoint's metadata with its errors.
#include "runtime/data/CharTokenizer.h"
#include "runtime/data/TextSource.h"
#include "runtime/data/WordTokenizer.h"
#include "tests/unit/TempDirTest.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

class TokenizerTest : public axon::test::TempDirTest {};

TEST_F(TokenizerTest, CharactersRoundTripInCodePointOrder) {
  std::string text = "b\xC3\xA9"
                     "a\n a\xE2\x82\xAC";
  CharTokenizer t = CharTokenizer::fromText(codePoints(text));
  // Sorted code points: '\n' ' ' 'a' 'b' U+00E9 U+20AC, ids from 1.
  EXPECT_EQ(t.vocabulary().tokens(),
            (std::vector<std::string>{"\n", " ", "a", "b", "\xC3\xA9",
                                      "\xE2\x82\xAC"}));
  EXPECT_EQ(t.vocabulary().size(), 7);
  std::vector<int32_t> ids = t.encode(llvm::StringRef(text));
  EXPECT_EQ(ids, (std::vector<int32_t>{4, 5, 3, 1, 2, 3, 6}));
  EXPECT_EQ(t.vocabulary().decode(ids), text);
  // One character: a vocabulary of it and the unknown id.
  CharTokenizer one = CharTokenizer::fromText(codePoints("x"));
  EXPECT_EQ(one.vocabulary().size(), 2);
  EXPECT_EQ(one.encode(llvm::StringRef("xx")), (std::vector<int32_t>{1, 1}));
}

TEST_F(TokenizerTest, UnknownCharactersGetIdZero) {
  CharTokenizer t = CharTokenizer::fromText(codePoints("abc"));
  std::vector<int32_t> ids =
      t.encode(llvm::StringRef("a\xC3\xA9z\xF0\x9F\x98\x80"));
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 0, 0, 0}));
  // Unknown ids, and ids out of range, decode as U+FFFD.
  EXPECT_EQ(t.vocabulary().decode({1, 0, 99, -1}),
            "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(TokenizerTest, WordsAreLowerCasedWithPunctuationApart) {
  EXPECT_EQ(splitWords("Don't PANIC, it's 42!\n\t(Really.)"),
            (std::vector<std::string>{"don't", "panic", ",", "it's", "42", "!",
                                      "(", "really", ".", ")"}));
  // Apostrophes inside a word only; quotes around it are tokens.
  EXPECT_EQ(splitWords("'tis the dogs' 'bone'"),
            (std::vector<std::string>{"'", "tis", "the", "dogs", "'", "'",
                                      "bone", "'"}));
  // Accented letters stay in their word and are lower-cased; a typographic
  // apostrophe joins like ' does; a dash is a token.
  EXPECT_EQ(splitWords("CAF\xC3\x89 d\xE2\x80\x99"
                       "accord\xE2\x80\x94oui"),
            (std::vector<std::string>{"caf\xC3\xA9", "d'accord", "\xE2\x80\x94",
                                      "oui"}));
  EXPECT_TRUE(splitWords(" \n\t ").empty());
}

TEST_F(TokenizerTest, WordVocabularyKeepsTheMostFrequent) {
  std::vector<std::string> words =
      splitWords("the cat and the dog and the bird . a");
  // Counts: the 3, and 2, then cat dog bird . a once each (byte order).
  WordTokenizer all = WordTokenizer::fromWords(words, 0);
  EXPECT_EQ(
      all.vocabulary().tokens(),
      (std::vector<std::string>{"the", "and", ".", "a", "bird", "cat", "dog"}));
  WordTokenizer top = WordTokenizer::fromWords(words, 3);
  EXPECT_EQ(top.vocabulary().tokens(),
            (std::vector<std::string>{"the", "and", "."}));
  std::vector<int32_t> ids = top.encode(llvm::StringRef("The cat and."));
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 0, 2, 3}));
  EXPECT_EQ(top.vocabulary().decode(ids), "the <unk> and .");
}

TEST_F(TokenizerTest, VocabularyComesFromTheTrainingSplitOnly) {
  // 20 characters; the last 5 (validation = 0.25) hold 'x' and 'y', which
  // the first 15 do not.
  std::string file = write("t.txt", "abcabcabcabcabcaxyzb");
  TextOptions o;
  o.files = {file};
  o.validation = 0.25;
  auto text = tokenizeText(o);
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_EQ(text->vocabulary.tokens(),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(text->train.size(), 15u);
  EXPECT_EQ(text->validation,
            (std::vector<int32_t>{1, 0, 0, 0, 2})); // a x y z b
  // Word level: the split is by words; validation words unseen in training
  // are unknown.
  write("w.txt", "one two one two three four");
  o.files = {path("w.txt")};
  o.level = TokenLevel::Word;
  o.validation = 1.0 / 3;
  text = tokenizeText(o);
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_EQ(text->vocabulary.tokens(),
            (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(text->validation, (std::vector<int32_t>{0, 0}));
  // No validation split.
  o.validation = 0;
  text = tokenizeText(o);
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_TRUE(text->validation.empty());
  EXPECT_EQ(text->vocabulary.size(), 5);
  // A fraction outside [0, 1), and a file with no words.
  o.validation = 1;
  EXPECT_EQ(errorOf(tokenizeText(o)),
            "text(\"" + path("w.txt") +
                "\", level = \"word\", validation = "
                "1): validation must be a fraction in [0, 1), got 1");
  o.validation = 0.1;
  o.files = {write("blank.txt", " \n\n")};
  EXPECT_NE(errorOf(tokenizeText(o)).find(": the text holds no words"),
            std::string::npos);
  o.files = {path("nothing.txt")};
  EXPECT_EQ(errorOf(tokenizeText(o)),
            path("nothing.txt") + ": cannot open: No such file or directory");
}

TEST_F(TokenizerTest, VocabularyRoundTripsThroughACheckpoint) {
  std::string p = path("model.ckpt.safetensors");
  for (const Vocabulary &v :
       {CharTokenizer::fromText(codePoints("hi \"there\"\n\\\xC3\xA9\t"))
            .vocabulary(),
        WordTokenizer::fromWords(splitWords("a b a <c> d'e"), 0)
            .vocabulary()}) {
    Checkpoint c;
    c.tensors.push_back({"W", Tensor(DType::F32, {2}, {1.0, 2.0})});
    c.metadata["format"] = "axon-checkpoint-1";
    storeVocabulary(c, v);
    ASSERT_FALSE(bool(writeCheckpoint(p, c)));
    auto back = readVocabulary(p);
    ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
    EXPECT_TRUE(*back == v);
    EXPECT_EQ(back->level(), v.level());
    std::vector<int32_t> ids;
    for (int32_t i = 0; i < v.size(); ++i)
      ids.push_back(i);
    EXPECT_EQ(back->decode(ids), v.decode(ids));
    // A prompt encodes with the checkpoint's vocabulary at its level.
    EXPECT_EQ(back->decode(encodeText(*back, "a hi")),
              v.level() == TokenLevel::Char ? "\xEF\xBF\xBD hi" // no 'a'
                                            : "a <unk>");
  }
}

TEST_F(TokenizerTest, CheckpointWithoutOrWithABadVocabularyIsNamed) {
  std::string p = path("c.safetensors");
  auto withVocabulary = [&](const char *json) {
    Checkpoint c;
    c.tensors.push_back({"W", Tensor(DType::F32, {1}, {1.0})});
    if (json)
      c.metadata[kVocabularyKey] = json;
    EXPECT_FALSE(bool(writeCheckpoint(p, c)));
    return errorOf(readVocabulary(p));
  };
  EXPECT_EQ(withVocabulary(nullptr),
            p + ": holds no vocabulary (__metadata__.vocabulary); only a "
                "model trained on a text(...) source can decode tokens");
  std::string bad = p + ": __metadata__.vocabulary is malformed: ";
  EXPECT_EQ(withVocabulary("{\"level\": \"char\", \"tokens\": [\"a\""),
            bad + "not JSON: [1:32, byte=32]: Expected , or ] after array "
                  "element");
  EXPECT_EQ(withVocabulary("[]"), bad + "not a JSON object");
  EXPECT_EQ(withVocabulary("{\"level\": \"byte\", \"tokens\": []}"),
            bad + "'level' must be \"char\" or \"word\"");
  EXPECT_EQ(withVocabulary("{\"level\": \"word\"}"),
            bad + "'tokens' must be an array of strings");
  EXPECT_EQ(withVocabulary("{\"level\": \"word\", \"tokens\": [\"a\", 7]}"),
            bad + "token 2 is not a string");
  EXPECT_EQ(withVocabulary("{\"level\": \"word\", \"tokens\": [\"\"]}"),
            bad + "token 1 is empty");
  EXPECT_EQ(withVocabulary("{\"level\": \"char\", \"tokens\": [\"ab\"]}"),
            bad + "token 1 (\"ab\") is not one character");
  EXPECT_EQ(withVocabulary(
                "{\"level\": \"word\", \"tokens\": [\"a\", \"b\", \"a\"]}"),
            bad + "token 3 (\"a\") repeats token 1");
  // A checkpoint that cannot be read says so first.
  EXPECT_EQ(errorOf(readVocabulary(path("none"))),
            path("none") + ": cannot open: No such file or directory");
}

} // namespace
