// MLIRGen: semantic checks and lowering of the AST to the axon dialect.
//
// Checking and emission happen in one walk, node by node (as in MLIR's Toy
// tutorial): each expression is typed with the shared shape rules of
// ir/ShapeRules.h before its op is built, so the IR verifier never sees a
// shape the frontend did not already accept, and every error points at the
// model file. An expression that fails yields an invalid value that
// silences follow-on errors, so independent errors are all reported.
#include "frontend/MLIRGen.h"
#include "frontend/Parser.h"
#include "ir/AxonDialect.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/thread.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

using namespace axon;
using namespace axon::ast;
namespace sh = axon::shape;
using mlir::Value;

namespace {

/// A typed value of the language. Number literals stay unmaterialised until
/// an operator gives them an element type (`2 * x` with x: f64 makes an f64
/// constant), as in most array languages.
struct TV {
  Value value;
  std::string elem; ///< "f32", "f64", "i32", "i64", "bool"; empty if invalid.
  sh::Shape shape;
  bool literal = false;
  double number = 0;
  bool isInt = false;
  int64_t intValue = 0; ///< Exact value of an isInt literal.
  llvm::SMLoc litLoc;   ///< Where the literal was written.

  bool valid() const { return !elem.empty() || literal; }
  bool isFloat() const { return elem == "f32" || elem == "f64"; }
  bool isInteger() const { return elem == "i32" || elem == "i64"; }
  std::string typeString() const {
    if (literal)
      return "number";
    return elem + (shape.empty() ? "" : sh::str(shape));
  }
};

bool isElemName(llvm::StringRef s) {
  return s == "f32" || s == "f64" || s == "i32" || s == "i64" || s == "bool";
}

struct FnSig {
  const Function *ast = nullptr;
  std::vector<std::string> argElems, resultElems;
  std::vector<sh::Shape> argShapes, resultShapes;
  mlir::FunctionType type;
  bool ok = true;
};

class MLIRGen {
public:
  MLIRGen(mlir::MLIRContext &ctx, SourceFile &file)
      : ctx_(ctx), file_(file), b_(&ctx) {}

  mlir::OwningOpRef<mlir::ModuleOp> run(const Module &m) {
    module_ = mlir::ModuleOp::create(loc(llvm::SMLoc::getFromPointer(
        file_.text().data())));
    b_.setInsertionPointToEnd(module_->getBody());
    // Past the error limit the file is abandoned (stopped()).
    for (const Param &p : m.params)
      if (!file_.stopped())
        declareParam(p);
    for (const Function &f : m.functions)
      if (!file_.stopped())
        declareFunction(f);
    for (const Function &f : m.functions)
      if (!file_.stopped() && sigs_.count(f.name) && sigs_[f.name].ast == &f &&
          sigs_[f.name].ok)
        emitFunction(f);
    if (!file_.stopped())
      checkRecursion();
    for (const Train &t : m.trains)
      if (!file_.stopped())
        emitTrain(t);
    if (file_.errorCount() > 0)
      return nullptr;
    if (mlir::failed(mlir::verify(*module_))) {
      // A verifier failure here is a frontend bug: the checks above should
      // have caught it. Report it against the file rather than crash.
      file_.error(llvm::SMLoc::getFromPointer(file_.text().data()),
                  "internal error: generated IR failed verification");
      return nullptr;
    }
    return std::move(module_);
  }

private:
  // ---------------------------------------------------------------------
  // Helpers: locations, errors, types.

  mlir::Location loc(llvm::SMLoc l) {
    auto [line, col] = file_.lineAndColumn(l);
    return mlir::FileLineColLoc::get(&ctx_, file_.name(), line, col);
  }

  TV fail(llvm::SMLoc l, const llvm::Twine &msg) {
    file_.error(l, msg);
    return TV{};
  }

  mlir::Type elemType(llvm::StringRef elem) {
    return llvm::StringSwitch<mlir::Type>(elem)
        .Case("f32", b_.getF32Type())
        .Case("f64", b_.getF64Type())
        .Case("i32", b_.getI32Type())
        .Case("i64", b_.getI64Type())
        .Case("bool", b_.getI1Type())
        .Default(mlir::Type());
  }

  mlir::RankedTensorType tensorType(llvm::StringRef elem, const sh::Shape &s) {
    llvm::SmallVector<int64_t> dims;
    for (const sh::Dim &d : s)
      dims.push_back(d.isKnown() ? d.value : mlir::ShapedType::kDynamic);
    return mlir::RankedTensorType::get(dims, elemType(elem));
  }

  /// Resolves a type annotation; symbols must be bound when `bound` is given.
  bool resolveType(const Type &t, std::string &elem, sh::Shape &shape,
                   const std::set<std::string> *bound, const char *what) {
    if (!isElemName(t.elem)) {
      file_.error(t.loc, "unknown element type '" + t.elem +
                             "' (expected f32, f64, i32, i64 or bool)");
      return false;
    }
    elem = t.elem;
    shape.clear();
    for (const ast::Dim &d : t.dims) {
      if (d.symbol.empty()) {
        if (d.value < 1) {
          file_.error(d.loc, "dimension must be a positive integer");
          return false;
        }
        shape.push_back(sh::Dim::of(d.value));
        if (!knownElements(shape)) {
          std::string dims;
          for (const ast::Dim &x : t.dims)
            dims += (dims.empty() ? "" : ", ") +
                    (x.symbol.empty() ? std::to_string(x.value) : x.symbol);
          file_.error(d.loc, "the " + std::string(what) + " type " + t.elem +
                                 "[" + dims + "] has too many elements "
                                 "(more than 2^63 - 1)");
          return false;
        }
        continue;
      }
      if (bound && !bound->count(d.symbol)) {
        file_.error(d.loc, "dimension '" + d.symbol + "' of the " + what +
                               " is not bound by any argument");
        return false;
      }
      shape.push_back(sh::Dim::sym(d.symbol));
    }
    return true;
  }

  // ---------------------------------------------------------------------
  // Module-level declarations.

