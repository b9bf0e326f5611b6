// The built-ins table (see Builtins.h) and the builders of its entries.
// Each builder checks its operands with the shared shape rules, then
// emits its op(s); losses are assembled in Losses.cpp.
#include "frontend/Builtins.h"
#include "frontend/Losses.h"
#include "ir/TensorBuilder.h"

#include "llvm/Support/Format.h"

#include <cmath>
#include <limits>
#include <set>
#include <type_traits>

using namespace axon;
using namespace axon::ast;
namespace sh = axon::shape;
using mlir::Value;
using Ints = Keyword::Ints;

// -------------------------------------------------------------------------
// Arguments.

bool BuiltinCall::check() {
  unsigned minPos = entry.minArgs, maxPos = entry.maxArgs;
  if (expr.args.size() < minPos || expr.args.size() > maxPos) {
    if (entry.arityMessage) {
      t.file().emitError(expr.loc)
          << "'" << expr.name << "' " << entry.arityMessage;
      return false;
    }
    std::string expected = minPos == maxPos ? std::to_string(minPos)
                                            : std::to_string(minPos) + " to " +
                                                  std::to_string(maxPos);
    t.file().emitError(expr.loc) << "'" + expr.name + "' takes " + expected +
                                        " positional argument" +
                                        (maxPos == 1 ? "" : "s") + ", got " +
                                        std::to_string(expr.args.size());
    return false;
  }
  for (const KeywordArg &kw : expr.kwargs) {
    bool known = false;
    for (const Keyword &k : entry.keywords)
      known |= kw.name == k.name;
    if (!known) {
      std::string list;
      for (const Keyword &k : entry.keywords)
        list += (list.empty() ? "" : ", ") + std::string(k.name);
      t.file().emitError(kw.loc)
          << "'" + expr.name + "' has no option '" + kw.name + "'" +
                 (list.empty() ? "" : " (options: " + list + ")");
      return false;
    }
    if (given_.count(kw.name)) {
      t.file().emitError(kw.loc) << "option '" + kw.name + "' given twice";
      return false;
    }
    given_[kw.name] = kw.value.get();
  }
  return true;
}

const Expr *BuiltinCall::keyword(llvm::StringRef name) const {
  auto it = given_.find(name.str());
  return it == given_.end() ? nullptr : it->second;
}

const Keyword &BuiltinCall::spec(llvm::StringRef name) const {
  for (const Keyword &k : entry.keywords)
    if (name == k.name)
      return k;
  llvm_unreachable("a builder read an option its table entry lacks");
}

std::optional<int64_t> BuiltinCall::integer(const char *name) {
  const Expr *e = keyword(name);
  if (!e) {
    assert(spec(name).kind == Keyword::Kind::Int && "no integer default");
    return spec(name).integer;
  }
  auto v = Translator::constInt(*e);
  if (!v)
    t.file().emitError(e->loc)
        << "option '" + std::string(name) + "' must be an integer constant";
  return v;
}

std::optional<double> BuiltinCall::number(const char *name) {
  const Expr *e = keyword(name);
  if (!e) {
    assert(spec(name).kind == Keyword::Kind::Number && "no number default");
    return spec(name).number;
  }
  auto v = Translator::constNumber(*e);
  if (!v)
    t.file().emitError(e->loc)
        << "option '" + std::string(name) + "' must be a number";
  return v;
}

std::optional<std::vector<int64_t>> BuiltinCall::integers(const char *name,
                                                          size_t count) {
  const Expr *e = keyword(name);
  if (!e) {
    assert(spec(name).kind == Keyword::Kind::Ints && "no list default");
    return spec(name).integers;
  }
  return integers(*e, name, count);
}

std::optional<std::vector<int64_t>>
BuiltinCall::integers(const Expr &e, const char *name, size_t count) {
  if (auto v = Translator::constInt(e))
    return std::vector<int64_t>(count ? count : 1, *v);
  if (e.kind == Expr::List) {
    std::vector<int64_t> out;
    for (const auto &item : e.args) {
      auto v = Translator::constInt(*item);
      if (!v) {
        t.file().emitError(item->loc) << "expected an integer constant";
        return std::nullopt;
      }
      out.push_back(*v);
    }
    if (count && out.size() != count) {
      t.file().emitError(e.loc) << "option '" + std::string(name) + "' needs " +
                                       std::to_string(count) + " values";
      return std::nullopt;
    }
    return out;
  }
  t.file().emitError(e.loc) << "option '" + std::string(name) +
                                   "' must be an integer or a list of integers";
  return std::nullopt;
}

// -------------------------------------------------------------------------
// Builders: elementwise math.

