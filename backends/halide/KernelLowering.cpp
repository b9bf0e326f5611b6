// KernelSpec -> Halide algorithm: one Func per op, following the reference
// evaluator's semantics (backends/reference/Evaluator.cpp) op by op.
//
// Shapes are static, so every Func is defined over known extents and reads
// its operands only inside them; padding and index clamping make that true
// for windows and gathers. What the reference reports as an error at run
// time (a gather, scatter or one_hot index out of range, integer division
// by zero) is checked in the kernel with require(): the kernel fails with a
// message naming the op's model-file position (kernelCheck), which the
// executor reports as the function's error.
#include "backends/halide/KernelLowering.h"
#include "backends/halide/KernelGraph.h"
#include "ir/ShapeRules.h"
#include "runtime/core/Philox.h"
#include "runtime/core/Plan.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

using namespace Halide;
using Halide::Internal::make_const;
using Halide::Internal::make_one;
using Halide::Internal::make_zero;

namespace axon::halide {

Type halideType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return Float(32);
  case DType::F64:
    return Float(64);
  case DType::I1:
    return Bool();
  case DType::I32:
    return Int(32);
  case DType::I64:
    return Int(64);
  }
  return Float(32);
}

std::vector<Argument> LoweredKernel::arguments() const {
  return std::vector<Argument>(inputs.begin(), inputs.end());
}

namespace {

using Coords = std::vector<Expr>; // Dialect order: outermost dim first.
using Shape = std::vector<int64_t>;

[[noreturn]] void unsupported(const std::string &what) {
  throw std::runtime_error(what);
}

/// An axis the verifier accepted, mapped into [0, rank).
int normalizeAxis(int64_t axis, size_t rank) {
  return int(*shape::normalizeAxis(axis, rank));
}

/// Halide compiles float code with fast-math flags under which LLVM may
/// assume no NaN or infinity: NaN != NaN came out false, and a NaN test of
/// a value computed with those flags folds away. A kernel whose ops can
/// observe NaN or infinity (Lowerer::observesNaN: comparisons, max/min,
/// relu, sign, argmax, ...) defines its values in strict_float, which also
/// covers the operands Halide inlines into them; the helpers below are
/// strict themselves because update definitions (reductions, windows) do
/// not go through Lowerer::define. Values read from memory are taken as
/// they are. A contraction's accumulator is not strict (its multiply-adds
/// fuse and vectorise); its epilogue is, and tests for NaN with isNaN.
///
/// Whether float `v` is NaN, from its bits (|v| above infinity's). Not
/// is_nan (v != v): a contraction's accumulator keeps fast math, and LLVM
/// folds a NaN test of a value computed under its no-NaN flag to false,
/// strict_float or not, wherever it sees where the value came from (a
/// small matmul's tile held in registers: max(x @ w, y) gave y for a NaN
/// row). LLVM (14, Halide 14's) derives no such fact for integer bits.
Expr isNaN(Expr v) {
  Type t = v.type();
  Type bits = Int(t.bits(), t.lanes());
  bool f64 = t.bits() == 64;
  Expr magnitude = reinterpret(bits, v) &
                   make_const(bits, int64_t(f64 ? 0x7fffffffffffffff : 0x7fffffff));
  return magnitude >
         make_const(bits, int64_t(f64 ? 0x7ff0000000000000 : 0x7f800000));
}

/// max/min propagating NaN, as the reference and torch.maximum do.
Expr maxNaN(Expr a, Expr b) {
  if (!a.type().is_float())
    return max(a, b);
  return strict_float(select(isNaN(a), a, select(isNaN(b), b, max(a, b))));
}
Expr minNaN(Expr a, Expr b) {
  if (!a.type().is_float())
    return min(a, b);
  return strict_float(select(isNaN(a), a, select(isNaN(b), b, min(a, b))));
}
/// exp and log with IEEE edges. Halide's own float exp/log are polynomial
/// approximations that return 0 for exp(NaN) and exp(inf), 88.7 for
/// log(inf) and wrong values on subnormals; the reference and PyTorch give
/// NaN, inf, inf and the true logarithm.
Expr ieeeExp(Expr v) {
  Type t = v.type();
  // Above log(max finite) the result overflows to inf.
  Expr overflow = cast(t, Expr(t.bits() == 64 ? 709.782712893384 : 88.72283935546875));
  return strict_float(select(isNaN(v), v,
                             select(v > overflow, t.max() * 2, exp(v))));
}
Expr ieeeLog(Expr v) {
  Type t = v.type();
  bool f64 = t.bits() == 64;
  // Subnormals are scaled into the normal range first: log(v 2^k) - k ln 2.
  Expr smallest = cast(t, Expr(f64 ? 2.2250738585072014e-308 : 1.17549435e-38));
  Expr scale = cast(t, Expr(f64 ? 4503599627370496.0 : 8388608.0)); // 2^52, 2^23
  Expr shift = cast(t, Expr((f64 ? 52 : 23) * 0.6931471805599453));
  Expr zero = make_zero(t), inf = t.max() * 2;
  Expr tiny = v > zero && v < smallest;
  Expr scaled = log(select(tiny, v * scale, v)) - select(tiny, shift, zero);
  return strict_float(select(
      isNaN(v) || v < zero,
      cast(t, Expr(std::numeric_limits<double>::quiet_NaN())),
      select(v == zero, -inf, select(v == inf, inf, scaled))));
}

/// tanh for f32 in vector arithmetic: Halide's tanh is a call to libm per
/// lane (tanhf, through expm1f), which took 60% of an LSTM train step.
/// |x| < 0.625: x p(x^2), p fitted to tanh(x)/x by least squares in
/// relative error (1.3 ulp in f32 arithmetic); above: 1 - 2 / (e^(2|x|) + 1)
/// (Halide's vector exp), its cancellation harmless where tanh >= 0.55
/// (under 3 ulp); |x| clamped at 9, where tanh rounds to 1 in f32. NaN
/// stays NaN, tanh(+-inf) = +-1, tanh(-0) = -0. Other types: Halide's tanh.
Expr ieeeTanh(Expr v) {
  Type t = v.type();
  if (!(t.is_float() && t.bits() == 32))
    return tanh(v);
  Expr a = min(abs(v), 9.0f);
  Expr s = v * v;
  const float coef[] = {-0.3333333134651184f, 0.1333320140838623f,
                        -0.053946252912282944f, 0.021698210388422012f,
                        -0.008171788416802883f, 0.002138226293027401f};
  Expr p = Expr(coef[5]);
  for (int i = 4; i >= 0; --i)
    p = p * s + Expr(coef[i]);
  Expr small = v * (1.0f + s * p); // v * 1 keeps -0.
  Expr large = 1.0f - 2.0f / (exp(a + a) + 1.0f);
  Expr signedLarge = select(v < 0.0f, -large, large);
  return strict_float(
      select(isNaN(v), v, select(a < 0.625f, small, signedLarge)));
}

/// The identity of a max: -inf for floats (a max over -inf is -inf, as in
/// the reference), the lowest value otherwise.
Expr lowest(Type t) {
  return t.is_float()
             ? cast(t, Expr(-std::numeric_limits<double>::infinity()))
             : t.min();
}

/// `v` is the maximum `m` a NaN-propagating max found (NaN matches NaN):
/// argmax and max-pool winners are the first position where this holds.
/// (A running (position, value) pair would carry a float through selects,
/// which LLVM's no-NaN flags let it fold wrongly when NaNs tie.)
Expr isTheMax(Expr v, Expr m) {
  if (!v.type().is_float())
    return v == m;
  return strict_float(v == m || (isNaN(v) && isNaN(m)));
}

/// `value`, once `ok` holds; otherwise the kernel fails with
/// "<location>: axon.<op>: <what>" (Halide separates the parts by spaces).
template <typename... Parts>
Expr kernelCheck(Expr ok, Expr value, const kernel::OpSpec &op,
                 Parts &&...what) {
  // kKernelCheckMarker: where Halide's "Requirement Failed: (...)" message
  // gives way to ours.
  return require(ok, value, kKernelCheckMarker + op.location + ": axon." + op.name +
                                ":",
                 std::forward<Parts>(what)...);
}

/// An index read from a tensor, checked to lie in [0, extent).
Expr checkedIndex(Expr raw, int64_t extent, const kernel::OpSpec &op) {
  Expr i = cast<int64_t>(raw);
  return cast<int>(kernelCheck(i >= 0 && i < Expr(extent), i, op, "index", i,
                               "is out of range [0, " +
                                   std::to_string(extent) + ")"));
}

/// Reads `v` at dialect-order coordinates.
Expr at(const ValueFunc &v, const Coords &coords) {
  std::vector<Expr> args(coords.rbegin(), coords.rend());
  return v.func(args);
}

/// Defines a Func over `shape` from a body taking dialect-order coords.
Func define(const std::string &name, const Shape &shape,
            const std::function<Expr(const Coords &)> &body) {
  Func f(name);
  std::vector<Var> vars;
  Coords coords;
  for (size_t d = 0; d < shape.size(); ++d)
    vars.emplace_back("d" + std::to_string(d));
  for (const Var &v : vars)
    coords.push_back(v);
  std::vector<Var> args(vars.rbegin(), vars.rend());
  f(args) = body(coords);
  return f;
}

/// Reads `v` (numpy-broadcast to a result of rank coords.size()).
Expr broadcastAt(const ValueFunc &v, const Shape &resultShape,
                 const Coords &coords) {
  size_t r = coords.size(), ro = v.shape.size();
  Coords c;
  for (size_t j = 0; j < ro; ++j) {
    size_t d = j + (r - ro);
    c.push_back(v.shape[j] == 1 && resultShape[d] != 1 ? Expr(0) : coords[d]);
  }
  return at(v, c);
}

/// The index of row-major `coords` within `shape`, and back.
Expr flatten(const Coords &coords, const Shape &shape) {
  Expr flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * int(shape[d]) + coords[d];
  return flat;
}
Coords unflatten(Expr flat, const Shape &shape) {
  Coords c(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    c[d] = shape[d] == 1 ? Expr(0) : flat % int(shape[d]);
    flat = flat / int(shape[d]);
  }
  return c;
}

/// The coordinates in `from` of the element at `coords` of its row-major
/// reshape to `to`. The two shapes are cut into groups of dims with equal
/// products (a group that keeps one dim, merges dims or splits one), and
/// each group is flattened and unflattened on its own, extents of 1 left
/// out: a kept dim is read at its own coordinate and a dim of 1 at 0, so
/// a reshape that only adds or drops 1s, or splits the outer dims, reads
/// its input through plain or affine coordinates (a load the contraction
/// schedules take as it is), and only merged dims divide.
Coords reshapeSource(const Coords &coords, const Shape &to, const Shape &from) {
  for (int64_t e : to)
    if (e == 0)
      return unflatten(flatten(coords, to), from);
  Coords in(from.size(), Expr(0));
  size_t i = 0, j = 0;
  while (i < to.size() || j < from.size()) {
    size_t i0 = i, j0 = j;
    int64_t po = 1, pi = 1;
    if (i < to.size())
      po *= to[i++];
    if (j < from.size())
      pi *= from[j++];
    while (po != pi) {
      if (po < pi && i < to.size())
        po *= to[i++];
      else if (j < from.size())
        pi *= from[j++];
      else
        return unflatten(flatten(coords, to), from); // not a reshape
    }
    Coords outer;
    Shape outerShape, innerShape;
    std::vector<size_t> innerDims;
    for (size_t d = i0; d < i; ++d)
      if (to[d] != 1) {
        outer.push_back(coords[d]);
        outerShape.push_back(to[d]);
      }
    for (size_t d = j0; d < j; ++d)
      if (from[d] != 1) {
        innerDims.push_back(d);
        innerShape.push_back(from[d]);
      }
    if (outer.size() == 1 && innerDims.size() == 1) {
      in[innerDims[0]] = outer[0];
      continue;
    }
    // The group's outermost coordinate needs no modulo: flat is in range.
    Expr flat = flatten(outer, outerShape);
    for (size_t k = innerDims.size(); k-- > 1;) {
      in[innerDims[k]] = flat % int(innerShape[k]);
      flat = flat / int(innerShape[k]);
    }
    if (!innerDims.empty())
      in[innerDims[0]] = flat;
  }
  return in;
}

class Lowerer {
public:
  Lowerer(const kernel::KernelSpec &spec, KernelGraph &g) : spec(spec), g(g) {}

