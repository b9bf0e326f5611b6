// Tests of word-embedding similarities (runtime/train/EmbeddingSimilarity.h)
// on hand-made embeddings whose cosines are known exactly: category means
// with missing words, nearest neighbours (ties, the word itself and the
// unknown id left out, zero vectors), random pairs, vector sizes 1, 7 and
// 33, and the errors of shapes, words and checkpoints.
#include "runtime/train/EmbeddingSimilarity.h"

#include "TempDirTest.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace axon;

namespace {

Tensor matrix(std::vector<int64_t> shape, std::vector<double> values) {
  return Tensor(DType::F32, std::move(shape), std::move(values));
}

Vocabulary words(std::vector<std::string> tokens) {
  return Vocabulary(TokenLevel::Word, std::move(tokens));
}

/// Ids 1..5 are a, b, c, d, e. Row 0 (the unknown id) points half-way
/// between a and c, so it would be a's nearest if it were not left out.
WordEmbeddings fiveWords() {
  auto e = WordEmbeddings::create(matrix({6, 2}, {5, 5,    // <unk>
                                                  1, 0,    // a
                                                  3, 0,    // b: a's direction
                                                  0, 2,    // c: orthogonal
                                                  -1, 0,   // d: opposite
                                                  0, 0}),  // e: no direction
                                  words({"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(bool(e)) << llvm::toString(e.takeError());
  return std::move(*e);
}

std::string neighbours(const WordEmbeddings &e, llvm::StringRef word,
                       int64_t k) {
  auto near = e.nearest(word, k);
  if (!near)
    return llvm::toString(near.takeError());
  std::string out;
  for (const Neighbour &n : *near)
    out += n.word + "=" + std::to_string(int(std::lround(n.cosine * 100))) +
           " ";
  return out;
}

TEST(EmbeddingSimilarityTest, CosinesOfHandMadeVectors) {
  WordEmbeddings e = fiveWords();
  EXPECT_EQ(e.cosine(1, 2), 1.0);
  EXPECT_EQ(e.cosine(1, 3), 0.0);
  EXPECT_EQ(e.cosine(1, 4), -1.0);
  EXPECT_EQ(e.cosine(1, 5), 0.0); // the zero vector has no direction
  EXPECT_EQ(e.cosine(5, 5), 0.0);
  EXPECT_DOUBLE_EQ(e.cosine(0, 1), 1 / std::sqrt(2.0));
}

TEST(EmbeddingSimilarityTest, NearestLeavesOutTheWordAndTheUnknownId) {
  WordEmbeddings e = fiveWords();
  // c and e tie at 0: the smaller id (c) first.
  EXPECT_EQ(neighbours(e, "a", 3), "b=100 c=0 e=0 ");
  EXPECT_EQ(neighbours(e, "a", 1), "b=100 ");
  // k beyond the vocabulary: every other known word, once.
  EXPECT_EQ(neighbours(e, "a", 10), "b=100 c=0 e=0 d=-100 ");
  EXPECT_EQ(neighbours(e, "d", 2), "c=0 e=0 ");
}

TEST(EmbeddingSimilarityTest, CategoryMeanOverPairsOfPresentWords) {
  WordEmbeddings e = fiveWords();
  CategorySimilarity s = e.similarityWithin({"x", {"a", "zzz", "b", "d"}});
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.present, (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(s.missing, (std::vector<std::string>{"zzz"}));
  // a-b: 1, a-d: -1, b-d: -1.
  EXPECT_EQ(s.pairs, 3);
  EXPECT_DOUBLE_EQ(s.meanCosine, -1.0 / 3.0);

  CategorySimilarity one = e.similarityWithin({"y", {"c", "qq", "rr"}});
  EXPECT_EQ(one.pairs, 0);
  EXPECT_TRUE(std::isnan(one.meanCosine));
  EXPECT_EQ(one.missing.size(), 2u);
}

TEST(EmbeddingSimilarityTest, RandomPairsOfTwoWordsAreAlwaysThatPair) {
  auto e = WordEmbeddings::create(matrix({3, 2}, {1, 1, 1, 0, 1, 1}),
                                  words({"a", "b"}));
  ASSERT_TRUE(bool(e)) << llvm::toString(e.takeError());
  for (int64_t pairs : {1, 7, 33}) {
    auto mean = e->randomPairMean(pairs, 5);
    ASSERT_TRUE(bool(mean)) << llvm::toString(mean.takeError());
    EXPECT_NEAR(*mean, 1 / std::sqrt(2.0), 1e-15);
  }
}

TEST(EmbeddingSimilarityTest, RandomPairsOfOrthogonalWordsAverageZero) {
  // One-hot rows: every pair of distinct known words has cosine 0, so any
  // pair that repeated a word (cosine 1) would show.
  const int64_t n = 7;
  Tensor m(DType::F32, {n + 1, n});
  std::vector<std::string> tokens;
  for (int64_t i = 1; i <= n; ++i) {
    m.data[i * n + (i - 1)] = 1;
    tokens.push_back("w" + std::to_string(i));
  }
  auto e = WordEmbeddings::create(m, words(tokens));
  ASSERT_TRUE(bool(e));
  auto mean = e->randomPairMean(1000, 1);
  ASSERT_TRUE(bool(mean));
  EXPECT_EQ(*mean, 0.0);
}

TEST(EmbeddingSimilarityTest, RandomPairsAreFixedBySeed) {
  WordEmbeddings e = fiveWords();
  auto a = e.randomPairMean(33, 3), b = e.randomPairMean(33, 3);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  // A single pair's mean is one of the pairs' cosines: 1, 0 or -1.
  for (uint64_t seed : {1, 2, 3, 4}) {
    auto one = e.randomPairMean(1, seed);
    ASSERT_TRUE(bool(one));
    EXPECT_TRUE(*one == 1 || *one == 0 || *one == -1) << *one;
  }
}

TEST(EmbeddingSimilarityTest, VectorSizes1And7And33) {
  for (int64_t d : {1, 7, 33}) {
    // a = (1, 2, ..., d), b = -2a, c = a with its first entry negated.
    Tensor m(DType::F32, {4, d});
    double s = 0;
    for (int64_t j = 0; j < d; ++j) {
      double v = double(j + 1);
      m.data[1 * d + j] = v;
      m.data[2 * d + j] = -2 * v;
      m.data[3 * d + j] = j ? v : -v;
      s += v * v;
    }
    auto e = WordEmbeddings::create(m, words({"a", "b", "c"}));
    ASSERT_TRUE(bool(e));
    EXPECT_EQ(e->dimension(), d);
    EXPECT_NEAR(e->cosine(1, 2), -1.0, 1e-15);
    EXPECT_NEAR(e->cosine(1, 3), (s - 2) / s, 1e-15) << d;
  }
}

TEST(EmbeddingSimilarityTest, ShapeAndWordErrors) {
  auto rank1 = WordEmbeddings::create(matrix({3}, {1, 2, 3}), words({"a", "b"}));
  ASSERT_FALSE(bool(rank1));
  EXPECT_EQ(llvm::toString(rank1.takeError()),
            "the embeddings must be a matrix with one row per word, not "
            "f32[3]");
  auto rows = WordEmbeddings::create(matrix({2, 1}, {1, 2}), words({"a", "b"}));
  ASSERT_FALSE(bool(rows));
  EXPECT_EQ(llvm::toString(rows.takeError()),
            "the embeddings f32[2, 1] have 2 rows but the vocabulary has 3 "
            "ids (the unknown one included): one row per id");

  WordEmbeddings e = fiveWords();
  EXPECT_EQ(neighbours(e, "zebra", 3),
            "'zebra' is not in the vocabulary (5 words)");
  EXPECT_EQ(neighbours(e, "<unk>", 3),
            "'<unk>' is not in the vocabulary (5 words)");
  auto lonely = WordEmbeddings::create(matrix({2, 1}, {0, 1}), words({"a"}));
  ASSERT_TRUE(bool(lonely));
  auto mean = lonely->randomPairMean(10, 1);
  ASSERT_FALSE(bool(mean));
  EXPECT_EQ(llvm::toString(mean.takeError()),
            "random pairs need at least 2 known words; the vocabulary has 1");
}

class EmbeddingCheckpoint : public test::TempDirTest {};

TEST_F(EmbeddingCheckpoint, ReadsTheParameterAndTheVocabulary) {
  Checkpoint c;
  c.tensors.push_back({"E", matrix({3, 2}, {0, 0, 1, 0, 0, 1})});
  c.tensors.push_back({"C", matrix({3, 2}, {0, 0, 1, 1, 1, 1})});
  storeVocabulary(c, words({"x", "y"}));
  ASSERT_FALSE(bool(writeCheckpoint(path("w.safetensors"), c)));
  auto e = readWordEmbeddings(path("w.safetensors"), "E");
  ASSERT_TRUE(bool(e)) << llvm::toString(e.takeError());
  EXPECT_EQ(e->cosine(1, 2), 0.0);
  auto other = readWordEmbeddings(path("w.safetensors"), "C");
  ASSERT_TRUE(bool(other));
  EXPECT_DOUBLE_EQ(other->cosine(1, 2), 1.0);
  EXPECT_EQ(errorOf(readWordEmbeddings(path("w.safetensors"), "W")),
            path("w.safetensors") + ": no parameter 'W' (it holds E, C)");
}

TEST_F(EmbeddingCheckpoint, ErrorsNameTheFile) {
  Checkpoint plain;
  plain.tensors.push_back({"E", matrix({3, 2}, {0, 0, 1, 0, 0, 1})});
  ASSERT_FALSE(bool(writeCheckpoint(path("plain.safetensors"), plain)));
  EXPECT_EQ(errorOf(readWordEmbeddings(path("plain.safetensors"), "E")),
            path("plain.safetensors") +
                ": holds no vocabulary (__metadata__.vocabulary); only a "
                "model trained on a text(...) source can decode tokens");

  Checkpoint wrong;
  wrong.tensors.push_back({"E", matrix({4, 2}, std::vector<double>(8, 1))});
  storeVocabulary(wrong, words({"x", "y"}));
  ASSERT_FALSE(bool(writeCheckpoint(path("wrong.safetensors"), wrong)));
  EXPECT_EQ(errorOf(readWordEmbeddings(path("wrong.safetensors"), "E")),
            path("wrong.safetensors") +
                ": 'E': the embeddings f32[4, 2] have 4 rows but the "
                "vocabulary has 3 ids (the unknown one included): one row "
                "per id");
  std::string missing = errorOf(readWordEmbeddings(path("none"), "E"));
  EXPECT_NE(missing.find(path("none")), std::string::npos) << missing;
}

} // namespace
