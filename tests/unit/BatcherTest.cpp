// Tests of batch order (runtime/data/Dataset.h, Batcher): reproducible per
// (seed, epoch), every sample once per epoch, the partial batch dropped.
#include "runtime/data/Dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

using namespace axon;

namespace {

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>> &batches) {
  std::vector<int64_t> all;
  for (const auto &b : batches)
    all.insert(all.end(), b.begin(), b.end());
  return all;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(BatcherTest, SameSeedAndEpochSameOrder) {
  Batcher a(1000, 32, 42, true, true), b(1000, 32, 42, true, true);
  for (int64_t e : {0, 1, 7})
    EXPECT_EQ(a.epoch(e), b.epoch(e));
  // Epochs can be regenerated in any order (a resumed run).
  auto third = a.epoch(3);
  a.epoch(0);
  EXPECT_EQ(a.epoch(3), third);
}

TEST(BatcherTest, EpochsAndSeedsDiffer) {
  Batcher a(1000, 32, 42, true, false);
  EXPECT_NE(a.epoch(0), a.epoch(1));
  EXPECT_NE(a.epoch(1), a.epoch(2));
  Batcher other(1000, 32, 43, true, false);
  EXPECT_NE(a.epoch(0), other.epoch(0));
  EXPECT_NE(flatten(a.epoch(0)), iota(1000)); // actually shuffled
}

/// The order is part of a run's reproducibility (resuming, comparing runs):
/// it must not change with the standard library or a refactoring.
TEST(BatcherTest, OrderIsPinned) {
  Batcher b(10, 10, 1, true, false);
  EXPECT_EQ(flatten(b.epoch(0)),
            (std::vector<int64_t>{7, 1, 0, 6, 4, 3, 2, 9, 8, 5}));
}

TEST(BatcherTest, EverySampleExactlyOncePerEpoch) {
  Batcher b(103, 10, 5, true, false);
  EXPECT_EQ(b.batchesPerEpoch(), 11);
  for (int64_t e = 0; e < 4; ++e) {
    auto batches = b.epoch(e);
    ASSERT_EQ(batches.size(), 11u);
    for (size_t i = 0; i + 1 < batches.size(); ++i)
      EXPECT_EQ(batches[i].size(), 10u);
    EXPECT_EQ(batches.back().size(), 3u);
    auto all = flatten(batches);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, iota(103));
  }
}

TEST(BatcherTest, DropLastLeavesOutThePartialBatch) {
  Batcher b(103, 10, 5, true, true);
  EXPECT_EQ(b.batchesPerEpoch(), 10);
  auto batches = b.epoch(0);
  ASSERT_EQ(batches.size(), 10u);
  for (const auto &batch : batches)
    EXPECT_EQ(batch.size(), 10u);
  auto all = flatten(batches);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end()); // no repeats
  // Dropping cuts the tail of the same permutation.
  auto kept = flatten(Batcher(103, 10, 5, true, false).epoch(0));
  ASSERT_EQ(kept.size(), 103u);
  EXPECT_EQ(flatten(batches),
            std::vector<int64_t>(kept.begin(), kept.begin() + 100));
  Batcher tooFew(5, 10, 0, true, true);
  EXPECT_TRUE(tooFew.epoch(0).empty());
}

TEST(BatcherTest, UnshuffledIsInOrder) {
  Batcher b(7, 3, 99, false, false);
  EXPECT_EQ(b.epoch(0),
            (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}, {6}}));
  EXPECT_EQ(b.epoch(5), b.epoch(0));
}

} // namespace
