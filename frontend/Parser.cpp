// The recursive-descent parser of the model language (see Parser.h).
//
// Grammar (newlines separate nothing; a '(' or '[' that starts a line does
// not continue the previous expression as a call):
//   module  := import* (param | fn | train)*
//   import  := 'import' STRING ('as' NAME)?
//   param   := 'param' NAME ':' type ('=' expr)?
//   fn      := 'fn' NAME '(' (NAME ':' type),* ')' ('->' results)? block
//   results := type | '(' type,* ')'
//   train   := 'train' NAME '{' (NAME '=' expr [,;]?)* '}'
//   block   := '{' stmt* '}'
//   stmt    := 'let' NAME (':' type)? '=' expr | NAME '=' expr
//            | 'let' names '=' expr | names '=' expr  (destructuring)
//            | NAME '<-' expr                   (parameter update rule)
//            | 'return' expr,+ | 'for' NAME 'in' expr '..' expr block
//   names   := '(' NAME (',' NAME)+ ')'   ('_' discards a value; no nesting)
//   (`return (a, b)` is `return a, b`.)
//   expr    := add (cmp add)?          cmp := < <= > >= == !=
//   add     := mul (('+' | '-') mul)*
//   mul     := unary (('*' | '/' | '@') unary)*
//   unary   := '-' unary | power
//   power   := primary ('^' unary)?    (right associative)
//   primary := NUMBER | STRING | NAME | NAME '(' args ')' | '(' expr ')'
//            | '(' expr (',' expr)+ ')'      (a tuple) | '[' expr,* ']'
#include "frontend/Parser.h"
#include "frontend/Imports.h"

#include "llvm/ADT/STLExtras.h"

using namespace axon;
using namespace axon::ast;

namespace {

class Parser {
public:
  Parser(SourceFile &file, std::vector<Token> tokens)
      : file_(file), toks_(std::move(tokens)) {}

  Module run() {
    Module m;
    bool declared = false; // a param, fn or train came before
    while (!at(Tok::Eof) && !file_.stopped()) {
      bool ok = true;
      if (at(Tok::KwImport)) {
        if (declared)
          error("'import' must come before the file's declarations");
        Import i;
        ok = parseImport(i) && !declared;
        if (ok)
          m.imports.push_back(std::move(i));
        if (ok)
          continue;
        syncToItem();
        continue;
      }
      declared = true;
      if (at(Tok::KwParam)) {
        Param p;
        ok = parseParam(p);
        if (ok)
          m.params.push_back(std::move(p));
      } else if (at(Tok::KwFn) || at(Tok::KwExport)) {
        Function f;
        ok = parseFunction(f);
        if (ok)
          m.functions.push_back(std::move(f));
      } else if (at(Tok::KwTrain)) {
        Train t;
        ok = parseTrain(t);
        if (ok)
          m.trains.push_back(std::move(t));
      } else {
        if (!at(Tok::Error))
          error("expected 'import', 'param', 'fn', 'export fn' or 'train' at "
                "top level, found " +
                describe(cur()));
        ok = false;
      }
      if (!ok)
        syncToItem();
    }
    return m;
  }

private:
  const Token &cur() const { return toks_[pos_]; }
  const Token &peekTok(size_t n = 1) const {
    return toks_[std::min(pos_ + n, toks_.size() - 1)];
  }
  bool at(Tok k) const { return cur().kind == k; }
  void advance() {
    if (!at(Tok::Eof))
      ++pos_;
  }
  bool accept(Tok k) {
    if (!at(k))
      return false;
    advance();
    return true;
  }

  static std::string describe(const Token &t) {
    if (t.kind == Tok::Eof)
      return "end of file";
    return "'" + t.text.str() + "'";
  }

  void error(const llvm::Twine &msg) {
    // Lexical errors were reported by the lexer already.
    if (!at(Tok::Error))
      file_.emitError(cur().loc) << msg;
  }

  bool expect(Tok k, llvm::StringRef context) {
    if (accept(k))
      return true;
    error(llvm::Twine("expected ") + tokName(k) + " " + context + ", found " +
          describe(cur()));
    return false;
  }

