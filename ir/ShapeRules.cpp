// Shape rules of the axon ops (see ShapeRules.h).
#include "ir/ShapeRules.h"

#include <algorithm>
#include <sstream>

namespace axon::shape {

std::string Dim::str() const {
  if (isKnown())
    return std::to_string(value);
  return isSymbol() ? symbol : "?";
}

std::string str(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + shape[i].str();
  return s + "]";
}

std::optional<Dim> unify(const Dim &a, const Dim &b) {
  if (a.isUnknown())
    return b;
  if (b.isUnknown())
    return a;
  if (a == b)
    return a;
  return std::nullopt;
}

bool compatible(const Shape &declared, const Shape &inferred) {
  if (declared.size() != inferred.size())
    return false;
  for (size_t i = 0; i < declared.size(); ++i)
    if (!unify(declared[i], inferred[i]))
      return false;
  return true;
}

std::optional<int64_t> normalizeAxis(int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r)
    return std::nullopt;
  return axis < 0 ? axis + r : axis;
}

static std::string axisError(int64_t axis, size_t rank) {
  return "axis " + std::to_string(axis) + " is out of range for rank " +
         std::to_string(rank);
}

// Broadcasts one pair of aligned dims: 1 stretches, otherwise they unify.
static std::optional<Dim> broadcastDim(const Dim &a, const Dim &b) {
  if (a.isKnown() && a.value == 1)
    return b;
  if (b.isKnown() && b.value == 1)
    return a;
  return unify(a, b);
}

Result broadcast(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align on the right: missing leading dims act as 1.
    Dim da = i < rank - a.size() ? Dim::of(1) : a[i - (rank - a.size())];
    Dim db = i < rank - b.size() ? Dim::of(1) : b[i - (rank - b.size())];
    auto d = broadcastDim(da, db);
    if (!d)
      return Result::fail("shapes " + str(a) + " and " + str(b) +
                          " do not broadcast: dimension " + da.str() +
                          " vs " + db.str());
    out[i] = *d;
  }
  return {out, {}};
}

bool broadcastsTo(const Shape &from, const Shape &to) {
  if (from.size() > to.size())
    return false;
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    const Dim &f = from[i], &t = to[i + lead];
    if (!(f.isKnown() && f.value == 1) && !unify(f, t))
      return false;
  }
  return true;
}

Result matmul(const Shape &a, const Shape &b) {
  if (a.size() < 2 || b.size() < 2)
    return Result::fail("matmul needs operands of rank >= 2, got " + str(a) +
                        " and " + str(b));
  const Dim &k1 = a[a.size() - 1], &k2 = b[b.size() - 2];
  if (!unify(k1, k2))
    return Result::fail("matmul inner dimensions do not agree: " + str(a) +
                        " @ " + str(b) + " (" + k1.str() + " vs " + k2.str() +
                        ")");
  Shape batchA(a.begin(), a.end() - 2), batchB(b.begin(), b.end() - 2);
  Result batch = broadcast(batchA, batchB);
  if (!batch.ok())
    return Result::fail("matmul batch dimensions: " + batch.error);
  Shape out = batch.shape;
  out.push_back(a[a.size() - 2]);
  out.push_back(b[b.size() - 1]);
  return {out, {}};
}

Result reduce(const Shape &x, const std::vector<int64_t> &axes, bool keepdims) {
  std::vector<bool> reduced(x.size(), axes.empty());
  for (int64_t axis : axes) {
    auto a = normalizeAxis(axis, x.size());
    if (!a)
      return Result::fail(axisError(axis, x.size()));
    if (reduced[*a])
      return Result::fail("axis " + std::to_string(axis) + " is repeated");
    reduced[*a] = true;
  }
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!reduced[i])
      out.push_back(x[i]);
    else if (keepdims)
      out.push_back(Dim::of(1));
  }
  return {out, {}};
}