  void run() {
    // A kernel that can observe NaN or infinity computes its elementwise
    // values strictly: Halide's simplifier and LLVM's no-NaN flags would
    // otherwise fold x - x to 0 or drop a NaN test of x + y. So does every
    // injective kernel, whose arithmetic the same flags would rewrite
    // (x * y + x as x * (y + 1): -inf * 0 + -inf is NaN, -inf * 1 is -inf)
    // and which is bound by memory, so strictness costs it little.
    // Contraction and sum accumulators keep fast math (FMA), their stores
    // and loads keep what they computed.
    strict = spec.kind == kernel::KernelKind::Injective;
    for (const kernel::OpSpec &op : spec.ops)
      strict = strict || observesNaN(op.name);
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
      const kernel::TensorDesc &d = spec.inputs[i];
      ImageParam p(halideType(d.dtype), int(d.shape.size()),
                   spec.name + "_in" + std::to_string(i));
      // Static, dense, row-major: lets Halide drop bounds and stride math.
      int64_t stride = 1;
      for (int k = 0; k < int(d.shape.size()); ++k) {
        int64_t extent = d.shape[d.shape.size() - 1 - k];
        p.dim(k).set_bounds(0, int(extent)).set_stride(int(stride));
        p.dim(k).set_estimate(0, int(extent));
        stride *= extent;
      }
      g.inputs.push_back(p);
      // A plain load, never strict_float: there is nothing to keep exact,
      // and wrapped it would no longer look like a load to the contraction
      // schedules (readInfo), which would then copy the operand whole
      // before every call (1.2 MB for the MLP's first layer).
      ValueFunc v{::axon::halide::define("in" + std::to_string(i), d.shape,
                                         [&](const Coords &c) {
                                           std::vector<Expr> args(c.rbegin(),
                                                                  c.rend());
                                           return p(args);
                                         }),
                  d.shape, halideType(d.dtype)};
      g.values.push_back(v);
    }
    for (size_t i = 0; i < spec.ops.size(); ++i) {
      const kernel::OpSpec &op = spec.ops[i];
      name = op.name + std::to_string(i);
      resultShape = op.result.shape;
      resultType = halideType(op.result.dtype);
      Func f = lower(op);
      g.values.push_back({f, resultShape, resultType});
    }
  }

private:
  const kernel::KernelSpec &spec;
  KernelGraph &g;
  bool strict = false;

  static bool observesNaN(const std::string &n) {
    return n == "cmp" || n == "max" || n == "min" || n == "relu" ||
           n == "sign" || n == "reduce_max" || n == "argmax" ||
           n == "softmax" || n == "log_softmax" || n == "max_pool2d" ||
           n == "max_pool2d_grad";
  }

  Expr strictIf(Expr e) const { return strict ? strict_float(e) : e; }

  /// halide::define, in strict_float in a kernel that observes NaN.
  Func define(const std::string &fname, const Shape &shape,
              const std::function<Expr(const Coords &)> &body) {
    return ::axon::halide::define(fname, shape, [&](const Coords &c) {
      Expr e = body(c);
      return strict ? strict_float(e) : e;
    });
  }
  std::string name;
  Shape resultShape;
  Type resultType;

  const ValueFunc &operand(const kernel::OpSpec &op, int i) {
    return g.values[op.operands[i]];
  }
  Func pointwise(const std::function<Expr(const Coords &)> &body) {
    return define(name, resultShape, [&](const Coords &c) {
      return cast(resultType, body(c));
    });
  }

  Func lower(const kernel::OpSpec &op) {
    // Families lowered alike (their members differ in one expression each).
    switch (op.family) {
    case OpFamily::ElementwiseUnary:
      return unary(op);
    case OpFamily::ElementwiseBinary:
      return binary(op);
    case OpFamily::Random:
      return random(op);
    default:
      break;
    }
    const std::string &n = op.name;
    if (n == "select") {
      const ValueFunc &c = operand(op, 0), &t = operand(op, 1),
                      &f = operand(op, 2);
      return pointwise([&](const Coords &x) {
        return select(broadcastAt(c, resultShape, x),
                      broadcastAt(t, resultShape, x),
                      broadcastAt(f, resultShape, x));
      });
    }
    if (n == "cast") {
      const ValueFunc &x = operand(op, 0);
      return define(name, resultShape, [&](const Coords &c) {
        Expr v = at(x, c);
        if (resultType.is_bool())
          return v != make_zero(v.type());
        return cast(resultType, v);
      });
    }
    if (n == "constant" || n == "fill")
      return constant(op);
    if (n == "matmul")
      return matmul(op);
    if (n == "conv2d")
      return conv2d(op);
    if (n == "conv_transpose2d")
      return convTranspose2d(op);
    if (n == "max_pool2d" || n == "avg_pool2d")
      return pool(op, n == "max_pool2d");
    if (n == "max_pool2d_grad" || n == "avg_pool2d_grad")
      return poolGrad(op, n == "max_pool2d_grad");
    if (n == "sum" || n == "mean" || n == "reduce_max")
      return reduce(op);
    if (n == "argmax")
      return argmax(op);
    if (n == "softmax" || n == "log_softmax")
      return softmax(op, n == "log_softmax");
    if (n == "reshape") {
      const ValueFunc &x = operand(op, 0);
      return define(name, resultShape, [&](const Coords &c) {
        return at(x, reshapeSource(c, resultShape, x.shape));
      });
    }
    if (n == "transpose") {
      const ValueFunc &x = operand(op, 0);
      std::vector<int64_t> perm = op.ints.at("perm");
      return define(name, resultShape, [&](const Coords &c) {
        Coords in(c.size());
        for (size_t i = 0; i < perm.size(); ++i)
          in[perm[i]] = c[i];
        return at(x, in);
      });
    }
    if (n == "broadcast") {
      const ValueFunc &x = operand(op, 0);
      return define(name, resultShape, [&](const Coords &c) {
        return broadcastAt(x, resultShape, c);
      });
    }
    if (n == "slice")
      return slice(op);
    if (n == "insert_slice")
      return insertSlice(op);
    if (n == "concat")
      return concat(op);
    if (n == "gather")
      return gather(op);
    if (n == "scatter_add")
      return scatterAdd(op);
    if (n == "dynamic_row")
      return dynamicRow(op);
    if (n == "dynamic_update_row")
      return dynamicUpdateRow(op);
    if (n == "arange")
      return arange(op);
    if (n == "tril" || n == "triu")
      return triangle(op, n == "tril");
    if (n == "shift")
      return shift(op);
    if (n == "scan")
      return scan(op);
    if (n == "one_hot") {
      const ValueFunc &idx = operand(op, 0);
      return pointwise([&](const Coords &c) {
        Coords outer(c.begin(), c.end() - 1);
        Expr i = checkedIndex(at(idx, outer), op.getInt("depth"), op);
        return select(i == cast<int>(c.back()), 1, 0);
      });
    }
    unsupported("the Halide backend cannot lower axon." + n + " yet");
  }

