// MLIRGen: the translator's walk over a model file (see Translator.h):
// declarations, functions, statements, expressions and calls. Built-in
// functions are in Builtins.cpp, train blocks in TrainBlock.cpp.
#include "frontend/MLIRGen.h"
#include "frontend/Builtins.h"
#include "frontend/Parser.h"
#include "frontend/Translator.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/thread.h"

#include <cmath>

using namespace axon;
using namespace axon::ast;
namespace sh = axon::shape;
using mlir::Value;

bool axon::isElemName(llvm::StringRef s) {
  return s == "f32" || s == "f64" || s == "i32" || s == "i64" || s == "bool";
}

mlir::OwningOpRef<mlir::ModuleOp> Translator::run(const Module &m) {
  module_ = mlir::ModuleOp::create(
      loc(llvm::SMLoc::getFromPointer(file_.text().data())));
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
  markHelpers(m);
  eraseUnusedImports(m);
  if (mlir::failed(mlir::verify(*module_))) {
    // A verifier failure here is a frontend bug: the checks above should
    // have caught it. Report it against the file rather than crash.
    file_.emitError(llvm::SMLoc::getFromPointer(file_.text().data()))
        << "internal error: generated IR failed verification";
    return nullptr;
  }
  return std::move(module_);
}

// -------------------------------------------------------------------------
// Locations, errors, types.

mlir::Location Translator::loc(llvm::SMLoc l) { return file_.location(l); }

TV Translator::fail(llvm::SMLoc l, const llvm::Twine &msg) {
  file_.emitError(l) << msg;
  return TV{};
}

mlir::Type Translator::elemType(llvm::StringRef elem) {
  return llvm::StringSwitch<mlir::Type>(elem)
      .Case("f32", b_.getF32Type())
      .Case("f64", b_.getF64Type())
      .Case("i32", b_.getI32Type())
      .Case("i64", b_.getI64Type())
      .Case("bool", b_.getI1Type())
      .Default(mlir::Type());
}

std::string Translator::elemName(mlir::Type elem) {
  if (elem.isInteger(1))
    return "bool";
  std::string name;
  llvm::raw_string_ostream(name) << elem;
  return name;
}

mlir::RankedTensorType Translator::tensorType(llvm::StringRef elem,
                                              const sh::Shape &s) {
  return tensorTypeOf(s, elemType(elem));
}

bool Translator::resolveType(const Type &t, std::string &elem, sh::Shape &shape,
                             const std::set<std::string> *bound,
                             const char *what) {
  if (!isElemName(t.elem)) {
    file_.emitError(t.loc) << "unknown element type '" + t.elem +
                                  "' (expected f32, f64, i32, i64 or bool)";
    return false;
  }
  elem = t.elem;
  shape.clear();
  for (const ast::Dim &d : t.dims) {
    if (d.symbol.empty()) {
      if (d.value < 1) {
        file_.emitError(d.loc) << "dimension must be a positive integer";
        return false;
      }
      shape.push_back(sh::Dim::of(d.value));
      if (!knownElements(shape)) {
        std::string dims;
        for (const ast::Dim &x : t.dims)
          dims += (dims.empty() ? "" : ", ") +
                  (x.symbol.empty() ? std::to_string(x.value) : x.symbol);
        file_.emitError(d.loc) << "the " + std::string(what) + " type " +
                                      t.elem + "[" + dims +
                                      "] has too many elements "
                                      "(more than 2^63 - 1)";
        return false;
      }
      continue;
    }
    if (bound && !bound->count(d.symbol)) {
      file_.emitError(d.loc) << "dimension '" + d.symbol + "' of the " + what +
                                    " is not bound by any argument";
      return false;
    }
    shape.push_back(sh::Dim::sym(d.symbol));
  }
  return true;
}

// -------------------------------------------------------------------------
// Module-level declarations.