  void declareParam(const Param &p) {
    if (params_.count(p.name) || sigs_.count(p.name)) {
      file_.error(p.loc, "'" + p.name + "' is already defined");
      return;
    }
    std::string elem;
    sh::Shape shape;
    if (!resolveType(p.type, elem, shape, nullptr, "parameter"))
      return;
    for (size_t i = 0; i < shape.size(); ++i)
      if (!shape[i].isKnown()) {
        file_.error(p.type.dims[i].loc,
                    "parameter shapes must be static; '" + shape[i].str() +
                        "' is symbolic");
        return;
      }
    if (elem != "f32" && elem != "f64") {
      file_.error(p.type.loc, "parameters must be f32 or f64, not " + elem);
      return;
    }
    InitKind kind = InitKind::zeros;
    double a = 0, bval = 0;
    if (!resolveInit(p, kind, a, bval))
      return;
    // The seed is a hash of the name: stable when other params are added.
    uint64_t seed = 1469598103934665603ull;
    for (char c : p.name)
      seed = (seed ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    auto type = tensorType(elem, shape);
    b_.create<ParamOp>(loc(p.loc), p.name, type, kind, llvm::APFloat(a),
                       llvm::APFloat(bval), seed >> 1);
    params_[p.name] = {Value(), elem, shape};
    paramOrder_.push_back(p.name);
  }

  bool resolveInit(const Param &p, InitKind &kind, double &a, double &bval) {
    if (!p.init)
      return true;
    const Expr &e = *p.init;
    if (auto n = constNumber(e)) {
      kind = InitKind::constant;
      a = *n;
      return true;
    }
    if (e.kind != Expr::Name && e.kind != Expr::Call) {
      file_.error(e.loc, "expected an initialiser such as zeros, "
                         "glorot_uniform or normal(std = 0.01)");
      return false;
    }
    auto k = symbolizeInitKind(e.name);
    if (!k) {
      file_.error(e.loc, "unknown initialiser '" + e.name +
                             "' (expected zeros, ones, constant, uniform, "
                             "normal, glorot_uniform, glorot_normal, "
                             "he_uniform or he_normal)");
      return false;
    }
    kind = *k;
    // Defaults, then the call's arguments by position or name.
    std::vector<std::string> names;
    switch (kind) {
    case InitKind::constant: names = {"value"}; break;
    case InitKind::uniform: names = {"low", "high"}; a = -0.05; bval = 0.05; break;
    case InitKind::normal: names = {"mean", "std"}; a = 0; bval = 0.01; break;
    default: break;
    }
    if (e.kind == Expr::Name) {
      if (kind == InitKind::constant) {
        file_.error(e.loc, "constant needs a value: constant(0.1)");
        return false;
      }
      return true;
    }
    double *slots[2] = {&a, &bval};
    if (e.args.size() > names.size()) {
      file_.error(e.loc, "initialiser '" + e.name + "' takes at most " +
                             std::to_string(names.size()) + " arguments");
      return false;
    }
    for (size_t i = 0; i < e.args.size(); ++i) {
      auto v = constNumber(*e.args[i]);
      if (!v) {
        file_.error(e.args[i]->loc, "initialiser arguments must be numbers");
        return false;
      }
      *slots[i] = *v;
    }
    for (const KeywordArg &kw : e.kwargs) {
      auto it = std::find(names.begin(), names.end(), kw.name);
      if (it == names.end()) {
        file_.error(kw.loc, "initialiser '" + e.name +
                                "' has no argument '" + kw.name + "'");
        return false;
      }
      auto v = constNumber(*kw.value);
      if (!v) {
        file_.error(kw.value->loc, "initialiser arguments must be numbers");
        return false;
      }
      *slots[it - names.begin()] = *v;
    }
    if (kind == InitKind::constant && e.args.empty() && e.kwargs.empty()) {
      file_.error(e.loc, "constant needs a value: constant(0.1)");
      return false;
    }
    return true;
  }

  void declareFunction(const Function &f) {
    if (sigs_.count(f.name) || params_.count(f.name)) {
      file_.error(f.loc, "'" + f.name + "' is already defined");
      return;
    }
    if (builtinNames().count(f.name)) {
      file_.error(f.loc, "'" + f.name + "' is a built-in function");
      return;
    }
    FnSig sig;
    sig.ast = &f;
    std::set<std::string> bound, argNames;
    llvm::SmallVector<mlir::Type> argTypes, resultTypes;
    for (const Arg &a : f.args) {
      std::string elem;
      sh::Shape shape;
      if (!argNames.insert(a.name).second) {
        file_.error(a.loc, "duplicate argument '" + a.name + "'");
        sig.ok = false;
      }
      if (!resolveType(a.type, elem, shape, nullptr, "argument")) {
        sig.ok = false;
        continue;
      }
      for (const sh::Dim &d : shape)
        if (d.isSymbol())
          bound.insert(d.symbol);
      sig.argElems.push_back(elem);
      sig.argShapes.push_back(shape);
      argTypes.push_back(tensorType(elem, shape));
    }
    for (const Type &t : f.results) {
      std::string elem;
      sh::Shape shape;
      if (!resolveType(t, elem, shape, &bound, "result")) {
        sig.ok = false;
        continue;
      }
      sig.resultElems.push_back(elem);
      sig.resultShapes.push_back(shape);
      resultTypes.push_back(tensorType(elem, shape));
    }
    sig.type = b_.getFunctionType(argTypes, resultTypes);
    sigs_[f.name] = sig;
  }

  // ---------------------------------------------------------------------
  // Functions and statements.

  void emitFunction(const Function &f) {
    FnSig &sig = sigs_[f.name];
    currentFn_ = f.name;
    auto func = b_.create<mlir::func::FuncOp>(loc(f.loc), f.name, sig.type);
    // Argument names let drivers bind inputs by name (`--input x=...`).
    llvm::SmallVector<mlir::Attribute> names;
    for (const Arg &a : f.args)
      names.push_back(b_.getStringAttr(a.name));
    func->setAttr("axon.arg_names", b_.getArrayAttr(names));
    mlir::Block *entry = func.addEntryBlock();
    mlir::OpBuilder::InsertionGuard guard(b_);
    b_.setInsertionPointToStart(entry);
    scope_.clear();
    symbolSource_.clear();
    updated_.clear();
    for (size_t i = 0; i < f.args.size(); ++i) {
      scope_[f.args[i].name] =
          TV{entry->getArgument(i), sig.argElems[i], sig.argShapes[i]};
      for (size_t axis = 0; axis < sig.argShapes[i].size(); ++axis) {
        const sh::Dim &d = sig.argShapes[i][axis];
        if (d.isSymbol() && !symbolSource_.count(d.symbol))
          symbolSource_[d.symbol] = {entry->getArgument(i),
                                     static_cast<int64_t>(axis)};
      }
    }
    bool returned = emitBlock(f.body, &sig);
    if (!returned) {
      if (!f.results.empty())
        file_.error(f.end, "function '" + f.name +
                               "' must end with a 'return' statement");
      // Keep the IR well-formed for the rest of the walk.
      b_.create<mlir::func::ReturnOp>(loc(f.end));
    }
    if (file_.errorCount() > 0)
      return; // the body may be half-built; the module is dropped anyway
  }

  /// Emits statements; returns whether a `return` ended the block.
  bool emitBlock(const std::vector<StmtPtr> &body, FnSig *sig) {
    for (size_t i = 0; i < body.size(); ++i) {
      const Stmt &s = *body[i];
      switch (s.kind) {
      case Stmt::Let: {
        if (scope_.count(s.name) || params_.count(s.name)) {
          file_.error(s.loc, "'" + s.name + "' is already defined");
          break;
        }
        TV v = materialize(emitExpr(*s.values[0]), "f32");
        if (v.valid() && s.type)
          v = checkAnnotation(v, *s.type, s.values[0]->loc);
        scope_[s.name] = v;
        break;
      }
      case Stmt::Assign: {
        auto it = scope_.find(s.name);
        if (it == scope_.end()) {
          if (params_.count(s.name))
            file_.error(s.loc, "cannot assign to parameter '" + s.name +
                                   "' inside a function");
          else
            file_.error(s.loc, "assignment to undefined name '" + s.name +
                                   "' (declare it with 'let' first)");
          break;
        }
        TV old = it->second;
        TV v = emitExpr(*s.values[0]);
        if (!v.valid() || !old.valid()) {
          it->second = TV{};
          break;
        }
        it->second = coerceTo(v, old, s.values[0]->loc,
                              "'" + s.name + "'");
        break;
      }
      case Stmt::Update:
        emitUpdate(s, sig == nullptr);
        break;
      case Stmt::Return: {
        if (i + 1 != body.size())
          file_.error(body[i + 1]->loc, "statement after 'return'");
        if (!sig) {
          file_.error(s.loc, "'return' is not allowed inside a loop");
          return true;
        }
        emitReturn(s, *sig);
        return true;
      }
      case Stmt::For:
        emitFor(s);
        break;
      }
    }
    return false;
  }

  /// `W <- expr`: the parameter takes the value when the call returns.
  void emitUpdate(const Stmt &s, bool inLoop) {
    auto p = params_.find(s.name);
    if (p == params_.end() || p->second.elem.empty()) {
      file_.error(s.loc, "'<-' updates a parameter, and '" + s.name +
                             "' is not one");
      return;
    }
    if (inLoop) {
      file_.error(s.loc, "parameter updates must be at the top level of a "
                         "function, not inside a loop");
      return;
    }
    if (!updated_.insert(s.name).second) {
      file_.error(s.loc, "parameter '" + s.name +
                             "' is updated twice in this function");
      return;
    }
    TV v = emitExpr(*s.values[0]);
    if (!v.valid())
      return;
    v = coerceTo(v, p->second, s.values[0]->loc, "parameter '" + s.name + "'");
    if (v.valid())
      b_.create<ParamStoreOp>(loc(s.loc), s.name, v.value);
  }

  void emitReturn(const Stmt &s, FnSig &sig) {
    if (s.values.size() != sig.resultElems.size()) {
      file_.error(s.loc, "function '" + currentFn_ + "' returns " +
                             std::to_string(sig.resultElems.size()) +
                             " values but 'return' gives " +
                             std::to_string(s.values.size()));
      return;
    }
    llvm::SmallVector<Value> values;
    for (size_t i = 0; i < s.values.size(); ++i) {
      TV v = emitExpr(*s.values[i]);
      if (!v.valid())
        return;
      TV want{Value(), sig.resultElems[i], sig.resultShapes[i]};
      v = coerceTo(v, want, s.values[i]->loc, "the result");
      if (!v.valid())
        return;
      values.push_back(v.value);
    }
    b_.create<mlir::func::ReturnOp>(loc(s.loc), values);
  }

  /// Converts `v` to the type of `want` (same element type; shapes must
  /// agree, static dims may become dynamic ones and back).
  TV coerceTo(TV v, const TV &want, llvm::SMLoc l, const std::string &what) {
    v = materialize(v, want.elem);
    if (!v.valid())
      return v;
    if (v.elem != want.elem)
      return fail(l, "type mismatch for " + what + ": expected " +
                         want.typeString() + ", got " + v.typeString());
    if (!sh::compatible(want.shape, v.shape))
      return fail(l, "shape mismatch for " + what + ": expected " +
                         want.typeString() + ", got " + v.typeString());
    auto type = tensorType(want.elem, want.shape);
    if (v.value.getType() != type)
      v.value = b_.create<CastOp>(loc(l), type, v.value);
    v.shape = want.shape;
    return v;
  }

  TV checkAnnotation(TV v, const Type &t, llvm::SMLoc l) {
    std::string elem;
    sh::Shape shape;
    std::set<std::string> bound;
    for (auto &kv : symbolSource_)
      bound.insert(kv.first);
    if (!resolveType(t, elem, shape, &bound, "annotation"))
      return TV{};
    return coerceTo(v, TV{Value(), elem, shape}, l, "the annotated value");
  }

  /// `for t in lo..hi { ... }`: names assigned in the body that exist
  /// outside it are the loop's carried values.
  void emitFor(const Stmt &s) {
    TV lo = emitIndex(*s.values[0]);
    TV hi = emitIndex(*s.values[1]);
    if (!lo.valid() || !hi.valid())
      return;
    std::vector<std::string> carried;
    collectAssigned(s.body, carried);
    llvm::erase_if(carried, [&](const std::string &n) {
      return !scope_.count(n) || !scope_[n].valid();
    });
    llvm::SmallVector<Value> inits;
    for (const std::string &n : carried) {
      scope_[n] = materialize(scope_[n], "f32");
      inits.push_back(scope_[n].value);
    }
    auto loop = b_.create<LoopOp>(loc(s.loc), mlir::ValueRange(inits).getTypes(),
                                  lo.value, hi.value, inits);
    mlir::Block *body = new mlir::Block();
    loop.getBody().push_back(body);
    body->addArgument(lo.value.getType(), loc(s.loc));
    for (Value v : inits)
      body->addArgument(v.getType(), loc(s.loc));
    auto outer = scope_;
    {
      mlir::OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPointToStart(body);
      if (scope_.count(s.name))
        file_.error(s.loc, "loop variable '" + s.name + "' shadows a name");
      scope_[s.name] = TV{body->getArgument(0), "i64", {}};
      for (size_t i = 0; i < carried.size(); ++i)
        scope_[carried[i]].value = body->getArgument(i + 1);
      emitBlock(s.body, nullptr);
      llvm::SmallVector<Value> next;
      for (size_t i = 0; i < carried.size(); ++i) {
        TV v = scope_[carried[i]];
        next.push_back(v.valid() ? v.value : body->getArgument(i + 1));
      }
      b_.create<YieldOp>(loc(s.loc), next);
    }
    scope_ = outer;
    for (size_t i = 0; i < carried.size(); ++i)
      scope_[carried[i]].value = loop.getResult(i);
  }

  void collectAssigned(const std::vector<StmtPtr> &body,
                       std::vector<std::string> &names) {
    for (const auto &s : body) {
      if (s->kind == Stmt::Assign &&
          std::find(names.begin(), names.end(), s->name) == names.end())
        names.push_back(s->name);
      if (s->kind == Stmt::For)
        collectAssigned(s->body, names);
    }
  }

  /// A loop bound: an integer expression, as a rank-0 i64 tensor.
  TV emitIndex(const Expr &e) {
    TV v = emitExpr(e);
    if (!v.valid())
      return v;
    if (v.literal) {
      if (!v.isInt)
        return fail(e.loc, "loop bounds must be integers");
      return materialize(v, "i64");
    }
    if (!v.isInteger() || !v.shape.empty())
      return fail(e.loc, "loop bounds must be integer scalars, got " +
                             v.typeString());
    if (v.elem != "i64")
      v = castTo(v, "i64", e.loc);
    return v;
  }

  // ---------------------------------------------------------------------
  // Expressions.

  std::optional<double> constNumber(const Expr &e) {
    if (e.kind == Expr::Number)
      return e.number;
    if (e.kind == Expr::Unary && e.args[0]->kind == Expr::Number)
      return -e.args[0]->number;
    return std::nullopt;
  }

  /// The parser refused integers above INT64_MAX, so these are exact.
  std::optional<int64_t> constInt(const Expr &e) {
    if (e.kind == Expr::Number && e.isInt)
      return e.intValue;
    if (e.kind == Expr::Unary && e.args[0]->kind == Expr::Number &&
        e.args[0]->isInt)
      return -e.args[0]->intValue;
    return std::nullopt;
  }

  /// The element count of the known dims of `shape` (symbols count 1), or
  /// none when it exceeds INT64_MAX.
  static std::optional<int64_t> knownElements(const sh::Shape &shape) {
    int64_t n = 1;
    for (const sh::Dim &d : shape)
      if (d.isKnown() && __builtin_mul_overflow(n, d.value, &n))
        return std::nullopt;
    return n;
  }

  /// Reports a shape whose element count overflows int64.
  bool checkElements(const sh::Shape &shape, llvm::StringRef elem,
                     llvm::SMLoc l, llvm::StringRef what) {
    if (knownElements(shape))
      return true;
    file_.error(l, what + " " + elem + sh::str(shape) +
                       " has too many elements (more than 2^63 - 1)");
    return false;
  }

  /// Gives a number literal an element type and emits it as a constant.
  TV materialize(TV v, llvm::StringRef elem) {
    if (!v.literal)
      return v;
    auto type = tensorType(elem, {});
    mlir::Attribute attr;
    if (elem == "f32" || elem == "f64")
      attr = mlir::DenseElementsAttr::get(
          type, llvm::APFloat(elem == "f32"
                                  ? llvm::APFloat(static_cast<float>(v.number))
                                  : llvm::APFloat(v.number)));
    else if (elem == "bool")
      attr = mlir::DenseElementsAttr::get(type, v.number != 0);
    else
      attr = mlir::DenseElementsAttr::get(
          type, llvm::APInt(elem == "i32" ? 32 : 64, integerLiteral(v, elem),
                            true));
    TV out{b_.create<ConstantOp>(b_.getUnknownLoc(), type,
                                 mlir::cast<mlir::ElementsAttr>(attr)),
           elem.str(), {}};
    return out;
  }

  /// The value of literal `v` as an `elem` (i32 or i64) integer; a value
  /// that does not fit (or inf, NaN) is a located error (the result is 0
  /// then, and the module is dropped). Fractions truncate toward zero.
  int64_t integerLiteral(const TV &v, llvm::StringRef elem) {
    bool i32 = elem == "i32";
    int64_t lo = i32 ? INT32_MIN : INT64_MIN, hi = i32 ? INT32_MAX : INT64_MAX;
    if (v.isInt && v.intValue >= lo && v.intValue <= hi)
      return v.intValue;
    // 2^63 and 2^31 are exact doubles; NaN fails both comparisons.
    double limit = i32 ? 2147483648.0 : 9223372036854775808.0;
    double t = std::trunc(v.number);
    if (!v.isInt && t >= -limit && t < limit)
      return static_cast<int64_t>(t);
    std::string text;
    if (v.isInt)
      text = std::to_string(v.intValue);
    else
      llvm::raw_string_ostream(text) << llvm::format("%g", v.number);
    file_.error(v.litLoc, "number " + text + " is out of range for " + elem);
    return 0;
  }

  TV castTo(TV v, llvm::StringRef elem, llvm::SMLoc l) {
    v = materialize(v, elem);
    if (v.elem == elem)
      return v;
    v.value = b_.create<CastOp>(loc(l), tensorType(elem, v.shape), v.value);
    v.elem = elem.str();
    return v;
  }

  TV emitExpr(const Expr &e) {
    switch (e.kind) {
    case Expr::Number: {
      TV v;
      v.literal = true;
      v.number = e.number;
      v.isInt = e.isInt;
      v.intValue = e.intValue;
      v.litLoc = e.loc;
      return v;
    }
    case Expr::String:
      return fail(e.loc, "strings are only allowed in a train block");
    case Expr::List:
      return fail(e.loc, "a list is only allowed as a shape or an option");
    case Expr::Name:
      return emitName(e);
    case Expr::Unary: {
      TV x = emitExpr(*e.args[0]);
      if (!x.valid())
        return x;
      if (x.literal) {
        x.number = -x.number;
        x.intValue = -x.intValue; // |intValue| <= INT64_MAX: no overflow
        x.litLoc = e.loc;
        return x;
      }
      if (x.elem == "bool")
        return fail(e.loc, "cannot negate a bool tensor");
      return make<NegOp>(e.loc, x.elem, x.shape, x.value);
    }
    case Expr::Binary:
      return emitBinary(e);
    case Expr::Call:
      return emitCall(e);
    }
    return TV{};
  }

  TV emitName(const Expr &e) {
    auto it = scope_.find(e.name);
    if (it != scope_.end())
      return it->second;
    auto p = params_.find(e.name);
    if (p != params_.end()) {
      TV v = p->second;
      v.value = b_.create<ParamRefOp>(loc(e.loc), tensorType(v.elem, v.shape),
                                      e.name);
      return v;
    }
    if (symbolSource_.count(e.name)) // a symbolic dimension as a value
      return dimValue(e.name, e.loc);
    if (sigs_.count(e.name) || builtinNames().count(e.name))
      return fail(e.loc, "'" + e.name + "' is a function; call it with ()");
    return fail(e.loc, "unknown name '" + e.name + "'");
  }

  /// The run-time extent of symbolic dimension `sym`, as a rank-0 i64.
  TV dimValue(const std::string &sym, llvm::SMLoc l) {
    auto [arg, axis] = symbolSource_[sym];
    Value d = b_.create<DimOp>(loc(l), arg, axis);
    return TV{d, "i64", {}};
  }

  template <typename OpT, typename... Args>
  TV make(llvm::SMLoc l, const std::string &elem, const sh::Shape &shape,
          Args &&...args) {
    if (!checkElements(shape, elem, l, "the result"))
      return TV{};
    Value v = b_.create<OpT>(loc(l), tensorType(elem, shape),
                             std::forward<Args>(args)...);
    return TV{v, elem, shape};
  }

  /// Brings two operands to one element type (literals adapt).
  bool unifyElems(TV &a, TV &b, llvm::SMLoc l, const char *what) {
    if (a.literal && b.literal) {
      bool isInt = a.isInt && b.isInt;
      a = materialize(a, isInt ? "i64" : "f32");
      b = materialize(b, isInt ? "i64" : "f32");
    } else if (a.literal) {
      a = materialize(a, b.elem);
    } else if (b.literal) {
      b = materialize(b, a.elem);
    }
    if (a.elem != b.elem) {
      file_.error(l, llvm::Twine("operands of ") + what +
                         " have different element types: " + a.typeString() +
                         " and " + b.typeString() +
                         " (convert one with f32(...) or i32(...))");
      return false;
    }
    return true;
  }

  /// Walks the left spine of an operator chain iteratively: `a + a + ...`
  /// (left-associative) is as deep as it is long, and a generated model
  /// may have thousands of terms.
  TV emitBinary(const Expr &e) {
    std::vector<const Expr *> spine;
    const Expr *leftmost = &e;
    while (leftmost->kind == Expr::Binary) {
      spine.push_back(leftmost);
      leftmost = leftmost->args[0].get();
    }
    TV acc = emitExpr(*leftmost);
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      TV b = emitExpr(*(*it)->args[1]);
      if (!acc.valid() || !b.valid()) {
        acc = TV{};
        continue;
      }
      acc = binary((*it)->op, (*it)->loc, acc, b);
    }
    return acc;
  }

