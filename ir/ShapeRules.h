// Shape rules of the axon ops, shared by the op verifiers and the frontend.
//
// Plain C++ with no MLIR dependency so the language's type checker can use
// the very rules the IR verifier enforces. A dimension is a known extent, a
// symbolic name (the frontend's `N`, rigid: N only agrees with N), or
// unknown (MLIR's `?`, agrees with anything).
#ifndef AXON_IR_SHAPERULES_H
#define AXON_IR_SHAPERULES_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axon::shape {

struct Dim {
  int64_t value = -1;  ///< Extent when >= 0.
  std::string symbol;  ///< Symbolic name; empty when known or unknown.

  static Dim of(int64_t v) { return Dim{v, {}}; }
  static Dim sym(std::string name) { return Dim{-1, std::move(name)}; }
  static Dim unknown() { return Dim{}; }
  bool isKnown() const { return value >= 0; }
  bool isSymbol() const { return value < 0 && !symbol.empty(); }
  bool isUnknown() const { return value < 0 && symbol.empty(); }
  bool operator==(const Dim &o) const {
    return value == o.value && symbol == o.symbol;
  }
  std::string str() const;
};

using Shape = std::vector<Dim>;
std::string str(const Shape &shape);

/// A rule's outcome: the result shape, or why there is none.
struct Result {
  Shape shape;
  std::string error;
  bool ok() const { return error.empty(); }
  static Result fail(std::string msg) { return Result{{}, std::move(msg)}; }
};

/// The dim both agree on, or none: unknown agrees with anything, a symbol
/// only with itself, a known extent only with itself.
std::optional<Dim> unify(const Dim &a, const Dim &b);
/// Whether a declared shape can hold the inferred one (same rank, dims unify).
bool compatible(const Shape &declared, const Shape &inferred);
/// Maps a possibly negative axis into [0, rank), or none when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, size_t rank);

Result broadcast(const Shape &a, const Shape &b);
/// Whether `from` broadcasts to exactly `to` (numpy rules, right-aligned).
bool broadcastsTo(const Shape &from, const Shape &to);
Result matmul(const Shape &a, const Shape &b);
Result reduce(const Shape &x, const std::vector<int64_t> &axes, bool keepdims);
Result conv2d(const Shape &x, const Shape &w, const std::vector<int64_t> &strides,
              const std::vector<int64_t> &padding,
              const std::vector<int64_t> &dilations, int64_t groups);
Result convTranspose2d(const Shape &x, const Shape &w,
                       const std::vector<int64_t> &strides,
                       const std::vector<int64_t> &padding,
                       const std::vector<int64_t> &outputPadding, int64_t groups);
Result pool2d(const Shape &x, const std::vector<int64_t> &kernel,
              const std::vector<int64_t> &strides,
              const std::vector<int64_t> &padding);
Result transpose(const Shape &x, const std::vector<int64_t> &perm);
Result slice(const Shape &x, int64_t axis, int64_t start, int64_t limit,
             int64_t stride);
Result concat(const std::vector<Shape> &xs, int64_t axis);
Result gather(const Shape &table, const Shape &indices, int64_t axis);
Result oneHot(const Shape &indices, int64_t depth);
/// Checks that `to` can hold the elements of `x`; returns `to`.
Result reshape(const Shape &x, const Shape &to);

} // namespace axon::shape

#endif // AXON_IR_SHAPERULES_H