namespace {

enum class Operand { Numeric, Float };

/// An operand of built-in `c`, checked to be numeric or floating-point.
TV elementwiseOperand(BuiltinCall &c, const Expr &e, Operand kind) {
  TV x = c.t.materialize(c.t.emitExpr(e), "f32");
  if (!x.valid())
    return x;
  bool floatOnly = kind == Operand::Float;
  if (floatOnly ? !x.isFloat() : x.elem == "bool")
    return c.t.fail(e.loc, "'" + c.name() + "' needs a " +
                               (floatOnly ? "floating-point" : "numeric") +
                               " tensor, got " + x.typeString());
  return x;
}

template <typename OpT, Operand kind> TV unary(BuiltinCall &c) {
  TV x = elementwiseOperand(c, c.arg(0), kind);
  if (!x.valid())
    return x;
  return c.t.make<OpT>(c.loc(), x.shape, x.value);
}

/// IEEE classification, as comparisons: x != x only for NaN, |x| == inf
/// only for the infinities. (Compiled kernels keep comparisons IEEE.)
TV classify(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV x = elementwiseOperand(c, c.arg(0), Operand::Float);
  if (!x.valid())
    return x;
  if (c.name() == "isnan")
    return t.make<CmpOp>(l, x.shape, CmpPredicate::ne, x.value, x.value);
  TV mag = t.make<AbsOp>(l, x.shape, x.value);
  TV inf = t.materialize(
      TV::numberLiteral(std::numeric_limits<double>::infinity()), x.elem);
  return t.make<CmpOp>(l, x.shape,
                       c.name() == "isinf" ? CmpPredicate::eq
                                           : CmpPredicate::lt,
                       mag.value, inf.value);
}

/// f32(x), i32(x), ...: the built-in's name is the element type.
TV cast(BuiltinCall &c) {
  TV x = c.t.emitExpr(c.arg(0));
  if (!x.valid())
    return x;
  return c.t.castTo(c.t.materialize(x, c.name()), c.name(), c.loc());
}

/// max(a, b), min(a, b): elementwise, with broadcasting.
template <typename OpT> TV elementwiseBinary(BuiltinCall &c) {
  Translator &t = c.t;
  TV x = t.emitExpr(c.arg(0)), y = t.emitExpr(c.arg(1));
  if (!x.valid() || !y.valid())
    return TV{};
  if (!t.unifyElems(x, y, c.loc(), ("'" + c.name() + "'").c_str()))
    return TV{};
  sh::Result r = sh::broadcast(x.shape, y.shape);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  return t.make<OpT>(c.loc(), r.shape, x.value, y.value);
}

/// The operator `op` called by name: pow(a, b) is a ^ b, matmul(a, b) is
/// a @ b.
template <Tok op> TV asOperator(BuiltinCall &c) {
  TV x = c.t.emitExpr(c.arg(0)), y = c.t.emitExpr(c.arg(1));
  if (!x.valid() || !y.valid())
    return TV{};
  return c.t.binary(op, c.loc(), x, y);
}

// -------------------------------------------------------------------------
// Reductions and normalisations.

/// An `axis` option in range for `x`, counted from 0.
std::optional<int64_t> axisFor(BuiltinCall &c, const TV &x) {
  auto axis = c.integer("axis");
  if (!axis)
    return std::nullopt;
  auto norm = sh::normalizeAxis(*axis, x.shape.size());
  if (!norm)
    c.t.fail(c.loc(), "axis " + std::to_string(*axis) +
                          " is out of range for " + x.typeString());
  return norm;
}

/// sum(x, axis = 1, keepdims = true): over all axes when none are given.
template <typename OpT, Operand kind> TV reduce(BuiltinCall &c) {
  Translator &t = c.t;
  TV x = elementwiseOperand(c, c.arg(0), kind);
  if (!x.valid())
    return x;
  auto axes = c.integers("axis", 0);
  if (axes)
    for (int64_t &ax : *axes) {
      auto norm = sh::normalizeAxis(ax, x.shape.size());
      if (!norm) {
        t.fail(c.keyword("axis")->loc, "axis " + std::to_string(ax) +
                                           " is out of range for " +
                                           x.typeString());
        axes.reset();
        break;
      }
      ax = *norm;
    }
  auto keep = c.integer("keepdims");
  if (!axes || !keep)
    return TV{};
  sh::Result r = sh::reduce(x.shape, *axes, *keep != 0);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  mlir::OpBuilder &b = t.builder();
  return t.make<OpT>(c.loc(), r.shape, x.value, *axes, *keep != 0);
}

TV argmax(BuiltinCall &c) {
  TV x = c.t.materialize(c.t.emitExpr(c.arg(0)), "f32");
  if (!x.valid())
    return x;
  auto axis = c.integer("axis");
  auto keep = c.integer("keepdims");
  if (!axis || !keep)
    return TV{};
  auto norm = sh::normalizeAxis(*axis, x.shape.size());
  if (!norm)
    return c.t.fail(c.loc(), "axis " + std::to_string(*axis) +
                                 " is out of range for " + x.typeString());
  sh::Result r = sh::reduce(x.shape, {*norm}, *keep != 0);
  return c.t.makeTyped<ArgmaxOp>(c.loc(), "i32", r.shape, x.value, *norm,
                            *keep != 0);
}

/// softmax and log_softmax along one axis.
template <typename OpT> TV normalizeAlong(BuiltinCall &c) {
  TV x = c.t.floatArg(c.arg(0), c.name());
  auto axis = c.integer("axis");
  if (!x.valid() || !axis)
    return TV{};
  auto norm = sh::normalizeAxis(*axis, x.shape.size());
  if (!norm)
    return c.t.fail(c.loc(), "axis " + std::to_string(*axis) +
                                 " is out of range for " + x.typeString());
  return c.t.make<OpT>(c.loc(), x.shape, x.value, *norm);
}

// -------------------------------------------------------------------------
// Convolutions and pooling (NCHW).

template <bool transposed> TV convolution(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV x = t.floatArg(c.arg(0), c.name()), w = t.floatArg(c.arg(1), c.name());
  auto strides = c.integers("stride", 2);
  auto padding = c.integers("padding", 2);
  auto extra = c.integers(transposed ? "output_padding" : "dilation", 2);
  auto groups = c.integer("groups");
  if (!x.valid() || !w.valid() || !strides || !padding || !extra || !groups)
    return TV{};
  if (!t.unifyElems(x, w, l, ("'" + c.name() + "'").c_str()))
    return TV{};
  sh::Result r = transposed ? sh::convTranspose2d(x.shape, w.shape, *strides,
                                                  *padding, *extra, *groups)
                            : sh::conv2d(x.shape, w.shape, *strides, *padding,
                                         *extra, *groups);
  if (!r.ok())
    return t.fail(l, r.error);
  if (transposed)
    return t.make<ConvTranspose2DOp>(l, r.shape, x.value, w.value,
                                     *strides, *padding, *extra, *groups);
  return t.make<Conv2DOp>(l, r.shape, x.value, w.value, *strides,
                          *padding, *extra, *groups);
}

/// The stride defaults to the kernel.
template <typename OpT> TV pool(BuiltinCall &c) {
  TV x = c.t.floatArg(c.arg(0), c.name());
  auto kernel = c.integers("kernel", 2);
  auto strides = !kernel               ? std::nullopt
                 : c.keyword("stride") ? c.integers("stride", 2)
                                       : kernel;
  auto padding = c.integers("padding", 2);
  if (!x.valid() || !kernel || !strides || !padding)
    return TV{};
  sh::Result r = sh::pool2d(x.shape, *kernel, *strides, *padding);
  if (!r.ok())
    return c.t.fail(c.loc(), r.error);
  return c.t.make<OpT>(c.loc(), r.shape, x.value, *kernel, *strides,
                       *padding);
}

// -------------------------------------------------------------------------
// Data movement.

/// reshape(x, [N, -1]) and flatten(x) (= reshape(x, [first dim, -1])).
TV reshape(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  bool flat = c.name() == "flatten";
  TV x = t.materialize(t.emitExpr(c.arg(0)), "f32");
  if (!x.valid())
    return x;
  sh::Shape target;
  if (flat) {
    if (x.shape.empty())
      return t.fail(l, "cannot flatten a scalar");
    target = {x.shape[0], sh::Dim::unknown()};
  } else if (!t.shapeArg(c.arg(1), target, true)) {
    return TV{};
  }
  // Resolve one -1: symbols present on both sides cancel, the rest of
  // the input must be static.
  int infer = -1;
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i].isUnknown()) {
      if (infer >= 0)
        return t.fail(c.arg(c.size() - 1).loc, "only one dimension can be -1");
      infer = static_cast<int>(i);
    }
  if (infer >= 0) {
    std::multiset<std::string> syms;
    for (const sh::Dim &d : target)
      if (d.isSymbol())
        syms.insert(d.symbol);
    int64_t in = 1, out = 1;
    for (const sh::Dim &d : x.shape) {
      if (d.isKnown())
        in *= d.value;
      else if (d.isSymbol() && syms.count(d.symbol))
        syms.erase(syms.find(d.symbol));
      else
        return t.fail(l, "cannot infer the -1 dimension: " + x.typeString() +
                             " has dimension " + d.str() +
                             " that the target shape does not keep");
    }
    if (!syms.empty())
      return t.fail(l, "target shape uses '" + *syms.begin() +
                           "' that the input does not have");
    for (const sh::Dim &d : target)
      if (d.isKnown())
        out *= d.value;
    if (in % out != 0)
      return t.fail(l, "cannot reshape " + x.typeString() + " to " +
                           sh::str(target) + ": sizes do not divide");
    target[infer] = sh::Dim::of(in / out);
  }
  sh::Result r = sh::reshape(x.shape, target);
  if (!r.ok())
    return t.fail(l, r.error);
  return t.makeTyped<ReshapeOp>(l, x.elem, target, x.value,
                           t.dynamicDims(target, l));
}