  TV binary(Tok op, llvm::SMLoc l, TV a, TV b) {
    const char *spelling = op == Tok::At ? "'@'" : "the operator";
    if (!unifyElems(a, b, l, spelling))
      return TV{};
    if (op == Tok::At) {
      if (!a.isFloat())
        return fail(l, "matmul needs floating-point operands, got " +
                           a.typeString());
      sh::Result r = sh::matmul(a.shape, b.shape);
      if (!r.ok())
        return fail(l, r.error);
      return make<MatmulOp>(l, a.elem, r.shape, a.value, b.value);
    }
    sh::Result r = sh::broadcast(a.shape, b.shape);
    if (!r.ok())
      return fail(l, r.error);
    auto cmp = [&](CmpPredicate p) {
      return make<CmpOp>(l, "bool", r.shape, p, a.value, b.value);
    };
    if (a.elem == "bool" && op != Tok::EqEq && op != Tok::NotEq)
      return fail(l, "arithmetic on bool tensors; convert with f32(...)");
    switch (op) {
    case Tok::Plus: return make<AddOp>(l, a.elem, r.shape, a.value, b.value);
    case Tok::Minus: return make<SubOp>(l, a.elem, r.shape, a.value, b.value);
    case Tok::Star: return make<MulOp>(l, a.elem, r.shape, a.value, b.value);
    case Tok::Slash: return make<DivOp>(l, a.elem, r.shape, a.value, b.value);
    case Tok::Caret: return make<PowOp>(l, a.elem, r.shape, a.value, b.value);
    case Tok::Less: return cmp(CmpPredicate::lt);
    case Tok::LessEq: return cmp(CmpPredicate::le);
    case Tok::Greater: return cmp(CmpPredicate::gt);
    case Tok::GreaterEq: return cmp(CmpPredicate::ge);
    case Tok::EqEq: return cmp(CmpPredicate::eq);
    case Tok::NotEq: return cmp(CmpPredicate::ne);
    default: return fail(l, "unsupported operator");
    }
  }

  // ---------------------------------------------------------------------
  // Calls: user functions and built-ins.

  /// Positional and keyword arguments of a call, checked against a spec.
  struct CallArgs {
    const Expr *call;
    std::map<std::string, const Expr *> kw;
  };

  /// Checks positional arity and keyword names; fills `out.kw`.
  bool checkArgs(const Expr &e, size_t minPos, size_t maxPos,
                 std::initializer_list<const char *> keywords, CallArgs &out) {
    out.call = &e;
    if (e.args.size() < minPos || e.args.size() > maxPos) {
      std::string expected =
          minPos == maxPos ? std::to_string(minPos)
                           : std::to_string(minPos) + " to " +
                                 std::to_string(maxPos);
      file_.error(e.loc, "'" + e.name + "' takes " + expected +
                             " positional argument" +
                             (maxPos == 1 ? "" : "s") + ", got " +
                             std::to_string(e.args.size()));
      return false;
    }
    for (const KeywordArg &kw : e.kwargs) {
      bool known = false;
      for (const char *k : keywords)
        known |= kw.name == k;
      if (!known) {
        std::string list;
        for (const char *k : keywords)
          list += (list.empty() ? "" : ", ") + std::string(k);
        file_.error(kw.loc, "'" + e.name + "' has no option '" + kw.name +
                                "'" +
                                (list.empty() ? "" : " (options: " + list + ")"));
        return false;
      }
      if (out.kw.count(kw.name)) {
        file_.error(kw.loc, "option '" + kw.name + "' given twice");
        return false;
      }
      out.kw[kw.name] = kw.value.get();
    }
    return true;
  }

