// The lexer of the model language (see Lexer.h).
#include "frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"

#include <cctype>
#include <cstdlib>

using namespace axon;

const char *axon::tokName(Tok kind) {
  switch (kind) {
  case Tok::Eof: return "end of file";
  case Tok::Ident: return "a name";
  case Tok::Int: return "an integer";
  case Tok::Float: return "a number";
  case Tok::String: return "a string";
  case Tok::KwParam: return "'param'";
  case Tok::KwFn: return "'fn'";
  case Tok::KwLet: return "'let'";
  case Tok::KwReturn: return "'return'";
  case Tok::KwFor: return "'for'";
  case Tok::KwIn: return "'in'";
  case Tok::KwTrain: return "'train'";
  case Tok::KwImport: return "'import'";
  case Tok::KwExport: return "'export'";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::Comma: return "','";
  case Tok::Colon: return "':'";
  case Tok::Semi: return "';'";
  case Tok::Assign: return "'='";
  case Tok::Arrow: return "'->'";
  case Tok::DotDot: return "'..'";
  case Tok::At: return "'@'";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::Slash: return "'/'";
  case Tok::Caret: return "'^'";
  case Tok::Less: return "'<'";
  case Tok::LessEq: return "'<='";
  case Tok::Greater: return "'>'";
  case Tok::GreaterEq: return "'>='";
  case Tok::EqEq: return "'=='";
  case Tok::NotEq: return "'!='";
  case Tok::LeftArrow: return "'<-'";
  case Tok::Error: return "an invalid token";
  }
  return "a token";
}

namespace {

class Lexer {
public:
  Lexer(SourceFile &file, llvm::StringRef text)
      : file_(file), text_(text), pos_(0) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    bool newLine = true;
    while (true) {
      newLine |= skipSpaceAndComments();
      Token tok = file_.stopped() ? make(Tok::Eof, pos_ = text_.size())
                                  : next();
      tok.startsLine = newLine;
      newLine = false;
      tokens.push_back(tok);
      if (tok.kind == Tok::Eof)
        return tokens;
    }
  }

private:
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  llvm::SMLoc locAt(size_t pos) const {
    return llvm::SMLoc::getFromPointer(text_.data() + pos);
  }

