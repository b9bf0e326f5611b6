// The built-in functions of the model language: one table entry each
// (name, positional arity, keyword arguments with their defaults, and the
// builder that checks the operands with the shared shape rules and emits
// the ops). Adding an elementwise built-in is one line of the table in
// Builtins.cpp. Private to the frontend.
#ifndef AXON_FRONTEND_BUILTINS_H
#define AXON_FRONTEND_BUILTINS_H

#include "frontend/Translator.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace axon {

/// A keyword argument a built-in accepts, with the value it takes when the
/// call does not give it (an integer, a list of integers, a number, or
/// none: the builder decides).
struct Keyword {
  using Ints = std::vector<int64_t>;
  enum class Kind { None, Int, Ints, Number };

  Keyword(const char *name) : name(name) {}
  Keyword(const char *name, int v) : name(name), kind(Kind::Int), integer(v) {}
  Keyword(const char *name, double v)
      : name(name), kind(Kind::Number), number(v) {}
  Keyword(const char *name, Ints v)
      : name(name), kind(Kind::Ints), integers(std::move(v)) {}

  const char *name;
  Kind kind = Kind::None;
  int64_t integer = 0;
  double number = 0;
  Ints integers;
};

class BuiltinCall;

/// One built-in function. Several entries may share a name (overloads by
/// positional count): a call takes the first whose arity admits it, or
/// the last, which then reports the arity error.
struct Builtin {
  const char *name;
  unsigned minArgs, maxArgs; ///< Positional arguments.
  std::vector<Keyword> keywords;
  TV (*build)(BuiltinCall &call);
  /// What follows "'NAME' " when the positional count does not fit, if not
  /// "takes N positional arguments, got M".
  const char *arityMessage = nullptr;
};

/// The arguments of one call of a built-in, checked against its entry:
/// positional operands and keyword options (with the entry's defaults).
class BuiltinCall {
public:
  BuiltinCall(Translator &t, const ast::Expr &call, const Builtin &entry)
      : t(t), expr(call), entry(entry) {}

  /// Checks the positional count and the keyword names; reports and
  /// returns false when they do not fit the entry.
  bool check();

  const std::string &name() const { return expr.name; }
  llvm::SMLoc loc() const { return expr.loc; }
  size_t size() const { return expr.args.size(); }
  /// Positional argument `i`.
  const ast::Expr &arg(size_t i) const { return *expr.args[i]; }
  /// The expression given for keyword `name`, or null.
  const ast::Expr *keyword(llvm::StringRef name) const;

  /// An integer option (the entry's default when not given).
  std::optional<int64_t> integer(const char *name);
  /// A number option (the entry's default when not given).
  std::optional<double> number(const char *name);
  /// An option that is one integer or a list of them; a single integer is
  /// repeated `count` times (stride = 2 means [2, 2]); the entry's default
  /// when not given.
  std::optional<std::vector<int64_t>> integers(const char *name, size_t count);
  /// `e` read as option `name`: one integer or a list of `count` (any
  /// number when 0).
  std::optional<std::vector<int64_t>> integers(const ast::Expr &e,
                                               const char *name, size_t count);

  Translator &t;
  const ast::Expr &expr;
  const Builtin &entry;

private:
  const Keyword &spec(llvm::StringRef name) const;
  std::map<std::string, const ast::Expr *> given_;
};

/// Whether `name` is a built-in function.
bool isBuiltin(llvm::StringRef name);

/// Emits call `e` of a built-in: finds its entry, checks the arguments
/// against it and runs its builder.
TV emitBuiltin(Translator &t, const ast::Expr &e);

} // namespace axon

#endif // AXON_FRONTEND_BUILTINS_H
