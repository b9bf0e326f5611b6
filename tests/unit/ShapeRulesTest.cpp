// Shape rules shared by the frontend and the IR verifiers.
#include "ir/ShapeRules.h"

#include <gtest/gtest.h>

using namespace axon::shape;

namespace {

Shape S(std::initializer_list<int64_t> dims) {
  Shape s;
  for (int64_t d : dims)
    s.push_back(d < 0 ? Dim::unknown() : Dim::of(d));
  return s;
}

TEST(ShapeRules, UnifyKnownSymbolUnknown) {
  EXPECT_EQ(*unify(Dim::of(3), Dim::of(3)), Dim::of(3));
  EXPECT_FALSE(unify(Dim::of(3), Dim::of(4)));
  EXPECT_EQ(*unify(Dim::unknown(), Dim::of(4)), Dim::of(4));
  EXPECT_EQ(*unify(Dim::sym("N"), Dim::sym("N")), Dim::sym("N"));
  EXPECT_FALSE(unify(Dim::sym("N"), Dim::sym("M")));
  EXPECT_FALSE(unify(Dim::sym("N"), Dim::of(4))); // symbols are rigid
}

TEST(ShapeRules, Broadcast) {
  EXPECT_EQ(str(broadcast(S({8, 1, 3}), S({4, 1})).shape), "[8, 4, 3]");
  EXPECT_EQ(str(broadcast(S({}), S({2, 3})).shape), "[2, 3]");
  EXPECT_EQ(str(broadcast({Dim::sym("N"), Dim::of(10)}, S({10})).shape), "[N, 10]");
  EXPECT_EQ(str(broadcast(S({-1, 3}), S({5, 1})).shape), "[5, 3]");
  Result bad = broadcast(S({8, 3}), S({4}));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error, "shapes [8, 3] and [4] do not broadcast: dimension 3 vs 4");
  EXPECT_TRUE(broadcastsTo(S({1, 3}), S({5, 3})));
  EXPECT_FALSE(broadcastsTo(S({2, 3}), S({5, 3})));
}

TEST(ShapeRules, Matmul) {
  EXPECT_EQ(str(matmul({Dim::sym("N"), Dim::of(784)}, S({784, 10})).shape), "[N, 10]");
  EXPECT_EQ(str(matmul(S({7, 1, 2, 3}), S({5, 3, 4})).shape), "[7, 5, 2, 4]");
  Result bad = matmul({Dim::sym("N"), Dim::of(784)}, S({785, 10}));
  EXPECT_EQ(bad.error, "matmul inner dimensions do not agree: [N, 784] @ "
                       "[785, 10] (784 vs 785)");
  EXPECT_FALSE(matmul(S({3}), S({3, 4})).ok());
}

TEST(ShapeRules, Reduce) {
  EXPECT_EQ(str(reduce(S({2, 3, 4}), {1}, false).shape), "[2, 4]");
  EXPECT_EQ(str(reduce(S({2, 3, 4}), {-1, 0}, true).shape), "[1, 3, 1]");
  EXPECT_EQ(str(reduce(S({2, 3}), {}, false).shape), "[]");
  EXPECT_FALSE(reduce(S({2, 3}), {2}, false).ok());
  EXPECT_FALSE(reduce(S({2, 3}), {1, -1}, false).ok());
}

TEST(ShapeRules, ConvAndPool) {
  EXPECT_EQ(str(conv2d(S({-1, 1, 28, 28}), S({6, 1, 5, 5}), {1, 1}, {0, 0}, {1, 1}, 1).shape),
            "[?, 6, 24, 24]");
  EXPECT_EQ(str(conv2d(S({2, 4, 9, 9}), S({8, 2, 3, 3}), {2, 2}, {1, 1}, {1, 1}, 2).shape),
            "[2, 8, 5, 5]");
  EXPECT_EQ(str(conv2d(S({1, 1, 9, 9}), S({1, 1, 3, 3}), {1, 1}, {0, 0}, {2, 2}, 1).shape),
            "[1, 1, 5, 5]");
  EXPECT_FALSE(conv2d(S({1, 3, 8, 8}), S({4, 2, 3, 3}), {1, 1}, {0, 0}, {1, 1}, 1).ok());
  EXPECT_FALSE(conv2d(S({1, 1, 2, 2}), S({1, 1, 3, 3}), {1, 1}, {0, 0}, {1, 1}, 1).ok());
  EXPECT_EQ(str(convTranspose2d(S({1, 4, 7, 7}), S({4, 2, 3, 3}), {2, 2}, {1, 1}, {1, 1}, 1).shape),
            "[1, 2, 14, 14]");
  EXPECT_EQ(str(pool2d(S({1, 6, 24, 24}), {2, 2}, {2, 2}, {0, 0}).shape), "[1, 6, 12, 12]");
  EXPECT_EQ(str(pool2d(S({1, 1, 5, 5}), {3, 3}, {2, 2}, {1, 1}).shape), "[1, 1, 3, 3]");
  EXPECT_FALSE(pool2d(S({1, 1, 2, 2}), {3, 3}, {1, 1}, {0, 0}).ok());
}

TEST(ShapeRules, Movement) {
  EXPECT_EQ(str(transpose(S({2, 3, 4}), {2, 0, 1}).shape), "[4, 2, 3]");
  EXPECT_FALSE(transpose(S({2, 3}), {0, 0}).ok());
  EXPECT_EQ(str(slice(S({10, 4}), 0, 2, 8, 3).shape), "[2, 4]");
  EXPECT_EQ(str(slice(S({10, 4}), -1, 1, -1, 1).shape), "[10, 3]");
  EXPECT_FALSE(slice(S({10}), 0, 2, 11, 1).ok());
  EXPECT_EQ(str(concat({S({2, 3}), S({4, 3})}, 0).shape), "[6, 3]");
  EXPECT_FALSE(concat({S({2, 3}), S({4, 2})}, 0).ok());
  EXPECT_EQ(str(gather(S({100, 16}), S({8, 5}), 0).shape), "[8, 5, 16]");
  EXPECT_EQ(str(gather(S({4, 7, 3}), S({}), 1).shape), "[4, 3]");
  EXPECT_EQ(str(oneHot(S({8}), 10).shape), "[8, 10]");
  EXPECT_TRUE(reshape(S({4, 6}), S({3, 8})).ok());
  EXPECT_FALSE(reshape(S({4, 6}), S({5, 5})).ok());
  EXPECT_TRUE(reshape(S({-1, 6}), S({-1, 2, 3})).ok());
}

} // namespace
