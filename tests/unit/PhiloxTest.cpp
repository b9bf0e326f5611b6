// Tests of the Philox generator (runtime/core/Philox.h) and the parameter
// initialisers built on it (runtime/core/Initializers.h).
#include "runtime/core/Philox.h"
#include "runtime/core/Initializers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace axon;

namespace {

// Random123's published known-answer vectors for Philox-4x32-10
// (tests/kat_vectors in the Random123 distribution).
TEST(PhiloxTest, KnownAnswerVectors) {
  EXPECT_EQ(philox::philox4x32({0, 0, 0, 0}, {0, 0}),
            (philox::Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox::philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                               {0xffffffff, 0xffffffff}),
            (philox::Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox::philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                               {0xa4093822, 0x299f31d0}),
            (philox::Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// The documented packing: key = (seed lo, seed hi), counter block =
// (index lo, index hi, counter lo, counter hi).
TEST(PhiloxTest, PacksSeedCounterAndIndex) {
  uint64_t seed = 0x299f31d0a4093822ull;
  uint64_t counter = 0x0370734413198a2eull;
  uint64_t index = 0x85a308d3243f6a88ull;
  EXPECT_EQ(philox::block(seed, counter, index),
            (philox::Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
  // uniform takes the top 24 bits of the first word.
  EXPECT_EQ(philox::uniform(seed, counter, index),
            static_cast<double>(0xd16cfe09u >> 8) / 16777216.0);
}

TEST(PhiloxTest, Deterministic) {
  for (uint64_t i = 0; i < 100; ++i) {
    EXPECT_EQ(philox::uniform(7, 3, i), philox::uniform(7, 3, i));
    EXPECT_EQ(philox::normal(7, 3, i), philox::normal(7, 3, i));
  }
}

TEST(PhiloxTest, DifferentStreamsDiffer) {
  // Changing the seed, the counter or the index changes the draw.
  std::set<double> seen;
  for (uint64_t seed : {0ull, 1ull, 1ull << 40})
    for (uint64_t counter : {0ull, 1ull, 1ull << 33})
      for (uint64_t index : {0ull, 1ull, 1ull << 35})
        seen.insert(philox::uniform(seed, counter, index));
  EXPECT_EQ(seen.size(), 27u);
}

TEST(PhiloxTest, UniformIsInUnitIntervalAndExactInF32) {
  for (uint64_t i = 0; i < 10000; ++i) {
    double u = philox::uniform(42, 0, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_EQ(static_cast<double>(static_cast<float>(u)), u);
  }
}

TEST(PhiloxTest, UniformMomentsAreSane) {
  const int n = 10000;
  double sum = 0, sumSq = 0;
  for (int i = 0; i < n; ++i) {
    double u = philox::uniform(123, 5, i);
    sum += u;
    sumSq += u * u;
  }
  double mean = sum / n, var = sumSq / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 0.02);
  EXPECT_NEAR(var, 1.0 / 12.0, 0.01);
}

TEST(PhiloxTest, NormalMomentsAreSane) {
  const int n = 10000;
  double sum = 0, sumSq = 0;
  for (int i = 0; i < n; ++i) {
    double z = philox::normal(123, 5, i);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sumSq += z * z;
  }
  double mean = sum / n, var = sumSq / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(var, 1.0, 0.1);
}

TEST(PhiloxTest, NormalFollowsTheDocumentedRecipe) {
  philox::Block x = philox::block(9, 2, 17);
  double u1 = ((x[0] >> 8) + 1) / 16777216.0, u2 = (x[1] >> 8) / 16777216.0;
  EXPECT_EQ(philox::normal(9, 2, 17),
            std::sqrt(-2.0 * std::log(u1)) *
                std::cos(2.0 * 3.14159265358979323846 * u2));
}

//===----------------------------------------------------------------------===//
// Initialisers
//===----------------------------------------------------------------------===//

TEST(PhiloxInitializersTest, Fans) {
  Fans f = computeFans({3, 4});
  EXPECT_EQ(f.in, 3);
  EXPECT_EQ(f.out, 4);
  f = computeFans({8, 2, 3, 5}); // OIHW
  EXPECT_EQ(f.in, 2 * 3 * 5);
  EXPECT_EQ(f.out, 8 * 3 * 5);
  f = computeFans({7});
  EXPECT_EQ(f.in, 7);
  EXPECT_EQ(f.out, 7);
  f = computeFans({});
  EXPECT_EQ(f.in, 1);
  EXPECT_EQ(f.out, 1);
}

TEST(PhiloxInitializersTest, Constants) {
  Tensor z = initialize("zeros", DType::F32, {2, 3}, 0, 0, 0);
  EXPECT_EQ(z.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(z.data, std::vector<double>(6, 0.0));
  Tensor o = initialize("ones", DType::F64, {4}, 0, 0, 0);
  EXPECT_EQ(o.data, std::vector<double>(4, 1.0));
  Tensor c = initialize("constant", DType::F32, {2}, 0.1, 0, 0);
  EXPECT_EQ(c.data, std::vector<double>(2, static_cast<double>(0.1f)));
  EXPECT_EQ(c.dtype, DType::F32);
  EXPECT_TRUE(isInitializerKind("he_normal"));
  EXPECT_FALSE(isInitializerKind("orthogonal"));
}

TEST(PhiloxInitializersTest, UniformDrawsFromCounterZero) {
  Tensor u = initialize("uniform", DType::F64, {2, 5}, -2, 3, 77);
  for (int64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(u.data[i], -2 + 5 * philox::uniform(77, 0, i));
    EXPECT_GE(u.data[i], -2);
    EXPECT_LT(u.data[i], 3);
  }
  // f32 values are the f64 draws rounded to f32.
  Tensor u32 = initialize("uniform", DType::F32, {2, 5}, -2, 3, 77);
  for (int64_t i = 0; i < 10; ++i)
    EXPECT_EQ(u32.data[i], static_cast<double>(static_cast<float>(u.data[i])));
}

TEST(PhiloxInitializersTest, NormalUsesMeanAndStd) {
  Tensor n = initialize("normal", DType::F64, {3}, 10, 0.5, 5);
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_EQ(n.data[i], 10 + 0.5 * philox::normal(5, 0, i));
}

TEST(PhiloxInitializersTest, GlorotAndHeScales) {
  // glorot_uniform on [in=30, out=70]: U[-l, l), l = sqrt(6 / 100).
  Tensor g = initialize("glorot_uniform", DType::F64, {30, 70}, 0, 0, 1);
  double limit = std::sqrt(6.0 / 100.0), maxAbs = 0;
  for (double v : g.data)
    maxAbs = std::max(maxAbs, std::fabs(v));
  EXPECT_LT(maxAbs, limit);
  EXPECT_GT(maxAbs, 0.95 * limit);
  EXPECT_EQ(g.data[3], -limit + 2 * limit * philox::uniform(1, 0, 3));

  // he_uniform on a conv filter [O=4, C=3, 5, 5]: l = sqrt(6 / 75).
  Tensor h = initialize("he_uniform", DType::F64, {4, 3, 5, 5}, 0, 0, 2);
  double heLimit = std::sqrt(6.0 / 75.0);
  EXPECT_EQ(h.data[10], -heLimit + 2 * heLimit * philox::uniform(2, 0, 10));

  // glorot_normal and he_normal: the standard normal scaled by the std.
  Tensor gn = initialize("glorot_normal", DType::F64, {30, 70}, 0, 0, 3);
  EXPECT_EQ(gn.data[5], std::sqrt(2.0 / 100.0) * philox::normal(3, 0, 5));
  Tensor hn = initialize("he_normal", DType::F64, {4, 3, 5, 5}, 0, 0, 3);
  EXPECT_EQ(hn.data[7], std::sqrt(2.0 / 75.0) * philox::normal(3, 0, 7));

  // The empirical std of he_normal over many draws.
  Tensor big = initialize("he_normal", DType::F64, {200, 50}, 0, 0, 4);
  double sumSq = 0;
  for (double v : big.data)
    sumSq += v * v;
  EXPECT_NEAR(std::sqrt(sumSq / big.data.size()), std::sqrt(2.0 / 200.0),
              0.005);
}

TEST(PhiloxInitializersTest, ReproducibleAndSeedDependent) {
  Tensor a = initialize("glorot_uniform", DType::F32, {4, 4}, 0, 0, 11);
  Tensor b = initialize("glorot_uniform", DType::F32, {4, 4}, 0, 0, 11);
  Tensor c = initialize("glorot_uniform", DType::F32, {4, 4}, 0, 0, 12);
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(a.data, c.data);
}

TEST(PhiloxInitializersTest, IntegerDtypesAreRounded) {
  Tensor t = initialize("uniform", DType::I32, {100}, -5, 5, 9);
  for (double v : t.data) {
    EXPECT_EQ(v, std::trunc(v));
    EXPECT_GE(v, -5);
    EXPECT_LE(v, 4);
  }
}

} // namespace