  Func unary(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0);
    const std::string &n = op.name;
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      Expr v = at(x, c);
      Type t = v.type();
      Expr zero = make_zero(t), one = make_one(t);
      if (n == "neg")
        return -v;
      if (n == "exp")
        return ieeeExp(v);
      if (n == "log")
        return ieeeLog(v);
      if (n == "sqrt")
        return sqrt(v);
      if (n == "abs")
        return cast(t, abs(v));
      if (n == "sin")
        return sin(v);
      if (n == "cos")
        return cos(v);
      if (n == "tanh")
        return ieeeTanh(v);
      if (n == "sigmoid") { // Never exponentiates a large positive number.
        Expr e = ieeeExp(-abs(v)); // One exp for both signs (vector code
                                   // evaluates both arms of the select).
        return select(v >= zero, one / (one + e), e / (one + e));
      }
      if (n == "relu") // NaN stays NaN, as in the reference and torch.
        return select(v < zero, zero, v);
      if (n == "softplus")
        return maxNaN(v, zero) + ieeeLog(one + ieeeExp(-abs(v)));
      if (n == "sign")
        return select(v > zero, one, select(v < zero, -one, v));
      if (n == "erf")
        return ieeeErf(v);
      unsupported("the Halide backend cannot lower axon." + n + " yet");
    });
  }

  /// erf with IEEE edges, as std::erf: NaN stays NaN; from |x| = 4 (f32)
  /// or 6 (f64) on, infinities included, erfc is below half an ulp of 1 and
  /// the result is +-1. Halide's own erf (to the last 3 bits) is f32 only.
  static Expr ieeeErf(Expr v) {
    Type t = v.type();
    bool f32 = t.is_float() && t.bits() == 32;
    Expr x = f32 ? v : cast<double>(v);
    Expr one = make_one(x.type());
    Expr saturated = select(x < make_zero(x.type()), -one, one);
    Expr e = select(abs(x) >= cast(x.type(), Expr(f32 ? 4.0 : 6.0)), saturated,
                    f32 ? Halide::erf(x) : erf64(x));
    return cast(t, strict_float(select(isNaN(x), x, e)));
  }

  /// erf in double precision (to ~1e-14): the Maclaurin series where it
  /// converges fast, |x| < 2.5, else the Taylor series at the nearest of
  /// 3, 4, 5, 6. Polynomials only: Halide's compile time grows
  /// exponentially with the depth of a chain of divisions (a continued
  /// fraction for erfc) when the argument is loop-invariant.
  static Expr erf64(Expr x) {
    const double twoOverSqrtPi = 1.1283791670955126;
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), by Horner
    // in x^2 over 40 terms (the 40th is below 1e-18 for |x| < 2.5).
    const int terms = 40;
    std::vector<double> c(terms);
    double factorial = 1;
    for (int k = 0; k < terms; ++k) {
      if (k > 0)
        factorial *= k;
      c[k] = (k % 2 ? -1.0 : 1.0) / (factorial * (2 * k + 1));
    }
    Expr x2 = x * x;
    Expr series = Expr(c[terms - 1]);
    for (int k = terms - 2; k >= 0; --k)
      series = series * x2 + Expr(c[k]);
    series = Expr(twoOverSqrtPi) * x * series;
    Expr a = abs(x);
    Expr tail = erfNear(6, a - Expr(6.0));
    for (double center : {5.0, 4.0, 3.0})
      tail = select(a < Expr(center + 0.5), erfNear(center, a - Expr(center)), tail);
    return select(a < Expr(2.5), series, select(x < Expr(0.0), -tail, tail));
  }

  /// erf(c + h) for |h| <= 1/2, by its Taylor series at c to 30 terms:
  /// the n-th derivative of erf is 2/sqrt(pi) (-1)^(n-1) H_(n-1)(x) e^(-x^2),
  /// H the Hermite polynomials (H_(n+1) = 2x H_n - 2n H_(n-1)).
  static Expr erfNear(double c, Expr h) {
    const int terms = 30;
    std::vector<double> coef(terms + 1);
    coef[0] = std::erf(c);
    double scale = 1.1283791670955126 * std::exp(-c * c);
    double hermitePrev = 0, hermite = 1, factorial = 1; // H_(n-2), H_(n-1), n!
    for (int n = 1; n <= terms; ++n) {
      factorial *= n;
      coef[n] = scale * ((n - 1) % 2 ? -1 : 1) * hermite / factorial;
      double next = 2 * c * hermite - 2 * (n - 1) * hermitePrev;
      hermitePrev = hermite;
      hermite = next;
    }
    Expr sum = Expr(coef[terms]);
    for (int n = terms - 1; n >= 0; --n)
      sum = sum * h + Expr(coef[n]);
    return sum;
  }

  Func binary(const kernel::OpSpec &op) {
    const ValueFunc &a = operand(op, 0), &b = operand(op, 1);
    const std::string &n = op.name;
    auto predicate = kernel::CmpPredicate(op.getInt("predicate"));
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      Expr x = broadcastAt(a, resultShape, c), y = broadcastAt(b, resultShape, c);
      if (n == "add")
        return x + y;
      if (n == "sub")
        return x - y;
      if (n == "mul")
        return x * y;
      if (n == "div") {
        if (x.type().is_float())
          return x / y;
        // Truncating division, as C++ and the reference do; by zero an
        // error, as in the reference.
        Expr nonzero = kernelCheck(y != 0, y, op, "integer division by zero");
        Expr q = cast(x.type(), abs(x) / abs(nonzero));
        return cast(x.type(), select((x < 0) != (y < 0), -q, q));
      }
      if (n == "pow") // Integers through double, as the reference does.
        return x.type().is_float()
                   ? pow(x, y)
                   : cast(x.type(), pow(cast<double>(x), cast<double>(y)));
      if (n == "max")
        return maxNaN(x, y);
      if (n == "min")
        return minNaN(x, y);
      if (n != "cmp")
        unsupported("the Halide backend cannot lower axon." + n + " yet");
      switch (predicate) {
      case kernel::CmpPredicate::Eq:
        return x == y;
      case kernel::CmpPredicate::Ne:
        return x != y;
      case kernel::CmpPredicate::Lt:
        return x < y;
      case kernel::CmpPredicate::Le:
        // Not x <= y: Halide rewrites it to !(y < x), true for NaN.
        return x < y || x == y;
      case kernel::CmpPredicate::Gt:
        return x > y;
      case kernel::CmpPredicate::Ge:
        return x > y || x == y;
      }
      unsupported("axon.cmp: unknown predicate " + std::to_string(int(predicate)));
    });
  }

  Func constant(const kernel::OpSpec &op) {
    if (op.name == "fill") {
      double value = op.floats.count("value") ? op.floats.at("value") : 0.0;
      return define(name, resultShape, [&](const Coords &) {
        return cast(resultType, Expr(value));
      });
    }
    if (op.values.size() <= 1) {
      double value = op.values.empty() ? 0.0 : op.values[0];
      return define(name, resultShape, [&](const Coords &) {
        return resultType.is_bool() ? Expr(value != 0)
                                    : cast(resultType, Expr(value));
      });
    }
    // A dense constant inside a kernel: bake its values into a buffer.
    Buffer<double> data(int(op.values.size()));
    for (size_t i = 0; i < op.values.size(); ++i)
      data(int(i)) = op.values[i];
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      Expr v = data(flatten(c, resultShape));
      return resultType.is_bool() ? v != Expr(0.0) : cast(resultType, v);
    });
  }

  Func matmul(const kernel::OpSpec &op) {
    const ValueFunc &a = operand(op, 0), &b = operand(op, 1);
    size_t r = resultShape.size();
    int batchRank = int(r) - 2;
    int64_t m = resultShape[r - 2], n = resultShape[r - 1];
    int64_t k = a.shape.back();
    Func fa = a.func, fb = b.func;
    if (batchRank > 0) {
      // Operands broadcast to the result's batch extents.
      auto widen = [&](const ValueFunc &v, int64_t rows, int64_t cols,
                       const std::string &suffix) {
        Shape full(resultShape.begin(), resultShape.end() - 2);
        full.push_back(rows);
        full.push_back(cols);
        return define(name + suffix, full, [&](const Coords &c) {
          return broadcastAt(v, full, c);
        });
      };
      fa = widen(a, m, k, "_a");
      fb = widen(b, k, n, "_b");
    }
    Func mm = defineMatmul(fa, fb, m, n, k, batchRank, resultType, name);
    KernelStage s{KernelStage::Kind::Matmul, mm, resultShape};
    s.a = fa;
    s.b = fb;
    s.m = m;
    s.n = n;
    s.k = k;
    s.batchRank = batchRank;
    g.stages.push_back(s);
    return mm;
  }

  Func conv2d(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0), &w = operand(op, 1);
    Conv2DGeometry geo;
    geo.n = x.shape[0], geo.c = x.shape[1], geo.h = x.shape[2],
    geo.w = x.shape[3];
    geo.o = w.shape[0], geo.kh = w.shape[2], geo.kw = w.shape[3];
    geo.oh = resultShape[2], geo.ow = resultShape[3];
    const auto &s = op.ints.at("strides"), &p = op.ints.at("padding");
    geo.strideH = s[0], geo.strideW = s[1], geo.padH = p[0], geo.padW = p[1];
    if (op.ints.count("dilations")) {
      const auto &d = op.ints.at("dilations");
      geo.dilationH = d[0], geo.dilationW = d[1];
    }
    geo.groups = op.getInt("groups", 1);
    Func conv = defineConv2D(x.func, w.func, geo, resultType, name);
    KernelStage st{KernelStage::Kind::Conv2D, conv, resultShape};
    st.a = x.func;
    st.b = w.func;
    st.conv = geo;
    g.stages.push_back(st);
    return conv;
  }

  /// out[n, o, y, x] = sum over the input positions whose scattered window
  /// covers (y, x): the reference's scatter form turned into a gather.
  Func convTranspose2d(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0), &w = operand(op, 1);
    const auto &s = op.ints.at("strides"), &p = op.ints.at("padding");
    int64_t groups = op.getInt("groups", 1);
    int64_t c = x.shape[1], h = x.shape[2], wd = x.shape[3];
    int64_t og = w.shape[1], kh = w.shape[2], kw = w.shape[3];
    // At stride 1 (a conv's input gradient) this is a conv2d over the input
    // padded by k - 1 - p with the filter flipped and its channel dims
    // swapped, which takes the tuned conv2d schedule (Contraction.cpp)
    // instead of the gather below.
    if (s[0] == 1 && s[1] == 1 && groups == 1 && p[0] <= kh - 1 &&
        p[1] <= kw - 1) {
      Var fx("fx"), fy("fy"), fc("fc"), fo("fo");
      Func flipped(name + "_flipped");
      flipped(fx, fy, fc, fo) =
          w.func(int(kw) - 1 - fx, int(kh) - 1 - fy, fo, fc);
      Conv2DGeometry geo;
      geo.n = x.shape[0], geo.c = c, geo.h = h, geo.w = wd;
      geo.o = og, geo.kh = kh, geo.kw = kw;
      geo.oh = resultShape[2], geo.ow = resultShape[3];
      geo.padH = kh - 1 - p[0], geo.padW = kw - 1 - p[1];
      Func conv = defineConv2D(x.func, flipped, geo, resultType, name);
      KernelStage st{KernelStage::Kind::Conv2D, conv, resultShape};
      st.a = x.func;
      st.b = flipped;
      st.conv = geo;
      g.stages.push_back(st);
      return conv;
    }
    int64_t cg = c / groups;
    RDom r(0, int(cg), 0, int(kh), 0, int(kw), name + "_r");
    Func f(name);
    Var ox("ox"), oy("oy"), o("o"), n("n");
    Expr ty = oy + int(p[0]) - r.y, tx = ox + int(p[1]) - r.z;
    Expr iy = ty / int(s[0]), ix = tx / int(s[1]);
    Expr valid = ty % int(s[0]) == 0 && tx % int(s[1]) == 0 && iy >= 0 &&
                 iy < int(h) && ix >= 0 && ix < int(wd);
    Expr ci = (o / int(og)) * int(cg) + r.x;
    Expr term = x.func(clamp(ix, 0, int(wd) - 1), clamp(iy, 0, int(h) - 1),
                       ci, n) *
                w.func(r.z, r.y, o % int(og), ci);
    f(ox, oy, o, n) = make_zero(resultType);
    f(ox, oy, o, n) += select(valid, term, make_zero(resultType));
    g.stages.push_back({KernelStage::Kind::Window, f, resultShape});
    return f;
  }

  /// Number of unpadded input positions in each pooling window.
  static Expr windowCount(Expr oy, Expr ox, const std::vector<int64_t> &k,
                          const std::vector<int64_t> &s,
                          const std::vector<int64_t> &p, int64_t h,
                          int64_t w) {
    Expr y0 = oy * int(s[0]) - int(p[0]), x0 = ox * int(s[1]) - int(p[1]);
    Expr rows = min(y0 + int(k[0]), int(h)) - max(y0, 0);
    Expr cols = min(x0 + int(k[1]), int(w)) - max(x0, 0);
    return rows * cols;
  }

  /// Windows of at most this many positions are read as one expression per
  /// window (poolings without padding): a pure stage vectorised along the
  /// row like any pointwise value, no update over an RDom.
  static constexpr int64_t kUnrolledWindow = 16;

  /// Whether a pooling reads its windows as unrolled expressions
  /// (windowValues): no padding, so every window lies inside the input.
  static bool unrollsWindows(const std::vector<int64_t> &k,
                             const std::vector<int64_t> &p) {
    return p[0] == 0 && p[1] == 0 && k[0] * k[1] <= kUnrolledWindow;
  }

  /// The values of window (wx, wy) of a pooling of `x` without padding, in
  /// row-major window order (the order ties are broken in).
  static std::vector<Expr> windowValues(const ValueFunc &x, Expr wx, Expr wy,
                                        Expr c, Expr n,
                                        const std::vector<int64_t> &k,
                                        const std::vector<int64_t> &s) {
    std::vector<Expr> v;
    for (int64_t a = 0; a < k[0]; ++a)
      for (int64_t b = 0; b < k[1]; ++b)
        v.push_back(
            x.func(wx * int(s[1]) + int(b), wy * int(s[0]) + int(a), c, n));
    return v;
  }

  /// The NaN-propagating max of a window's values, folded in window order
  /// as the RDom form folds them (from -inf: the same value).
  static Expr windowMax(const std::vector<Expr> &v) {
    Expr m = v[0];
    for (size_t i = 1; i < v.size(); ++i)
      m = maxNaN(m, v[i]);
    return m;
  }

  Func pool(const kernel::OpSpec &op, bool isMax) {
    const ValueFunc &x = operand(op, 0);
    const auto &k = op.ints.at("kernel"), &s = op.ints.at("strides"),
               &p = op.ints.at("padding");
    int64_t h = x.shape[2], w = x.shape[3];
    Var ox("ox"), oy("oy"), c("c"), n("n");
    if (unrollsWindows(k, p)) {
      // cnn's 2x2 pooling of [64, 16, 24, 24]: 0.41 ms as an RDom update
      // (strided loads, a clamped tail gathered lane by lane), 0.12-0.18
      // ms so.
      std::vector<Expr> v = windowValues(x, ox, oy, c, n, k, s);
      Expr sum = make_zero(resultType);
      for (const Expr &e : v)
        sum = sum + e;
      Func f(name);
      f(ox, oy, c, n) =
          isMax ? windowMax(v) : sum / cast(resultType, int(k[0] * k[1]));
      g.stages.push_back({KernelStage::Kind::Materialized, f, resultShape});
      return f;
    }
    RDom r(0, int(k[0]), 0, int(k[1]), name + "_r");
    Expr iy = oy * int(s[0]) - int(p[0]) + r.x;
    Expr ix = ox * int(s[1]) - int(p[1]) + r.y;
    Expr inside = iy >= 0 && iy < int(h) && ix >= 0 && ix < int(w);
    Expr v = x.func(clamp(ix, 0, int(w) - 1), clamp(iy, 0, int(h) - 1), c, n);
    Func acc(name + (isMax ? "_max" : "_sum"));
    if (isMax) {
      acc(ox, oy, c, n) = lowest(resultType);
      acc(ox, oy, c, n) = select(inside, maxNaN(acc(ox, oy, c, n), v),
                                 acc(ox, oy, c, n));
    } else {
      acc(ox, oy, c, n) = make_zero(resultType);
      acc(ox, oy, c, n) += select(inside, v, make_zero(resultType));
    }
    g.stages.push_back({KernelStage::Kind::Window, acc, resultShape});
    if (isMax)
      return acc;
    Func avg(name);
    avg(ox, oy, c, n) =
        acc(ox, oy, c, n) / cast(resultType, windowCount(oy, ox, k, s, p, h, w));
    return avg;
  }

  /// The gradient of a pooling, gathered per input position from the
  /// windows that cover it; a max window sends its gradient to its first
  /// maximum only, like the reference.
  Func poolGrad(const kernel::OpSpec &op, bool isMax) {
    const ValueFunc &x = operand(op, 0), &gr = operand(op, 1);
    const auto &k = op.ints.at("kernel"), &s = op.ints.at("strides"),
               &p = op.ints.at("padding");
    int64_t h = x.shape[2], w = x.shape[3];
    int64_t oh = gr.shape[2], ow = gr.shape[3];
    Var ox("ox"), oy("oy"), ix("ix"), iy("iy"), c("c"), n("n");
    bool tiles = s[0] == k[0] && s[1] == k[1] && p[0] == 0 && p[1] == 0;
    if (tiles) {
      // Windows tile the input (pooling by 2 with stride 2): each input
      // element is in at most one window, so its gradient is a pure
      // function of that window's, with no loop over the windows covering
      // it. Rows and columns past the last whole window (a floored odd
      // extent) get none; only then is the window index clamped (a clamp
      // along the row turns its vector loads into gathers).
      Expr wy = iy / int(k[0]), wx = ix / int(k[1]);
      bool leftoverRows = h > oh * k[0], leftoverCols = w > ow * k[1];
      Expr cy = leftoverRows ? min(wy, int(oh) - 1) : wy;
      Expr cx = leftoverCols ? min(wx, int(ow) - 1) : wx;
      Expr covered = Internal::const_true();
      if (leftoverRows)
        covered = covered && wy < int(oh);
      if (leftoverCols)
        covered = covered && wx < int(ow);
      Expr gv = gr.func(cx, cy, c, n);
      Expr share;
      if (!isMax) {
        share = gv / cast(resultType, int(k[0] * k[1]));
      } else {
        Func winner = windowWinner(x, gr.shape, k, s, p);
        share = select(winner(cx, cy, c, n) == iy * int(w) + ix, gv,
                       make_zero(resultType));
      }
      Func f(name);
      f(ix, iy, c, n) = select(covered, share, make_zero(resultType));
      return f;
    }
    Func winner;
    if (isMax)
      winner = windowWinner(x, gr.shape, k, s, p);
    RDom r(0, int(k[0]), 0, int(k[1]), name + "_r");
    Expr ty = iy + int(p[0]) - r.x, tx = ix + int(p[1]) - r.y;
    Expr wy = ty / int(s[0]), wx = tx / int(s[1]);
    Expr covers = ty % int(s[0]) == 0 && tx % int(s[1]) == 0 && wy >= 0 &&
                  wy < int(oh) && wx >= 0 && wx < int(ow);
    Expr cy = clamp(wy, 0, int(oh) - 1), cx = clamp(wx, 0, int(ow) - 1);
    Expr gv = gr.func(cx, cy, c, n);
    Expr contribution;
    if (isMax)
      contribution = select(covers && winner(cx, cy, c, n) == iy * int(w) + ix,
                            gv, make_zero(resultType));
    else
      contribution = select(
          covers, gv / cast(resultType, windowCount(cy, cx, k, s, p, h, w)),
          make_zero(resultType));
    Func f(name);
    f(ix, iy, c, n) = make_zero(resultType);
    f(ix, iy, c, n) += contribution;
    g.stages.push_back({KernelStage::Kind::Window, f, resultShape});
    return f;
  }

  /// Flat iy * w + ix of each max window's first maximum in row-major
  /// order, as the reference (and PyTorch): the window's NaN-propagating
  /// max, then the first position holding it. Compared with an input
  /// position's own flat index, a ramp along the row (a place in the window
  /// compared with ix % 2 made Halide split each row into even and odd
  /// lanes, the fused ReLU mask read with stride 2 too).
  Func windowWinner(const ValueFunc &x, const std::vector<int64_t> &pooled,
                    const std::vector<int64_t> &k,
                    const std::vector<int64_t> &s,
                    const std::vector<int64_t> &p) {
    int64_t h = x.shape[2], w = x.shape[3];
    Var ox("ox"), oy("oy"), c("c"), n("n");
    Func winner(name + "_winner");
    if (unrollsWindows(k, p)) {
      // One pure stage over the windows. cnn's first pooling gradient,
      // [64, 16, 24, 24] with its ReLU's mask, took 1.0 ms with the two
      // RDom stages below (strided loads, clamped tails gathered lane by
      // lane), 0.52 ms so.
      std::vector<Expr> v = windowValues(x, ox, oy, c, n, k, s);
      Expr m = windowMax(v);
      auto flatAt = [&](int64_t i) {
        return (oy * int(s[0]) + int(i / k[1])) * int(w) + ox * int(s[1]) +
               int(i % k[1]);
      };
      Expr first = flatAt(int64_t(v.size()) - 1);
      for (int64_t i = int64_t(v.size()) - 2; i >= 0; --i)
        first = select(isTheMax(v[i], m), flatAt(i), first);
      winner(ox, oy, c, n) = first;
      g.stages.push_back({KernelStage::Kind::Materialized, winner, pooled});
      return winner;
    }
    RDom r(0, int(k[1]), 0, int(k[0]), name + "_rw");
    Expr y = oy * int(s[0]) - int(p[0]) + r.y;
    Expr xx = ox * int(s[1]) - int(p[1]) + r.x;
    Expr inside = y >= 0 && y < int(h) && xx >= 0 && xx < int(w);
    Expr v = x.func(clamp(xx, 0, int(w) - 1), clamp(y, 0, int(h) - 1), c, n);
    Func wmax(name + "_wmax");
    wmax(ox, oy, c, n) = lowest(x.type);
    wmax(ox, oy, c, n) =
        select(inside, maxNaN(wmax(ox, oy, c, n), v), wmax(ox, oy, c, n));
    g.stages.push_back({KernelStage::Kind::Window, wmax, pooled});
    const int none = int(h * w);
    winner(ox, oy, c, n) = none;
    winner(ox, oy, c, n) =
        min(winner(ox, oy, c, n),
            select(inside && isTheMax(v, wmax(ox, oy, c, n)), y * int(w) + xx,
                   none));
    g.stages.push_back({KernelStage::Kind::Window, winner, pooled});
    return winner;
  }

  /// Which input dims a reduction folds (none listed: all of them).
  std::vector<bool> reducedDims(const kernel::OpSpec &op, size_t rank) {
    const std::vector<int64_t> &axes = op.ints.count("axes")
                                           ? op.ints.at("axes")
                                           : std::vector<int64_t>{};
    std::vector<bool> reduced(rank, axes.empty());
    for (int64_t a : axes)
      reduced[normalizeAxis(a, rank)] = true;
    return reduced;
  }

  Func reduce(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0);
    size_t rank = x.shape.size();
    std::vector<bool> reduced = reducedDims(op, rank);
    bool keepdims = op.getInt("keepdims") != 0;
    Region extents;
    int64_t count = 1;
    for (size_t d = 0; d < rank; ++d)
      if (reduced[d]) {
        extents.push_back({0, int(x.shape[d])});
        count *= x.shape[d];
      }
    bool isMax = op.name == "reduce_max";
    Func acc(name + (op.name == "mean" ? "_sum" : ""));
    std::vector<Var> vars;
    for (size_t d = 0; d < resultShape.size(); ++d)
      vars.emplace_back("d" + std::to_string(d));
    std::vector<Var> args(vars.rbegin(), vars.rend());
    acc(args) = isMax ? lowest(resultType) : make_zero(resultType);
    Coords in(rank);
    if (extents.empty()) {
      // Reducing no dims (an axis of extent... none listed on rank 0).
      for (size_t d = 0; d < rank; ++d)
        in[d] = vars[d];
      acc(args) = at(x, in);
    } else {
      RDom r(extents, name + "_r");
      for (size_t d = 0, o = 0, k = 0; d < rank; ++d) {
        if (reduced[d]) {
          in[d] = r[int(k++)];
          if (keepdims)
            ++o;
        } else {
          in[d] = vars[o++];
        }
      }
      if (isMax)
        acc(args) = maxNaN(acc(args), at(x, in));
      else
        acc(args) += at(x, in);
    }
    g.stages.push_back({KernelStage::Kind::Reduction, acc, resultShape});
    if (op.name != "mean")
      return acc;
    return define(name, resultShape, [&](const Coords &c) {
      return acc(std::vector<Expr>(c.rbegin(), c.rend())) /
             cast(resultType, Expr(double(count)));
    });
  }

  Func argmax(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0);
    size_t rank = x.shape.size();
    int axis = normalizeAxis(op.getInt("axis"), rank);
    bool keepdims = op.getInt("keepdims") != 0;
    std::vector<Var> vars;
    for (size_t d = 0; d < resultShape.size(); ++d)
      vars.emplace_back("d" + std::to_string(d));
    std::vector<Var> args(vars.rbegin(), vars.rend());
    RDom r(0, int(x.shape[axis]), name + "_r");
    Coords in(rank), first(rank);
    for (size_t d = 0, o = 0; d < rank; ++d) {
      if (int(d) == axis) {
        in[d] = r;
        first[d] = 0;
        if (keepdims)
          ++o;
      } else {
        in[d] = first[d] = vars[o++];
      }
    }
    // Two reductions: the NaN-propagating maximum, then the first index
    // holding it (see isTheMax), as the reference does.
    int64_t extent = x.shape[axis];
    Func mx(name + "_max");
    mx(args) = strictIf(at(x, first));
    mx(args) = maxNaN(mx(args), at(x, in));
    Expr hit = isTheMax(at(x, in), mx(args));
    Func best(name + "_best");
    best(args) = int(extent);
    best(args) = min(best(args), select(hit, cast<int>(r), int(extent)));
    g.stages.push_back({KernelStage::Kind::Reduction, mx, resultShape});
    g.stages.push_back({KernelStage::Kind::Reduction, best, resultShape});
    Func f(name);
    f(args) = cast(resultType, best(args));
    return f;
  }

  Func softmax(const kernel::OpSpec &op, bool isLog) {
    const ValueFunc &x = operand(op, 0);
    size_t rank = x.shape.size();
    int axis = normalizeAxis(op.getInt("axis"), rank);
    Shape rowShape = x.shape;
    rowShape[axis] = 1;
    RDom r(0, int(x.shape[axis]), name + "_r");
    auto along = [&](const Coords &c, Expr k) {
      Coords in = c;
      in[axis] = k;
      return in;
    };
    auto rowArgs = [&](const Coords &c) {
      Coords row = c;
      row[axis] = 0;
      return std::vector<Expr>(row.rbegin(), row.rend());
    };
    Func mx(name + "_max"), sum(name + "_sum");
    std::vector<Var> vars;
    for (size_t d = 0; d < rank; ++d)
      vars.emplace_back("d" + std::to_string(d));
    Coords c(vars.begin(), vars.end());
    std::vector<Var> args(vars.rbegin(), vars.rend());
    // A plain max, which Halide proves associative, so the row is reduced
    // in vector lanes (Schedule.cpp): a NaN in the row makes its sum, and
    // so every output of the row, NaN whichever element the max returns.
    mx(args) = lowest(resultType);
    mx(args) = max(mx(args), at(x, along(c, r)));
    g.stages.push_back({KernelStage::Kind::Reduction, mx, rowShape});
    sum(args) = make_zero(resultType);
    if (isLog) {
      sum(args) += ieeeExp(at(x, along(c, r)) - mx(args));
      g.stages.push_back({KernelStage::Kind::Reduction, sum, rowShape});
      return define(name, resultShape, [&](const Coords &k) {
        return at(x, k) - mx(rowArgs(k)) - ieeeLog(sum(rowArgs(k)));
      });
    }
    // softmax's exponentials are computed once, whole, and read by both the
    // row sums and the quotients (inlined, each computed its own: two exps
    // per element, the most of the kernel's arithmetic).
    Func e = define(name + "_exp", resultShape, [&](const Coords &k) {
      return ieeeExp(at(x, k) - mx(rowArgs(k)));
    });
    g.stages.push_back({KernelStage::Kind::Materialized, e, resultShape});
    Coords rowStart = c;
    rowStart[axis] = r;
    sum(args) += e(std::vector<Expr>(rowStart.rbegin(), rowStart.rend()));
    g.stages.push_back({KernelStage::Kind::Reduction, sum, rowShape});
    return define(name, resultShape, [&](const Coords &k) {
      return e(std::vector<Expr>(k.rbegin(), k.rend())) / sum(rowArgs(k));
    });
  }

  Func slice(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0);
    int axis = normalizeAxis(op.getInt("axis"), x.shape.size());
    int64_t start = op.getInt("start"), stride = op.getInt("stride", 1);
    return define(name, resultShape, [&](const Coords &c) {
      Coords in = c;
      in[axis] = int(start) + c[axis] * int(stride);
      return at(x, in);
    });
  }

  /// Whether `f`, with the Funcs it inlines, does float arithmetic (a
  /// gate's sigmoid), not only moves loaded values (index math is integer).
  class ComputesFloats : public Internal::IRVisitor {
  public:
    explicit ComputesFloats(const KernelGraph &g) : g(g) {}
    bool check(const Func &f) {
      if (!seen.insert(f.name()).second || g.hasStage(f.name()))
        return found;
      Tuple values = f.values(); // Lives while its Exprs are visited.
      for (const Expr &e : values.as_vector())
        e.accept(this);
      return found;
    }

  private:
    using IRVisitor::visit;
    void arithmetic(Type t) { found = found || t.is_float(); }
    void visit(const Internal::Add *op) override { arithmetic(op->type); IRVisitor::visit(op); }
    void visit(const Internal::Sub *op) override { arithmetic(op->type); IRVisitor::visit(op); }
    void visit(const Internal::Mul *op) override { arithmetic(op->type); IRVisitor::visit(op); }
    void visit(const Internal::Div *op) override { arithmetic(op->type); IRVisitor::visit(op); }
    void visit(const Internal::Call *op) override {
      if (op->call_type == Internal::Call::Halide && op->func.defined())
        check(Func(Internal::Function(op->func)));
      else if (op->is_extern())
        arithmetic(op->type);
      IRVisitor::visit(op);
    }
    const KernelGraph &g;
    std::set<std::string> seen;
    bool found = false;
  };

  /// A piece that an insert_slice or concat reads under a select over the
  /// whole result: vector code evaluates every arm of a select at every
  /// element, so an inlined piece is computed over the whole result (an
  /// LSTM's gradient of z, four gate gradients inserted into zeros and
  /// summed: each element computed all four, 4x the exps and tanhs). A
  /// piece that computes is computed whole instead, once per element.
  void materializePiece(int id) {
    if (id < int(spec.inputs.size()))
      return; // A load already.
    const ValueFunc &v = g.values[id];
    if (g.hasStage(v.func.name()))
      return; // Placed by the schedule already.
    if (Tensor::numElements(v.shape) > 0 && ComputesFloats(g).check(v.func))
      g.stages.push_back({KernelStage::Kind::Materialized, v.func, v.shape});
  }

  Func insertSlice(const kernel::OpSpec &op) {
    const ValueFunc &t = operand(op, 0), &u = operand(op, 1);
    materializePiece(op.operands[1]);
    int axis = normalizeAxis(op.getInt("axis"), t.shape.size());
    int64_t start = op.getInt("start"), stride = op.getInt("stride", 1);
    int64_t count = u.shape[axis];
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      if (count == 0)
        return at(t, c);
      Expr offset = c[axis] - int(start);
      Expr k = offset / int(stride);
      Expr hit = offset >= 0 && offset % int(stride) == 0 && k < int(count);
      Coords in = c;
      in[axis] = clamp(k, 0, int(count) - 1);
      return select(hit, at(u, in), at(t, c));
    });
  }

  Func concat(const kernel::OpSpec &op) {
    int axis = normalizeAxis(op.getInt("axis"), resultShape.size());
    if (op.operands.size() > 1)
      for (int id : op.operands)
        materializePiece(id);
    return define(name, resultShape, [&](const Coords &c) {
      // Last operand first: each earlier one takes over below its end.
      std::vector<int64_t> starts;
      int64_t offset = 0;
      for (size_t i = 0; i < op.operands.size(); ++i) {
        starts.push_back(offset);
        offset += operand(op, int(i)).shape[axis];
      }
      Expr value;
      for (size_t i = op.operands.size(); i-- > 0;) {
        const ValueFunc &v = operand(op, int(i));
        if (v.shape[axis] == 0)
          continue;
        Coords in = c;
        in[axis] = clamp(c[axis] - int(starts[i]), 0, int(v.shape[axis]) - 1);
        Expr here = at(v, in);
        value = value.defined() ? select(c[axis] < int(starts[i] + v.shape[axis]),
                                         here, value)
                                : here;
      }
      return value;
    });
  }

  Func gather(const kernel::OpSpec &op) {
    const ValueFunc &table = operand(op, 0), &idx = operand(op, 1);
    int axis = normalizeAxis(op.getInt("axis"), table.shape.size());
    size_t ir = idx.shape.size();
    int64_t extent = table.shape[axis];
    return define(name, resultShape, [&](const Coords &c) {
      Coords idxAt(c.begin() + axis, c.begin() + axis + ir);
      Coords in(c.begin(), c.begin() + axis);
      // Clamped too, for bounds inference: the check has failed first.
      in.push_back(clamp(checkedIndex(at(idx, idxAt), extent, op), 0,
                         int(extent) - 1));
      in.insert(in.end(), c.begin() + axis + ir, c.end());
      return at(table, in);
    });
  }

  Func scatterAdd(const kernel::OpSpec &op) {
    const ValueFunc &t = operand(op, 0), &idx = operand(op, 1),
                    &u = operand(op, 2);
    size_t rank = t.shape.size();
    int axis = normalizeAxis(op.getInt("axis"), rank);
    int64_t extent = t.shape[axis];
    std::vector<Var> vars;
    for (size_t d = 0; d < rank; ++d)
      vars.emplace_back("d" + std::to_string(d));
    Func f(name);
    std::vector<Var> args(vars.rbegin(), vars.rend());
    f(args) = at(t, Coords(vars.begin(), vars.end()));
    if (Tensor::numElements(idx.shape) == 0) {
      g.stages.push_back({KernelStage::Kind::Reduction, f, resultShape});
      return f;
    }
    Region extents;
    for (int64_t e : idx.shape)
      extents.push_back({0, int(e)});
    RDom r(extents, name + "_r");
    Coords idxAt, updAt(vars.begin(), vars.begin() + axis);
    for (size_t k = 0; k < idx.shape.size(); ++k) {
      idxAt.push_back(r[int(k)]);
      updAt.push_back(r[int(k)]);
    }
    updAt.insert(updAt.end(), vars.begin() + axis + 1, vars.end());
    Coords lhs(vars.begin(), vars.end());
    lhs[axis] = clamp(checkedIndex(at(idx, idxAt), extent, op), 0,
                      int(extent) - 1);
    std::vector<Expr> lhsArgs(lhs.rbegin(), lhs.rend());
    f(lhsArgs) += at(u, updAt);
    g.stages.push_back({KernelStage::Kind::Reduction, f, resultShape});
    return f;
  }

  /// Row `index` (a rank-0 input, checked) of the first axis of `source`,
  /// clamped too for bounds inference.
  Expr rowIndex(const kernel::OpSpec &op, const ValueFunc &source,
                const ValueFunc &index) {
    int64_t rows = source.shape[0];
    return clamp(checkedIndex(at(index, {}), rows, op), 0,
                 int(std::max<int64_t>(rows, 1)) - 1);
  }

  Func dynamicRow(const kernel::OpSpec &op) {
    const ValueFunc &source = operand(op, 0), &index = operand(op, 1);
    Expr i = rowIndex(op, source, index);
    return define(name, resultShape, [&](const Coords &c) {
      Coords in{i};
      in.insert(in.end(), c.begin(), c.end());
      return at(source, in);
    });
  }

  /// The row's elements only, over the output buffer that holds the target
  /// already when the kernel is the lone row write (then no other element
  /// is touched); otherwise the target is copied first.
  Func dynamicUpdateRow(const kernel::OpSpec &op) {
    const ValueFunc &target = operand(op, 0), &index = operand(op, 1),
                    &update = operand(op, 2);
    // (An output with no rows has nothing to write: its undef definition
    // alone would be no definition at all.)
    bool inPlace = kernel::writesRowInPlace(spec) && resultShape[0] > 0;
    std::vector<Var> vars;
    for (size_t d = 0; d < resultShape.size(); ++d)
      vars.emplace_back("d" + std::to_string(d));
    Func f(name);
    Coords all(vars.begin(), vars.end());
    f(std::vector<Var>(vars.rbegin(), vars.rend())) =
        inPlace ? undef(resultType) : at(target, all);
    if (resultShape[0] > 0) {
      Coords row(vars.begin() + 1, vars.end());
      Coords lhs{rowIndex(op, target, index)};
      lhs.insert(lhs.end(), row.begin(), row.end());
      f(std::vector<Expr>(lhs.rbegin(), lhs.rend())) = at(update, row);
    }
    KernelStage stage{KernelStage::Kind::RowWrite, f, resultShape};
    stage.inPlace = inPlace;
    g.stages.push_back(stage);
    return f;
  }

  /// An attribute offset as an int Expr, saturated far outside any extent.
  static Expr smallInt(int64_t v) {
    return Expr(int(std::clamp<int64_t>(v, -(int64_t(1) << 30), int64_t(1) << 30)));
  }

  Func arange(const kernel::OpSpec &op) {
    auto param = [&](const char *key, double otherwise) {
      auto it = op.floats.find(key);
      return it == op.floats.end() ? otherwise : it->second;
    };
    double start = param("start", 0.0), step = param("step", 1.0);
    // In double, then converted: the reference's start + i * step.
    return pointwise([&](const Coords &c) {
      return Expr(start) + cast<double>(c[0]) * Expr(step);
    });
  }

  /// tril (j - i <= k) and triu (j - i >= k) over the last two axes.
  Func triangle(const kernel::OpSpec &op, bool lower) {
    const ValueFunc &x = operand(op, 0);
    Expr k = smallInt(op.getInt("k"));
    return define(name, resultShape, [&](const Coords &c) {
      Expr v = at(x, c);
      Expr d = c[c.size() - 1] - c[c.size() - 2];
      return select(lower ? d <= k : d >= k, v, make_zero(v.type()));
    });
  }

  Func shift(const kernel::OpSpec &op) {
    const ValueFunc &x = operand(op, 0);
    int axis = normalizeAxis(op.getInt("axis"), x.shape.size());
    int extent = int(x.shape[axis]);
    Expr offset = smallInt(op.getInt("offset"));
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      Expr src = c[axis] - offset;
      Coords in = c;
      in[axis] = clamp(src, 0, std::max(extent - 1, 0));
      Expr v = at(x, in);
      return select(src >= 0 && src < extent, v, make_zero(v.type()));
    });
  }

  /// The linear recurrence h_t = A_t h_(t-1) + B_t (h_0 = B_0) along one
  /// axis in O(log T) depth: the axis is cut into blocks of kScanBlock,
  /// each scanned on its own (a short sequential update whose pure dims,
  /// the other axes and the block index, vectorise), together with the
  /// product of its A's; the blocks' (product, last h) pairs are then
  /// combined by Hillis-Steele in log2(blocks) passes, (A2 A1, A2 H1 + H2)
  /// for a block pair, giving the carry into each block; and
  /// h = H_local + A_local * carry. A reverse scan is the forward one on
  /// the flipped axis (its A_t' is a at T - t'). Each block-local H
  /// does not read the A of its block's first element, and the combined
  /// A's of the prefixes starting at block 0 (which hold a_0) never
  /// multiply an H, so h_0 = b_0 whatever a_0 is, as in the reference.
  Func scan(const kernel::OpSpec &op) {
    constexpr int kScanBlock = 16;
    const ValueFunc &a = operand(op, 0), &b = operand(op, 1);
    size_t rank = b.shape.size();
    int axis = normalizeAxis(op.getInt("axis"), rank);
    bool reverse = op.getInt("reverse") != 0;
    int T = int(b.shape[axis]);
    if (T <= 1)
      return define(name, resultShape, [&](const Coords &c) { return at(b, c); });
    int C = std::min(T, kScanBlock), blocks = (T + C - 1) / C;
    // Reads at position t of the flipped-or-not axis, clamped (positions
    // past T fill the last block and are never read back).
    auto readAt = [&](const ValueFunc &v, Coords c, Expr t, bool isA) {
      Expr i = reverse ? (isA ? Expr(T) - t : Expr(T - 1) - t) : t;
      c[axis] = clamp(i, 0, T - 1);
      return at(v, c);
    };
    // Block-local scans: dialect coords [before..., j, q, after...], so the
    // Halide args are [after..., q, j, before...] innermost first.
    Shape localShape(b.shape.begin(), b.shape.begin() + axis);
    localShape.push_back(C);
    localShape.push_back(blocks);
    localShape.insert(localShape.end(), b.shape.begin() + axis + 1, b.shape.end());
    std::vector<Var> vars;
    for (size_t d = 0; d < localShape.size(); ++d)
      vars.emplace_back("d" + std::to_string(d));
    Coords lc(vars.begin(), vars.end());
    auto outerCoords = [&](const Coords &c, Expr t) {
      Coords o(c.begin(), c.begin() + axis);
      o.push_back(t);
      o.insert(o.end(), c.begin() + axis + 2, c.end());
      return o;
    };
    auto callAt = [](Func f, const Coords &c) {
      return f(std::vector<Expr>(c.rbegin(), c.rend()));
    };
    Func local(name + "_blocks");
    Expr t0 = lc[axis + 1] * C + lc[axis];
    Coords src = outerCoords(lc, t0);
    local(std::vector<Var>(vars.rbegin(), vars.rend())) =
        Tuple(readAt(a, src, t0, true), readAt(b, src, t0, false));
    RDom r(1, C - 1, name + "_r");
    Coords at1 = lc, at0 = lc;
    at1[axis] = r;
    at0[axis] = r - 1;
    Tuple cur = callAt(local, at1), prev = callAt(local, at0);
    std::vector<Expr> lhs(at1.rbegin(), at1.rend());
    local(lhs) = Tuple(cur[0] * prev[0], cur[0] * prev[1] + cur[1]);
    g.stages.push_back({KernelStage::Kind::Reduction, local, localShape});
    // Hillis-Steele over the block totals: dialect coords [before..., q, after...].
    Shape carryShape(b.shape.begin(), b.shape.begin() + axis);
    carryShape.push_back(blocks);
    carryShape.insert(carryShape.end(), b.shape.begin() + axis + 1, b.shape.end());
    auto carryFunc = [&](const std::string &fname,
                         const std::function<Tuple(const Coords &)> &body) {
      std::vector<Var> cv;
      for (size_t d = 0; d < carryShape.size(); ++d)
        cv.emplace_back("d" + std::to_string(d));
      Func f(fname);
      f(std::vector<Var>(cv.rbegin(), cv.rend())) = body(Coords(cv.begin(), cv.end()));
      g.stages.push_back({KernelStage::Kind::Reduction, f, carryShape});
      return f;
    };
    auto blockAt = [&](const Coords &c, Expr j) {
      Coords l(c.begin(), c.begin() + axis);
      l.push_back(j);
      l.insert(l.end(), c.begin() + axis, c.end());
      return l;
    };
    Func total;
    if (blocks > 1) {
      total = carryFunc(name + "_carry0", [&](const Coords &c) {
        return callAt(local, blockAt(c, C - 1));
      });
      for (int d = 1, pass = 1; d < blocks; d *= 2, ++pass) {
        Func in = total;
        total = carryFunc(name + "_carry" + std::to_string(pass), [&](const Coords &c) {
          Coords left = c;
          left[axis] = max(c[axis] - d, 0);
          Tuple l = callAt(in, left), rt = callAt(in, c);
          Expr has = c[axis] >= d;
          return Tuple(select(has, rt[0] * l[0], rt[0]),
                       select(has, rt[0] * l[1] + rt[1], rt[1]));
        });
      }
    }
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      Expr t = reverse ? Expr(T - 1) - c[axis] : c[axis];
      Expr q = t / C, j = t % C;
      Coords l(c.begin(), c.begin() + axis);
      l.push_back(j);
      l.push_back(q);
      l.insert(l.end(), c.begin() + axis + 1, c.end());
      Tuple here = callAt(local, l);
      if (blocks == 1)
        return here[1];
      Coords before = c;
      before[axis] = max(q - 1, 0);
      Expr carry = callAt(total, before)[1];
      return select(q == 0, here[1], here[1] + here[0] * carry);
    });
  }

  /// Philox-4x32-10 as Halide expressions: the bit recipe of
  /// runtime/core/Philox.h, so draws match the reference bit for bit (normal
  /// draws to within the last bits of log/cos).
  static std::vector<Expr> philox(uint64_t seed, Expr counter, Expr index) {
    Expr c0 = cast<uint32_t>(index), c1 = cast<uint32_t>(index >> 32);
    Expr c2 = cast<uint32_t>(counter), c3 = cast<uint32_t>(counter >> 32);
    uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
    for (int round = 0; round < philox::kRounds; ++round) {
      if (round > 0) {
        k0 += philox::kWeyl0;
        k1 += philox::kWeyl1;
      }
      Expr p0 = cast<uint64_t>(c0) * Expr(uint64_t(philox::kMul0));
      Expr p1 = cast<uint64_t>(c2) * Expr(uint64_t(philox::kMul1));
      Expr hi0 = cast<uint32_t>(p0 >> 32), lo0 = cast<uint32_t>(p0);
      Expr hi1 = cast<uint32_t>(p1 >> 32), lo1 = cast<uint32_t>(p1);
      Expr n0 = hi1 ^ c1 ^ Expr(k0), n2 = hi0 ^ c3 ^ Expr(k1);
      c0 = n0, c1 = lo1, c2 = n2, c3 = lo0;
    }
    return {c0, c1, c2, c3};
  }

  Func random(const kernel::OpSpec &op) {
    const ValueFunc &counter = operand(op, 0);
    uint64_t seed = uint64_t(op.getInt("seed"));
    const std::string &n = op.name;
    auto param = [&](const char *key, double otherwise) {
      auto it = op.floats.find(key);
      return it == op.floats.end() ? otherwise : it->second;
    };
    return define(name, resultShape, [&](const Coords &c) -> Expr {
      Expr index = cast<uint64_t>(cast<int64_t>(flatten(c, resultShape)));
      Expr ctr = cast<uint64_t>(counter.func(std::vector<Expr>{}));
      std::vector<Expr> x = philox(seed, ctr, index);
      Expr u = cast<double>(x[0] >> 8) * Expr(philox::kInv24);
      if (n == "random_uniform") {
        double lo = param("low", 0.0), hi = param("high", 1.0);
        return cast(resultType, Expr(lo) + Expr(hi - lo) * u);
      }
      if (n == "random_bernoulli")
        return cast(resultType, select(u < Expr(param("p", 0.5)), Expr(1.0), Expr(0.0)));
      Expr u1 = cast<double>((x[0] >> 8) + 1) * Expr(philox::kInv24);
      Expr u2 = cast<double>(x[1] >> 8) * Expr(philox::kInv24);
      const double pi = 3.14159265358979323846;
      Expr z = sqrt(Expr(-2.0) * log(u1)) * cos(Expr(2.0 * pi) * u2);
      return cast(resultType,
                  Expr(param("mean", 0.0)) + Expr(param("std", 1.0)) * z);
    });
  }
};

} // namespace