/// transpose(x) swaps the last two axes; transpose(x, perm) permutes.
TV transpose(BuiltinCall &c) {
  Translator &t = c.t;
  TV x = t.materialize(t.emitExpr(c.arg(0)), "f32");
  if (!x.valid())
    return x;
  std::vector<int64_t> perm;
  if (c.size() == 2) {
    auto p = c.integers(c.arg(1), "perm", x.shape.size());
    if (!p)
      return TV{};
    perm = *p;
  } else {
    if (x.shape.size() < 2)
      return t.fail(c.loc(),
                    "transpose needs rank >= 2, got " + x.typeString());
    for (size_t i = 0; i < x.shape.size(); ++i)
      perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  }
  sh::Result r = sh::transpose(x.shape, perm);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  return t.make<TransposeOp>(c.loc(), r.shape, x.value, perm);
}

TV broadcastTo(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV x = t.materialize(t.emitExpr(c.arg(0)), "f32");
  sh::Shape target;
  if (!x.valid() || !t.shapeArg(c.arg(1), target, false))
    return TV{};
  if (!sh::broadcastsTo(x.shape, target))
    return t.fail(l, "cannot broadcast " + x.typeString() + " to " +
                         sh::str(target));
  return t.makeTyped<BroadcastOp>(l, x.elem, target, x.value,
                             t.dynamicDims(target, l));
}

TV slice(BuiltinCall &c) {
  Translator &t = c.t;
  TV x = t.materialize(t.emitExpr(c.arg(0)), "f32");
  auto axis = c.integer("axis");
  auto start = c.integer("start");
  auto end = c.integer("end");
  auto step = c.integer("step");
  if (!x.valid() || !axis || !start || !end || !step)
    return TV{};
  auto norm = sh::normalizeAxis(*axis, x.shape.size());
  if (!norm)
    return t.fail(c.loc(), "axis " + std::to_string(*axis) +
                               " is out of range for " + x.typeString());
  sh::Result r = sh::slice(x.shape, *norm, *start, *end, *step);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  return t.make<SliceOp>(c.loc(), r.shape, x.value, *norm, *start, *end,
                         *step);
}

TV concat(BuiltinCall &c) {
  Translator &t = c.t;
  const Expr &list = c.arg(0);
  if (list.kind != Expr::List || list.args.empty())
    return t.fail(list.loc, "concat takes a non-empty list: concat([a, b])");
  std::vector<TV> xs;
  std::vector<sh::Shape> shapes;
  llvm::SmallVector<Value> values;
  for (const auto &item : list.args) {
    TV v = t.materialize(t.emitExpr(*item), "f32");
    if (!v.valid())
      return v;
    if (!xs.empty() && v.elem != xs[0].elem)
      return t.fail(item->loc, "concat operands have different element types");
    xs.push_back(v);
    shapes.push_back(v.shape);
    values.push_back(v.value);
  }
  auto axis = c.integer("axis");
  if (!axis)
    return TV{};
  auto norm = sh::normalizeAxis(*axis, shapes[0].size());
  if (!norm)
    return t.fail(c.loc(),
                  "axis " + std::to_string(*axis) + " is out of range");
  sh::Result r = sh::concat(shapes, *norm);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  return t.make<ConcatOp>(c.loc(), r.shape, values, *norm);
}

TV gather(BuiltinCall &c) {
  Translator &t = c.t;
  TV table = t.materialize(t.emitExpr(c.arg(0)), "f32");
  TV idx = t.intTensor(c.arg(1));
  auto axis = c.integer("axis");
  if (!table.valid() || !idx.valid() || !axis)
    return TV{};
  sh::Result r = sh::gather(table.shape, idx.shape, *axis);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  int64_t norm = *sh::normalizeAxis(*axis, table.shape.size());
  return t.make<GatherOp>(c.loc(), r.shape, table.value, idx.value,
                          norm);
}

TV scatterAdd(BuiltinCall &c) {
  Translator &t = c.t;
  TV target = t.materialize(t.emitExpr(c.arg(0)), "f32");
  TV idx = t.intTensor(c.arg(1));
  TV upd = t.materialize(t.emitExpr(c.arg(2)),
                         target.elem.empty() ? "f32" : target.elem);
  auto axis = c.integer("axis");
  if (!target.valid() || !idx.valid() || !upd.valid() || !axis)
    return TV{};
  sh::Result r = sh::gather(target.shape, idx.shape, *axis);
  if (!r.ok())
    return t.fail(c.loc(), r.error);
  if (upd.elem != target.elem || !sh::compatible(r.shape, upd.shape))
    return t.fail(c.arg(2).loc, "updates must be " + target.elem +
                                    sh::str(r.shape) + ", got " +
                                    upd.typeString());
  int64_t norm = *sh::normalizeAxis(*axis, target.shape.size());
  return t.make<ScatterAddOp>(c.loc(), target.shape, target.value,
                              idx.value, upd.value, norm);
}