  /// An integer option: keyword `name`, else positional `pos`, else `def`.
  std::optional<int64_t> intOpt(CallArgs &a, const char *name, int pos,
                                 int64_t def) {
    const Expr *e = a.kw.count(name) ? a.kw[name]
                    : (pos >= 0 && pos < (int)a.call->args.size())
                        ? a.call->args[pos].get()
                        : nullptr;
    if (!e)
      return def;
    auto v = constInt(*e);
    if (!v)
      file_.error(e->loc, "option '" + std::string(name) +
                              "' must be an integer constant");
    return v;
  }

  std::optional<double> numOpt(CallArgs &a, const char *name, double def) {
    if (!a.kw.count(name))
      return def;
    auto v = constNumber(*a.kw[name]);
    if (!v)
      file_.error(a.kw[name]->loc,
                  "option '" + std::string(name) + "' must be a number");
    return v;
  }

  /// An option that is one integer or a list of them; a single integer is
  /// repeated `count` times (stride = 2 means [2, 2]).
  std::optional<std::vector<int64_t>> intsOpt(CallArgs &a, const char *name,
                                              std::vector<int64_t> def,
                                              size_t count) {
    if (!a.kw.count(name))
      return def;
    const Expr *e = a.kw[name];
    if (auto v = constInt(*e))
      return std::vector<int64_t>(count ? count : 1, *v);
    if (e->kind == Expr::List) {
      std::vector<int64_t> out;
      for (const auto &item : e->args) {
        auto v = constInt(*item);
        if (!v) {
          file_.error(item->loc, "expected an integer constant");
          return std::nullopt;
        }
        out.push_back(*v);
      }
      if (count && out.size() != count) {
        file_.error(e->loc, "option '" + std::string(name) + "' needs " +
                                std::to_string(count) + " values");
        return std::nullopt;
      }
      return out;
    }
    file_.error(e->loc, "option '" + std::string(name) +
                            "' must be an integer or a list of integers");
    return std::nullopt;
  }

  /// A shape literal `[N, 128]`: integers and symbolic dimensions of the
  /// function; -1 allowed where `allowInfer` (reshape).
  bool shapeArg(const Expr &e, sh::Shape &shape, bool allowInfer) {
    if (e.kind != Expr::List) {
      file_.error(e.loc, "expected a shape such as [N, 128]");
      return false;
    }
    for (const auto &item : e.args) {
      if (auto v = constInt(*item)) {
        if (*v < 1 && !(allowInfer && *v == -1)) {
          file_.error(item->loc, "dimension must be a positive integer" +
                                     std::string(allowInfer ? " or -1" : ""));
          return false;
        }
        shape.push_back(*v == -1 ? sh::Dim::unknown() : sh::Dim::of(*v));
      } else if (item->kind == Expr::Name && symbolSource_.count(item->name)) {
        shape.push_back(sh::Dim::sym(item->name));
      } else {
        file_.error(item->loc, "a dimension must be an integer or a symbolic "
                               "dimension of the function's arguments");
        return false;
      }
    }
    return true;
  }

  /// One rank-0 i64 operand per symbolic dim of `shape`.
  llvm::SmallVector<Value> dynamicDims(const sh::Shape &shape, llvm::SMLoc l) {
    llvm::SmallVector<Value> dims;
    for (const sh::Dim &d : shape)
      if (!d.isKnown())
        dims.push_back(dimValue(d.symbol, l).value);
    return dims;
  }

  TV floatArg(const Expr &e, const std::string &fn) {
    TV v = materialize(emitExpr(e), "f32");
    if (v.valid() && !v.isFloat())
      return fail(e.loc, "'" + fn + "' needs a floating-point tensor, got " +
                             v.typeString());
    return v;
  }

  static const std::set<std::string> &builtinNames() {
    static const std::set<std::string> names = {
        "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
        "relu", "softplus", "sign", "max", "min", "pow", "sum", "mean",
        "argmax", "softmax", "log_softmax", "matmul", "conv2d",
        "conv_transpose2d", "max_pool2d", "avg_pool2d", "reshape", "flatten",
        "transpose", "broadcast_to", "slice", "concat", "gather",
        "scatter_add", "one_hot", "where", "zeros", "ones", "full",
        "uniform", "normal", "bernoulli", "dim", "f32", "f64", "i32", "i64",
        "bool", "cross_entropy", "mse", "accuracy", "grad", "bce",
        "bce_with_logits", "nll", "l1", "l2", "isnan", "isinf", "isfinite"};
    return names;
  }

  TV emitCall(const Expr &e) {
    if (e.name == "grad")
      return emitGrad(e);
    auto sig = sigs_.find(e.name);
    if (sig != sigs_.end())
      return emitUserCall(e, sig->second);
    if (!builtinNames().count(e.name)) {
      if (params_.count(e.name) || scope_.count(e.name))
        return fail(e.loc, "'" + e.name + "' is not a function");
      return fail(e.loc, "unknown function '" + e.name + "'");
    }
    return emitBuiltin(e);
  }

  TV emitUserCall(const Expr &e, FnSig &sig) {
    calls_[currentFn_].push_back({e.name, e.loc});
    if (!sig.ok)
      return TV{};
    if (!e.kwargs.empty())
      return fail(e.kwargs[0].loc, "functions take positional arguments only");
    if (sig.resultElems.size() != 1)
      return fail(e.loc, "'" + e.name + "' returns " +
                             std::to_string(sig.resultElems.size()) +
                             " values; only single-result functions can be "
                             "called in an expression");
    std::vector<const Expr *> args;
    for (const auto &a : e.args)
      args.push_back(a.get());
    return emitCallTo(e.loc, e.name, e.name, sig, args, 0);
  }

  /// Calls `callee` (whose signature is `sig`, described to the user as
  /// `shown`) on `argExprs` and returns result `resultIndex`. The callee's
  /// symbolic dims are instantiated from the arguments and must agree.
  TV emitCallTo(llvm::SMLoc l, const std::string &callee,
                const std::string &shown, FnSig &sig,
                const std::vector<const Expr *> &argExprs, unsigned resultIndex) {
    if (argExprs.size() != sig.argElems.size())
      return fail(l, "'" + shown + "' takes " +
                         std::to_string(sig.argElems.size()) +
                         " arguments, got " + std::to_string(argExprs.size()));
    std::map<std::string, sh::Dim> binding;
    llvm::SmallVector<Value> args;
    for (size_t i = 0; i < argExprs.size(); ++i) {
      const Expr &arg = *argExprs[i];
      TV v = materialize(emitExpr(arg), sig.argElems[i]);
      if (!v.valid())
        return TV{};
      const sh::Shape &want = sig.argShapes[i];
      if (v.elem != sig.argElems[i] || v.shape.size() != want.size())
        return fail(arg.loc, "argument " + std::to_string(i + 1) + " of '" +
                                 shown + "' must be " + sig.argElems[i] +
                                 sh::str(want) + ", got " + v.typeString());
      for (size_t d = 0; d < want.size(); ++d) {
        sh::Dim expect = want[d];
        if (expect.isSymbol()) {
          auto it = binding.find(expect.symbol);
          if (it == binding.end()) {
            binding[expect.symbol] = v.shape[d];
            continue;
          }
          expect = it->second;
        }
        if (!sh::unify(expect, v.shape[d]))
          return fail(arg.loc,
                      "argument " + std::to_string(i + 1) + " of '" + shown +
                          "' has shape " + sh::str(v.shape) + " but dimension " +
                          std::to_string(d) + " must be " + expect.str() +
                          (want[d].isSymbol() ? " (bound to '" +
                                                    want[d].symbol + "')"
                                              : ""));
      }
      auto type = sig.type.getInput(i);
      if (v.value.getType() != type)
        v.value = b_.create<CastOp>(loc(arg.loc), type, v.value);
      args.push_back(v.value);
    }
    auto call = b_.create<mlir::func::CallOp>(loc(l), callee,
                                              sig.type.getResults(), args);
    sh::Shape result;
    for (const sh::Dim &d : sig.resultShapes[resultIndex])
      result.push_back(d.isSymbol() ? binding[d.symbol] : d);
    // Give the caller the most precise type it can have.
    const std::string &elem = sig.resultElems[resultIndex];
    auto precise = tensorType(elem, result);
    Value v = call.getResult(resultIndex);
    if (precise != v.getType())
      v = b_.create<CastOp>(loc(l), precise, v);
    return TV{v, elem, result};
  }

  /// Declares (once) the gradient function of `fn` with respect to
  /// `wrt` (parameter or argument names), for axon-autodiff to fill in.
  /// Returns its name and signature: fn's inputs -> (fn's value, grads...).
  std::string declareGradient(const std::string &fn,
                              const std::vector<std::string> &wrt,
                              const std::string &preferredName,
                              llvm::SMLoc l) {
    std::string name = preferredName;
    for (int i = 2; sigs_.count(name) || params_.count(name); ++i)
      name = preferredName + "_" + std::to_string(i);
    const FnSig &src = sigs_[fn];
    FnSig g = src;
    g.ast = nullptr;
    g.resultElems.resize(1);
    g.resultShapes.resize(1);
    llvm::SmallVector<mlir::Attribute> names;
    for (const std::string &w : wrt) {
      names.push_back(b_.getStringAttr(w));
      int arg = -1;
      for (size_t i = 0; i < src.ast->args.size(); ++i)
        if (src.ast->args[i].name == w)
          arg = static_cast<int>(i);
      if (arg >= 0) {
        g.resultElems.push_back(src.argElems[arg]);
        g.resultShapes.push_back(src.argShapes[arg]);
      } else {
        g.resultElems.push_back(params_[w].elem);
        g.resultShapes.push_back(params_[w].shape);
      }
    }
    llvm::SmallVector<mlir::Type> results;
    for (size_t i = 0; i < g.resultElems.size(); ++i)
      results.push_back(tensorType(g.resultElems[i], g.resultShapes[i]));
    g.type = b_.getFunctionType(src.type.getInputs(), results);
    mlir::OpBuilder mb = mlir::OpBuilder::atBlockEnd(module_->getBody());
    auto decl = mb.create<mlir::func::FuncOp>(loc(l), name, g.type);
    decl.setPrivate();
    decl->setAttr("axon.grad_of", mlir::FlatSymbolRefAttr::get(&ctx_, fn));
    decl->setAttr("axon.wrt", b_.getArrayAttr(names));
    sigs_[name] = g;
    return name;
  }

