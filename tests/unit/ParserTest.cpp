// Parser: precedence, statements, declarations, recovery.
#include "frontend/Parser.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace axon;

namespace {

struct Parsed {
  mlir::MLIRContext context;
  std::unique_ptr<SourceFile> file;
  ast::Module module;
  std::string errors;
  std::string dump;
};

std::unique_ptr<Parsed> parseText(const std::string &text) {
  auto p = std::make_unique<Parsed>();
  llvm::raw_string_ostream errs(p->errors);
  p->file = std::make_unique<SourceFile>(p->context, "p.axon", text, errs);
  p->module = parse(*p->file);
  errs.flush();
  llvm::raw_string_ostream os(p->dump);
  ast::dump(p->module, os);
  os.flush();
  return p;
}

TEST(Parser, PrecedenceMatmulBindsLikeTimes) {
  auto p = parseText("fn f(x: f32[2, 2]) -> f32[2, 2] { return x @ W + b * -c ^ 2 }");
  EXPECT_EQ(p->errors, "");
  EXPECT_NE(p->dump.find("return (+ (@ x W) (* b (neg (^ c 2))))"),
            std::string::npos) << p->dump;
}

TEST(Parser, ComparisonAndParentheses) {
  auto p = parseText("fn f(x: f32) -> bool { return (x - 1) * 2 < x }");
  EXPECT_NE(p->dump.find("return (< (* (- x 1) 2) x)"), std::string::npos)
      << p->dump;
}

TEST(Parser, PowerIsRightAssociative) {
  auto p = parseText("fn f(x: f32) -> f32 { return x ^ 2 ^ 3 }");
  EXPECT_NE(p->dump.find("(^ x (^ 2 3))"), std::string::npos) << p->dump;
}

TEST(Parser, DeclarationsAndTypes) {
  auto p = parseText(R"(
param W: f32[784, 256] = normal(std = 0.01)
fn f(x: f32[N, 784], t: i32[N]) -> (f32[N, 256], f32) {
  let h: f32[N, 256] = x @ W
  return h, sum(h)
}
train f { optimizer = adam(lr = 1e-3), batch = 32 }
)");
  EXPECT_EQ(p->errors, "");
  ASSERT_EQ(p->module.params.size(), 1u);
  EXPECT_EQ(p->module.params[0].type.dims.size(), 2u);
  ASSERT_EQ(p->module.functions.size(), 1u);
  const ast::Function &f = p->module.functions[0];
  EXPECT_EQ(f.args.size(), 2u);
  EXPECT_EQ(f.args[0].type.dims[0].symbol, "N");
  EXPECT_EQ(f.results.size(), 2u);
  EXPECT_TRUE(f.results[1].dims.empty());
  ASSERT_EQ(p->module.trains.size(), 1u);
  EXPECT_EQ(p->module.trains[0].settings.size(), 2u);
  EXPECT_NE(p->dump.find("optimizer = (call adam lr=0.001)"), std::string::npos)
      << p->dump;
}

TEST(Parser, ForLoopWithCarriedAssignment) {
  auto p = parseText(R"(
fn f(x: f32[4]) -> f32[4] {
  let h = x
  for t in 0..T {
    h = tanh(h)
  }
  return h
})");
  EXPECT_EQ(p->errors, "");
  EXPECT_NE(p->dump.find("for t in 0 .. T\n    assign h = (call tanh h)"),
            std::string::npos) << p->dump;
}

TEST(Parser, ParenthesisOnNewLineIsNotACall) {
  auto p = parseText("fn f(x: f32) -> f32 {\n let a = x\n (a) \n return a }");
  // `(a)` starts a line: a statement error, not a call of x.
  EXPECT_NE(p->errors.find("p.axon:3:2: error: expected a statement"),
            std::string::npos) << p->errors;
}

TEST(Parser, UnderscoreDiscardsADestructuredValue) {
  auto p = parseText(R"(
fn f(x: f32[4]) -> f32[4] {
  let (h, _, _) = g(x)
  for _ in 0..3 {
    (_, h) = g(h)
  }
  return h
})");
  EXPECT_EQ(p->errors, "");
  ASSERT_EQ(p->module.functions.size(), 1u);
  const ast::Function &f = p->module.functions[0];
  ASSERT_EQ(f.body.size(), 3u);
  ASSERT_EQ(f.body[0]->targets.size(), 3u);
  EXPECT_FALSE(f.body[0]->targets[0].discards());
  EXPECT_TRUE(f.body[0]->targets[1].discards());
  EXPECT_TRUE(f.body[0]->targets[2].discards());
  EXPECT_EQ(f.body[1]->name, "_");
  EXPECT_NE(p->dump.find("let (h _ _) = (call g x)"), std::string::npos)
      << p->dump;
  EXPECT_NE(p->dump.find("assign (_ h) = (call g h)"), std::string::npos)
      << p->dump;
}

TEST(Parser, UnderscoreIsNoNameToReadAndTuplesDoNotNest) {
  // Each error stops its statement and parsing goes on: four errors, and
  // no error repeats (a `_ = x` line once looped on its first token).
  auto p = parseText("fn f(x: f32) -> f32 {\n _ = x\n let y = _\n"
                     " let ((a, b), c) = g(x)\n return (x, (x, x))\n}\n");
  EXPECT_EQ(p->file->errorCount(), 4u) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:2:2: error: '_' discards a value only "
                           "among the names of a destructuring"),
            std::string::npos) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:3:10: error: '_' discards a value: it "
                           "cannot be read"),
            std::string::npos) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:4:7: error: nested names are not "
                           "supported"),
            std::string::npos) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:5:13: error: nested tuples are not "
                           "supported"),
            std::string::npos) << p->errors;
}

TEST(Parser, RecoversAndReportsSeveralErrors) {
  auto p = parseText("fn f(x: f32) -> f32 {\n let a = x +\n return x\n}\n"
                     "param : f32\n"
                     "fn g(x: f32) -> f32 { return (x }\n");
  EXPECT_EQ(p->file->errorCount(), 3u) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:3:2: error: expected an expression"),
            std::string::npos) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:5:7: error: expected a parameter name"),
            std::string::npos) << p->errors;
  EXPECT_NE(p->errors.find("p.axon:6:33: error: expected ')'"),
            std::string::npos) << p->errors;
  // f and g still parse as functions.
  EXPECT_EQ(p->module.functions.size(), 2u);
}

} // namespace
