// The abstract syntax tree of a model file.
#ifndef AXON_FRONTEND_AST_H
#define AXON_FRONTEND_AST_H

#include "frontend/Lexer.h"

#include <memory>
#include <string>
#include <vector>

namespace axon::ast {

/// One dimension of a type: an extent (`784`) or a symbol (`N`).
struct Dim {
  llvm::SMLoc loc;
  int64_t value = -1;
  std::string symbol;
};

/// `f32[N, 784]`, or `f32` for a scalar.
struct Type {
  llvm::SMLoc loc;
  std::string elem;
  std::vector<Dim> dims;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct KeywordArg {
  llvm::SMLoc loc;
  std::string name;
  ExprPtr value;
};

/// Expressions: one node type with a kind keeps the walkers short.
struct Expr {
  /// Tuple: `(a, b)`, only as what a function returns or a destructuring
  /// assigns (`return (h, c)`, `(h, c) = (c, h)`); not a tensor.
  enum Kind { Number, String, Name, List, Tuple, Unary, Binary, Call } kind;
  llvm::SMLoc loc;
  double number = 0;   ///< Number.
  bool isInt = false;  ///< Number written without '.' or exponent.
  int64_t intValue = 0; ///< Exact value of an isInt Number (0..INT64_MAX).
  std::string name;    ///< Name, callee of Call, value of String.
  Tok op = Tok::Eof;   ///< Unary and Binary operator.
  std::vector<ExprPtr> args;       ///< Operands, list and tuple elements, call arguments.
  std::vector<KeywordArg> kwargs;  ///< Call keyword arguments.

  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
  Expr(const Expr &) = delete;
  Expr &operator=(const Expr &) = delete;
  /// Frees the subtree without recursion: a generated 10,000-term sum is a
  /// 10,000-deep left spine.
  ~Expr() {
    std::vector<ExprPtr> pending;
    auto take = [&](Expr &e) {
      for (ExprPtr &a : e.args)
        if (a)
          pending.push_back(std::move(a));
      for (KeywordArg &kw : e.kwargs)
        if (kw.value)
          pending.push_back(std::move(kw.value));
    };
    take(*this);
    while (!pending.empty()) {
      ExprPtr e = std::move(pending.back());
      pending.pop_back();
      take(*e); // then `e` dies with no children
    }
  }
};

/// How deeply expressions (parentheses, calls, lists, unary minus, '^'
/// exponents) may nest, and separately `for` loops; deeper input is a
/// located error.
/// Chains of binary operators (`a + a + ... + a`) do not count: they are
/// walked iteratively, at any length.
constexpr unsigned kMaxNestingDepth = 256;

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

/// A name a destructuring binds or assigns: `h` in `let (h, c) = ...`, or
/// `_`, which discards its value.
struct TupleTarget {
  llvm::SMLoc loc;
  std::string name;
  bool discards() const { return name == "_"; }
};

struct Stmt {
  enum Kind { Let, Assign, Update, Return, For } kind;
  llvm::SMLoc loc;
  std::string name;              ///< Let / Assign / Update target, For variable.
  /// Let / Assign of several values (`let (h, c) = lstm_cell(...)`,
  /// `(h, c) = ...`): the names, two or more; `name` is empty then.
  std::vector<TupleTarget> targets;
  std::unique_ptr<Type> type;    ///< Optional annotation of Let.
  std::vector<ExprPtr> values;   ///< Let/Assign/Update: 1; Return: 1+; For: lo, hi.
  std::vector<StmtPtr> body;     ///< For.

  Stmt(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct Param {
  llvm::SMLoc loc;
  std::string name;
  Type type;
  ExprPtr init; ///< `zeros`, `normal(std = 0.1)`, a number, or null.
};

struct Arg {
  llvm::SMLoc loc;
  std::string name;
  Type type;
};

struct Function {
  llvm::SMLoc loc;
  std::string name;
  std::vector<Arg> args;
  std::vector<Type> results;
  std::vector<StmtPtr> body;
  llvm::SMLoc end; ///< The closing brace.
  /// Defined in an imported module (its name is qualified, `nn.linear`):
  /// callable from the model, but not an entry point of its own.
  bool imported = false;
  /// `export fn`: an entry point (compiled on its own, callable by name from
  /// a built binary) even when other functions call it.
  bool exported = false;
};

/// `import "nn"` (a module of the standard library) or
/// `import "layers.axon" as l` (a file, relative to the importing one).
struct Import {
  llvm::SMLoc loc;     ///< The 'import' keyword.
  std::string path;    ///< As written.
  llvm::SMLoc pathLoc;
  std::string alias;   ///< `as NAME`, or empty.
  llvm::SMLoc aliasLoc;
};

/// `train loss { key = value ... }`.
struct Train {
  llvm::SMLoc loc;
  std::string loss;
  llvm::SMLoc lossLoc;
  std::vector<KeywordArg> settings;
};

struct Module {
  std::vector<Import> imports;
  std::vector<Param> params;
  std::vector<Function> functions;
  std::vector<Train> trains;
};

/// Prints the tree in an indented, s-expression-like form (`--emit=ast`).
void dump(const Module &module, llvm::raw_ostream &os);

} // namespace axon::ast

#endif // AXON_FRONTEND_AST_H
