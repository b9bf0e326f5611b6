// Lexer: token kinds, numbers, strings, comments, line starts, errors.
#include "frontend/Lexer.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using namespace axon;

namespace {

std::vector<Token> lexText(const std::string &text, std::string *errs = nullptr) {
  static std::string sink;
  sink.clear();
  llvm::raw_string_ostream os(errs ? *errs : sink);
  // Tokens point into the file: keep each file (and its context).
  struct Kept {
    mlir::MLIRContext context;
    std::unique_ptr<SourceFile> file;
  };
  static std::vector<std::unique_ptr<Kept>> keep;
  keep.push_back(std::make_unique<Kept>());
  keep.back()->file =
      std::make_unique<SourceFile>(keep.back()->context, "t.axon", text, os);
  auto toks = lex(*keep.back()->file);
  os.flush();
  return toks;
}

std::vector<Tok> kinds(const std::vector<Token> &toks) {
  std::vector<Tok> out;
  for (const Token &t : toks)
    out.push_back(t.kind);
  return out;
}

TEST(Lexer, KeywordsNamesAndPunctuation) {
  auto toks = lexText("param fn let return for in train x_1 ( ) [ ] { } , : ; = -> .. @");
  std::vector<Tok> want = {Tok::KwParam, Tok::KwFn, Tok::KwLet, Tok::KwReturn,
                           Tok::KwFor, Tok::KwIn, Tok::KwTrain, Tok::Ident,
                           Tok::LParen, Tok::RParen, Tok::LBracket, Tok::RBracket,
                           Tok::LBrace, Tok::RBrace, Tok::Comma, Tok::Colon,
                           Tok::Semi, Tok::Assign, Tok::Arrow, Tok::DotDot,
                           Tok::At, Tok::Eof};
  EXPECT_EQ(kinds(toks), want);
  EXPECT_EQ(toks[7].text, "x_1");
}

TEST(Lexer, Operators) {
  auto toks = lexText("+ - * / ^ < <= > >= == != <-");
  std::vector<Tok> want = {Tok::Plus, Tok::Minus, Tok::Star, Tok::Slash,
                           Tok::Caret, Tok::Less, Tok::LessEq, Tok::Greater,
                           Tok::GreaterEq, Tok::EqEq, Tok::NotEq,
                           Tok::LeftArrow, Tok::Eof};
  EXPECT_EQ(kinds(toks), want);
}

TEST(Lexer, Numbers) {
  auto toks = lexText("784 1e-3 0.5 .25 2E+2");
  ASSERT_EQ(toks.size(), 6u);
  EXPECT_EQ(toks[0].kind, Tok::Int);
  EXPECT_DOUBLE_EQ(toks[0].number, 784);
  EXPECT_EQ(toks[1].kind, Tok::Float);
  EXPECT_DOUBLE_EQ(toks[1].number, 1e-3);
  EXPECT_DOUBLE_EQ(toks[2].number, 0.5);
  EXPECT_DOUBLE_EQ(toks[3].number, 0.25);
  EXPECT_DOUBLE_EQ(toks[4].number, 200);
}

TEST(Lexer, RangeIsNotAFraction) {
  EXPECT_EQ(kinds(lexText("0..T")),
            (std::vector<Tok>{Tok::Int, Tok::DotDot, Tok::Ident, Tok::Eof}));
}

TEST(Lexer, StringsWithEscapes) {
  auto toks = lexText(R"("a\"b\n")");
  ASSERT_EQ(toks[0].kind, Tok::String);
  EXPECT_EQ(toks[0].stringValue(), "a\"b\n");
}

TEST(Lexer, CommentsAndLineStarts) {
  auto toks = lexText("a # comment ( not a token\n  b c");
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_TRUE(toks[0].startsLine);
  EXPECT_TRUE(toks[1].startsLine);
  EXPECT_FALSE(toks[2].startsLine);
}

TEST(Lexer, ErrorsAreLocatedAndRecoverable) {
  std::string errs;
  auto toks = lexText("a $ b\n1e", &errs);
  EXPECT_EQ(kinds(toks), (std::vector<Tok>{Tok::Ident, Tok::Error, Tok::Ident,
                                           Tok::Error, Tok::Eof}));
  EXPECT_NE(errs.find("t.axon:1:3: error: unexpected character '$'"),
            std::string::npos) << errs;
  EXPECT_NE(errs.find("t.axon:2:1: error: malformed number"), std::string::npos)
      << errs;
}


TEST(Lexer, IntegersAreExactUpToInt64Max) {
  auto toks = lexText("9223372036854775807 9007199254740993 9223372036854775808 "
                      "99999999999999999999 1e400");
  ASSERT_GE(toks.size(), 5u);
  EXPECT_EQ(toks[0].intValue, INT64_MAX);
  EXPECT_FALSE(toks[0].intOverflow);
  EXPECT_EQ(toks[1].intValue, 9007199254740993); // not a double
  EXPECT_TRUE(toks[2].intOverflow);
  EXPECT_TRUE(toks[3].intOverflow);
  EXPECT_EQ(toks[4].kind, Tok::Float);
  EXPECT_TRUE(std::isinf(toks[4].number));
}

} // namespace