// Extents are computed in 128 bits and saturated to int64, so options like
// padding = 9223372036854775807 cannot overflow; an extent near 2^63 is
// then refused by the element-count checks of the callers.
static int64_t saturate(__int128 v) {
  if (v > INT64_MAX)
    return INT64_MAX;
  if (v < INT64_MIN)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

// Extent of a sliding-window output, unknown when the input extent is.
static Dim windowDim(const Dim &in, int64_t k, int64_t stride, int64_t pad,
                     int64_t dil) {
  if (!in.isKnown())
    return Dim::unknown();
  __int128 span = static_cast<__int128>(dil) * (k - 1) + 1;
  __int128 room = static_cast<__int128>(in.value) + 2 * static_cast<__int128>(pad) - span;
  // A window wider than the padded input leaves no position: extent 0,
  // which callers reject (integer division would round -1 / 2 up to 0).
  if (room < 0 || stride < 1)
    return Dim::of(0);
  return Dim::of(saturate(room / stride + 1));
}

static std::string checkPairs(const char *what, const std::vector<int64_t> &v,
                              int64_t minValue) {
  if (v.size() != 2)
    return std::string(what) + " needs 2 values (h, w), got " +
           std::to_string(v.size());
  for (int64_t x : v)
    if (x < minValue)
      return std::string(what) + " must be >= " + std::to_string(minValue) +
             ", got " + std::to_string(x);
  return {};
}

Result conv2d(const Shape &x, const Shape &w, const std::vector<int64_t> &strides,
              const std::vector<int64_t> &padding,
              const std::vector<int64_t> &dilations, int64_t groups) {
  if (x.size() != 4 || w.size() != 4)
    return Result::fail("conv2d needs a [N, C, H, W] input and a [O, C, KH, KW] "
                        "filter, got " + str(x) + " and " + str(w));
  for (auto e : {checkPairs("strides", strides, 1),
                 checkPairs("padding", padding, 0),
                 checkPairs("dilations", dilations, 1)})
    if (!e.empty())
      return Result::fail(e);
  if (groups < 1)
    return Result::fail("groups must be >= 1");
  // Channels: C = groups * filter's C; O divisible by groups.
  Dim cin = x[1];
  if (cin.isKnown() && w[1].isKnown() &&
      cin.value != static_cast<__int128>(w[1].value) * groups)
    return Result::fail("conv2d input has " + cin.str() +
                        " channels but the filter expects " +
                        std::to_string(saturate(static_cast<__int128>(w[1].value) * groups)) + " (" +
                        w[1].str() + " x " + std::to_string(groups) + " groups)");
  if (groups == 1 && !unify(cin, w[1]))
    return Result::fail("conv2d channels do not agree: input " + str(x) +
                        ", filter " + str(w));
  if (w[0].isKnown() && w[0].value % groups != 0)
    return Result::fail("conv2d output channels " + w[0].str() +
                        " are not divisible by groups " + std::to_string(groups));
  if (!w[2].isKnown() || !w[3].isKnown())
    return Result::fail("conv2d filter height and width must be static");
  Dim oh = windowDim(x[2], w[2].value, strides[0], padding[0], dilations[0]);
  Dim ow = windowDim(x[3], w[3].value, strides[1], padding[1], dilations[1]);
  if ((oh.isKnown() && oh.value < 1) || (ow.isKnown() && ow.value < 1))
    return Result::fail("conv2d filter " + str(w) + " is larger than the padded input " +
                        str(x));
  return {{x[0], w[0], oh, ow}, {}};
}

Result convTranspose2d(const Shape &x, const Shape &w,
                       const std::vector<int64_t> &strides,
                       const std::vector<int64_t> &padding,
                       const std::vector<int64_t> &outputPadding, int64_t groups) {
  if (x.size() != 4 || w.size() != 4)
    return Result::fail("conv_transpose2d needs a [N, C, H, W] input and a "
                        "[C, O, KH, KW] filter, got " + str(x) + " and " + str(w));
  for (auto e : {checkPairs("strides", strides, 1),
                 checkPairs("padding", padding, 0),
                 checkPairs("output_padding", outputPadding, 0)})
    if (!e.empty())
      return Result::fail(e);
  if (groups < 1)
    return Result::fail("groups must be >= 1");
  if (!unify(x[1], w[0]))
    return Result::fail("conv_transpose2d channels do not agree: input " +
                        str(x) + ", filter " + str(w));
  for (int i = 0; i < 2; ++i)
    if (outputPadding[i] >= strides[i])
      return Result::fail("output_padding must be smaller than the stride");
  if (!w[2].isKnown() || !w[3].isKnown())
    return Result::fail("conv_transpose2d filter height and width must be static");
  if (x[1].isKnown() && x[1].value % groups != 0)
    return Result::fail("conv_transpose2d input channels " + x[1].str() +
                        " are not divisible by groups " + std::to_string(groups));
  Shape out = {x[0], w[1].isKnown()
                        ? Dim::of(saturate(static_cast<__int128>(w[1].value) * groups))
                        : Dim::unknown()};
  for (int i = 0; i < 2; ++i) {
    const Dim &in = x[2 + i];
    if (!in.isKnown()) {
      out.push_back(Dim::unknown());
      continue;
    }
    int64_t extent = saturate(static_cast<__int128>(in.value - 1) * strides[i] -
                              2 * static_cast<__int128>(padding[i]) +
                              w[2 + i].value + outputPadding[i]);
    if (extent < 1)
      return Result::fail("conv_transpose2d output would be empty");
    out.push_back(Dim::of(extent));
  }
  return {out, {}};
}

Result pool2d(const Shape &x, const std::vector<int64_t> &kernel,
              const std::vector<int64_t> &strides,
              const std::vector<int64_t> &padding) {
  if (x.size() != 4)
    return Result::fail("pooling needs a [N, C, H, W] input, got " + str(x));
  for (auto e : {checkPairs("kernel", kernel, 1), checkPairs("strides", strides, 1),
                 checkPairs("padding", padding, 0)})
    if (!e.empty())
      return Result::fail(e);
  for (int i = 0; i < 2; ++i)
    if (padding[i] > kernel[i] / 2)
      return Result::fail("padding must be at most half the kernel");
  Dim oh = windowDim(x[2], kernel[0], strides[0], padding[0], 1);
  Dim ow = windowDim(x[3], kernel[1], strides[1], padding[1], 1);
  if ((oh.isKnown() && oh.value < 1) || (ow.isKnown() && ow.value < 1))
    return Result::fail("pooling window is larger than the input " + str(x));
  return {{x[0], x[1], oh, ow}, {}};
}

Result transpose(const Shape &x, const std::vector<int64_t> &perm) {
  if (perm.size() != x.size())
    return Result::fail("transpose permutation has " +
                        std::to_string(perm.size()) + " entries for rank " +
                        std::to_string(x.size()));
  std::vector<bool> seen(x.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(x.size()) || seen[p])
      return Result::fail("transpose permutation is not a permutation of 0.." +
                          std::to_string(x.size() - 1));
    seen[p] = true;
    out.push_back(x[p]);
  }
  return {out, {}};
}