/// update(x, t, v, axis =): x with its slice at position t (a run-time
/// integer scalar) along `axis` replaced by v, the inverse of
/// gather(x, t, axis =). Axis 0 is one dynamic_update_row, which writes the
/// row in place where x is not read after it (a loop's carried stack);
/// another axis is moved to the front and back, two copies of x per call.
TV updateAt(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV target = t.materialize(t.emitExpr(c.arg(0)), "f32");
  TV idx = t.intTensor(c.arg(1));
  TV upd = t.materialize(t.emitExpr(c.arg(2)),
                         target.elem.empty() ? "f32" : target.elem);
  if (!target.valid() || !idx.valid() || !upd.valid())
    return TV{};
  if (!idx.shape.empty())
    return t.fail(c.arg(1).loc,
                  "update's position must be an integer scalar (one index, "
                  "e.g. a loop variable), got " + idx.typeString() +
                      "; scatter_add adds at a tensor of indices");
  auto axis = axisFor(c, target);
  if (!axis)
    return TV{};
  sh::Shape slice = target.shape;
  slice.erase(slice.begin() + *axis);
  if (upd.elem != target.elem || !sh::compatible(slice, upd.shape))
    return t.fail(c.arg(2).loc,
                  "the new slice must be " + target.elem + sh::str(slice) +
                      " (" + target.typeString() + " without axis " +
                      std::to_string(*axis) + "), got " + upd.typeString());
  if (idx.elem != "i64")
    idx = t.castTo(idx, "i64", c.arg(1).loc);
  if (*axis == 0)
    return t.make<DynamicUpdateRowOp>(l, target.shape, target.value,
                                      idx.value, upd.value);
  // [axis, 0, ..., axis - 1, axis + 1, ...] and its inverse.
  std::vector<int64_t> front{*axis}, back(target.shape.size());
  for (int64_t d = 0; d < int64_t(target.shape.size()); ++d)
    if (d != *axis)
      front.push_back(d);
  for (size_t d = 0; d < front.size(); ++d)
    back[front[d]] = int64_t(d);
  sh::Shape moved = sh::transpose(target.shape, front).shape;
  TV rows = t.make<TransposeOp>(l, moved, target.value, front);
  if (!rows.valid())
    return rows;
  TV written = t.make<DynamicUpdateRowOp>(l, moved, rows.value, idx.value,
                                          upd.value);
  if (!written.valid())
    return written;
  return t.make<TransposeOp>(l, target.shape, written.value, back);
}

TV oneHot(BuiltinCall &c) {
  Translator &t = c.t;
  TV idx = t.intTensor(c.arg(0));
  auto depth = Translator::constInt(c.arg(1));
  if (!depth || *depth < 1)
    return t.fail(c.arg(1).loc, "one_hot depth must be a positive integer");
  if (!idx.valid())
    return idx;
  sh::Result r = sh::oneHot(idx.shape, *depth);
  return t.makeTyped<OneHotOp>(c.loc(), "f32", r.shape, idx.value, *depth);
}

TV where(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV cond = t.emitExpr(c.arg(0));
  TV x = t.emitExpr(c.arg(1)), y = t.emitExpr(c.arg(2));
  if (!cond.valid() || !x.valid() || !y.valid())
    return TV{};
  if (cond.elem != "bool")
    return t.fail(c.arg(0).loc, "where's condition must be a bool tensor "
                                "(a comparison), got " +
                                    cond.typeString());
  if (!t.unifyElems(x, y, l, "'where'"))
    return TV{};
  sh::Result xy = sh::broadcast(x.shape, y.shape);
  sh::Result r = xy.ok() ? sh::broadcast(cond.shape, xy.shape) : xy;
  if (!r.ok())
    return t.fail(l, r.error);
  return t.make<SelectOp>(l, r.shape, cond.value, x.value, y.value);
}

TV dim(BuiltinCall &c) {
  Translator &t = c.t;
  TV x = t.emitExpr(c.arg(0));
  auto axis = Translator::constInt(c.arg(1));
  if (!x.valid())
    return x;
  if (!axis || !sh::normalizeAxis(*axis, x.shape.size()))
    return t.fail(c.arg(1).loc,
                  "dim needs a constant axis in range for " + x.typeString());
  return t.make<DimOp>(c.loc(), {}, x.value,
                       *sh::normalizeAxis(*axis, x.shape.size()));
}

// -------------------------------------------------------------------------
// Training mode.

/// The `counter =` option of a random draw as a rank-0 i64 (0 when not
/// given). In a train step axon-resolve-mode adds the step to it.
TV randomCounter(BuiltinCall &c) {
  Translator &t = c.t;
  if (const Expr *given = c.keyword("counter")) {
    TV counter = t.intTensor(*given);
    if (!counter.valid())
      return counter;
    if (!counter.shape.empty())
      return t.fail(given->loc, "counter must be an integer scalar");
    return t.castTo(counter, "i64", c.loc());
  }
  TV zero = TV::numberLiteral(0);
  zero.isInt = true;
  return t.materialize(zero, "i64");
}

/// training(): a bool scalar, true in a train step and false in every
/// other call (axon-resolve-mode decides it per call site).
TV training(BuiltinCall &c) {
  return c.t.makeTyped<TrainingOp>(c.loc(), "bool", {});
}