  /// `grad(f, args..., wrt = name)`: the gradient of scalar function f at
  /// args with respect to one of its arguments or a parameter.
  TV emitGrad(const Expr &e) {
    if (e.args.empty() || e.args[0]->kind != Expr::Name)
      return fail(e.loc, "grad takes a function name first: "
                         "grad(loss, x, t, wrt = W)");
    const std::string &fn = e.args[0]->name;
    auto it = sigs_.find(fn);
    if (it == sigs_.end() || !it->second.ast)
      return fail(e.args[0]->loc, "unknown function '" + fn + "'");
    calls_[currentFn_].push_back({fn, e.args[0]->loc});
    FnSig &src = it->second;
    if (!src.ok)
      return TV{};
    if (src.resultElems.size() != 1 || !src.resultShapes[0].empty() ||
        (src.resultElems[0] != "f32" && src.resultElems[0] != "f64"))
      return fail(e.args[0]->loc, "grad needs a function returning one "
                                  "floating-point scalar; '" + fn +
                                      "' does not");
    if (e.kwargs.size() != 1 || e.kwargs[0].name != "wrt" ||
        e.kwargs[0].value->kind != Expr::Name)
      return fail(e.loc, "grad needs 'wrt = NAME' naming a parameter or an "
                         "argument of '" + fn + "'");
    const KeywordArg &kw = e.kwargs[0];
    const std::string &w = kw.value->name;
    bool isArg = false;
    for (const Arg &a : src.ast->args)
      isArg |= a.name == w;
    if (!isArg && !params_.count(w))
      return fail(kw.value->loc, "'" + w + "' is neither a parameter nor an "
                                 "argument of '" + fn + "'");
    if (!isArg && params_[w].elem.empty())
      return TV{};
    auto key = std::make_pair(fn, w);
    auto cached = gradFns_.find(key);
    std::string gname = cached != gradFns_.end()
                            ? cached->second
                            : (gradFns_[key] = declareGradient(
                                   fn, {w}, "grad_" + fn + "_" + w, e.loc));
    std::vector<const Expr *> args;
    for (size_t i = 1; i < e.args.size(); ++i)
      args.push_back(e.args[i].get());
    return emitCallTo(e.loc, gname, "grad(" + fn + ")", sigs_[gname], args, 1);
  }

  void checkRecursion() {
    // Depth-first search for a cycle in the call graph, with an explicit
    // stack: a generated chain of 100,000 functions is that deep.
    std::map<std::string, int> state; // 0 new, 1 on stack, 2 done
    struct Frame {
      const std::string *fn;
      size_t next = 0; ///< Next callee of calls_[*fn] to visit.
    };
    for (auto &kv : sigs_) {
      if (state[kv.first] != 0)
        continue;
      std::vector<Frame> stack{{&kv.first}};
      state[kv.first] = 1;
      while (!stack.empty()) {
        Frame &f = stack.back();
        auto &callees = calls_[*f.fn];
        if (f.next == callees.size()) {
          state[*f.fn] = 2;
          stack.pop_back();
          continue;
        }
        auto &[callee, l] = callees[f.next++];
        int &st = state[callee];
        if (st == 1) {
          file_.error(l, "recursive call of '" + callee +
                             "' (recursion is not supported; use a for loop)");
          return;
        }
        if (st == 0) {
          st = 1;
          stack.push_back({&callee});
        }
      }
    }
  }

  TV emitBuiltin(const Expr &e);

  // ---------------------------------------------------------------------
  // Train blocks.

  mlir::Attribute configValue(const Expr &e) {
    if (auto i = constInt(e))
      return b_.getI64IntegerAttr(*i);
    if (auto n = constNumber(e))
      return b_.getF64FloatAttr(*n);
    if (e.kind == Expr::String)
      return b_.getStringAttr(e.name);
    if (e.kind == Expr::Name)
      return b_.getStringAttr(e.name);
    if (e.kind == Expr::List) {
      llvm::SmallVector<mlir::Attribute> items;
      for (const auto &item : e.args) {
        mlir::Attribute a = configValue(*item);
        if (!a)
          return {};
        items.push_back(a);
      }
      return b_.getArrayAttr(items);
    }
    if (e.kind == Expr::Call) {
      llvm::SmallVector<mlir::NamedAttribute> fields;
      fields.push_back(b_.getNamedAttr("kind", b_.getStringAttr(e.name)));
      llvm::SmallVector<mlir::Attribute> args;
      for (const auto &a : e.args) {
        mlir::Attribute v = configValue(*a);
        if (!v)
          return {};
        args.push_back(v);
      }
      if (!args.empty())
        fields.push_back(b_.getNamedAttr("args", b_.getArrayAttr(args)));
      for (const KeywordArg &kw : e.kwargs) {
        mlir::Attribute v = configValue(*kw.value);
        if (!v)
          return {};
        fields.push_back(b_.getNamedAttr(kw.name, v));
      }
      return b_.getDictionaryAttr(fields);
    }
    file_.error(e.loc, "a train setting must be a number, a string, a name, "
                       "a list or a call such as adam(lr = 1e-3)");
    return {};
  }

  void emitTrain(const Train &t) {
    auto sig = sigs_.find(t.loss);
    if (sig == sigs_.end()) {
      file_.error(t.lossLoc, "train block names unknown function '" + t.loss +
                                 "'");
      return;
    }
    if (sig->second.ok &&
        (sig->second.resultElems.size() != 1 ||
         !sig->second.resultShapes[0].empty() ||
         (sig->second.resultElems[0] != "f32" &&
          sig->second.resultElems[0] != "f64"))) {
      file_.error(t.lossLoc, "loss function '" + t.loss +
                                 "' must return one floating-point scalar");
      return;
    }
    static const std::set<std::string> keys = {
        "data", "eval_data", "optimizer", "batch", "epochs", "seed",
        "shuffle", "log", "eval_fn", "params", "normalize", "one_hot"};
    llvm::SmallVector<mlir::NamedAttribute> fields;
    std::set<std::string> seen;
    for (const KeywordArg &kw : t.settings) {
      if (!keys.count(kw.name)) {
        file_.error(kw.loc, "unknown train setting '" + kw.name +
                                "' (expected data, eval_data, optimizer, "
                                "batch, epochs, seed, shuffle, log, eval_fn, "
                                "params, normalize or one_hot)");
        continue;
      }
      if (!seen.insert(kw.name).second) {
        file_.error(kw.loc, "train setting '" + kw.name + "' given twice");
        continue;
      }
      const Expr &v = *kw.value;
      if ((kw.name == "batch" || kw.name == "epochs" ||
           kw.name == "one_hot") &&
          (!constInt(v) || *constInt(v) < 1)) {
        file_.error(v.loc, "'" + kw.name + "' must be a positive integer");
        continue;
      }
      if (kw.name == "optimizer") {
        static const std::map<std::string, std::set<std::string>> opts = {
            {"sgd", {"lr", "weight_decay", "clip_norm"}},
            {"momentum", {"lr", "beta", "weight_decay", "clip_norm"}},
            {"adam",
             {"lr", "beta1", "beta2", "eps", "weight_decay", "clip_norm"}}};
        auto opt = v.kind == Expr::Call ? opts.find(v.name) : opts.end();
        if (opt == opts.end()) {
          file_.error(v.loc, "optimizer must be sgd(...), momentum(...) or "
                             "adam(...)");
          continue;
        }
        bool ok = v.args.empty();
        if (!ok)
          file_.error(v.args[0]->loc, "optimizer settings are named: " +
                                          v.name + "(lr = 0.01)");
        for (const KeywordArg &o : v.kwargs) {
          if (!opt->second.count(o.name)) {
            std::string list;
            for (const std::string &k : opt->second)
              list += (list.empty() ? "" : ", ") + k;
            file_.error(o.loc, "'" + v.name + "' has no setting '" + o.name +
                                   "' (settings: " + list + ")");
            ok = false;
          } else if (!constNumber(*o.value) || *constNumber(*o.value) < 0) {
            file_.error(o.value->loc, "'" + o.name +
                                          "' must be a non-negative number");
            ok = false;
          }
        }
        if (!ok)
          continue;
      }
      if (kw.name == "eval_fn" &&
          (v.kind != Expr::Name || !sigs_.count(v.name))) {
        file_.error(v.loc, "eval_fn must name a function of the loss's "
                           "arguments, such as accuracy_of");
        continue;
      }
      if (kw.name == "params") {
        bool ok = v.kind == Expr::List && !v.args.empty();
        for (size_t i = 0; ok && i < v.args.size(); ++i) {
          const ExprPtr &item = v.args[i];
          if (item->kind != Expr::Name || !params_.count(item->name)) {
            file_.error(item->loc, "'params' lists parameters; '" +
                                       (item->kind == Expr::Name ? item->name
                                                                 : "?") +
                                       "' is not one");
            ok = false;
            break;
          }
        }
        if (v.kind != Expr::List || v.args.empty())
          file_.error(v.loc, "'params' must be a non-empty list of parameters");
        if (!ok)
          continue;
      }
      if (kw.name == "data" || kw.name == "eval_data") {
        static const std::set<std::string> loaders = {"idx", "npy", "csv"};
        bool ok = v.kind == Expr::Call && loaders.count(v.name);
        if (ok)
          for (const auto &arg : v.args)
            ok &= arg->kind == Expr::String;
        if (!ok) {
          file_.error(v.loc, "data must be idx(\"images\", \"labels\"), "
                             "npy(\"inputs\", \"labels\") or "
                             "csv(\"file\", label = column) with file names");
          continue;
        }
        size_t files = v.name == "csv" ? 1 : 2;
        if (v.args.size() != files) {
          file_.error(v.loc, v.name + "(...) takes " + std::to_string(files) +
                                 (files == 1 ? " file name" : " file names: "
                                                              "inputs, labels"));
          continue;
        }
        for (const KeywordArg &o : v.kwargs)
          if (v.name != "csv" || o.name != "label" || !constInt(*o.value)) {
            file_.error(o.loc, v.name == "csv"
                                   ? "csv(...) takes one setting, label = "
                                     "column number (negative: from the end)"
                                   : v.name + "(...) takes no settings");
            ok = false;
          }
        if (!ok)
          continue;
      }
      if (kw.name == "normalize") {
        static const std::set<std::string> kinds = {"scale", "standard",
                                                    "none"};
        bool named = v.kind == Expr::Name && kinds.count(v.name);
        std::map<std::string, const Expr *> given;
        if (v.kind == Expr::Call && v.name == "normalize" && v.args.empty())
          for (const KeywordArg &o : v.kwargs)
            if (constNumber(*o.value))
              given[o.name] = o.value.get();
        bool fixed = v.kwargs.size() == 2 && given.count("mean") &&
                     given.count("std");
        if (!named && !fixed) {
          file_.error(v.loc, "normalize must be scale, standard, none or "
                             "normalize(mean = m, std = s)");
          continue;
        }
        if (fixed && !(*constNumber(*given["std"]) > 0)) {
          file_.error(given["std"]->loc, "'std' must be positive");
          continue;
        }
      }
      mlir::Attribute a = configValue(v);
      if (a)
        fields.push_back(b_.getNamedAttr(kw.name, a));
    }
    if (!seen.count("optimizer"))
      file_.error(t.loc, "train block needs an 'optimizer' setting");
    // The gradient of the loss with respect to every parameter.
    // Only the listed parameters when `params` is given (one group per
    // train block: a GAN trains its two groups with two blocks).
    std::vector<std::string> wrt;
    for (const KeywordArg &kw : t.settings)
      if (kw.name == "params" && kw.value->kind == Expr::List)
        for (const auto &item : kw.value->args)
          if (item->kind == Expr::Name)
            wrt.push_back(item->name);
    if (wrt.empty())
      wrt = paramOrder_;
    if (!wrt.empty() && sig->second.ok && file_.errorCount() == 0) {
      std::string g = declareGradient(t.loss, wrt, t.loss + "_grad", t.loc);
      fields.push_back(b_.getNamedAttr("grad_fn", b_.getStringAttr(g)));
    }
    b_.create<TrainOp>(loc(t.loc), t.loss, b_.getDictionaryAttr(fields));
  }

