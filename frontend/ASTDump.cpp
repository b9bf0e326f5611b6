// Printing of the AST for `axonc --emit=ast`.
#include "frontend/AST.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace axon;
using namespace axon::ast;

namespace {

const char *opSpelling(Tok op) {
  switch (op) {
  case Tok::Plus: return "+";
  case Tok::Minus: return "-";
  case Tok::Star: return "*";
  case Tok::Slash: return "/";
  case Tok::At: return "@";
  case Tok::Caret: return "^";
  case Tok::Less: return "<";
  case Tok::LessEq: return "<=";
  case Tok::Greater: return ">";
  case Tok::GreaterEq: return ">=";
  case Tok::EqEq: return "==";
  case Tok::NotEq: return "!=";
  default: return "?";
  }
}

void printType(const Type &t, llvm::raw_ostream &os) {
  os << t.elem;
  if (t.dims.empty())
    return;
  os << "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    os << (i ? ", " : "");
    if (t.dims[i].symbol.empty())
      os << t.dims[i].value;
    else
      os << t.dims[i].symbol;
  }
  os << "]";
}

void printExpr(const Expr &e, llvm::raw_ostream &os) {
  switch (e.kind) {
  case Expr::Number:
    if (e.isInt)
      os << e.intValue;
    else
      os << llvm::format("%g", e.number);
    return;
  case Expr::String:
    os << '"';
    os.write_escaped(e.name);
    os << '"';
    return;
  case Expr::Name:
    os << e.name;
    return;
  case Expr::List:
    os << "[";
    for (size_t i = 0; i < e.args.size(); ++i) {
      os << (i ? " " : "");
      printExpr(*e.args[i], os);
    }
    os << "]";
    return;
  case Expr::Tuple:
    os << "(tuple";
    for (const auto &item : e.args) {
      os << " ";
      printExpr(*item, os);
    }
    os << ")";
    return;
  case Expr::Unary:
    os << "(neg ";
    printExpr(*e.args[0], os);
    os << ")";
    return;
  case Expr::Binary: {
    // The left spine iteratively: a long `a + a + ... + a` is that deep.
    std::vector<const Expr *> spine;
    const Expr *leftmost = &e;
    for (; leftmost->kind == Expr::Binary; leftmost = leftmost->args[0].get()) {
      spine.push_back(leftmost);
      os << "(" << opSpelling(leftmost->op) << " ";
    }
    printExpr(*leftmost, os);
    for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
      os << " ";
      printExpr(*(*it)->args[1], os);
      os << ")";
    }
    return;
  }
  case Expr::Call:
    os << "(call " << e.name;
    for (const auto &a : e.args) {
      os << " ";
      printExpr(*a, os);
    }
    for (const auto &kw : e.kwargs) {
      os << " " << kw.name << "=";
      printExpr(*kw.value, os);
    }
    os << ")";
    return;
  }
}

/// `(h c)`: the names a destructuring binds.
std::string targetList(const Stmt &s) {
  std::string out = "(";
  for (size_t i = 0; i < s.targets.size(); ++i)
    out += (i ? " " : "") + s.targets[i].name;
  return out + ")";
}

void printStmts(const std::vector<StmtPtr> &body, unsigned indent,
                llvm::raw_ostream &os) {
  for (const auto &s : body) {
    os.indent(indent);
    switch (s->kind) {
    case Stmt::Let:
      os << "let " << (s->targets.empty() ? s->name : targetList(*s));
      if (s->type) {
        os << ": ";
        printType(*s->type, os);
      }
      os << " = ";
      printExpr(*s->values[0], os);
      break;
    case Stmt::Assign:
      os << "assign " << (s->targets.empty() ? s->name : targetList(*s))
         << " = ";
      printExpr(*s->values[0], os);
      break;
    case Stmt::Update:
      os << "update " << s->name << " <- ";
      printExpr(*s->values[0], os);
      break;
    case Stmt::Return:
      os << "return";
      for (const auto &v : s->values) {
        os << " ";
        printExpr(*v, os);
      }
      break;
    case Stmt::For:
      os << "for " << s->name << " in ";
      printExpr(*s->values[0], os);
      os << " .. ";
      printExpr(*s->values[1], os);
      os << "\n";
      printStmts(s->body, indent + 2, os);
      continue;
    }
    os << "\n";
  }
}

} // namespace

void ast::dump(const Module &module, llvm::raw_ostream &os) {
  for (const Import &i : module.imports) {
    os << "import \"" << i.path << "\"";
    if (!i.alias.empty())
      os << " as " << i.alias;
    os << "\n";
  }
  for (const Param &p : module.params) {
    os << "param " << p.name << ": ";
    printType(p.type, os);
    if (p.init) {
      os << " = ";
      printExpr(*p.init, os);
    }
    os << "\n";
  }
  for (const Function &f : module.functions) {
    os << (f.imported ? "imported fn " : f.exported ? "export fn " : "fn ")
       << f.name << "(";
    for (size_t i = 0; i < f.args.size(); ++i) {
      os << (i ? ", " : "") << f.args[i].name << ": ";
      printType(f.args[i].type, os);
    }
    os << ") -> (";
    for (size_t i = 0; i < f.results.size(); ++i) {
      os << (i ? ", " : "");
      printType(f.results[i], os);
    }
    os << ")\n";
    printStmts(f.body, 2, os);
  }
  for (const Train &t : module.trains) {
    os << "train " << t.loss << "\n";
    for (const auto &kw : t.settings) {
      os << "  " << kw.name << " = ";
      printExpr(*kw.value, os);
      os << "\n";
    }
  }
}