/// dropout(x, p, seed =, counter =): inverted dropout as
/// where(training(), x * mask / (1 - p), x), mask ~ Bernoulli(1 - p), as
/// torch.nn.functional.dropout (kept elements scaled by 1 / (1 - p), so
/// the expected value is x). p is a number in [0, 1); p = 0 is x.
TV dropout(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV x = t.floatArg(c.arg(0), c.name());
  auto p = Translator::constNumber(c.arg(1));
  int64_t siteSeed = t.nextRandomSeed();
  auto seed = c.keyword("seed") ? c.integer("seed") : siteSeed;
  if (!x.valid() || !seed)
    return TV{};
  if (!p)
    return t.fail(c.arg(1).loc, "dropout's p must be a number (the "
                                "probability of zeroing an element)");
  if (!(*p >= 0 && *p < 1)) {
    std::string text;
    llvm::raw_string_ostream(text) << llvm::format("%g", *p);
    return t.fail(c.arg(1).loc, "dropout's p must be in [0, 1), got " + text);
  }
  TV counter = randomCounter(c);
  if (!counter.valid())
    return counter;
  if (*p == 0)
    return x;
  mlir::OpBuilder &b = t.builder();
  TV mask = t.makeTyped<RandomBernoulliOp>(
      l, x.elem, x.shape, b.getI64IntegerAttr(*seed), counter.value,
      t.dynamicDims(x.shape, l), b.getF64FloatAttr(1 - *p));
  if (!mask.valid())
    return mask;
  // mask / (1 - p) first, as PyTorch's CPU dropout scales its noise.
  TV kept = t.binary(Tok::Slash, l, mask, TV::numberLiteral(1 - *p));
  if (!kept.valid())
    return kept;
  TV dropped = t.binary(Tok::Star, l, x, kept);
  if (!dropped.valid())
    return dropped;
  TV mode = training(c);
  return t.make<SelectOp>(l, x.shape, mode.value, dropped.value, x.value);
}

// -------------------------------------------------------------------------
// Creation.

/// zeros(shape), ones(shape), full(shape, value), with an optional dtype.
TV fill(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  bool full = c.name() == "full";
  sh::Shape shape;
  if (!t.shapeArg(c.arg(0), shape, false))
    return TV{};
  double value = c.name() == "ones" ? 1.0 : 0.0;
  if (full) {
    auto v = Translator::constNumber(c.arg(1));
    if (!v)
      return t.fail(c.arg(1).loc, "full needs a constant value");
    value = *v;
  }
  std::string elem = "f32";
  if (const Expr *d = c.keyword("dtype")) {
    if (d->kind != Expr::Name || !isElemName(d->name))
      return t.fail(d->loc, "dtype must be f32, f64, i32, i64 or bool");
    elem = d->name;
  }
  if (full && (elem == "i32" || elem == "i64")) {
    // The value is stored as f64 and cast per element: check it fits.
    TV lit = TV::numberLiteral(value);
    lit.litLoc = c.arg(1).loc;
    if (auto i = Translator::constInt(c.arg(1))) {
      lit.isInt = true;
      lit.intValue = *i;
    }
    unsigned before = t.file().errorCount();
    t.integerLiteral(lit, elem);
    if (t.file().errorCount() != before)
      return TV{};
  }
  return t.makeTyped<FillOp>(l, elem, shape, t.builder().getF64FloatAttr(value),
                        t.dynamicDims(shape, l));
}

/// uniform(shape, low, high), normal(shape, mean, std), bernoulli(shape,
/// p): `first` and `second` name the distribution's two options.
template <typename OpT>
TV random(BuiltinCall &c, const char *first, const char *second) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  const std::string &n = c.name();
  sh::Shape shape;
  if (!t.shapeArg(c.arg(0), shape, false))
    return TV{};
  auto v1 = c.number(first);
  auto v2 = c.number(second);
  // Each draw site gets its own stream unless a seed is given.
  int64_t siteSeed = t.nextRandomSeed();
  auto seed = c.keyword("seed") ? c.integer("seed") : siteSeed;
  if (!v1 || !v2 || !seed)
    return TV{};
  if (n == "bernoulli" && (*v1 < 0 || *v1 > 1))
    return t.fail(c.keyword(first)->loc, "p must be in [0, 1]");
  if (n == "uniform" && *v1 > *v2)
    return t.fail(l, "low must not exceed high");
  if (n == "normal" && *v2 < 0)
    return t.fail(c.keyword(second)->loc, "std must be >= 0");
  TV counter = randomCounter(c);
  if (!counter.valid())
    return counter;
  auto dims = t.dynamicDims(shape, l);
  mlir::OpBuilder &b = t.builder();
  auto seedAttr = b.getI64IntegerAttr(*seed);
  if constexpr (std::is_same_v<OpT, RandomBernoulliOp>)
    return t.makeTyped<OpT>(l, "f32", shape, seedAttr, counter.value, dims,
                            b.getF64FloatAttr(*v1));
  else
    return t.makeTyped<OpT>(l, "f32", shape, seedAttr, counter.value, dims,
                            b.getF64FloatAttr(*v1), b.getF64FloatAttr(*v2));
}

/// categorical(logits, temperature = 1.0, seed =, counter =): one class
/// index per row of `logits` [..., C] (i32 [...]), drawn from
/// softmax(logits / temperature) by the Gumbel-max trick: the argmax of
/// logits + temperature * g, g = -log(-log(u)) with u uniform on
/// [1e-30, 1) from the counter-based generator (so g is finite). Scaling
/// the noise instead of dividing the logits gives the same argmax for
/// temperature > 0 and makes temperature 0 exactly argmax (greedy). The
/// temperature is a number or a float scalar computed at run time (a
/// negative one then samples from softmax(-logits / |temperature|)).
TV categorical(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV x = t.floatArg(c.arg(0), c.name());
  if (!x.valid())
    return x;
  if (x.shape.empty())
    return t.fail(c.arg(0).loc, "categorical takes logits [..., C], got " +
                                    x.typeString());
  int64_t last = int64_t(x.shape.size()) - 1;
  sh::Result rows = sh::reduce(x.shape, {last}, false);
  auto pick = [&](TV scores) {
    return t.makeTyped<ArgmaxOp>(l, "i32", rows.shape, scores.value, last,
                                 false);
  };
  TV temperature = TV::numberLiteral(1.0);
  if (const Expr *given = c.keyword("temperature")) {
    if (auto v = Translator::constNumber(*given)) {
      if (!(*v >= 0) || std::isinf(*v))
        return t.fail(given->loc, "temperature must be a finite number >= 0");
      temperature = TV::numberLiteral(*v);
    } else {
      temperature = t.floatArg(*given, c.name());
      if (!temperature.valid())
        return temperature;
      if (!temperature.shape.empty())
        return t.fail(given->loc, "temperature must be a number or a float "
                                  "scalar, got " +
                                      temperature.typeString());
    }
  }
  if (temperature.literal && temperature.number == 0)
    return pick(x);
  int64_t siteSeed = t.nextRandomSeed();
  auto seed = c.keyword("seed") ? c.integer("seed") : siteSeed;
  if (!seed)
    return TV{};
  TV counter = randomCounter(c);
  if (!counter.valid())
    return counter;
  mlir::OpBuilder &b = t.builder();
  TV u = t.makeTyped<RandomUniformOp>(
      l, x.elem, x.shape, b.getI64IntegerAttr(*seed), counter.value,
      t.dynamicDims(x.shape, l), b.getF64FloatAttr(1e-30),
      b.getF64FloatAttr(1.0));
  TV e = t.make<NegOp>(l, x.shape, t.make<LogOp>(l, x.shape, u.value).value);
  TV gumbel = t.make<NegOp>(l, x.shape, t.make<LogOp>(l, x.shape, e.value).value);
  TV noise = t.binary(Tok::Star, l, temperature, gumbel);
  if (!noise.valid())
    return noise;
  TV scores = t.binary(Tok::Plus, l, x, noise);
  if (!scores.valid())
    return scores;
  return pick(scores);
}