  mlir::MLIRContext &ctx_;
  SourceFile &file_;
  mlir::OpBuilder b_;
  mlir::OwningOpRef<mlir::ModuleOp> module_;
  std::map<std::string, TV> params_;
  std::vector<std::string> paramOrder_; ///< Declaration order.
  std::set<std::string> updated_;       ///< Parameters updated in this fn.
  std::map<std::string, FnSig> sigs_;
  std::map<std::string, TV> scope_;
  /// Where each symbolic dim of the current function can be read.
  std::map<std::string, std::pair<Value, int64_t>> symbolSource_;
  std::string currentFn_;
  std::map<std::string, std::vector<std::pair<std::string, llvm::SMLoc>>> calls_;
  int64_t randomSites_ = 0;
  std::map<std::pair<std::string, std::string>, std::string> gradFns_;
};

} // namespace


// Built-in functions: each checks its arguments with the shared shape rules,
// then emits its op(s). Losses are written in terms of primitive ops.
TV MLIRGen::emitBuiltin(const Expr &e) {
  const std::string &n = e.name;
  llvm::SMLoc l = e.loc;
  CallArgs a;

  // Elementwise unary math.
  auto unary = [&](auto tag, bool floatOnly) -> TV {
    using OpT = decltype(tag);
    if (!checkArgs(e, 1, 1, {}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    if (!x.valid())
      return x;
    if (floatOnly ? !x.isFloat() : x.elem == "bool")
      return fail(e.args[0]->loc, "'" + n + "' needs a " +
                                      (floatOnly ? "floating-point" : "numeric") +
                                      " tensor, got " + x.typeString());
    return make<OpT>(l, x.elem, x.shape, x.value);
  };
  // IEEE classification, as comparisons: x != x only for NaN, |x| == inf
  // only for the infinities. (Compiled kernels keep comparisons IEEE.)
  if (n == "isnan" || n == "isinf" || n == "isfinite") {
    if (!checkArgs(e, 1, 1, {}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    if (!x.valid())
      return x;
    if (!x.isFloat())
      return fail(e.args[0]->loc, "'" + n +
                                      "' needs a floating-point tensor, got " +
                                      x.typeString());
    if (n == "isnan")
      return make<CmpOp>(l, "bool", x.shape, CmpPredicate::ne, x.value,
                         x.value);
    TV mag = make<AbsOp>(l, x.elem, x.shape, x.value);
    TV infinity;
    infinity.literal = true;
    infinity.number = std::numeric_limits<double>::infinity();
    TV inf = materialize(infinity, x.elem);
    return make<CmpOp>(l, "bool", x.shape,
                       n == "isinf" ? CmpPredicate::eq : CmpPredicate::lt,
                       mag.value, inf.value);
  }
  if (n == "neg") return unary(NegOp(), false);
  if (n == "abs") return unary(AbsOp(), false);
  if (n == "sign") return unary(SignOp(), false);
  if (n == "relu") return unary(ReluOp(), false);
  if (n == "exp") return unary(ExpOp(), true);
  if (n == "log") return unary(LogOp(), true);
  if (n == "sqrt") return unary(SqrtOp(), true);
  if (n == "sin") return unary(SinOp(), true);
  if (n == "cos") return unary(CosOp(), true);
  if (n == "tanh") return unary(TanhOp(), true);
  if (n == "sigmoid") return unary(SigmoidOp(), true);
  if (n == "softplus") return unary(SoftplusOp(), true);

  // Casts: f32(x), i32(x), ...
  if (isElemName(n)) {
    if (!checkArgs(e, 1, 1, {}, a))
      return TV{};
    TV x = emitExpr(*e.args[0]);
    if (!x.valid())
      return x;
    return castTo(materialize(x, n), n, l);
  }

  // Reductions: sum(x, axis = 1, keepdims = true); max(x) vs max(a, b).
  auto reduceAxes = [&](TV &x) -> std::optional<std::vector<int64_t>> {
    auto axes = intsOpt(a, "axis", {}, 0);
    if (!axes)
      return std::nullopt;
    for (int64_t &ax : *axes) {
      auto norm = sh::normalizeAxis(ax, x.shape.size());
      if (!norm) {
        file_.error(a.kw["axis"]->loc, "axis " + std::to_string(ax) +
                                           " is out of range for " +
                                           x.typeString());
        return std::nullopt;
      }
      ax = *norm;
    }
    return axes;
  };
  auto reduce = [&](auto tag, bool needFloat) -> TV {
    using OpT = decltype(tag);
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    if (!x.valid())
      return x;
    if (needFloat ? !x.isFloat() : x.elem == "bool")
      return fail(e.args[0]->loc, "'" + n + "' needs a " +
                                      (needFloat ? "floating-point" : "numeric") +
                                      " tensor, got " + x.typeString());
    auto axes = reduceAxes(x);
    auto keep = intOpt(a, "keepdims", -1, 0);
    if (!axes || !keep)
      return TV{};
    sh::Result r = sh::reduce(x.shape, *axes, *keep != 0);
    if (!r.ok())
      return fail(l, r.error);
    return make<OpT>(l, x.elem, r.shape, x.value, b_.getDenseI64ArrayAttr(*axes),
                     b_.getBoolAttr(*keep != 0));
  };
  if ((n == "max" || n == "min" || n == "pow") && e.args.size() == 2) {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV x = emitExpr(*e.args[0]), y = emitExpr(*e.args[1]);
    if (!x.valid() || !y.valid())
      return TV{};
    if (n == "pow")
      return binary(Tok::Caret, l, x, y);
    if (!unifyElems(x, y, l, n == "max" ? "'max'" : "'min'"))
      return TV{};
    sh::Result r = sh::broadcast(x.shape, y.shape);
    if (!r.ok())
      return fail(l, r.error);
    if (n == "max")
      return make<MaxOp>(l, x.elem, r.shape, x.value, y.value);
    return make<MinOp>(l, x.elem, r.shape, x.value, y.value);
  }
  if (n == "sum" || n == "mean" || n == "max") {
    if (!checkArgs(e, 1, 1, {"axis", "keepdims"}, a))
      return TV{};
    if (n == "sum") return reduce(SumOp(), false);
    if (n == "mean") return reduce(MeanOp(), true);
    return reduce(ReduceMaxOp(), false);
  }
  if (n == "min" || n == "pow")
    return fail(l, "'" + n + "' takes 2 arguments");
  if (n == "argmax") {
    if (!checkArgs(e, 1, 1, {"axis", "keepdims"}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    if (!x.valid())
      return x;
    auto axis = intOpt(a, "axis", -1, -1);
    auto keep = intOpt(a, "keepdims", -1, 0);
    if (!axis || !keep)
      return TV{};
    auto norm = sh::normalizeAxis(*axis, x.shape.size());
    if (!norm)
      return fail(l, "axis " + std::to_string(*axis) + " is out of range for " +
                         x.typeString());
    sh::Result r = sh::reduce(x.shape, {*norm}, *keep != 0);
    return make<ArgmaxOp>(l, "i32", r.shape, x.value, *norm, *keep != 0);
  }
  if (n == "softmax" || n == "log_softmax") {
    if (!checkArgs(e, 1, 1, {"axis"}, a))
      return TV{};
    TV x = floatArg(*e.args[0], n);
    auto axis = intOpt(a, "axis", -1, -1);
    if (!x.valid() || !axis)
      return TV{};
    auto norm = sh::normalizeAxis(*axis, x.shape.size());
    if (!norm)
      return fail(l, "axis " + std::to_string(*axis) + " is out of range for " +
                         x.typeString());
    if (n == "softmax")
      return make<SoftmaxOp>(l, x.elem, x.shape, x.value, *norm);
    return make<LogSoftmaxOp>(l, x.elem, x.shape, x.value, *norm);
  }
  if (n == "matmul") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV x = emitExpr(*e.args[0]), y = emitExpr(*e.args[1]);
    if (!x.valid() || !y.valid())
      return TV{};
    return binary(Tok::At, l, x, y);
  }

  // Convolutions and pooling (NCHW).
  if (n == "conv2d" || n == "conv_transpose2d") {
    bool transposed = n == "conv_transpose2d";
    if (!checkArgs(e, 2, 2,
                   transposed ? std::initializer_list<const char *>{
                                    "stride", "padding", "output_padding", "groups"}
                              : std::initializer_list<const char *>{
                                    "stride", "padding", "dilation", "groups"},
                   a))
      return TV{};
    TV x = floatArg(*e.args[0], n), w = floatArg(*e.args[1], n);
    auto strides = intsOpt(a, "stride", {1, 1}, 2);
    auto padding = intsOpt(a, "padding", {0, 0}, 2);
    auto extra = intsOpt(a, transposed ? "output_padding" : "dilation",
                         transposed ? std::vector<int64_t>{0, 0}
                                    : std::vector<int64_t>{1, 1},
                         2);
    auto groups = intOpt(a, "groups", -1, 1);
    if (!x.valid() || !w.valid() || !strides || !padding || !extra || !groups)
      return TV{};
    if (!unifyElems(x, w, l, ("'" + n + "'").c_str()))
      return TV{};
    sh::Result r =
        transposed
            ? sh::convTranspose2d(x.shape, w.shape, *strides, *padding, *extra,
                                  *groups)
            : sh::conv2d(x.shape, w.shape, *strides, *padding, *extra, *groups);
    if (!r.ok())
      return fail(l, r.error);
    if (transposed)
      return make<ConvTranspose2DOp>(l, x.elem, r.shape, x.value, w.value,
                                     *strides, *padding, *extra, *groups);
    return make<Conv2DOp>(l, x.elem, r.shape, x.value, w.value, *strides,
                          *padding, *extra, *groups);
  }
  if (n == "max_pool2d" || n == "avg_pool2d") {
    if (!checkArgs(e, 1, 1, {"kernel", "stride", "padding"}, a))
      return TV{};
    TV x = floatArg(*e.args[0], n);
    auto kernel = intsOpt(a, "kernel", {2, 2}, 2);
    auto strides = kernel ? intsOpt(a, "stride", *kernel, 2) : std::nullopt;
    auto padding = intsOpt(a, "padding", {0, 0}, 2);
    if (!x.valid() || !kernel || !strides || !padding)
      return TV{};
    sh::Result r = sh::pool2d(x.shape, *kernel, *strides, *padding);
    if (!r.ok())
      return fail(l, r.error);
    if (n == "max_pool2d")
      return make<MaxPool2DOp>(l, x.elem, r.shape, x.value, *kernel, *strides,
                               *padding);
    return make<AvgPool2DOp>(l, x.elem, r.shape, x.value, *kernel, *strides,
                             *padding);
  }

  // Movement.
  if (n == "reshape" || n == "flatten") {
    bool flat = n == "flatten";
    if (!checkArgs(e, flat ? 1 : 2, flat ? 1 : 2, {}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    if (!x.valid())
      return x;
    sh::Shape target;
    if (flat) {
      if (x.shape.empty())
        return fail(l, "cannot flatten a scalar");
      target = {x.shape[0], sh::Dim::unknown()};
    } else if (!shapeArg(*e.args[1], target, true)) {
      return TV{};
    }
    // Resolve one -1: symbols present on both sides cancel, the rest of
    // the input must be static.
    int infer = -1;
    for (size_t i = 0; i < target.size(); ++i)
      if (target[i].isUnknown()) {
        if (infer >= 0)
          return fail(e.args.back()->loc, "only one dimension can be -1");
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
          return fail(l, "cannot infer the -1 dimension: " + x.typeString() +
                             " has dimension " + d.str() +
                             " that the target shape does not keep");
      }
      if (!syms.empty())
        return fail(l, "target shape uses '" + *syms.begin() +
                           "' that the input does not have");
      for (const sh::Dim &d : target)
        if (d.isKnown())
          out *= d.value;
      if (in % out != 0)
        return fail(l, "cannot reshape " + x.typeString() + " to " +
                           sh::str(target) + ": sizes do not divide");
      target[infer] = sh::Dim::of(in / out);
    }
    sh::Result r = sh::reshape(x.shape, target);
    if (!r.ok())
      return fail(l, r.error);
    return make<ReshapeOp>(l, x.elem, target, x.value, dynamicDims(target, l));
  }
  if (n == "transpose") {
    if (!checkArgs(e, 1, 2, {}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    if (!x.valid())
      return x;
    std::vector<int64_t> perm;
    if (e.args.size() == 2) {
      CallArgs tmp;
      tmp.call = &e;
      tmp.kw["perm"] = e.args[1].get();
      auto p = intsOpt(tmp, "perm", {}, x.shape.size());
      if (!p)
        return TV{};
      perm = *p;
    } else {
      if (x.shape.size() < 2)
        return fail(l, "transpose needs rank >= 2, got " + x.typeString());
      for (size_t i = 0; i < x.shape.size(); ++i)
        perm.push_back(i);
      std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    }
    sh::Result r = sh::transpose(x.shape, perm);
    if (!r.ok())
      return fail(l, r.error);
    return make<TransposeOp>(l, x.elem, r.shape, x.value, perm);
  }
  if (n == "broadcast_to") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    sh::Shape target;
    if (!x.valid() || !shapeArg(*e.args[1], target, false))
      return TV{};
    if (!sh::broadcastsTo(x.shape, target))
      return fail(l, "cannot broadcast " + x.typeString() + " to " +
                         sh::str(target));
    return make<BroadcastOp>(l, x.elem, target, x.value, dynamicDims(target, l));
  }
  if (n == "slice") {
    if (!checkArgs(e, 1, 1, {"axis", "start", "end", "step"}, a))
      return TV{};
    TV x = materialize(emitExpr(*e.args[0]), "f32");
    auto axis = intOpt(a, "axis", -1, 0);
    auto start = intOpt(a, "start", -1, 0);
    auto end = intOpt(a, "end", -1, -1);
    auto step = intOpt(a, "step", -1, 1);
    if (!x.valid() || !axis || !start || !end || !step)
      return TV{};
    auto norm = sh::normalizeAxis(*axis, x.shape.size());
    if (!norm)
      return fail(l, "axis " + std::to_string(*axis) + " is out of range for " +
                         x.typeString());
    sh::Result r = sh::slice(x.shape, *norm, *start, *end, *step);
    if (!r.ok())
      return fail(l, r.error);
    return make<SliceOp>(l, x.elem, r.shape, x.value, *norm, *start, *end, *step);
  }
  if (n == "concat") {
    if (!checkArgs(e, 1, 1, {"axis"}, a))
      return TV{};
    const Expr &list = *e.args[0];
    if (list.kind != Expr::List || list.args.empty())
      return fail(list.loc, "concat takes a non-empty list: concat([a, b])");
    std::vector<TV> xs;
    std::vector<sh::Shape> shapes;
    llvm::SmallVector<Value> values;
    for (const auto &item : list.args) {
      TV v = materialize(emitExpr(*item), "f32");
      if (!v.valid())
        return v;
      if (!xs.empty() && v.elem != xs[0].elem)
        return fail(item->loc, "concat operands have different element types");
      xs.push_back(v);
      shapes.push_back(v.shape);
      values.push_back(v.value);
    }
    auto axis = intOpt(a, "axis", -1, 0);
    if (!axis)
      return TV{};
    auto norm = sh::normalizeAxis(*axis, shapes[0].size());
    if (!norm)
      return fail(l, "axis " + std::to_string(*axis) + " is out of range");
    sh::Result r = sh::concat(shapes, *norm);
    if (!r.ok())
      return fail(l, r.error);
    return make<ConcatOp>(l, xs[0].elem, r.shape, values, *norm);
  }
  auto intTensor = [&](const Expr &ex) -> TV {
    TV v = emitExpr(ex);
    if (v.literal && v.isInt)
      v = materialize(v, "i64");
    if (v.valid() && !v.isInteger())
      return fail(ex.loc, "indices must be an integer tensor, got " +
                              v.typeString());
    return v;
  };
  if (n == "gather") {
    if (!checkArgs(e, 2, 2, {"axis"}, a))
      return TV{};
    TV table = materialize(emitExpr(*e.args[0]), "f32");
    TV idx = intTensor(*e.args[1]);
    auto axis = intOpt(a, "axis", -1, 0);
    if (!table.valid() || !idx.valid() || !axis)
      return TV{};
    sh::Result r = sh::gather(table.shape, idx.shape, *axis);
    if (!r.ok())
      return fail(l, r.error);
    int64_t norm = *sh::normalizeAxis(*axis, table.shape.size());
    return make<GatherOp>(l, table.elem, r.shape, table.value, idx.value, norm);
  }
  if (n == "scatter_add") {
    if (!checkArgs(e, 3, 3, {"axis"}, a))
      return TV{};
    TV target = materialize(emitExpr(*e.args[0]), "f32");
    TV idx = intTensor(*e.args[1]);
    TV upd = materialize(emitExpr(*e.args[2]), target.elem.empty() ? "f32" : target.elem);
    auto axis = intOpt(a, "axis", -1, 0);
    if (!target.valid() || !idx.valid() || !upd.valid() || !axis)
      return TV{};
    sh::Result r = sh::gather(target.shape, idx.shape, *axis);
    if (!r.ok())
      return fail(l, r.error);
    if (upd.elem != target.elem || !sh::compatible(r.shape, upd.shape))
      return fail(e.args[2]->loc, "updates must be " + target.elem +
                                      sh::str(r.shape) + ", got " +
                                      upd.typeString());
    int64_t norm = *sh::normalizeAxis(*axis, target.shape.size());
    return make<ScatterAddOp>(l, target.elem, target.shape, target.value,
                              idx.value, upd.value, norm);
  }
  if (n == "one_hot") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV idx = intTensor(*e.args[0]);
    auto depth = constInt(*e.args[1]);
    if (!depth || *depth < 1)
      return fail(e.args[1]->loc, "one_hot depth must be a positive integer");
    if (!idx.valid())
      return idx;
    sh::Result r = sh::oneHot(idx.shape, *depth);
    return make<OneHotOp>(l, "f32", r.shape, idx.value, *depth);
  }
  if (n == "where") {
    if (!checkArgs(e, 3, 3, {}, a))
      return TV{};
    TV c = emitExpr(*e.args[0]);
    TV x = emitExpr(*e.args[1]), y = emitExpr(*e.args[2]);
    if (!c.valid() || !x.valid() || !y.valid())
      return TV{};
    if (c.elem != "bool")
      return fail(e.args[0]->loc, "where's condition must be a bool tensor "
                                  "(a comparison), got " + c.typeString());
    if (!unifyElems(x, y, l, "'where'"))
      return TV{};
    sh::Result xy = sh::broadcast(x.shape, y.shape);
    sh::Result r = xy.ok() ? sh::broadcast(c.shape, xy.shape) : xy;
    if (!r.ok())
      return fail(l, r.error);
    return make<SelectOp>(l, x.elem, r.shape, c.value, x.value, y.value);
  }
  if (n == "dim") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV x = emitExpr(*e.args[0]);
    auto axis = constInt(*e.args[1]);
    if (!x.valid())
      return x;
    if (!axis || !sh::normalizeAxis(*axis, x.shape.size()))
      return fail(e.args[1]->loc, "dim needs a constant axis in range for " +
                                      x.typeString());
    return make<DimOp>(l, "i64", {}, x.value,
                       *sh::normalizeAxis(*axis, x.shape.size()));
  }

  // Creation.
  if (n == "zeros" || n == "ones" || n == "full") {
    bool full = n == "full";
    if (!checkArgs(e, full ? 2 : 1, full ? 2 : 1, {"dtype"}, a))
      return TV{};
    sh::Shape shape;
    if (!shapeArg(*e.args[0], shape, false))
      return TV{};
    double value = n == "ones" ? 1.0 : 0.0;
    if (full) {
      auto v = constNumber(*e.args[1]);
      if (!v)
        return fail(e.args[1]->loc, "full needs a constant value");
      value = *v;
    }
    std::string elem = "f32";
    if (a.kw.count("dtype")) {
      const Expr *d = a.kw["dtype"];
      if (d->kind != Expr::Name || !isElemName(d->name))
        return fail(d->loc, "dtype must be f32, f64, i32, i64 or bool");
      elem = d->name;
    }
    if (full && (elem == "i32" || elem == "i64")) {
      // The value is stored as f64 and cast per element: check it fits.
      TV lit;
      lit.literal = true;
      lit.number = value;
      lit.litLoc = e.args[1]->loc;
      if (auto i = constInt(*e.args[1])) {
        lit.isInt = true;
        lit.intValue = *i;
      }
      unsigned before = file_.errorCount();
      integerLiteral(lit, elem);
      if (file_.errorCount() != before)
        return TV{};
    }
    return make<FillOp>(l, elem, shape, b_.getF64FloatAttr(value),
                        dynamicDims(shape, l));
  }
  if (n == "uniform" || n == "normal" || n == "bernoulli") {
    const char *p1 = n == "uniform" ? "low" : n == "normal" ? "mean" : "p";
    const char *p2 = n == "uniform" ? "high" : "std";
    if (!checkArgs(e, 1, 1, {p1, p2, "seed", "counter"}, a))
      return TV{};
    sh::Shape shape;
    if (!shapeArg(*e.args[0], shape, false))
      return TV{};
    auto v1 = numOpt(a, p1, n == "bernoulli" ? 0.5 : 0.0);
    auto v2 = numOpt(a, p2, 1.0);
    // Each draw site gets its own stream unless a seed is given.
    auto seed = intOpt(a, "seed", -1, 1000 + randomSites_++);
    if (!v1 || !v2 || !seed)
      return TV{};
    if (n == "bernoulli" && (*v1 < 0 || *v1 > 1))
      return fail(a.kw[p1]->loc, "p must be in [0, 1]");
    if (n == "uniform" && *v1 > *v2)
      return fail(l, "low must not exceed high");
    if (n == "normal" && *v2 < 0)
      return fail(a.kw[p2]->loc, "std must be >= 0");
    TV counter;
    if (a.kw.count("counter")) {
      counter = intTensor(*a.kw["counter"]);
      if (!counter.valid())
        return counter;
      if (!counter.shape.empty())
        return fail(a.kw["counter"]->loc, "counter must be an integer scalar");
      counter = castTo(counter, "i64", l);
    } else {
      TV zero;
      zero.literal = true;
      zero.isInt = true;
      counter = materialize(zero, "i64");
    }
    auto dims = dynamicDims(shape, l);
    auto seedAttr = b_.getI64IntegerAttr(*seed);
    if (n == "uniform")
      return make<RandomUniformOp>(l, "f32", shape, seedAttr, counter.value, dims,
                                   b_.getF64FloatAttr(*v1), b_.getF64FloatAttr(*v2));
    if (n == "normal")
      return make<RandomNormalOp>(l, "f32", shape, seedAttr, counter.value, dims,
                                  b_.getF64FloatAttr(*v1), b_.getF64FloatAttr(*v2));
    return make<RandomBernoulliOp>(l, "f32", shape, seedAttr, counter.value, dims,
                                   b_.getF64FloatAttr(*v1));
  }

  // Losses and metrics, written in primitive ops.
  auto lit = [](double v) {
    TV t;
    t.literal = true;
    t.number = v;
    return t;
  };
  // -mean over rows of logp[..., t]: the label's log-probability picked by
  // a select, not a one-hot product (0 * -inf elsewhere in a row is NaN).
  // one_hot checks the labels are in [0, C).
  auto negMeanLabelLogProb = [&](TV logp, TV t) -> TV {
    int64_t last = logp.shape.size() - 1;
    sh::Shape rows(logp.shape.begin(), logp.shape.end() - 1);
    TV oh = make<OneHotOp>(l, logp.elem, logp.shape, t.value,
                           logp.shape.back().value);
    TV zero = materialize(lit(0), logp.elem);
    TV hit = make<CmpOp>(l, "bool", logp.shape, CmpPredicate::gt, oh.value,
                         zero.value);
    TV picked = make<SelectOp>(l, logp.elem, logp.shape, hit.value,
                               logp.value, zero.value);
    TV perRow = make<SumOp>(l, logp.elem, rows, picked.value,
                            b_.getDenseI64ArrayAttr({last}),
                            b_.getBoolAttr(false));
    std::vector<int64_t> all;
    TV mean = make<MeanOp>(l, logp.elem, {}, perRow.value,
                           b_.getDenseI64ArrayAttr(all), b_.getBoolAttr(false));
    return make<NegOp>(l, logp.elem, {}, mean.value);
  };
  if (n == "cross_entropy" || n == "accuracy") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV z = floatArg(*e.args[0], n);
    TV t = intTensor(*e.args[1]);
    if (!z.valid() || !t.valid())
      return TV{};
    if (z.shape.size() != t.shape.size() + 1 ||
        !sh::compatible(t.shape, sh::Shape(z.shape.begin(), z.shape.end() - 1)) ||
        !z.shape.back().isKnown())
      return fail(l, "'" + n + "' takes logits [..., C] with a static class "
                     "count C and integer labels [...], got " +
                         z.typeString() + " and " + t.typeString());
    sh::Shape rows(z.shape.begin(), z.shape.end() - 1);
    int64_t last = z.shape.size() - 1;
    if (n == "accuracy") {
      TV pred = make<ArgmaxOp>(l, "i32", rows, z.value, last, false);
      pred = castTo(pred, t.elem, l);
      TV hit = make<CmpOp>(l, "bool", rows, CmpPredicate::eq, pred.value, t.value);
      hit = castTo(hit, z.elem, l);
      std::vector<int64_t> none;
      return make<MeanOp>(l, z.elem, {}, hit.value, b_.getDenseI64ArrayAttr(none),
                          b_.getBoolAttr(false));
    }
    TV logp = make<LogSoftmaxOp>(l, z.elem, z.shape, z.value, last);
    return negMeanLabelLogProb(logp, t);
  }
  if (n == "mse") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV y = floatArg(*e.args[0], n), t = floatArg(*e.args[1], n);
    if (!y.valid() || !t.valid())
      return TV{};
    TV d = binary(Tok::Minus, l, y, t);
    if (!d.valid())
      return d;
    TV sq = make<MulOp>(l, d.elem, d.shape, d.value, d.value);
    std::vector<int64_t> all;
    return make<MeanOp>(l, d.elem, {}, sq.value, b_.getDenseI64ArrayAttr(all),
                        b_.getBoolAttr(false));
  }
  // Reductions to a scalar over all elements.
  auto meanAll = [&](TV x) {
    std::vector<int64_t> all;
    return make<MeanOp>(l, x.elem, {}, x.value, b_.getDenseI64ArrayAttr(all),
                        b_.getBoolAttr(false));
  };
  auto sumAll = [&](TV x) {
    std::vector<int64_t> all;
    return make<SumOp>(l, x.elem, {}, x.value, b_.getDenseI64ArrayAttr(all),
                       b_.getBoolAttr(false));
  };
  if (n == "bce" || n == "bce_with_logits") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV y = floatArg(*e.args[0], n), t = floatArg(*e.args[1], n);
    if (!y.valid() || !t.valid())
      return TV{};
    if (!sh::broadcast(y.shape, t.shape).ok())
      return fail(l, sh::broadcast(y.shape, t.shape).error);
    if (n == "bce") {
      // -(t log y + (1 - t) log(1 - y)), averaged, each log clamped at
      // -100 as PyTorch does, so a probability of exactly 0 or 1 gives a
      // finite loss. The log only ever sees positive arguments (the others
      // are replaced by 1 and their result by -100), so the gradient is
      // finite too: the clamped term's derivative, 0 where it is clamped.
      auto clampedLog = [&](TV z) {
        TV zero = materialize(lit(0), z.elem), one = materialize(lit(1), z.elem);
        TV floor = materialize(lit(-100), z.elem);
        TV pos = make<CmpOp>(l, "bool", z.shape, CmpPredicate::gt, z.value,
                             zero.value);
        TV safe = make<SelectOp>(l, z.elem, z.shape, pos.value, z.value,
                                 one.value);
        TV lg = make<LogOp>(l, z.elem, z.shape, safe.value);
        TV clamped = make<MaxOp>(l, z.elem, z.shape, lg.value, floor.value);
        return make<SelectOp>(l, z.elem, z.shape, pos.value, clamped.value,
                              floor.value);
      };
      TV logY = clampedLog(y);
      TV oneMinusY = binary(Tok::Minus, l, lit(1), y);
      TV log1mY = clampedLog(oneMinusY);
      TV oneMinusT = binary(Tok::Minus, l, lit(1), t);
      TV sum = binary(Tok::Plus, l, binary(Tok::Star, l, t, logY),
                      binary(Tok::Star, l, oneMinusT, log1mY));
      TV m = meanAll(sum);
      return make<NegOp>(l, m.elem, {}, m.value);
    }
    // softplus(z) - t z: the same loss on logits, without log(0).
    TV sp = make<SoftplusOp>(l, y.elem, y.shape, y.value);
    return meanAll(binary(Tok::Minus, l, sp, binary(Tok::Star, l, t, y)));
  }
  if (n == "nll") {
    if (!checkArgs(e, 2, 2, {}, a))
      return TV{};
    TV logp = floatArg(*e.args[0], n);
    TV t = intTensor(*e.args[1]);
    if (!logp.valid() || !t.valid())
      return TV{};
    if (logp.shape.size() != t.shape.size() + 1 || !logp.shape.back().isKnown())
      return fail(l, "nll takes log-probabilities [..., C] with a static C and "
                     "integer labels [...], got " + logp.typeString() + " and " +
                         t.typeString());
    return negMeanLabelLogProb(logp, t);
  }
  if (n == "l1" || n == "l2") {
    if (!checkArgs(e, 1, 1, {}, a))
      return TV{};
    TV w = floatArg(*e.args[0], n);
    if (!w.valid())
      return w;
    if (n == "l1")
      return sumAll(make<AbsOp>(l, w.elem, w.shape, w.value));
    // Half the squared norm, so its gradient is w itself.
    TV sq = make<MulOp>(l, w.elem, w.shape, w.value, w.value);
    return binary(Tok::Star, l, lit(0.5), sumAll(sq));
  }
  return fail(l, "built-in '" + n + "' is not implemented");
}

mlir::OwningOpRef<mlir::ModuleOp> axon::mlirGen(mlir::MLIRContext &context,
                                                SourceFile &file,
                                                const Module &module) {
  return MLIRGen(context, file).run(module);
}

static unsigned frontendStack = 64u << 20;

unsigned axon::frontendStackSize() { return frontendStack; }
void axon::setFrontendStackSize(unsigned bytes) { frontendStack = bytes; }

mlir::OwningOpRef<mlir::ModuleOp> axon::compileSource(mlir::MLIRContext &context,
                                                      SourceFile &file) {
  mlir::OwningOpRef<mlir::ModuleOp> result;
  auto work = [&] {
    Module m = parse(file);
    if (file.errorCount() == 0)
      result = mlirGen(context, file, m);
  }; // the AST is freed on the same stack
  llvm::thread worker(std::optional<unsigned>(frontendStack), work);
  worker.join();
  return result;
}
