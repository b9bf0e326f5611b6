// The lexer of the model language: turns a SourceFile into tokens.
#ifndef AXON_FRONTEND_LEXER_H
#define AXON_FRONTEND_LEXER_H

#include "frontend/SourceFile.h"

#include <string>
#include <vector>

namespace axon {

enum class Tok {
  Eof, Ident, Int, Float, String,
  // Keywords.
  KwParam, KwFn, KwLet, KwReturn, KwFor, KwIn, KwTrain, KwImport, KwExport,
  // Punctuation and operators.
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon, Semi,
  Assign, Arrow, DotDot, At, Plus, Minus, Star, Slash, Caret,
  Less, LessEq, Greater, GreaterEq, EqEq, NotEq, LeftArrow,
  Error,
};

/// A human-readable spelling of a token kind, for "expected ..." messages.
const char *tokName(Tok kind);

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text; ///< Points into the source buffer.
  llvm::SMLoc loc;
  bool startsLine = false; ///< First token on its line.
  double number = 0;       ///< Value of Int and Float tokens.
  int64_t intValue = 0;    ///< Exact value of an Int token that fits.
  bool intOverflow = false; ///< Int token above INT64_MAX.
  /// Unescaped value of a String token (computed from `text`: tokens stay
  /// small, a 50 MB model has ~14 million of them).
  std::string stringValue() const;
};

/// Splits `text` (the file's own text or an import's, see
/// SourceFile::addImport) into tokens; lexical errors are reported to the
/// file and produce Tok::Error tokens so the parser can go on. A name may
/// be qualified by one module name: `nn.linear` is one Ident token.
std::vector<Token> lex(SourceFile &file, llvm::StringRef text);
/// The model file's own text.
inline std::vector<Token> lex(SourceFile &file) {
  return lex(file, file.text());
}

} // namespace axon

#endif // AXON_FRONTEND_LEXER_H