  bool expectName(std::string &name, llvm::SMLoc &loc, llvm::StringRef what) {
    if (!at(Tok::Ident)) {
      error("expected " + what + ", found " + describe(cur()));
      return false;
    }
    name = cur().text.str();
    loc = cur().loc;
    advance();
    return true;
  }

  bool atItemStart() const {
    return cur().startsLine && (at(Tok::KwParam) || at(Tok::KwFn) ||
                                at(Tok::KwExport) || at(Tok::KwTrain) ||
                                at(Tok::KwImport));
  }

  /// A name being declared: not qualified (`nn.linear` names a function
  /// of an imported module, it cannot be defined here).
  /// `discardable`: `_` may stand for the name (a destructuring's value or
  /// a loop variable that nothing reads); elsewhere `_` names nothing.
  bool expectDeclaredName(std::string &name, llvm::SMLoc &loc,
                          llvm::StringRef what, bool discardable = false) {
    if (at(Tok::Ident) && cur().text.contains('.')) {
      error("cannot declare the qualified name '" + cur().text +
            "' (a name with '.' names a function of an imported module)");
      return false;
    }
    if (at(Tok::Ident) && cur().text == "_" && !discardable) {
      error("'_' cannot be " + what.str() +
            ": it discards a value, in 'let (a, _) = ...' or 'for _ in ...'");
      return false;
    }
    return expectName(name, loc, what);
  }

  bool parseImport(Import &i) {
    i.loc = cur().loc;
    advance(); // 'import'
    if (!at(Tok::String)) {
      error("expected a module after 'import' (\"nn\" or a file such as "
            "\"layers.axon\"), found " + describe(cur()));
      return false;
    }
    i.path = cur().stringValue();
    i.pathLoc = cur().loc;
    advance();
    if (at(Tok::Ident) && cur().text == "as" && !cur().startsLine) {
      advance();
      return expectDeclaredName(i.alias, i.aliasLoc,
                                "a module name after 'as'");
    }
    return true;
  }

  /// Skips to the next top-level keyword that starts a line. A failed item
  /// always consumed its keyword, so stopping on the error token cannot loop.
  void syncToItem() {
    if (!atItemStart())
      advance();
    while (!at(Tok::Eof) && !atItemStart())
      advance();
  }

  bool atStatementStart() const {
    return cur().startsLine &&
           (at(Tok::KwLet) || at(Tok::KwReturn) || at(Tok::KwFor) ||
            atTupleAssignment() ||
            (at(Tok::Ident) && (peekTok().kind == Tok::Assign ||
                                peekTok().kind == Tok::LeftArrow)));
  }

  /// `(h, c) = ...`: a statement that opens with '(', a name and a comma
  /// (a line's `(a)` alone is no statement), or with '((' and a name, the
  /// nested names parseTupleTargets explains are not supported.
  bool atTupleAssignment() const {
    return at(Tok::LParen) &&
           ((peekTok().kind == Tok::Ident && peekTok(2).kind == Tok::Comma) ||
            (peekTok().kind == Tok::LParen && peekTok(2).kind == Tok::Ident));
  }

  /// Skips to the next statement start, or to the closing '}' of the block.
  /// A failed statement always consumed its first token, so stopping on the
  /// token that caused the error cannot loop.
  void syncToStatement() {
    if (!at(Tok::RBrace) && !atStatementStart())
      advance();
    int depth = 0;
    while (!at(Tok::Eof)) {
      if (depth == 0 && (atStatementStart() || at(Tok::RBrace)))
        return;
      if (at(Tok::KwFn) || at(Tok::KwExport) || at(Tok::KwParam) ||
          at(Tok::KwTrain) || at(Tok::KwImport))
        return;
      if (at(Tok::LBrace) || at(Tok::LParen) || at(Tok::LBracket))
        ++depth;
      if (at(Tok::RBrace) || at(Tok::RParen) || at(Tok::RBracket))
        depth = std::max(0, depth - 1);
      advance();
    }
  }

