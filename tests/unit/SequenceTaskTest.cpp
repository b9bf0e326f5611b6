// Tests of the synthetic sequence task (runtime/data/SequenceTask.h): the
// targets against a hand-written answer, splits without a shared string,
// the same strings from the same seed, every string at lengths where there
// are few, awkward lengths, and the errors of bad settings.
#include "runtime/data/SequenceTask.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

using namespace axon;

namespace {

SequenceTaskOptions options(SequenceTaskKind kind, int64_t length,
                            int64_t samples, double validation = 0.1,
                            uint64_t seed = 1) {
  SequenceTaskOptions o;
  o.kind = kind;
  o.length = length;
  o.samples = samples;
  o.validation = validation;
  o.seed = seed;
  return o;
}

SequenceTaskSamples make(const SequenceTaskOptions &o) {
  auto s = makeSequenceTask(o);
  if (!s) {
    ADD_FAILURE() << llvm::toString(s.takeError());
    return {};
  }
  return std::move(*s);
}

/// Every source string of a split, as text.
std::vector<std::string> strings(const SequenceTask &split) {
  std::vector<std::string> out;
  for (int64_t r = 0; r < split.size(); ++r) {
    std::string s;
    for (uint8_t d : split.source(r))
      s += char('0' + d);
    out.push_back(s);
  }
  return out;
}

std::string errorOf(const SequenceTaskOptions &o) {
  auto s = makeSequenceTask(o);
  if (s)
    return "no error";
  return llvm::toString(s.takeError());
}

std::string specErrorOf(llvm::StringRef name, llvm::json::Object settings) {
  auto s = sequenceTaskSpec(name, settings);
  if (s)
    return "no error";
  return llvm::toString(s.takeError());
}

std::vector<int64_t> allRows(const SampleSource &s) {
  std::vector<int64_t> rows(s.size());
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

TEST(SequenceTaskTest, ReversedTargetsAtAwkwardLengths) {
  for (int64_t L : {1, 2, 7, 8, 33}) {
    SequenceTaskSamples s =
        make(options(SequenceTaskKind::Reverse, L, L == 1 ? 10 : 50));
    ASSERT_TRUE(s.train) << L;
    std::vector<ArraySpec> specs = s.train->specs();
    ASSERT_EQ(specs.size(), 2u);
    EXPECT_EQ(specs[0].name, "source");
    EXPECT_EQ(specs[1].name, "target");
    EXPECT_EQ(specs[1].dtype, DType::I32);
    EXPECT_EQ(specs[1].shape, std::vector<int64_t>{L});
    NamedArrays b = s.train->gather(allRows(*s.train), 0);
    const Tensor *src = b.find("source"), *tgt = b.find("target");
    ASSERT_TRUE(src && tgt);
    ASSERT_EQ(src->shape, (std::vector<int64_t>{s.train->size(), L}));
    ASSERT_EQ(tgt->shape, src->shape);
    for (int64_t r = 0; r < s.train->size(); ++r)
      for (int64_t j = 0; j < L; ++j) {
        double d = src->data[r * L + j];
        EXPECT_TRUE(d >= 0 && d <= 9 && d == std::floor(d)) << d;
        EXPECT_EQ(tgt->data[r * L + j], src->data[r * L + (L - 1 - j)])
            << "L " << L << " row " << r << " position " << j;
      }
  }
}

TEST(SequenceTaskTest, SortedTargetsHoldTheSameDigitsInOrder) {
  for (int64_t L : {1, 7, 33}) {
    SequenceTaskSamples s =
        make(options(SequenceTaskKind::Sort, L, L == 1 ? 10 : 40));
    ASSERT_TRUE(s.train);
    NamedArrays b = s.train->gather(allRows(*s.train), 3);
    const Tensor &src = *b.find("source"), &tgt = *b.find("target");
    for (int64_t r = 0; r < s.train->size(); ++r) {
      int counts[10] = {};
      for (int64_t j = 0; j < L; ++j) {
        ++counts[int(src.data[r * L + j])];
        --counts[int(tgt.data[r * L + j])];
        if (j > 0)
          EXPECT_LE(tgt.data[r * L + j - 1], tgt.data[r * L + j]);
      }
      for (int c : counts)
        EXPECT_EQ(c, 0) << "row " << r;
    }
  }
}

TEST(SequenceTaskTest, GatherTakesRowsInAnyOrderWithRepeats) {
  SequenceTaskSamples s = make(options(SequenceTaskKind::Reverse, 3, 20, 0));
  NamedArrays b = s.train->gather({4, 0, 4}, 0);
  const Tensor &src = *b.find("source");
  ASSERT_EQ(src.shape, (std::vector<int64_t>{3, 3}));
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(src.data[j], s.train->source(4)[j]);
    EXPECT_EQ(src.data[3 + j], s.train->source(0)[j]);
    EXPECT_EQ(src.data[6 + j], s.train->source(4)[j]);
  }
  EXPECT_EQ(s.train->gather({}, 0).find("target")->shape,
            (std::vector<int64_t>{0, 3}));
}

TEST(SequenceTaskTest, SplitsShareNoStringAndHoldTheirFractions) {
  SequenceTaskSamples s =
      make(options(SequenceTaskKind::Reverse, 8, 20000, 0.1, 7));
  ASSERT_TRUE(s.train && s.validation);
  EXPECT_EQ(s.train->size(), 18000);
  EXPECT_EQ(s.validation->size(), 2000);
  std::vector<std::string> train = strings(*s.train),
                           held = strings(*s.validation);
  std::set<std::string> trainSet(train.begin(), train.end());
  EXPECT_EQ(trainSet.size(), train.size()) << "a training string twice";
  std::set<std::string> heldSet(held.begin(), held.end());
  EXPECT_EQ(heldSet.size(), held.size()) << "a held-out string twice";
  for (const std::string &h : held)
    EXPECT_EQ(trainSet.count(h), 0u) << h << " is in both splits";
}

TEST(SequenceTaskTest, FewStringsAreAllDrawnOnce) {
  // Length 1 and 2: every one of the 10 and 100 strings, none twice, even
  // though candidates repeat long before the last one is drawn.
  for (auto [L, n] :
       std::vector<std::pair<int64_t, int64_t>>{{1, 10}, {2, 100}}) {
    SequenceTaskSamples s = make(options(SequenceTaskKind::Sort, L, n, 0.2));
    ASSERT_TRUE(s.train && s.validation);
    std::vector<std::string> all = strings(*s.train);
    for (const std::string &v : strings(*s.validation))
      all.push_back(v);
    std::set<std::string> distinct(all.begin(), all.end());
    EXPECT_EQ(int64_t(distinct.size()), n) << L;
    EXPECT_EQ(int64_t(all.size()), n) << L;
  }
}

TEST(SequenceTaskTest, TheSeedFixesTheStrings) {
  auto a = make(options(SequenceTaskKind::Reverse, 7, 300, 0.1, 5));
  auto b = make(options(SequenceTaskKind::Reverse, 7, 300, 0.1, 5));
  auto c = make(options(SequenceTaskKind::Reverse, 7, 300, 0.1, 6));
  EXPECT_EQ(strings(*a.train), strings(*b.train));
  EXPECT_EQ(strings(*a.validation), strings(*b.validation));
  EXPECT_NE(strings(*a.train), strings(*c.train));
  // The task does not change the strings, only the targets.
  auto sorted = make(options(SequenceTaskKind::Sort, 7, 300, 0.1, 5));
  EXPECT_EQ(strings(*a.train), strings(*sorted.train));
  // More samples draw more strings after the same first ones.
  auto more = make(options(SequenceTaskKind::Reverse, 7, 1000, 0, 5));
  std::vector<std::string> first = strings(*more.train);
  first.resize(270);
  EXPECT_EQ(first, strings(*a.train));
}

TEST(SequenceTaskTest, DigitsAreEvenlyDrawn) {
  // 160,000 digits: each digit's share is within 0.005 of 1/10 (about seven
  // standard deviations of a fair draw).
  auto s = make(options(SequenceTaskKind::Reverse, 8, 20000, 0));
  int64_t counts[10] = {};
  for (int64_t r = 0; r < s.train->size(); ++r)
    for (uint8_t d : s.train->source(r))
      ++counts[d];
  for (int d = 0; d < 10; ++d)
    EXPECT_NEAR(double(counts[d]) / 160000, 0.1, 0.005) << "digit " << d;
}

TEST(SequenceTaskTest, AFractionThatRoundsToNoStringHoldsNoneOut) {
  auto s = make(options(SequenceTaskKind::Reverse, 5, 4, 0.1));
  ASSERT_TRUE(s.train);
  EXPECT_EQ(s.train->size(), 4);
  EXPECT_FALSE(s.validation);
  auto one = make(options(SequenceTaskKind::Reverse, 5, 1, 0));
  ASSERT_TRUE(one.train);
  EXPECT_EQ(one.train->size(), 1);
}

TEST(SequenceTaskTest, BadOptionsAreErrorsNamingTheSource) {
  using K = SequenceTaskKind;
  EXPECT_EQ(errorOf(options(K::Reverse, 0, 10)),
            "task(\"reverse\", length = 0, samples = 10, validation = 0.1, "
            "seed = 1): length must be at least 1, got 0");
  EXPECT_NE(errorOf(options(K::Sort, 3, 0)).find("samples must be at least 1"),
            std::string::npos);
  EXPECT_NE(errorOf(options(K::Sort, 2, 101))
                .find("101 different strings asked for, but there are only "
                      "100 of length 2"),
            std::string::npos);
  EXPECT_NE(errorOf(options(K::Sort, 2, 100, 1.0))
                .find("validation must be a fraction in [0, 1), got 1"),
            std::string::npos);
  EXPECT_NE(errorOf(options(K::Sort, 2, 10, -0.5)).find("got -0.5"),
            std::string::npos);
  EXPECT_NE(errorOf(options(K::Sort, 2, 10, std::nan(""))).find("got nan"),
            std::string::npos);
  EXPECT_NE(errorOf(options(K::Reverse, 4, 1, 0.9))
                .find("the validation split takes all 1 strings"),
            std::string::npos);
  EXPECT_NE(
      errorOf(options(K::Reverse, 1 << 20, 4096)).find("more than 2^31 digits"),
      std::string::npos);
}

TEST(SequenceTaskTest, SettingsByName) {
  auto spec = sequenceTaskSpec("sort", llvm::json::Object{{"length", 5},
                                                          {"samples", 300},
                                                          {"validation", 0.25},
                                                          {"seed", 9}});
  ASSERT_TRUE(bool(spec)) << llvm::toString(spec.takeError());
  EXPECT_EQ(spec->kind, SequenceTaskKind::Sort);
  EXPECT_EQ(spec->length, 5);
  EXPECT_EQ(spec->samples, 300);
  EXPECT_EQ(spec->validation, 0.25);
  EXPECT_EQ(spec->seed, 9u);
  EXPECT_EQ(spec->describe(), "task(\"sort\", length = 5, samples = 300, "
                              "validation = 0.25, seed = 9)");
  // Left out: the defaults.
  auto defaults = sequenceTaskSpec("reverse", llvm::json::Object{});
  ASSERT_TRUE(bool(defaults));
  EXPECT_EQ(defaults->describe(), SequenceTaskOptions().describe());

  EXPECT_EQ(specErrorOf("rotate", {}),
            "task(\"rotate\"): unknown task (expected \"reverse\" or "
            "\"sort\")");
  EXPECT_EQ(specErrorOf("reverse", llvm::json::Object{{"len", 8}}),
            "task(\"reverse\"): unknown setting 'len' (expected length, "
            "samples, validation, seed)");
  EXPECT_EQ(specErrorOf("reverse", llvm::json::Object{{"length", 0}}),
            "task(\"reverse\"): length = L (digits per string): expected a "
            "whole number >= 1");
  EXPECT_NE(specErrorOf("reverse", llvm::json::Object{{"samples", 2.5}})
                .find("samples = strings in both splits: expected a whole "
                      "number >= 1"),
            std::string::npos);
  EXPECT_NE(specErrorOf("reverse", llvm::json::Object{{"seed", -1}})
                .find("expected a whole "
                      "number >= 0"),
            std::string::npos);
  EXPECT_NE(specErrorOf("reverse", llvm::json::Object{{"validation", "a lot"}})
                .find("expected a number"),
            std::string::npos);
}

} // namespace