LoweredKernel lowerKernel(const kernel::KernelSpec &spec,
                          const CompileOptions &options,
                          const Target &target) {
  KernelGraph g;
  Lowerer(spec, g).run();

  // Outputs. A value may be yielded twice, or be an input: each output gets
  // its own Func so the pipeline's outputs are distinct.
  std::vector<Shape> shapes;
  for (int id : spec.outputs)
    shapes.push_back(spec.type(id).shape);
  bool sameShape = true;
  for (const Shape &s : shapes)
    sameShape = sameShape && s == shapes.front();
  // Several outputs of one shape are computed in one loop nest, as one
  // Tuple-valued Func: an elementwise update (an optimizer step) then
  // reads each element before writing it, which makes in-place parameter
  // updates safe, and a contraction's epilogue shares its tiles.
  g.tupleOutput = (spec.kind == kernel::KernelKind::Injective ||
                   spec.kind == kernel::KernelKind::Contraction) &&
                  spec.outputs.size() > 1 && sameShape;
  auto copyOf = [&](int id, const std::string &suffix) {
    const ValueFunc &v = g.values[id];
    return define(spec.name + suffix, v.shape, [&](const Coords &c) {
      return at(v, c);
    });
  };
  if (g.tupleOutput) {
    std::vector<Expr> parts;
    const Shape &shape = shapes.front();
    Func out(spec.name);
    std::vector<Var> vars;
    for (size_t d = 0; d < shape.size(); ++d)
      vars.emplace_back("d" + std::to_string(d));
    Coords c(vars.begin(), vars.end());
    for (int id : spec.outputs)
      parts.push_back(at(g.values[id], c));
    out(std::vector<Var>(vars.rbegin(), vars.rend())) = Tuple(parts);
    g.outputs.push_back(out);
    g.outputShapes.push_back(shape);
  } else {
    std::vector<int> seen;
    for (size_t i = 0; i < spec.outputs.size(); ++i) {
      int id = spec.outputs[i];
      bool fresh = id >= int(spec.inputs.size()) &&
                   std::find(seen.begin(), seen.end(), id) == seen.end();
      seen.push_back(id);
      g.outputs.push_back(fresh ? g.values[id].func
                                : copyOf(id, "_out" + std::to_string(i)));
      g.outputShapes.push_back(shapes[i]);
    }
  }
  // Output buffers: static, dense, row-major (the plan's arena slots).
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    const Shape &shape = g.outputShapes[i];
    Func &out = g.outputs[i];
    std::vector<OutputImageParam> buffers = out.output_buffers();
    Region estimates;
    for (int k = 0; k < int(shape.size()); ++k)
      estimates.push_back({0, int(shape[shape.size() - 1 - k])});
    out.set_estimates(estimates);
    // Tuple outputs share the first buffer's bounds (Halide insists).
    for (size_t j = 0; j < buffers.size(); ++j) {
      int64_t stride = 1;
      for (int k = 0; k < int(shape.size()); ++k) {
        int64_t extent = shape[shape.size() - 1 - k];
        if (j == 0)
          buffers[j].dim(k).set_bounds(0, int(extent));
        buffers[j].dim(k).set_stride(int(stride));
        stride *= extent;
      }
    }
  }

  LoweredKernel lowered;
  lowered.inputs = g.inputs;
  lowered.pipeline = Pipeline(g.outputs);
  if (options.schedule == "manual") {
    scheduleKernel(g, target);
  } else {
    std::string algorithm = options.schedule.substr(5); // after "auto:"
    static std::set<std::string> loaded;
    if (!loaded.count(algorithm)) {
      load_plugin("/usr/lib/x86_64-linux-gnu/halide14/libautoschedule_" +
                  algorithm + ".so");
      loaded.insert(algorithm);
    }
    std::string name = algorithm == "adams2019"       ? "Adams2019"
                       : algorithm == "mullapudi2016" ? "Mullapudi2016"
                                                      : "Li2018";
    int cores = options.parallelism > 0 ? options.parallelism : 2;
    lowered.pipeline.auto_schedule(name, target,
                                   MachineParams(cores, 16 * 1024 * 1024, 40));
  }
  return lowered;
}

} // namespace axon::halide
