// Tests of a text source's samples (runtime/data/TextWindows.h,
// SkipGramPairs.h, TextSource.h, BigramBaseline.h): windows and their
// shift at awkward lengths and at the split, skip-gram pairs at the edges of
// the corpus, negative samples drawn deterministically from the seed, and
// the bigram baseline against a hand count.
#include "runtime/data/BigramBaseline.h"
#include "runtime/data/SkipGramPairs.h"
#include "runtime/data/TextSource.h"
#include "runtime/data/TextWindows.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numeric>

using namespace axon;

namespace {

std::vector<int32_t> iota(int n, int from = 1) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

std::vector<int64_t> allRows(const SampleSource &s) {
  std::vector<int64_t> rows(s.size());
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

/// Row `r` of a [n, ...] i32 tensor.
std::vector<int32_t> row(const Tensor &t, int64_t r) {
  int64_t per = t.numElements() / t.shape[0];
  return std::vector<int32_t>(t.data.begin() + r * per,
                              t.data.begin() + (r + 1) * per);
}

template <typename T> std::string errorOf(llvm::Expected<T> r) {
  if (r)
    return "no error";
  return llvm::toString(r.takeError());
}

TEST(TextWindowsTest, CountsAtAwkwardLengths) {
  const int64_t T = 7;
  // Windows of T + 1 tokens, T apart: none until T + 1 tokens.
  for (auto [tokens, windows] :
       std::vector<std::pair<int64_t, int64_t>>{{0, 0},
                                                {1, 0},
                                                {T, 0},
                                                {T + 1, 1},
                                                {T + 2, 1},
                                                {2 * T, 1},
                                                {2 * T + 1, 2},
                                                {33, 4}})
    EXPECT_EQ(TextWindows::count(tokens, T, 0), windows) << tokens;
  // Stride 1: every start that leaves T + 1 tokens.
  EXPECT_EQ(TextWindows::count(T + 2, T, 1), 2);
  EXPECT_EQ(TextWindows::count(33, T, 1), 33 - T);
  EXPECT_EQ(TextWindows::count(1, 1, 0), 0);
  EXPECT_EQ(TextWindows::count(2, 1, 0), 1);
}

TEST(TextWindowsTest, TargetsAreTheInputsShiftedByOne) {
  const int64_t T = 3;
  // Tokens 1..9: windows [1 2 3 | 4] [4 5 6 | 7]; 8 and 9 are left over.
  TextWindows w(iota(9), T);
  ASSERT_EQ(w.size(), 2);
  ASSERT_EQ(w.specs().size(), 2u);
  EXPECT_EQ(w.specs()[0].name, "tokens");
  EXPECT_EQ(w.specs()[1].name, "targets");
  EXPECT_EQ(w.specs()[1].shape, std::vector<int64_t>{T});
  NamedArrays b = w.gather({1, 0, 1}, 0);
  const Tensor *tokens = b.find("tokens"), *targets = b.find("targets");
  ASSERT_TRUE(tokens && targets);
  EXPECT_EQ(tokens->dtype, DType::I32);
  EXPECT_EQ(tokens->shape, (std::vector<int64_t>{3, T}));
  EXPECT_EQ(row(*tokens, 0), (std::vector<int32_t>{4, 5, 6}));
  EXPECT_EQ(row(*targets, 0), (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(row(*tokens, 1), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(row(*targets, 1), (std::vector<int32_t>{2, 3, 4}));
  EXPECT_EQ(row(*tokens, 2), row(*tokens, 0));
  // Exactly T + 1 tokens: one window, the whole corpus.
  TextWindows one(iota(T + 1), T);
  ASSERT_EQ(one.size(), 1);
  NamedArrays o = one.gather({0}, 0);
  EXPECT_EQ(row(*o.find("targets"), 0), (std::vector<int32_t>{2, 3, 4}));
  // Stride 1 and T = 1.
  TextWindows dense(iota(5), 1, 1);
  ASSERT_EQ(dense.size(), 4);
  NamedArrays d = dense.gather(allRows(dense), 0);
  EXPECT_EQ(d.find("tokens")->data, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(d.find("targets")->data, (std::vector<double>{2, 3, 4, 5}));
}

TEST(TextWindowsTest, NoWindowCrossesTheSplit) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-windows-test", dir));
  std::string file = (dir + "/t.txt").str();
  // 33 characters: training the first 26 (a-z), validation the last 7
  // (validation = 0.2 rounds 6.6 to 7): "ABCDEFG", all unknown.
  std::ofstream(file) << "abcdefghijklmnopqrstuvwxyzABCDEFG";
  TextOptions o;
  o.files = {file};
  o.validation = 0.2;
  auto text = tokenizeText(o);
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  ASSERT_EQ(text->train.size(), 26u);
  ASSERT_EQ(text->validation.size(), 7u);
  // T = 5: training windows start at 0, 5, 10, 15, 20 (the last ends at
  // token 25, the split's last); validation: one window of its 6 first.
  auto s = makeTextWindows(*text, 5, 0, "text");
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  ASSERT_EQ(s->train->size(), 5);
  ASSERT_EQ(s->validation->size(), 1);
  NamedArrays last = s->train->gather({4}, 0);
  EXPECT_EQ(s->vocabulary.decode(row(*last.find("tokens"), 0)), "uvwxy");
  EXPECT_EQ(s->vocabulary.decode(row(*last.find("targets"), 0)), "vwxyz");
  NamedArrays v = s->validation->gather({0}, 0);
  EXPECT_EQ(row(*v.find("tokens"), 0), std::vector<int32_t>(5, 0));
  // T = 6: the validation split's 7 tokens are exactly one window; T = 7 is
  // too long for it, T = 26 too long for the training split.
  s = makeTextWindows(*text, 6, 0, "text");
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->validation->size(), 1);
  EXPECT_EQ(s->train->size(), 4);
  EXPECT_EQ(errorOf(makeTextWindows(*text, 7, 0, "text")),
            "text: the validation split holds 7 tokens, fewer than the "
            "seq + 1 = 8 of one window");
  EXPECT_EQ(errorOf(makeTextWindows(*text, 26, 0, "text")),
            "text: the training split holds 26 tokens, fewer than the "
            "seq + 1 = 27 of one window");
  EXPECT_EQ(errorOf(makeTextWindows(*text, 0, 0, "text")),
            "text: seq must be at least 1, got 0");
  // Without a validation split there is no validation source.
  text->validation.clear();
  s = makeTextWindows(*text, 25, 0, "text");
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->validation, nullptr);
  EXPECT_EQ(s->train->size(), 1);
  llvm::sys::fs::remove_directories(dir);
}

TEST(SkipGramPairsTest, PairsAtTheEdgesOfTheCorpus) {
  // Words 1..4, window 2: 1 pairs with 2, 3; 2 with 1, 3, 4; ...
  std::vector<int32_t> ids = iota(4);
  SkipGramPairs p(ids, 5, 2, 0, SkipGramPairs::countIds(ids, 5), 0);
  ASSERT_EQ(p.size(), 2 + 3 + 3 + 2);
  ASSERT_EQ(p.specs().size(), 2u); // no negatives asked for
  NamedArrays all = p.gather(allRows(p), 0);
  EXPECT_EQ(all.find("center")->shape, std::vector<int64_t>{10});
  EXPECT_EQ(all.find("center")->data,
            (std::vector<double>{1, 1, 2, 2, 2, 3, 3, 3, 4, 4}));
  EXPECT_EQ(all.find("context")->data,
            (std::vector<double>{2, 3, 1, 3, 4, 1, 2, 4, 2, 3}));
  // One word has no pair; two words pair both ways; a window wider than the
  // corpus reaches every other word.
  EXPECT_EQ(SkipGramPairs({7}, 8, 3, 0, {}, 0).size(), 0);
  EXPECT_EQ(SkipGramPairs({1, 2}, 3, 1, 0, {}, 0).size(), 2);
  EXPECT_EQ(SkipGramPairs(iota(3), 4, 10, 0, {}, 0).size(), 6);
  // Unknown words (0) are dropped before pairing: 1 0 0 2 pairs 1 with 2.
  SkipGramPairs gap({1, 0, 0, 2}, 3, 1, 0, {}, 0);
  ASSERT_EQ(gap.size(), 2);
  EXPECT_EQ(gap.gather({0}, 0).find("context")->data, std::vector<double>{2});
}

TEST(SkipGramPairsTest, NegativesAreDeterministicFromTheSeed) {
  // Word 1 occurs 16 times, word 2 once, word 3 never: noise weights
  // 16^0.75 = 8 and 1, so word 2 is drawn with probability 1/9.
  std::vector<int32_t> ids(16, 1);
  ids.push_back(2);
  std::vector<int64_t> counts = SkipGramPairs::countIds(ids, 4);
  EXPECT_EQ(counts, (std::vector<int64_t>{0, 16, 1, 0}));
  const int64_t k = 7;
  SkipGramPairs p(ids, 4, 2, k, counts, 42);
  ASSERT_EQ(p.specs().size(), 3u);
  EXPECT_EQ(p.specs()[2].name, "negatives");
  EXPECT_EQ(p.specs()[2].shape, std::vector<int64_t>{k});
  std::vector<int64_t> rows = allRows(p);
  NamedArrays a = p.gather(rows, 3);
  const Tensor &neg = *a.find("negatives");
  EXPECT_EQ(neg.shape, (std::vector<int64_t>{p.size(), k}));
  // Same seed, epoch and rows: the same words, in any batch order.
  EXPECT_EQ(p.gather(rows, 3).find("negatives")->data, neg.data);
  NamedArrays single = p.gather({5}, 3);
  EXPECT_EQ(row(*single.find("negatives"), 0), row(neg, 5));
  // Another epoch or another seed: other words.
  EXPECT_NE(p.gather(rows, 4).find("negatives")->data, neg.data);
  SkipGramPairs other(ids, 4, 2, k, counts, 43);
  EXPECT_NE(other.gather(rows, 3).find("negatives")->data, neg.data);
  // Only words with a count, at about their share (the draws are fixed by
  // the seed, so this cannot flake).
  int64_t twos = 0;
  for (double w : neg.data) {
    ASSERT_TRUE(w == 1 || w == 2) << w;
    twos += w == 2;
  }
  double share = double(twos) / double(neg.data.size());
  EXPECT_NEAR(share, 1.0 / 9, 0.04) << twos << " of " << neg.data.size();
}

TEST(SkipGramPairsTest, SourceErrors) {
  TokenizedText text;
  text.vocabulary = Vocabulary(TokenLevel::Word, {"a", "b"});
  text.train = {1, 2, 1};
  text.validation = {0, 2, 0};
  EXPECT_EQ(errorOf(makeSkipGramPairs(text, 0, 1, 0, "w")),
            "w: window must be at least 1, got 0");
  EXPECT_EQ(errorOf(makeSkipGramPairs(text, 1, -1, 0, "w")),
            "w: negatives must be at least 0, got -1");
  EXPECT_EQ(errorOf(makeSkipGramPairs(text, 1, 1, 0, "w")),
            "w: the validation split has no pair of known words within 1 of "
            "each other");
  text.validation = {1, 0, 2};
  auto s = makeSkipGramPairs(text, 1, 1, 0, "w");
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->train->size(), 4);
  EXPECT_EQ(s->validation->size(), 2);
  text.train = {0, 0};
  EXPECT_EQ(errorOf(makeSkipGramPairs(text, 1, 1, 0, "w")),
            "w: the training split has no pair of known words within 1 of "
            "each other");
  text.vocabulary = Vocabulary(TokenLevel::Char, {"a", "b"});
  EXPECT_EQ(errorOf(makeSkipGramPairs(text, 1, 1, 0, "w")),
            "w: skip-gram pairs need level = word");
}

TEST(TextSourceSpecTest, SettingsAreCheckedByName) {
  auto spec = [](std::initializer_list<llvm::json::Object::KV> settings) {
    return textSourceSpec({"fortunes"}, llvm::json::Object(settings));
  };
  auto s = spec({{"level", "char"}, {"seq", 64}, {"validation", 0.05}});
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->samples, TextSourceSpec::Samples::Windows);
  EXPECT_EQ(s->seq, 64);
  EXPECT_EQ(s->text.validation, 0.05);
  EXPECT_EQ(s->text.level, TokenLevel::Char);
  EXPECT_EQ(s->text.describe(),
            "text(\"fortunes\", level = \"char\", validation = 0.05)");
  s = spec(
      {{"level", "word"}, {"words", 5000}, {"window", 2}, {"negatives", 5}});
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->samples, TextSourceSpec::Samples::SkipGram);
  EXPECT_EQ(s->text.maxWords, 5000);
  EXPECT_EQ(s->window, 2);
  EXPECT_EQ(s->negatives, 5);
  EXPECT_EQ(errorOf(spec({{"seq", 8}, {"sequence", 8}})),
            "text(\"fortunes\"): unknown setting 'sequence' (expected level, "
            "seq, stride, validation, words, window, negatives)");
  EXPECT_EQ(errorOf(spec({{"seq", 8.5}})),
            "text(\"fortunes\"): seq = T (windows of T + 1 tokens): expected "
            "a whole number >= 0");
  EXPECT_EQ(errorOf(spec({{"seq", -1}})),
            "text(\"fortunes\"): seq = T (windows of T + 1 tokens): expected "
            "a whole number >= 0");
  EXPECT_EQ(errorOf(spec({{"seq", 8}, {"validation", "most"}})),
            "text(\"fortunes\"): validation = the fraction at the end held out "
            "(default 0.1): expected a number");
  EXPECT_EQ(errorOf(spec({{"seq", 8}, {"level", 1}})),
            "text(\"fortunes\"): level = \"char\" or \"word\" (tokens): "
            "expected a string");
  EXPECT_EQ(errorOf(spec({{"seq", 8}, {"level", "byte"}})),
            "text(\"fortunes\"): level must be \"char\" or \"word\", got "
            "\"byte\"");
  EXPECT_EQ(errorOf(spec({})),
            "text(\"fortunes\"): needs seq = T (windows for a language model) "
            "or window = W (skip-gram pairs)");
  EXPECT_EQ(errorOf(spec({{"seq", 8}, {"window", 2}})),
            "text(\"fortunes\"): seq (windows) and window (skip-gram pairs) "
            "exclude each other");
  EXPECT_EQ(errorOf(spec({{"seq", 8}, {"negatives", 2}})),
            "text(\"fortunes\"): negatives is a setting of skip-gram pairs "
            "(window = W)");
  EXPECT_EQ(errorOf(spec({{"level", "word"}, {"window", 2}, {"stride", 2}})),
            "text(\"fortunes\"): stride is a setting of windows (seq = T)");
  EXPECT_EQ(errorOf(spec({{"window", 2}})),
            "text(\"fortunes\"): skip-gram pairs (window = W) need level = "
            "\"word\"");
  EXPECT_EQ(errorOf(spec({{"seq", 2}, {"words", 10}})),
            "text(\"fortunes\"): words = K is a setting of level = \"word\"");
}