void Translator::declareParam(const Param &p) {
  if (params_.count(p.name) || sigs_.count(p.name)) {
    file_.emitError(p.loc) << "'" + p.name + "' is already defined";
    return;
  }
  std::string elem;
  sh::Shape shape;
  if (!resolveType(p.type, elem, shape, nullptr, "parameter"))
    return;
  for (size_t i = 0; i < shape.size(); ++i)
    if (!shape[i].isKnown()) {
      file_.emitError(p.type.dims[i].loc)
          << "parameter shapes must be static; '" + shape[i].str() +
                 "' is symbolic";
      return;
    }
  if (elem != "f32" && elem != "f64") {
    file_.emitError(p.type.loc) << "parameters must be f32 or f64, not " + elem;
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

bool Translator::resolveInit(const Param &p, InitKind &kind, double &a,
                             double &bval) {
  if (!p.init)
    return true;
  const Expr &e = *p.init;
  if (auto n = constNumber(e)) {
    kind = InitKind::constant;
    a = *n;
    return true;
  }
  if (e.kind != Expr::Name && e.kind != Expr::Call) {
    file_.emitError(e.loc) << "expected an initialiser such as zeros, "
                              "glorot_uniform or normal(std = 0.01)";
    return false;
  }
  auto k = symbolizeInitKind(e.name);
  if (!k) {
    file_.emitError(e.loc) << "unknown initialiser '" + e.name +
                                  "' (expected zeros, ones, constant, uniform, "
                                  "normal, glorot_uniform, glorot_normal, "
                                  "he_uniform or he_normal)";
    return false;
  }
  kind = *k;
  // Defaults, then the call's arguments by position or name.
  std::vector<std::string> names;
  switch (kind) {
  case InitKind::constant:
    names = {"value"};
    break;
  case InitKind::uniform:
    names = {"low", "high"};
    a = -0.05;
    bval = 0.05;
    break;
  case InitKind::normal:
    names = {"mean", "std"};
    a = 0;
    bval = 0.01;
    break;
  default:
    break;
  }
  if (e.kind == Expr::Name) {
    if (kind == InitKind::constant) {
      file_.emitError(e.loc) << "constant needs a value: constant(0.1)";
      return false;
    }
    return true;
  }
  double *slots[2] = {&a, &bval};
  if (e.args.size() > names.size()) {
    file_.emitError(e.loc) << "initialiser '" + e.name + "' takes at most " +
                                  std::to_string(names.size()) + " arguments";
    return false;
  }
  for (size_t i = 0; i < e.args.size(); ++i) {
    auto v = constNumber(*e.args[i]);
    if (!v) {
      file_.emitError(e.args[i]->loc)
          << "initialiser arguments must be numbers";
      return false;
    }
    *slots[i] = *v;
  }
  for (const KeywordArg &kw : e.kwargs) {
    auto it = std::find(names.begin(), names.end(), kw.name);
    if (it == names.end()) {
      file_.emitError(kw.loc)
          << "initialiser '" + e.name + "' has no argument '" + kw.name + "'";
      return false;
    }
    auto v = constNumber(*kw.value);
    if (!v) {
      file_.emitError(kw.value->loc) << "initialiser arguments must be numbers";
      return false;
    }
    *slots[it - names.begin()] = *v;
  }
  if (kind == InitKind::constant && e.args.empty() && e.kwargs.empty()) {
    file_.emitError(e.loc) << "constant needs a value: constant(0.1)";
    return false;
  }
  return true;
}

void Translator::declareFunction(const Function &f) {
  if (sigs_.count(f.name) || params_.count(f.name)) {
    file_.emitError(f.loc) << "'" + f.name + "' is already defined";
    return;
  }
  if (isReservedName(f.name)) {
    file_.emitError(f.loc) << "'" + f.name + "' is a built-in function";
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
      file_.emitError(a.loc) << "duplicate argument '" + a.name + "'";
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

// -------------------------------------------------------------------------
// Functions and statements.

void Translator::emitFunction(const Function &f) {
  FnSig &sig = sigs_[f.name];
  currentFn_ = f.name;
  // A module's function sees its arguments, not the model's parameters:
  // the model's `param g` neither shadows nor collides with a layer's `g`.
  std::map<std::string, TV> modelParams;
  if (f.imported)
    std::swap(params_, modelParams);
  auto restoreParams = llvm::make_scope_exit([&] {
    if (f.imported)
      std::swap(params_, modelParams);
  });
  auto func = b_.create<mlir::func::FuncOp>(loc(f.loc), f.name, sig.type);
  // Argument names let drivers bind inputs by name (`--input x=...`).
  llvm::SmallVector<mlir::Attribute> names;
  for (const Arg &a : f.args)
    names.push_back(b_.getStringAttr(a.name));
  func->setAttr("axon.arg_names", b_.getArrayAttr(names));
  // A module's function is inlined where the model calls it, not an entry
  // point of its own (a built binary does not export `nn.linear`).
  if (f.imported)
    func.setPrivate();
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
      file_.emitError(f.end)
          << "function '" + f.name + "' must end with a 'return' statement";
    // Keep the IR well-formed for the rest of the walk.
    b_.create<mlir::func::ReturnOp>(loc(f.end));
  }
  if (file_.errorCount() > 0)
    return; // the body may be half-built; the module is dropped anyway
}

bool Translator::emitBlock(const std::vector<StmtPtr> &body, FnSig *sig) {
  for (size_t i = 0; i < body.size(); ++i) {
    const Stmt &s = *body[i];
    switch (s.kind) {
    case Stmt::Let: {
      if (!s.targets.empty()) {
        emitDestructuring(s);
        break;
      }
      if (scope_.count(s.name) || params_.count(s.name)) {
        file_.emitError(s.loc) << "'" + s.name + "' is already defined";
        break;
      }
      TV v = materialize(emitExpr(*s.values[0]), "f32");
      if (v.valid() && s.type)
        v = checkAnnotation(v, *s.type, s.values[0]->loc);
      scope_[s.name] = v;
      break;
    }
    case Stmt::Assign: {
      if (!s.targets.empty()) {
        emitDestructuring(s);
        break;
      }
      auto it = scope_.find(s.name);
      if (it == scope_.end()) {
        diagnoseBadAssignment(s.loc, s.name);
        break;
      }
      TV old = it->second;
      TV v = emitExpr(*s.values[0]);
      if (!v.valid() || !old.valid()) {
        it->second = TV{};
        break;
      }
      it->second = coerceTo(v, old, s.values[0]->loc, "'" + s.name + "'");
      break;
    }
    case Stmt::Update:
      emitUpdate(s, sig == nullptr);
      break;
    case Stmt::Return: {
      if (i + 1 != body.size())
        file_.emitError(body[i + 1]->loc) << "statement after 'return'";
      if (!sig) {
        file_.emitError(s.loc) << "'return' is not allowed inside a loop";
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

void Translator::emitUpdate(const Stmt &s, bool inLoop) {
  auto p = params_.find(s.name);
  if (p == params_.end() || p->second.elem.empty()) {
    file_.emitError(s.loc) << "'<-' updates a parameter, and '" + s.name +
                                  "' is not one";
    return;
  }
  if (inLoop) {
    file_.emitError(s.loc) << "parameter updates must be at the top level of a "
                              "function, not inside a loop";
    return;
  }
  if (!updated_.insert(s.name).second) {
    file_.emitError(s.loc) << "parameter '" + s.name +
                                  "' is updated twice in this function";
    return;
  }
  TV v = emitExpr(*s.values[0]);
  if (!v.valid())
    return;
  v = coerceTo(v, p->second, s.values[0]->loc, "parameter '" + s.name + "'");
  if (v.valid())
    b_.create<ParamStoreOp>(loc(s.loc), s.name, v.value);
}

/// "a, b" (n = 2), "a, b, c", ...: names for a message about n values.
static std::string tupleNames(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += (i ? ", " : "") + std::string(1, char('a' + std::min<size_t>(i, 25)));
  return out;
}

void Translator::diagnoseBadAssignment(llvm::SMLoc l, const std::string &name) {
  if (params_.count(name))
    file_.emitError(l) << "cannot assign to parameter '" + name +
                              "' inside a function";
  else
    file_.emitError(l) << "assignment to undefined name '" + name +
                              "' (declare it with 'let' first)";
}

void Translator::emitDestructuring(const Stmt &s) {
  const Expr &rhs = *s.values[0];
  bool let = s.kind == Stmt::Let;
  size_t n = s.targets.size();
  // On any error the names still exist (invalid), so that their uses do
  // not report again.
  auto poison = [&] {
    for (const TupleTarget &t : s.targets)
      if (!t.discards() &&
          (!let || (!scope_.count(t.name) && !params_.count(t.name))))
        scope_[t.name] = TV{};
  };
  std::set<std::string> seen;
  for (const TupleTarget &t : s.targets) {
    if (t.discards())
      continue; // `_`, as often as wanted: no name, nothing to check
    if (!seen.insert(t.name).second) {
      file_.emitError(t.loc) << "'" + t.name + "' is named twice";
      return poison();
    }
    if (let && (scope_.count(t.name) || params_.count(t.name))) {
      file_.emitError(t.loc) << "'" + t.name + "' is already defined";
      return poison();
    }
    if (!let && !scope_.count(t.name)) {
      diagnoseBadAssignment(t.loc, t.name);
      return poison();
    }
  }
  std::string names = std::to_string(n) + " names (" + s.targets[0].name;
  for (size_t i = 1; i < n; ++i)
    names += ", " + s.targets[i].name;
  names += ")";
  // Every value is computed before any name changes: (h, c) = (c, h) swaps.
  std::vector<TV> values;
  if (rhs.kind == Expr::Tuple) {
    if (rhs.args.size() != n) {
      file_.emitError(rhs.loc) << names + " but the tuple has " +
                                      std::to_string(rhs.args.size()) + " values";
      return poison();
    }
    for (const auto &item : rhs.args)
      values.push_back(emitExpr(*item));
  } else if (rhs.kind == Expr::Call && sigs_.count(rhs.name)) {
    FnSig &sig = sigs_[rhs.name];
    calls_[currentFn_].push_back({rhs.name, rhs.loc});
    if (!sig.ok)
      return poison();
    if (!rhs.kwargs.empty()) {
      fail(rhs.kwargs[0].loc, "functions take positional arguments only");
      return poison();
    }
    if (sig.resultElems.size() != n) {
      size_t m = sig.resultElems.size();
      file_.emitError(rhs.loc) << names + " but '" + rhs.name + "' returns " +
                                      std::to_string(m) +
                                      (m == 1 ? " value" : " values");
      return poison();
    }
    std::vector<const Expr *> args;
    for (const auto &a : rhs.args)
      args.push_back(a.get());
    values = emitCallResults(rhs.loc, rhs.name, rhs.name, sig, args);
    if (values.empty())
      return poison();
  } else {
    TV one = emitExpr(rhs);
    if (one.valid())
      file_.emitError(rhs.loc)
          << names + " but the value is one tensor (" + one.typeString() +
                 "), not a function's " + std::to_string(n) +
                 " results or a tuple";
    return poison();
  }
  // A discarded value is left unused: a call's result then has no use
  // after inlining and is erased with what only it needed.
  for (size_t i = 0; i < n; ++i) {
    const TupleTarget &t = s.targets[i];
    if (t.discards())
      continue;
    TV v = values[i];
    if (let) {
      scope_[t.name] = materialize(v, "f32");
      continue;
    }
    TV old = scope_[t.name];
    scope_[t.name] = v.valid() && old.valid()
                         ? coerceTo(v, old, t.loc, "'" + t.name + "'")
                         : TV{};
  }
}

void Translator::emitReturn(const Stmt &s, FnSig &sig) {
  if (s.values.size() != sig.resultElems.size()) {
    size_t m = sig.resultElems.size();
    file_.emitError(s.loc) << "function '" + currentFn_ + "' returns " +
                                  std::to_string(m) +
                                  (m == 1 ? " value" : " values") +
                                  " but 'return' gives " +
                                  std::to_string(s.values.size());
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

TV Translator::coerceTo(TV v, const TV &want, llvm::SMLoc l,
                        const std::string &what) {
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

TV Translator::checkAnnotation(TV v, const Type &t, llvm::SMLoc l) {
  std::string elem;
  sh::Shape shape;
  std::set<std::string> bound;
  for (auto &kv : symbolSource_)
    bound.insert(kv.first);
  if (!resolveType(t, elem, shape, &bound, "annotation"))
    return TV{};
  return coerceTo(v, TV{Value(), elem, shape}, l, "the annotated value");
}

void Translator::emitFor(const Stmt &s) {
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
    if (s.name != "_") { // `for _ in ...`: the step number is not read
      if (scope_.count(s.name))
        file_.emitError(s.loc) << "loop variable '" + s.name + "' shadows a name";
      scope_[s.name] = TV{body->getArgument(0), "i64", {}};
    }
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

void Translator::collectAssigned(const std::vector<StmtPtr> &body,
                                 std::vector<std::string> &names) {
  for (const auto &s : body) {
    if (s->kind == Stmt::Assign &&
        std::find(names.begin(), names.end(), s->name) == names.end())
      names.push_back(s->name);
    if (s->kind == Stmt::Assign)
      for (const TupleTarget &t : s->targets)
        if (!t.discards() &&
            std::find(names.begin(), names.end(), t.name) == names.end())
          names.push_back(t.name);
    if (s->kind == Stmt::For)
      collectAssigned(s->body, names);
  }
}

TV Translator::emitIndex(const Expr &e) {
  TV v = emitExpr(e);
  if (!v.valid())
    return v;
  if (v.literal) {
    if (!v.isInt)
      return fail(e.loc, "loop bounds must be integers");
    return materialize(v, "i64");
  }
  if (!v.isInteger() || !v.shape.empty())
    return fail(e.loc,
                "loop bounds must be integer scalars, got " + v.typeString());
  if (v.elem != "i64")
    v = castTo(v, "i64", e.loc);
  return v;
}

// -------------------------------------------------------------------------
// Expressions.

std::optional<double> Translator::constNumber(const Expr &e) {
  if (e.kind == Expr::Number)
    return e.number;
  if (e.kind == Expr::Unary && e.args[0]->kind == Expr::Number)
    return -e.args[0]->number;
  return std::nullopt;
}

std::optional<int64_t> Translator::constInt(const Expr &e) {
  if (e.kind == Expr::Number && e.isInt)
    return e.intValue;
  if (e.kind == Expr::Unary && e.args[0]->kind == Expr::Number &&
      e.args[0]->isInt)
    return -e.args[0]->intValue;
  return std::nullopt;
}

std::optional<int64_t> Translator::knownElements(const sh::Shape &shape) {
  int64_t n = 1;
  for (const sh::Dim &d : shape)
    if (d.isKnown() && __builtin_mul_overflow(n, d.value, &n))
      return std::nullopt;
  return n;
}

bool Translator::checkElements(const sh::Shape &shape, llvm::StringRef elem,
                               llvm::SMLoc l, llvm::StringRef what) {
  if (knownElements(shape))
    return true;
  file_.emitError(l) << what + " " + elem + sh::str(shape) +
                            " has too many elements (more than 2^63 - 1)";
  return false;
}

TV Translator::materialize(TV v, llvm::StringRef elem) {
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
        type,
        llvm::APInt(elem == "i32" ? 32 : 64, integerLiteral(v, elem), true));
  TV out{b_.create<ConstantOp>(b_.getUnknownLoc(), type,
                               mlir::cast<mlir::ElementsAttr>(attr)),
         elem.str(),
         {}};
  return out;
}

int64_t Translator::integerLiteral(const TV &v, llvm::StringRef elem) {
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
  file_.emitError(v.litLoc)
      << "number " + text + " is out of range for " + elem;
  return 0;
}

TV Translator::castTo(TV v, llvm::StringRef elem, llvm::SMLoc l) {
  v = materialize(v, elem);
  if (v.elem == elem)
    return v;
  v.value = b_.create<CastOp>(loc(l), tensorType(elem, v.shape), v.value);
  v.elem = elem.str();
  return v;
}

/// A tensor literal `[[1, 2], [3, 4]]`: nested lists of number constants,
/// rectangular and non-empty, as an axon.constant; i64 when every element is
/// written as an integer, f32 otherwise (convert with f64(...) or i32(...)).
static TV emitTensorLiteral(Translator &t, const Expr &e) {
  sh::Shape shape;
  std::vector<int64_t> dims;
  for (const Expr *n = &e; n->kind == Expr::List; n = n->args[0].get()) {
    if (n->args.empty())
      return t.fail(n->loc, "a tensor literal needs at least one element");
    dims.push_back(static_cast<int64_t>(n->args.size()));
    shape.push_back(sh::Dim::of(dims.back()));
  }
  std::vector<double> values;
  std::vector<int64_t> ints;
  bool allInts = true;
  // Iteratively, depth first, so a deep literal does not recurse.
  std::vector<std::pair<const Expr *, size_t>> stack{{&e, 0}};
  while (!stack.empty()) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    if (depth < dims.size()) {
      if (n->kind != Expr::List || n->args.size() != size_t(dims[depth]))
        return t.fail(n->loc,
                      "tensor literal is not rectangular: expected a list of " +
                          std::to_string(dims[depth]) + " element" +
                          (dims[depth] == 1 ? "" : "s") + " here, as in the first row");
      for (size_t i = n->args.size(); i-- > 0;)
        stack.push_back({n->args[i].get(), depth + 1});
      continue;
    }
    if (n->kind == Expr::List)
      return t.fail(n->loc, "tensor literal is not rectangular: expected a "
                            "number here, as in the first row");
    auto v = Translator::constNumber(*n);
    if (!v)
      return t.fail(n->loc, "tensor literal elements must be number constants");
    auto i = Translator::constInt(*n);
    allInts = allInts && i.has_value();
    values.push_back(*v);
    ints.push_back(i.value_or(0));
  }
  std::string elem = allInts ? "i64" : "f32";
  mlir::RankedTensorType type = t.tensorType(elem, shape);
  mlir::DenseElementsAttr data =
      allInts ? mlir::DenseElementsAttr::get(type, llvm::ArrayRef(ints))
              : mlir::DenseElementsAttr::get(
                    type, llvm::ArrayRef(std::vector<float>(values.begin(),
                                                            values.end())));
  Value v = t.builder().create<ConstantOp>(t.loc(e.loc), type,
                                           mlir::cast<mlir::ElementsAttr>(data));
  return TV{v, elem, shape};
}

TV Translator::emitExpr(const Expr &e) {
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
    return emitTensorLiteral(*this, e);
  case Expr::Tuple:
    return fail(e.loc, "a tuple of " + std::to_string(e.args.size()) +
                           " values is not a tensor: return it from a "
                           "function, or name its values with let (a, b) = ...");
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
    return make<NegOp>(e.loc, x.shape, x.value);
  }
  case Expr::Binary:
    return emitBinary(e);
  case Expr::Call:
    return emitCall(e);
  }
  return TV{};
}

TV Translator::emitName(const Expr &e) {
  auto it = scope_.find(e.name);
  if (it != scope_.end())
    return it->second;
  auto p = params_.find(e.name);
  if (p != params_.end()) {
    TV v = p->second;
    v.value =
        b_.create<ParamRefOp>(loc(e.loc), tensorType(v.elem, v.shape), e.name);
    return v;
  }
  if (symbolSource_.count(e.name)) // a symbolic dimension as a value
    return dimValue(e.name, e.loc);
  if (sigs_.count(e.name) || isReservedName(e.name))
    return fail(e.loc, "'" + e.name + "' is a function; call it with ()");
  return fail(e.loc, "unknown name '" + e.name + "'");
}

TV Translator::dimValue(const std::string &sym, llvm::SMLoc l) {
  auto [arg, axis] = symbolSource_[sym];
  Value d = b_.create<DimOp>(loc(l), arg, axis);
  return TV{d, "i64", {}};
}

bool Translator::unifyElems(TV &a, TV &b, llvm::SMLoc l, const char *what) {
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
    file_.emitError(l) << llvm::Twine("operands of ") + what +
                              " have different element types: " +
                              a.typeString() + " and " + b.typeString() +
                              " (convert one with f32(...) or i32(...))";
    return false;
  }
  return true;
}

TV Translator::emitBinary(const Expr &e) {
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

TV Translator::binary(Tok op, llvm::SMLoc l, TV a, TV b) {
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
    return make<MatmulOp>(l, r.shape, a.value, b.value);
  }
  sh::Result r = sh::broadcast(a.shape, b.shape);
  if (!r.ok())
    return fail(l, r.error);
  auto cmp = [&](CmpPredicate p) {
    return make<CmpOp>(l, r.shape, p, a.value, b.value);
  };
  if (a.elem == "bool" && op != Tok::EqEq && op != Tok::NotEq)
    return fail(l, "arithmetic on bool tensors; convert with f32(...)");
  switch (op) {
  case Tok::Plus:
    return make<AddOp>(l, r.shape, a.value, b.value);
  case Tok::Minus:
    return make<SubOp>(l, r.shape, a.value, b.value);
  case Tok::Star:
    return make<MulOp>(l, r.shape, a.value, b.value);
  case Tok::Slash:
    return make<DivOp>(l, r.shape, a.value, b.value);
  case Tok::Caret:
    return make<PowOp>(l, r.shape, a.value, b.value);
  case Tok::Less:
    return cmp(CmpPredicate::lt);
  case Tok::LessEq:
    return cmp(CmpPredicate::le);
  case Tok::Greater:
    return cmp(CmpPredicate::gt);
  case Tok::GreaterEq:
    return cmp(CmpPredicate::ge);
  case Tok::EqEq:
    return cmp(CmpPredicate::eq);
  case Tok::NotEq:
    return cmp(CmpPredicate::ne);
  default:
    return fail(l, "unsupported operator");
  }
}

// -------------------------------------------------------------------------
// Operands of built-ins.

bool Translator::shapeArg(const Expr &e, sh::Shape &shape, bool allowInfer) {
  if (e.kind != Expr::List) {
    file_.emitError(e.loc) << "expected a shape such as [N, 128]";
    return false;
  }
  for (const auto &item : e.args) {
    if (auto v = constInt(*item)) {
      if (*v < 1 && !(allowInfer && *v == -1)) {
        file_.emitError(item->loc)
            << "dimension must be a positive integer" +
                   std::string(allowInfer ? " or -1" : "");
        return false;
      }
      shape.push_back(*v == -1 ? sh::Dim::unknown() : sh::Dim::of(*v));
    } else if (item->kind == Expr::Name && symbolSource_.count(item->name)) {
      shape.push_back(sh::Dim::sym(item->name));
    } else {
      file_.emitError(item->loc)
          << "a dimension must be an integer or a symbolic "
             "dimension of the function's arguments";
      return false;
    }
  }
  return true;
}

bool Translator::extentArg(const Expr &e, sh::Dim &dim, const std::string &fn) {
  if (auto v = constInt(e)) {
    if (*v < 1) {
      file_.emitError(e.loc) << "'" + fn + "' needs a positive extent, got " +
                                    std::to_string(*v);
      return false;
    }
    dim = sh::Dim::of(*v);
    return true;
  }
  if (e.kind == Expr::Name && !scope_.count(e.name) &&
      symbolSource_.count(e.name)) {
    dim = sh::Dim::sym(e.name);
    return true;
  }
  file_.emitError(e.loc) << "'" + fn +
                                "' needs an integer constant or a symbolic "
                                "dimension of the function's arguments";
  return false;
}

llvm::SmallVector<Value> Translator::dynamicDims(const sh::Shape &shape,
                                                 llvm::SMLoc l) {
  llvm::SmallVector<Value> dims;
  for (const sh::Dim &d : shape)
    if (!d.isKnown())
      dims.push_back(dimValue(d.symbol, l).value);
  return dims;
}

TV Translator::floatArg(const Expr &e, const std::string &fn) {
  TV v = materialize(emitExpr(e), "f32");
  if (v.valid() && !v.isFloat())
    return fail(e.loc, "'" + fn + "' needs a floating-point tensor, got " +
                           v.typeString());
  return v;
}

TV Translator::intTensor(const Expr &e) {
  TV v = emitExpr(e);
  if (v.literal && v.isInt)
    v = materialize(v, "i64");
  if (v.valid() && !v.isInteger())
    return fail(e.loc,
                "indices must be an integer tensor, got " + v.typeString());
  return v;
}

// -------------------------------------------------------------------------
// Calls: user functions, grad and built-ins.

bool Translator::isReservedName(llvm::StringRef name) {
  // grad is a form of the language (it names a function), not a built-in.
  return name == "grad" || isBuiltin(name);
}

TV Translator::emitCall(const Expr &e) {
  if (e.name == "grad")
    return emitGrad(e);
  auto sig = sigs_.find(e.name);
  if (sig != sigs_.end())
    return emitUserCall(e, sig->second);
  if (!isReservedName(e.name)) {
    if (params_.count(e.name) || scope_.count(e.name))
      return fail(e.loc, "'" + e.name + "' is not a function");
    return fail(e.loc, "unknown function '" + e.name + "'" +
                           moduleHint(e.name));
  }
  return emitBuiltin(*this, e);
}

std::string Translator::moduleHint(llvm::StringRef name) const {
  auto [module, fn] = name.split('.');
  if (fn.empty()) {
    // `linear` for `nn.linear`: an imported function of that name.
    for (const auto &kv : sigs_)
      if (llvm::StringRef(kv.first).ends_with(("." + name).str()))
        return " (did you mean '" + kv.first + "'?)";
    return "";
  }
  std::string prefix = (module + ".").str();
  auto next = sigs_.lower_bound(prefix);
  if (next != sigs_.end() && llvm::StringRef(next->first).starts_with(prefix))
    return " (module '" + module.str() + "' has no function '" + fn.str() +
           "')";
  return " (no module '" + module.str() + "' is imported)";
}

TV Translator::emitUserCall(const Expr &e, FnSig &sig) {
  calls_[currentFn_].push_back({e.name, e.loc});
  if (!sig.ok)
    return TV{};
  if (!e.kwargs.empty())
    return fail(e.kwargs[0].loc, "functions take positional arguments only");
  if (sig.resultElems.size() != 1)
    return fail(e.loc, "'" + e.name + "' returns " +
                           std::to_string(sig.resultElems.size()) +
                           " values, not one tensor: name them with let (" +
                           tupleNames(sig.resultElems.size()) + ") = " +
                           e.name + "(...)");
  std::vector<const Expr *> args;
  for (const auto &a : e.args)
    args.push_back(a.get());
  return emitCallTo(e.loc, e.name, e.name, sig, args, 0);
}

TV Translator::emitCallTo(llvm::SMLoc l, const std::string &callee,
                          const std::string &shown, FnSig &sig,
                          const std::vector<const Expr *> &argExprs,
                          unsigned resultIndex) {
  std::vector<TV> results = emitCallResults(l, callee, shown, sig, argExprs);
  return results.empty() ? TV{} : results[resultIndex];
}

std::vector<TV> Translator::emitCallResults(llvm::SMLoc l, const std::string &callee,
                                            const std::string &shown, FnSig &sig,
                                            const std::vector<const Expr *> &argExprs) {
  auto failed = [&](llvm::SMLoc at, const std::string &msg) {
    fail(at, msg);
    return std::vector<TV>{};
  };
  if (argExprs.size() != sig.argElems.size())
    return failed(l, "'" + shown + "' takes " +
                         std::to_string(sig.argElems.size()) +
                         " arguments, got " + std::to_string(argExprs.size()));
  std::map<std::string, sh::Dim> binding;
  llvm::SmallVector<Value> args;
  for (size_t i = 0; i < argExprs.size(); ++i) {
    const Expr &arg = *argExprs[i];
    TV v = materialize(emitExpr(arg), sig.argElems[i]);
    if (!v.valid())
      return {};
    const sh::Shape &want = sig.argShapes[i];
    if (v.elem != sig.argElems[i] || v.shape.size() != want.size())
      return failed(arg.loc, "argument " + std::to_string(i + 1) + " of '" +
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
        return failed(arg.loc, "argument " + std::to_string(i + 1) + " of '" +
                                   shown + "' has shape " + sh::str(v.shape) +
                                   " but dimension " + std::to_string(d) +
                                   " must be " + expect.str() +
                                   (want[d].isSymbol()
                                        ? " (bound to '" + want[d].symbol + "')"
                                        : ""));
    }
    auto type = sig.type.getInput(i);
    if (v.value.getType() != type)
      v.value = b_.create<CastOp>(loc(arg.loc), type, v.value);
    args.push_back(v.value);
  }
  auto call = b_.create<mlir::func::CallOp>(loc(l), callee,
                                            sig.type.getResults(), args);
  std::vector<TV> results;
  for (size_t r = 0; r < sig.resultElems.size(); ++r) {
    sh::Shape result;
    for (const sh::Dim &d : sig.resultShapes[r])
      result.push_back(d.isSymbol() ? binding[d.symbol] : d);
    // Give the caller the most precise type it can have.
    const std::string &elem = sig.resultElems[r];
    auto precise = tensorType(elem, result);
    Value v = call.getResult(r);
    if (precise != v.getType())
      v = b_.create<CastOp>(loc(l), precise, v);
    results.push_back(TV{v, elem, result});
  }
  return results;
}

std::string Translator::declareGradient(const std::string &fn,
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

TV Translator::emitGrad(const Expr &e) {
  if (e.args.empty() || e.args[0]->kind != Expr::Name)
    return fail(e.loc, "grad takes a function name first: "
                       "grad(loss, x, t, wrt = W)");
  const std::string &fn = e.args[0]->name;
  auto it = sigs_.find(fn);
  if (it == sigs_.end() || !it->second.ast)
    return fail(e.args[0]->loc, "unknown function '" + fn + "'" +
                                    moduleHint(fn));
  calls_[currentFn_].push_back({fn, e.args[0]->loc});
  FnSig &src = it->second;
  if (!src.ok)
    return TV{};
  if (src.resultElems.size() != 1 || !src.resultShapes[0].empty() ||
      (src.resultElems[0] != "f32" && src.resultElems[0] != "f64"))
    return fail(e.args[0]->loc, "grad needs a function returning one "
                                "floating-point scalar; '" +
                                    fn + "' does not");
  if (e.kwargs.size() != 1 || e.kwargs[0].name != "wrt" ||
      e.kwargs[0].value->kind != Expr::Name)
    return fail(e.loc, "grad needs 'wrt = NAME' naming a parameter or an "
                       "argument of '" +
                           fn + "'");
  const KeywordArg &kw = e.kwargs[0];
  const std::string &w = kw.value->name;
  bool isArg = false;
  for (const Arg &a : src.ast->args)
    isArg |= a.name == w;
  if (!isArg && !params_.count(w))
    return fail(kw.value->loc, "'" + w +
                                   "' is neither a parameter nor an "
                                   "argument of '" +
                                   fn + "'");
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

void Translator::eraseUnusedImports(const Module &m) {
  // An imported module's functions are all checked, but only those the
  // model reaches are kept: `import "nn"` does not put every layer through
  // the compiler.
  std::set<std::string> imported;
  for (const Function &f : m.functions)
    if (f.imported)
      imported.insert(f.name);
  for (bool erased = true; erased;) {
    erased = false;
    for (auto f : llvm::make_early_inc_range(
             module_->getOps<mlir::func::FuncOp>()))
      if (imported.count(f.getName().str()) &&
          mlir::SymbolTable::symbolKnownUseEmpty(f, *module_)) {
        f.erase();
        erased = true;
      }
  }
}

void Translator::markHelpers(const Module &m) {
  // The entry points are the functions a user calls by name: a built
  // binary compiles each of them on its own (kernels and all). A helper,
  // which another function calls, is inlined into its callers and made
  // private, unless it is declared `export fn` or a train block runs it
  // (its loss and eval_fn).
  std::set<std::string> called, run;
  for (const auto &[caller, callees] : calls_)
    for (const auto &[callee, at] : callees)
      called.insert(callee);
  for (TrainOp t : module_->getOps<TrainOp>()) {
    run.insert(t.getLoss().str());
    if (mlir::FlatSymbolRefAttr metric = t.getConfig().getEvalFn())
      run.insert(metric.getValue().str());
  }
  for (const Function &f : m.functions)
    if (!f.imported && !f.exported && called.count(f.name) &&
        !run.count(f.name))
      if (auto fn = module_->lookupSymbol<mlir::func::FuncOp>(f.name))
        fn.setPrivate();
}

void Translator::checkRecursion() {
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
        file_.emitError(l)
            << "recursive call of '" + callee +
                   "' (recursion is not supported; use a for loop)";
        return;
      }
      if (st == 0) {
        st = 1;
        stack.push_back({&callee});
      }
    }
  }
}

mlir::OwningOpRef<mlir::ModuleOp> axon::mlirGen(mlir::MLIRContext &context,
                                                SourceFile &file,
                                                const Module &module) {
  return Translator(context, file).run(module);
}

static unsigned frontendStack = 64u << 20;

unsigned axon::frontendStackSize() { return frontendStack; }
void axon::setFrontendStackSize(unsigned bytes) { frontendStack = bytes; }

mlir::OwningOpRef<mlir::ModuleOp>
axon::compileSource(mlir::MLIRContext &context, SourceFile &file) {
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