  bool parseType(Type &t) {
    t.loc = cur().loc;
    llvm::SMLoc unused;
    if (!expectName(t.elem, unused, "a type such as f32 or f32[N, 784]"))
      return false;
    if (!accept(Tok::LBracket))
      return true;
    do {
      Dim d;
      d.loc = cur().loc;
      if (at(Tok::Int)) {
        if (cur().intOverflow) {
          error("dimension " + cur().text + " is out of range (the largest "
                "is 9223372036854775807)");
          return false;
        }
        d.value = cur().intValue;
        advance();
      } else if (at(Tok::Ident)) {
        d.symbol = cur().text.str();
        advance();
      } else {
        error("expected a dimension (an integer or a name such as N), found " +
              describe(cur()));
        return false;
      }
      t.dims.push_back(d);
    } while (accept(Tok::Comma));
    return expect(Tok::RBracket, "to close the shape");
  }

  bool parseParam(Param &p) {
    p.loc = cur().loc;
    advance(); // 'param'
    if (!expectDeclaredName(p.name, p.loc, "a parameter name") ||
        !expect(Tok::Colon, "after the parameter name") || !parseType(p.type))
      return false;
    if (accept(Tok::Assign)) {
      p.init = parseExpr();
      return p.init != nullptr;
    }
    return true;
  }

  bool parseFunction(Function &f) {
    // `export fn`: an entry point even where other functions call it.
    if (accept(Tok::KwExport)) {
      f.exported = true;
      if (!at(Tok::KwFn)) {
        error("expected 'fn' after 'export', found " + describe(cur()));
        return false;
      }
    }
    f.loc = cur().loc;
    advance(); // 'fn'
    if (!expectDeclaredName(f.name, f.loc, "a function name") ||
        !expect(Tok::LParen, "to open the argument list"))
      return false;
    if (!at(Tok::RParen)) {
      do {
        Arg a;
        if (!expectDeclaredName(a.name, a.loc, "an argument name") ||
            !expect(Tok::Colon, "after the argument name") ||
            !parseType(a.type))
          return false;
        f.args.push_back(std::move(a));
      } while (accept(Tok::Comma));
    }
    if (!expect(Tok::RParen, "to close the argument list"))
      return false;
    if (accept(Tok::Arrow)) {
      if (accept(Tok::LParen)) {
        do {
          if (at(Tok::LParen)) {
            error("nested tuples are not supported: a function returns a flat "
                  "list of values, as in -> (A, B, C)");
            return false;
          }
          Type t;
          if (!parseType(t))
            return false;
          f.results.push_back(std::move(t));
        } while (accept(Tok::Comma));
        if (!expect(Tok::RParen, "to close the result list"))
          return false;
      } else {
        Type t;
        if (!parseType(t))
          return false;
        f.results.push_back(std::move(t));
      }
    }
    return parseBlock(f.body, &f.end);
  }

  bool parseBlock(std::vector<StmtPtr> &body, llvm::SMLoc *end = nullptr) {
    if (!expect(Tok::LBrace, "to open a block"))
      return false;
    while (!at(Tok::RBrace)) {
      if (file_.stopped())
        return false;
      if (at(Tok::Eof) || at(Tok::KwFn) || at(Tok::KwExport) ||
          at(Tok::KwParam) || at(Tok::KwTrain) || at(Tok::KwImport)) {
        error("expected '}' to close the block, found " + describe(cur()));
        return false;
      }
      unsigned before = file_.errorCount();
      StmtPtr s = parseStatement();
      if (s && file_.errorCount() == before)
        body.push_back(std::move(s));
      else
        syncToStatement();
    }
    if (end)
      *end = cur().loc;
    advance(); // '}'
    return true;
  }