  /// Skips blanks and `#` comments; returns whether a newline was crossed.
  bool skipSpaceAndComments() {
    bool newline = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        newline = true;
        ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n')
          ++pos_;
      } else {
        break;
      }
    }
    return newline;
  }

  Token make(Tok kind, size_t start) {
    Token t;
    t.kind = kind;
    t.text = text_.substr(start, pos_ - start);
    t.loc = locAt(start);
    return t;
  }

  Token next() {
    size_t start = pos_;
    if (pos_ >= text_.size())
      return make(Tok::Eof, start);
    char c = text_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_')
      return identifier(start);
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && std::isdigit(static_cast<unsigned char>(peek(1)))))
      return number(start);
    if (c == '"')
      return string(start);
    ++pos_;
    auto two = [&](char second, Tok yes, Tok no) {
      if (peek() == second) {
        ++pos_;
        return make(yes, start);
      }
      return make(no, start);
    };
    switch (c) {
    case '(': return make(Tok::LParen, start);
    case ')': return make(Tok::RParen, start);
    case '[': return make(Tok::LBracket, start);
    case ']': return make(Tok::RBracket, start);
    case '{': return make(Tok::LBrace, start);
    case '}': return make(Tok::RBrace, start);
    case ',': return make(Tok::Comma, start);
    case ':': return make(Tok::Colon, start);
    case ';': return make(Tok::Semi, start);
    case '@': return make(Tok::At, start);
    case '+': return make(Tok::Plus, start);
    case '*': return make(Tok::Star, start);
    case '/': return make(Tok::Slash, start);
    case '^': return make(Tok::Caret, start);
    case '-': return two('>', Tok::Arrow, Tok::Minus);
    case '=': return two('=', Tok::EqEq, Tok::Assign);
    case '>': return two('=', Tok::GreaterEq, Tok::Greater);
    case '<':
      if (peek() == '-') {
        ++pos_;
        return make(Tok::LeftArrow, start);
      }
      return two('=', Tok::LessEq, Tok::Less);
    case '!':
      if (peek() == '=') {
        ++pos_;
        return make(Tok::NotEq, start);
      }
      break;
    case '.':
      if (peek() == '.') {
        ++pos_;
        return make(Tok::DotDot, start);
      }
      break;
    default:
      break;
    }
    file_.emitError(locAt(start))
        << llvm::Twine("unexpected character '") + llvm::Twine(c) + "'";
    return make(Tok::Error, start);
  }

  Token identifier(size_t start) {
    auto word = [&] {
      while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_')
        ++pos_;
    };
    word();
    // `nn.linear`: a function of an imported module is one qualified name.
    if (peek() == '.' &&
        (std::isalpha(static_cast<unsigned char>(peek(1))) || peek(1) == '_')) {
      ++pos_;
      word();
      return make(Tok::Ident, start);
    }
    llvm::StringRef text = text_.substr(start, pos_ - start);
    Tok kind = llvm::StringSwitch<Tok>(text)
                   .Case("param", Tok::KwParam)
                   .Case("fn", Tok::KwFn)
                   .Case("let", Tok::KwLet)
                   .Case("return", Tok::KwReturn)
                   .Case("for", Tok::KwFor)
                   .Case("in", Tok::KwIn)
                   .Case("train", Tok::KwTrain)
                   .Case("import", Tok::KwImport)
                   .Case("export", Tok::KwExport)
                   .Default(Tok::Ident);
    return make(kind, start);
  }

  Token number(size_t start) {
    bool isFloat = false;
    auto digits = [&] {
      while (std::isdigit(static_cast<unsigned char>(peek())))
        ++pos_;
    };
    digits();
    // A '.' followed by a digit is a fraction; "0..T" is a range.
    if (peek() == '.' && peek(1) != '.') {
      isFloat = true;
      ++pos_;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      isFloat = true;
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) {
        file_.emitError(locAt(start))
            << "malformed number: exponent has no digits";
        return make(Tok::Error, start);
      }
      digits();
    }
    if (std::isalpha(static_cast<unsigned char>(peek())) || peek() == '_') {
      while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_')
        ++pos_;
      file_.emitError(locAt(start))
          << "malformed number '" + text_.substr(start, pos_ - start) + "'";
      return make(Tok::Error, start);
    }
    Token t = make(isFloat ? Tok::Float : Tok::Int, start);
    t.number = std::strtod(t.text.str().c_str(), nullptr);
    if (!isFloat) {
      // Exact, so integers between 2^53 and 2^63 keep every digit.
      uint64_t v = 0;
      t.intOverflow = t.text.getAsInteger(10, v) ||
                      v > static_cast<uint64_t>(INT64_MAX);
      t.intValue = t.intOverflow ? 0 : static_cast<int64_t>(v);
    }
    return t;
  }

  Token string(size_t start) {
    ++pos_; // opening quote
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\n') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
        pos_ += 2;
        continue;
      }
      ++pos_;
    }
    if (peek() != '"') {
      file_.emitError(locAt(start)) << "unterminated string";
      return make(Tok::Error, start);
    }
    ++pos_;
    return make(Tok::String, start);
  }

  SourceFile &file_;
  llvm::StringRef text_;
  size_t pos_;
};

} // namespace

std::vector<Token> axon::lex(SourceFile &file, llvm::StringRef text) {
  return Lexer(file, text).run();
}

std::string Token::stringValue() const {
  std::string value;
  // Between the quotes; the lexer checked the closing one.
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) {
      char e = text[++i];
      value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      continue;
    }
    value += text[i];
  }
  return value;
}