TV uniform(BuiltinCall &c) { return random<RandomUniformOp>(c, "low", "high"); }
TV normal(BuiltinCall &c) { return random<RandomNormalOp>(c, "mean", "std"); }
// bernoulli has always accepted (and ignored) a 'std' option.
TV bernoulli(BuiltinCall &c) {
  return random<RandomBernoulliOp>(c, "p", "std");
}

/// arange(n) (0, 1, ..., n - 1; n an integer constant or a symbolic
/// dimension) and arange(start, stop, step) (constants; stop excluded).
/// i64 when the numbers are integers, f32 otherwise, or `dtype`.
TV arange(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  sh::Dim n;
  double start = 0, step = 1;
  bool ints = true;
  if (c.size() == 1) {
    if (!t.extentArg(c.arg(0), n, c.name()))
      return TV{};
  } else {
    double bounds[3] = {0, 0, 1};
    for (size_t i = 0; i < c.size(); ++i) {
      auto v = Translator::constNumber(c.arg(i));
      if (!v)
        return t.fail(c.arg(i).loc, "arange's start, stop and step must be "
                                    "number constants");
      bounds[i] = *v;
      ints = ints && Translator::constInt(c.arg(i)).has_value();
    }
    start = bounds[0], step = bounds[2];
    if (step == 0)
      return t.fail(c.arg(2).loc, "arange's step must not be 0");
    double count = std::ceil((bounds[1] - start) / step);
    if (!(count >= 1)) {
      std::string shown;
      llvm::raw_string_ostream os(shown);
      os << llvm::format("arange(%g, %g, %g)", start, bounds[1], step);
      return t.fail(l, shown + " is empty: stop must lie beyond start in the "
                               "direction of step");
    }
    if (count > double(std::numeric_limits<int64_t>::max() / 2))
      return t.fail(l, "arange has too many elements");
    n = sh::Dim::of(static_cast<int64_t>(count));
  }
  std::string elem = ints ? "i64" : "f32";
  if (const Expr *d = c.keyword("dtype")) {
    if (d->kind != Expr::Name || !isElemName(d->name) || d->name == "bool")
      return t.fail(d->loc, "dtype must be f32, f64, i32 or i64");
    elem = d->name;
  }
  sh::Shape shape{n};
  mlir::OpBuilder &b = t.builder();
  return t.makeTyped<ArangeOp>(l, elem, shape, b.getF64FloatAttr(start),
                               b.getF64FloatAttr(step), t.dynamicDims(shape, l));
}

/// eye(n): the f32 identity, n x n: a triangle of both kinds of ones.
TV eye(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  sh::Dim n;
  if (!t.extentArg(c.arg(0), n, c.name()))
    return TV{};
  sh::Shape shape{n, n};
  mlir::OpBuilder &b = t.builder();
  TV ones = t.makeTyped<FillOp>(l, "f32", shape, b.getF64FloatAttr(1.0),
                                t.dynamicDims(shape, l));
  if (!ones.valid())
    return ones;
  TV upper = t.make<TriuOp>(l, shape, ones.value, b.getI64IntegerAttr(0));
  return t.make<TrilOp>(l, shape, upper.value, b.getI64IntegerAttr(0));
}

/// tril(x, k = 0), triu(x, k = 0): the causal mask is tril(ones([T, T])).
template <typename OpT> TV triangle(BuiltinCall &c) {
  Translator &t = c.t;
  TV x = t.materialize(t.emitExpr(c.arg(0)), "f32");
  auto k = c.integer("k");
  if (!x.valid() || !k)
    return TV{};
  if (x.shape.size() < 2)
    return t.fail(c.arg(0).loc, "'" + c.name() +
                                    "' needs a tensor of rank >= 2 (a "
                                    "triangle of the last two axes), got " +
                                    x.typeString());
  return t.make<OpT>(c.loc(), x.shape, x.value,
                     t.builder().getI64IntegerAttr(*k));
}

/// `v` broadcast to `shape` (a no-op when it has it).
TV broadcastOperand(Translator &t, TV v, const sh::Shape &shape,
                    llvm::SMLoc l) {
  if (sh::str(v.shape) == sh::str(shape))
    return v;
  return t.makeTyped<BroadcastOp>(l, v.elem, shape, v.value,
                                  t.dynamicDims(shape, l));
}