TEST(TextSourceSpecTest, LoadsWindowsAndPairsFromAFile) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("axon-spec-test", dir));
  std::string file = (dir + "/t.txt").str();
  std::ofstream(file) << "The cat sat. The dog sat. The cat ran.";
  auto spec = textSourceSpec(
      {file}, llvm::json::Object{{"seq", 4}, {"validation", 0.25}});
  ASSERT_TRUE(bool(spec)) << llvm::toString(spec.takeError());
  auto samples = loadTextSamples(*spec, 0);
  ASSERT_TRUE(bool(samples)) << llvm::toString(samples.takeError());
  // 38 characters: 28 training ((28 - 5) / 4 + 1 = 6 windows of 4 + 1
  // tokens, 4 apart) and 10 validation (2 windows).
  EXPECT_EQ(samples->train->size(), 6);
  EXPECT_EQ(samples->validation->size(), 2);
  NamedArrays first = samples->train->gather({0}, 0);
  EXPECT_EQ(samples->vocabulary.decode(row(*first.find("tokens"), 0)), "The ");
  EXPECT_EQ(samples->vocabulary.decode(row(*first.find("targets"), 0)), "he c");
  spec = textSourceSpec({file}, llvm::json::Object{{"level", "word"},
                                                   {"window", 1},
                                                   {"negatives", 2},
                                                   {"validation", 0}});
  ASSERT_TRUE(bool(spec)) << llvm::toString(spec.takeError());
  samples = loadTextSamples(*spec, 7);
  ASSERT_TRUE(bool(samples)) << llvm::toString(samples.takeError());
  // 12 tokens (9 words, 3 full stops), 2 * 12 - 2 pairs.
  EXPECT_EQ(samples->train->size(), 22);
  EXPECT_EQ(samples->validation, nullptr);
  NamedArrays b = samples->train->gather({0, 21}, 0);
  EXPECT_EQ(samples->vocabulary.text(b.find("center")->data[0]), "the");
  EXPECT_EQ(samples->vocabulary.text(b.find("context")->data[0]), "cat");
  EXPECT_EQ(samples->vocabulary.text(b.find("center")->data[1]), ".");
  EXPECT_EQ(b.find("negatives")->shape, (std::vector<int64_t>{2, 2}));
  // The file's own errors come through.
  spec = textSourceSpec({(dir + "/none.txt").str()},
                        llvm::json::Object{{"seq", 4}});
  ASSERT_TRUE(bool(spec));
  EXPECT_NE(errorOf(loadTextSamples(*spec, 0)).find("none.txt: cannot open"),
            std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

TEST(BigramBaselineTest, MatchesAHandCount) {
  // Vocabulary of 3 ids; training 1 2 1 2 1: pairs (1,2) twice, (2,1)
  // twice. Add-one: P(2|1) = (2+1)/(2+3) = 0.6, P(1|2) = 0.6,
  // P(0|1) = 1/5, P(b|0) = 1/3.
  auto s = bigramBaseline({1, 2, 1, 2, 1}, {1, 2, 0, 1}, 3, 1.0);
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_NEAR(s->trainNll, -std::log(0.6), 1e-12);
  // Validation pairs (1,2), (2,0), (0,1): 0.6, 1/5, 1/3.
  EXPECT_NEAR(s->validationNll,
              -(std::log(0.6) + std::log(0.2) + std::log(1.0 / 3)) / 3, 1e-12);
  EXPECT_EQ(s->validationPairs, 3);
  // Smaller alpha trusts the counts more.
  auto sharp = bigramBaseline({1, 2, 1, 2, 1}, {1, 2, 1}, 3, 0.01);
  ASSERT_TRUE(bool(sharp));
  EXPECT_NEAR(sharp->validationNll, -std::log(2.01 / 2.03), 1e-12);
  EXPECT_EQ(errorOf(bigramBaseline({1, 2}, {1}, 3, 1.0)),
            "the bigram baseline needs two tokens in each split (training 2, "
            "validation 1)");
  EXPECT_EQ(errorOf(bigramBaseline({1, 2}, {1, 2}, 3, 0)),
            "the bigram baseline's smoothing alpha must be > 0");
}

} // namespace