  StmtPtr parseStatement() {
    llvm::SMLoc loc = cur().loc;
    if (accept(Tok::KwLet)) {
      auto s = std::make_unique<Stmt>(Stmt::Let, loc);
      if (at(Tok::LParen)) {
        if (!parseTupleTargets(*s) ||
            !expect(Tok::Assign, "after the names in 'let'"))
          return nullptr;
        return withValue(std::move(s));
      }
      if (!expectDeclaredName(s->name, s->loc, "a name after 'let'"))
        return nullptr;
      if (accept(Tok::Colon)) {
        s->type = std::make_unique<Type>();
        if (!parseType(*s->type))
          return nullptr;
      }
      if (!expect(Tok::Assign, "after the name in 'let'"))
        return nullptr;
      return withValue(std::move(s));
    }
    if (accept(Tok::KwReturn)) {
      auto s = std::make_unique<Stmt>(Stmt::Return, loc);
      do {
        ExprPtr e = parseExpr();
        if (!e)
          return nullptr;
        s->values.push_back(std::move(e));
      } while (accept(Tok::Comma));
      // `return (a, b)` returns two values, as `return a, b` does.
      if (s->values.size() == 1 && s->values[0]->kind == Expr::Tuple) {
        ExprPtr tuple = std::move(s->values[0]);
        s->values = std::move(tuple->args);
      }
      accept(Tok::Semi);
      return s;
    }
    if (at(Tok::KwFor) && loopDepth_ >= kMaxNestingDepth) {
      error("loops nested too deeply (the limit is " +
            llvm::Twine(kMaxNestingDepth) + " levels)");
      advance();
      return nullptr;
    }
    if (accept(Tok::KwFor)) {
      auto s = std::make_unique<Stmt>(Stmt::For, loc);
      llvm::SMLoc nameLoc;
      if (!expectDeclaredName(s->name, nameLoc, "a loop variable after 'for'",
                              /*discardable=*/true) ||
          !expect(Tok::KwIn, "after the loop variable"))
        return nullptr;
      ExprPtr lo = parseExpr();
      if (!lo || !expect(Tok::DotDot, "between the loop bounds"))
        return nullptr;
      ExprPtr hi = parseExpr();
      if (!hi)
        return nullptr;
      s->values.push_back(std::move(lo));
      s->values.push_back(std::move(hi));
      ++loopDepth_;
      bool ok = parseBlock(s->body);
      --loopDepth_;
      if (!ok)
        return nullptr;
      return s;
    }
    if (at(Tok::Ident) && peekTok().kind == Tok::Assign) {
      if (cur().text == "_") {
        error("'_' discards a value only among the names of a destructuring, "
              "as in (a, _) = ...");
        advance();
        return nullptr;
      }
      auto s = std::make_unique<Stmt>(Stmt::Assign, loc);
      s->name = cur().text.str();
      advance();
      advance(); // '='
      return withValue(std::move(s));
    }
    if (atTupleAssignment()) {
      auto s = std::make_unique<Stmt>(Stmt::Assign, loc);
      if (!parseTupleTargets(*s) ||
          !expect(Tok::Assign, "after the names of a destructuring assignment"))
        return nullptr;
      return withValue(std::move(s));
    }
    if (at(Tok::Ident) && peekTok().kind == Tok::LeftArrow) {
      auto s = std::make_unique<Stmt>(Stmt::Update, loc);
      s->name = cur().text.str();
      advance();
      advance(); // '<-'
      return withValue(std::move(s));
    }
    error("expected a statement ('let', 'return', 'for', 'name = ...' or "
          "'param <- ...'), found " + describe(cur()));
    return nullptr;
  }

  /// `(h, c)`: two or more names a destructuring binds or assigns; `_`
  /// discards a value.
  bool parseTupleTargets(Stmt &s) {
    advance(); // '('
    do {
      TupleTarget t;
      if (at(Tok::LParen)) {
        error("nested names are not supported: a destructuring names a flat "
              "list of values, as in (a, b, c) = ...");
        return false;
      }
      if (!expectDeclaredName(t.name, t.loc, "a name in '(...)'",
                              /*discardable=*/true))
        return false;
      s.targets.push_back(std::move(t));
    } while (accept(Tok::Comma));
    if (!expect(Tok::RParen, "to close the names"))
      return false;
    if (s.targets.size() < 2) {
      file_.emitError(s.targets[0].loc)
          << "'(" + s.targets[0].name + ")' names one value: write it without "
             "parentheses";
      return false;
    }
    return true;
  }