Result slice(const Shape &x, int64_t axis, int64_t start, int64_t limit,
             int64_t stride) {
  auto a = normalizeAxis(axis, x.size());
  if (!a)
    return Result::fail(axisError(axis, x.size()));
  if (stride < 1)
    return Result::fail("slice stride must be >= 1");
  if (start < 0 || (limit != -1 && limit < start))
    return Result::fail("slice needs 0 <= start <= limit");
  const Dim &d = x[*a];
  if (d.isKnown() && (start > d.value || limit > d.value))
    return Result::fail("slice [" + std::to_string(start) + ", " +
                        std::to_string(limit) + ") is outside axis " +
                        std::to_string(*a) + " of extent " + d.str());
  Shape out = x;
  if (limit == -1 && !d.isKnown())
    out[*a] = Dim::unknown();
  else {
    int64_t end = limit == -1 ? d.value : limit;
    out[*a] = Dim::of(saturate(
        (static_cast<__int128>(end) - start + stride - 1) / stride));
  }
  return {out, {}};
}

Result concat(const std::vector<Shape> &xs, int64_t axis) {
  if (xs.empty())
    return Result::fail("concat needs at least one operand");
  auto a = normalizeAxis(axis, xs[0].size());
  if (!a)
    return Result::fail(axisError(axis, xs[0].size()));
  Shape out = xs[0];
  for (size_t k = 1; k < xs.size(); ++k) {
    const Shape &s = xs[k];
    if (s.size() != out.size())
      return Result::fail("concat operands have different ranks: " +
                          str(xs[0]) + " and " + str(s));
    for (size_t i = 0; i < s.size(); ++i) {
      if (static_cast<int64_t>(i) == *a) {
        out[i] = out[i].isKnown() && s[i].isKnown()
                     ? Dim::of(saturate(static_cast<__int128>(out[i].value) +
                                        s[i].value))
                     : Dim::unknown();
        continue;
      }
      auto d = unify(out[i], s[i]);
      if (!d)
        return Result::fail("concat operands " + str(xs[0]) + " and " + str(s) +
                            " differ outside axis " + std::to_string(*a));
      out[i] = *d;
    }
  }
  return {out, {}};
}

Result gather(const Shape &table, const Shape &indices, int64_t axis) {
  auto a = normalizeAxis(axis, table.size());
  if (!a)
    return Result::fail(axisError(axis, table.size()));
  Shape out(table.begin(), table.begin() + *a);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), table.begin() + *a + 1, table.end());
  return {out, {}};
}

Result oneHot(const Shape &indices, int64_t depth) {
  if (depth < 1)
    return Result::fail("one_hot depth must be >= 1");
  Shape out = indices;
  out.push_back(Dim::of(depth));
  return {out, {}};
}

Result reshape(const Shape &x, const Shape &to) {
  // Compare element counts when both are fully known; otherwise the check
  // happens at run time.
  auto count = [](const Shape &s) -> std::optional<int64_t> {
    int64_t n = 1;
    for (const Dim &d : s) {
      if (!d.isKnown())
        return std::nullopt;
      if (__builtin_mul_overflow(n, d.value, &n))
        return std::nullopt;
    }
    return n;
  };
  auto a = count(x), b = count(to);
  if (a && b && *a != *b)
    return Result::fail("cannot reshape " + str(x) + " (" + std::to_string(*a) +
                        " elements) to " + str(to) + " (" + std::to_string(*b) +
                        " elements)");
  return {to, {}};
}

} // namespace axon::shape