/// scan(a, b, axis = -1, reverse = 0): h_t = a_t * h_(t-1) + b_t along
/// `axis` (h_0 = b_0); a and b broadcast together. cumsum(x) and
/// cumprod(x) are scans: a = 1, b = x; a = x, b = x at t = 0 and 0 after.
TV scan(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  bool cumsum = c.name() == "cumsum", cumprod = c.name() == "cumprod";
  TV a, x;
  if (cumsum || cumprod) {
    x = t.floatArg(c.arg(0), c.name());
    a = x;
  } else {
    a = t.emitExpr(c.arg(0));
    x = t.emitExpr(c.arg(1));
    if (!a.valid() || !x.valid() || !t.unifyElems(a, x, l, "'scan'"))
      return TV{};
    if (!a.isFloat())
      return t.fail(l, "'scan' needs floating-point operands, got " +
                           a.typeString());
  }
  auto axis = c.integer("axis");
  std::optional<int64_t> reverse =
      c.keyword("reverse") ? c.integer("reverse") : std::optional<int64_t>(0);
  if (!x.valid() || !axis || !reverse)
    return TV{};
  sh::Result r = sh::broadcast(a.shape, x.shape);
  if (!r.ok())
    return t.fail(l, r.error);
  auto norm = sh::normalizeAxis(*axis, r.shape.size());
  if (!norm)
    return t.fail(c.keyword("axis") ? c.keyword("axis")->loc : l,
                  "axis " + std::to_string(*axis) + " is out of range for " +
                      x.elem + sh::str(r.shape));
  mlir::OpBuilder &b = t.builder();
  TV bv = x;
  if (cumsum) {
    a = t.makeTyped<FillOp>(l, x.elem, x.shape, b.getF64FloatAttr(1.0),
                            t.dynamicDims(x.shape, l));
  } else if (cumprod) {
    // b = x at the first position of the axis, zero after.
    sh::Result first = sh::slice(x.shape, *norm, 0, 1, 1);
    TV head = t.make<SliceOp>(l, first.shape, x.value, *norm, 0, 1, 1);
    TV zeros = t.makeTyped<FillOp>(l, x.elem, x.shape, b.getF64FloatAttr(0.0),
                                   t.dynamicDims(x.shape, l));
    if (!head.valid() || !zeros.valid())
      return TV{};
    bv = t.make<InsertSliceOp>(l, x.shape, zeros.value, head.value, *norm, 0, 1);
  } else {
    a = broadcastOperand(t, a, r.shape, l);
    bv = broadcastOperand(t, x, r.shape, l);
  }
  if (!a.valid() || !bv.valid())
    return TV{};
  return t.make<ScanOp>(l, r.shape, a.value, bv.value,
                        b.getI64IntegerAttr(*norm),
                        *reverse ? b.getUnitAttr() : mlir::UnitAttr());
}

// -------------------------------------------------------------------------
// Losses and metrics: operands checked here, ops built in Losses.cpp.

/// The result of a loss: a scalar of `elem`.
TV scalarResult(Value v, const std::string &elem) { return TV{v, elem, {}}; }

/// Logits or log-probabilities [..., C] (static C) and labels [...].
bool checkClassOperands(BuiltinCall &c, const TV &z, const TV &labels,
                        bool sameRows, const std::string &expected) {
  bool ok =
      z.shape.size() == labels.shape.size() + 1 && z.shape.back().isKnown() &&
      (!sameRows || sh::compatible(labels.shape, sh::Shape(z.shape.begin(),
                                                           z.shape.end() - 1)));
  if (!ok)
    c.t.fail(c.loc(), expected + ", got " + z.typeString() + " and " +
                          labels.typeString());
  return ok;
}

/// cross_entropy(logits, labels), accuracy(logits, labels).
TV classification(BuiltinCall &c) {
  Translator &t = c.t;
  TV z = t.floatArg(c.arg(0), c.name());
  TV labels = t.intTensor(c.arg(1));
  if (!z.valid() || !labels.valid())
    return TV{};
  if (!checkClassOperands(c, z, labels, /*sameRows=*/true,
                          "'" + c.name() +
                              "' takes logits [..., C] with a "
                              "static class count C and integer labels [...]"))
    return TV{};
  TensorBuilder tb(t.builder(), t.loc(c.loc()));
  if (c.name() == "accuracy")
    return scalarResult(losses::accuracy(tb, z.value, labels.value), z.elem);
  return scalarResult(losses::crossEntropy(tb, z.value, labels.value), z.elem);
}

TV nll(BuiltinCall &c) {
  Translator &t = c.t;
  TV logp = t.floatArg(c.arg(0), c.name());
  TV labels = t.intTensor(c.arg(1));
  if (!logp.valid() || !labels.valid())
    return TV{};
  if (!checkClassOperands(c, logp, labels, /*sameRows=*/false,
                          "nll takes log-probabilities [..., C] with a static "
                          "C and integer labels [...]"))
    return TV{};
  TensorBuilder tb(t.builder(), t.loc(c.loc()));
  return scalarResult(
      losses::negativeLogLikelihood(tb, logp.value, labels.value), logp.elem);
}

/// mse, bce, bce_with_logits: a prediction and a target of one float type
/// that broadcast together.
TV regression(BuiltinCall &c) {
  Translator &t = c.t;
  llvm::SMLoc l = c.loc();
  TV y = t.floatArg(c.arg(0), c.name()),
     target = t.floatArg(c.arg(1), c.name());
  if (!y.valid() || !target.valid())
    return TV{};
  if (!t.unifyElems(y, target, l, "the operator"))
    return TV{};
  sh::Result r = sh::broadcast(y.shape, target.shape);
  if (!r.ok())
    return t.fail(l, r.error);
  TensorBuilder tb(t.builder(), t.loc(l));
  const std::string &n = c.name();
  Value v = n == "mse"   ? losses::meanSquaredError(tb, y.value, target.value)
            : n == "bce" ? losses::binaryCrossEntropy(tb, y.value, target.value)
                         : losses::binaryCrossEntropyWithLogits(tb, y.value,
                                                                target.value);
  return scalarResult(v, y.elem);
}

/// l1(w), l2(w): weight penalties.
TV penalty(BuiltinCall &c) {
  Translator &t = c.t;
  TV w = t.floatArg(c.arg(0), c.name());
  if (!w.valid())
    return w;
  TensorBuilder tb(t.builder(), t.loc(c.loc()));
  return scalarResult(c.name() == "l1" ? losses::l1(tb, w.value)
                                       : losses::l2(tb, w.value),
                      w.elem);
}

// -------------------------------------------------------------------------
// The table.