  StmtPtr withValue(StmtPtr s) {
    ExprPtr e = parseExpr();
    if (!e)
      return nullptr;
    s->values.push_back(std::move(e));
    accept(Tok::Semi);
    return s;
  }

  bool parseTrain(Train &t) {
    t.loc = cur().loc;
    advance(); // 'train'
    if (!expectName(t.loss, t.lossLoc, "the name of the loss function") ||
        !expect(Tok::LBrace, "to open the train block"))
      return false;
    while (!accept(Tok::RBrace)) {
      KeywordArg kw;
      if (!expectName(kw.name, kw.loc, "a setting name such as 'optimizer'") ||
          !expect(Tok::Assign, "after the setting name"))
        return false;
      kw.value = parseExpr();
      if (!kw.value)
        return false;
      t.settings.push_back(std::move(kw));
      if (!accept(Tok::Comma))
        accept(Tok::Semi);
    }
    return true;
  }

  // Expressions.

  ExprPtr binary(Tok op, llvm::SMLoc loc, ExprPtr lhs, ExprPtr rhs) {
    auto e = std::make_unique<Expr>(Expr::Binary, loc);
    e->op = op;
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(rhs));
    return e;
  }

  ExprPtr parseExpr() {
    ExprPtr lhs = parseAdditive();
    if (!lhs)
      return nullptr;
    switch (cur().kind) {
    case Tok::Less: case Tok::LessEq: case Tok::Greater: case Tok::GreaterEq:
    case Tok::EqEq: case Tok::NotEq: {
      Tok op = cur().kind;
      llvm::SMLoc loc = cur().loc;
      advance();
      ExprPtr rhs = parseAdditive();
      if (!rhs)
        return nullptr;
      return binary(op, loc, std::move(lhs), std::move(rhs));
    }
    default:
      return lhs;
    }
  }

  /// Parses `next (op next)*` left-associatively over the given operators.
  ExprPtr parseLeftAssociative(std::initializer_list<Tok> ops,
                               ExprPtr (Parser::*next)()) {
    ExprPtr lhs = (this->*next)();
    while (lhs && llvm::is_contained(ops, cur().kind)) {
      Tok op = cur().kind;
      llvm::SMLoc loc = cur().loc;
      advance();
      ExprPtr rhs = (this->*next)();
      if (!rhs)
        return nullptr;
      lhs = binary(op, loc, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  ExprPtr parseAdditive() {
    return parseLeftAssociative({Tok::Plus, Tok::Minus},
                                &Parser::parseMultiplicative);
  }

  ExprPtr parseMultiplicative() {
    return parseLeftAssociative({Tok::Star, Tok::Slash, Tok::At},
                                &Parser::parseUnary);
  }

  /// Every nested expression passes here: parentheses, calls and lists
  /// through parsePrimary, unary minus and '^' exponents directly.
  ExprPtr parseUnary() {
    if (depth_ >= kMaxNestingDepth) {
      error("expression nested too deeply (the limit is " +
            llvm::Twine(kMaxNestingDepth) +
            " levels of parentheses, calls, lists, unary '-' and '^')");
      return nullptr;
    }
    ++depth_;
    ExprPtr e = parseUnaryBody();
    --depth_;
    return e;
  }

  ExprPtr parseUnaryBody() {
    if (at(Tok::Minus)) {
      llvm::SMLoc loc = cur().loc;
      advance();
      ExprPtr operand = parseUnary();
      if (!operand)
        return nullptr;
      auto e = std::make_unique<Expr>(Expr::Unary, loc);
      e->op = Tok::Minus;
      e->args.push_back(std::move(operand));
      return e;
    }
    ExprPtr base = parsePrimary();
    if (base && at(Tok::Caret)) {
      llvm::SMLoc loc = cur().loc;
      advance();
      ExprPtr exponent = parseUnary();
      if (!exponent)
        return nullptr;
      return binary(Tok::Caret, loc, std::move(base), std::move(exponent));
    }
    return base;
  }

  ExprPtr parsePrimary() {
    llvm::SMLoc loc = cur().loc;
    switch (cur().kind) {
    case Tok::Int:
    case Tok::Float: {
      if (at(Tok::Int) && cur().intOverflow) {
        error("integer " + cur().text + " is out of range (the largest is "
              "9223372036854775807)");
        return nullptr;
      }
      auto e = std::make_unique<Expr>(Expr::Number, loc);
      e->number = cur().number;
      e->isInt = at(Tok::Int);
      e->intValue = cur().intValue;
      advance();
      return e;
    }
    case Tok::String: {
      auto e = std::make_unique<Expr>(Expr::String, loc);
      e->name = cur().stringValue();
      advance();
      return e;
    }
    case Tok::Ident: {
      std::string name = cur().text.str();
      advance();
      if (at(Tok::LParen) && !cur().startsLine)
        return parseCall(name, loc);
      if (name == "_") {
        file_.emitError(loc) << "'_' discards a value: it cannot be read";
        return nullptr;
      }
      auto e = std::make_unique<Expr>(Expr::Name, loc);
      e->name = name;
      return e;
    }
    case Tok::LParen: {
      advance();
      ExprPtr inner = parseExpr();
      if (!inner)
        return nullptr;
      if (at(Tok::Comma)) {
        auto tuple = std::make_unique<Expr>(Expr::Tuple, loc);
        tuple->args.push_back(std::move(inner));
        while (accept(Tok::Comma)) {
          ExprPtr item = parseExpr();
          if (!item)
            return nullptr;
          tuple->args.push_back(std::move(item));
        }
        for (const ExprPtr &item : tuple->args)
          if (item->kind == Expr::Tuple) {
            file_.emitError(item->loc)
                << "nested tuples are not supported: write the values as one "
                   "flat tuple, as in (a, b, c)";
            return nullptr;
          }
        inner = std::move(tuple);
      }
      if (!expect(Tok::RParen, "to close the parenthesis"))
        return nullptr;
      return inner;
    }
    case Tok::LBracket: {
      advance();
      auto e = std::make_unique<Expr>(Expr::List, loc);
      if (!at(Tok::RBracket)) {
        do {
          ExprPtr item = parseExpr();
          if (!item)
            return nullptr;
          e->args.push_back(std::move(item));
        } while (accept(Tok::Comma));
      }
      if (!expect(Tok::RBracket, "to close the list"))
        return nullptr;
      return e;
    }
    default:
      error("expected an expression, found " + describe(cur()));
      return nullptr;
    }
  }

  ExprPtr parseCall(const std::string &callee, llvm::SMLoc loc) {
    advance(); // '('
    auto e = std::make_unique<Expr>(Expr::Call, loc);
    e->name = callee;
    if (!at(Tok::RParen)) {
      do {
        if (at(Tok::Ident) && peekTok().kind == Tok::Assign) {
          KeywordArg kw;
          kw.loc = cur().loc;
          kw.name = cur().text.str();
          advance();
          advance(); // '='
          kw.value = parseExpr();
          if (!kw.value)
            return nullptr;
          e->kwargs.push_back(std::move(kw));
          continue;
        }
        if (!e->kwargs.empty()) {
          error("positional argument after keyword arguments");
          return nullptr;
        }
        ExprPtr a = parseExpr();
        if (!a)
          return nullptr;
        e->args.push_back(std::move(a));
      } while (accept(Tok::Comma));
    }
    if (!expect(Tok::RParen, "to close the call of '" + callee + "'"))
      return nullptr;
    return e;
  }

  SourceFile &file_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  unsigned depth_ = 0;     ///< Nesting of expressions (kMaxNestingDepth).
  unsigned loopDepth_ = 0; ///< Nesting of `for` loops (kMaxNestingDepth).
};

} // namespace

Module axon::parseText(SourceFile &file, llvm::StringRef text) {
  return Parser(file, lex(file, text)).run();
}

Module axon::parse(SourceFile &file) {
  Module m = parseText(file, file.text());
  if (!file.stopped())
    resolveImports(file, m);
  return m;
}