const std::vector<Builtin> &table() {
  constexpr Operand F = Operand::Float, N = Operand::Numeric;
  // One line per entry where it fits.
  // clang-format off
  static const std::vector<Builtin> entries = {
      // Elementwise math.
      {"neg", 1, 1, {}, unary<NegOp, N>},
      {"abs", 1, 1, {}, unary<AbsOp, N>},
      {"sign", 1, 1, {}, unary<SignOp, N>},
      {"relu", 1, 1, {}, unary<ReluOp, N>},
      {"exp", 1, 1, {}, unary<ExpOp, F>},
      {"log", 1, 1, {}, unary<LogOp, F>},
      {"sqrt", 1, 1, {}, unary<SqrtOp, F>},
      {"sin", 1, 1, {}, unary<SinOp, F>},
      {"cos", 1, 1, {}, unary<CosOp, F>},
      {"tanh", 1, 1, {}, unary<TanhOp, F>},
      {"sigmoid", 1, 1, {}, unary<SigmoidOp, F>},
      {"softplus", 1, 1, {}, unary<SoftplusOp, F>},
      {"erf", 1, 1, {}, unary<ErfOp, F>},
      {"isnan", 1, 1, {}, classify},
      {"isinf", 1, 1, {}, classify},
      {"isfinite", 1, 1, {}, classify},
      {"f32", 1, 1, {}, cast},
      {"f64", 1, 1, {}, cast},
      {"i32", 1, 1, {}, cast},
      {"i64", 1, 1, {}, cast},
      {"bool", 1, 1, {}, cast},
      {"max", 2, 2, {}, elementwiseBinary<MaxOp>},
      // min and pow have no one-operand (reduction) form.
      {"min", 2, 2, {}, elementwiseBinary<MinOp>, "takes 2 arguments"},
      {"pow", 2, 2, {}, asOperator<Tok::Caret>, "takes 2 arguments"},
      // Reductions and normalisations.
      {"sum", 1, 1, {{"axis", Ints{}}, {"keepdims", 0}}, reduce<SumOp, N>},
      {"mean", 1, 1, {{"axis", Ints{}}, {"keepdims", 0}}, reduce<MeanOp, F>},
      {"max", 1, 1, {{"axis", Ints{}}, {"keepdims", 0}},
       reduce<ReduceMaxOp, N>},
      {"argmax", 1, 1, {{"axis", -1}, {"keepdims", 0}}, argmax},
      {"softmax", 1, 1, {{"axis", -1}}, normalizeAlong<SoftmaxOp>},
      {"log_softmax", 1, 1, {{"axis", -1}}, normalizeAlong<LogSoftmaxOp>},
      {"matmul", 2, 2, {}, asOperator<Tok::At>},
      // Convolutions and pooling.
      {"conv2d", 2, 2,
       {{"stride", Ints{1, 1}}, {"padding", Ints{0, 0}},
        {"dilation", Ints{1, 1}}, {"groups", 1}},
       convolution<false>},
      {"conv_transpose2d", 2, 2,
       {{"stride", Ints{1, 1}}, {"padding", Ints{0, 0}},
        {"output_padding", Ints{0, 0}}, {"groups", 1}},
       convolution<true>},
      {"max_pool2d", 1, 1,
       {{"kernel", Ints{2, 2}}, {"stride"}, {"padding", Ints{0, 0}}},
       pool<MaxPool2DOp>},
      {"avg_pool2d", 1, 1,
       {{"kernel", Ints{2, 2}}, {"stride"}, {"padding", Ints{0, 0}}},
       pool<AvgPool2DOp>},
      // Data movement.
      {"reshape", 2, 2, {}, reshape},
      {"flatten", 1, 1, {}, reshape},
      {"transpose", 1, 2, {}, transpose},
      {"broadcast_to", 2, 2, {}, broadcastTo},
      {"slice", 1, 1,
       {{"axis", 0}, {"start", 0}, {"end", -1}, {"step", 1}},
       slice},
      {"concat", 1, 1, {{"axis", 0}}, concat},
      {"gather", 2, 2, {{"axis", 0}}, gather},
      {"scatter_add", 3, 3, {{"axis", 0}}, scatterAdd},
      {"update", 3, 3, {{"axis", 0}}, updateAt},
      {"one_hot", 2, 2, {}, oneHot},
      {"where", 3, 3, {}, where},
      // Training mode.
      {"training", 0, 0, {}, training},
      {"dropout", 2, 2, {{"seed"}, {"counter"}}, dropout},
      {"dim", 2, 2, {}, dim},
      // Creation.
      {"zeros", 1, 1, {{"dtype"}}, fill},
      {"ones", 1, 1, {{"dtype"}}, fill},
      {"full", 2, 2, {{"dtype"}}, fill},
      {"uniform", 1, 1,
       {{"low", 0.0}, {"high", 1.0}, {"seed"}, {"counter"}},
       uniform},
      {"normal", 1, 1,
       {{"mean", 0.0}, {"std", 1.0}, {"seed"}, {"counter"}},
       normal},
      {"bernoulli", 1, 1,
       {{"p", 0.5}, {"std", 1.0}, {"seed"}, {"counter"}},
       bernoulli},
      {"categorical", 1, 1,
       {{"temperature"}, {"seed"}, {"counter"}},
       categorical},
      {"arange", 1, 3, {{"dtype"}}, arange},
      {"eye", 1, 1, {}, eye},
      {"tril", 1, 1, {{"k", 0}}, triangle<TrilOp>},
      {"triu", 1, 1, {{"k", 0}}, triangle<TriuOp>},
      // Scans.
      {"cumsum", 1, 1, {{"axis", -1}}, scan},
      {"cumprod", 1, 1, {{"axis", -1}}, scan},
      {"scan", 2, 2, {{"axis", -1}, {"reverse", 0}}, scan},
      // Losses and metrics.
      {"cross_entropy", 2, 2, {}, classification},
      {"accuracy", 2, 2, {}, classification},
      {"nll", 2, 2, {}, nll},
      {"mse", 2, 2, {}, regression},
      {"bce", 2, 2, {}, regression},
      {"bce_with_logits", 2, 2, {}, regression},
      {"l1", 1, 1, {}, penalty},
      {"l2", 1, 1, {}, penalty},
  };
  // clang-format on
  return entries;
}

/// The entry for a call of `name` with `positional` operands (see
/// Builtin), or null when `name` is not a built-in.
const Builtin *lookup(llvm::StringRef name, size_t positional) {
  const Builtin *last = nullptr;
  for (const Builtin &b : table()) {
    if (name != b.name)
      continue;
    if (positional >= b.minArgs && positional <= b.maxArgs)
      return &b;
    last = &b;
  }
  return last;
}

} // namespace

bool axon::isBuiltin(llvm::StringRef name) { return lookup(name, 0); }

TV axon::emitBuiltin(Translator &t, const Expr &e) {
  const Builtin *entry = lookup(e.name, e.args.size());
  assert(entry && "emitBuiltin called on a name that is not a built-in");
  BuiltinCall call(t, e, *entry);
  if (!call.check())
    return TV{};
  return entry->build(call);
}
