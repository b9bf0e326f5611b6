// Tests of the reference evaluator (backends/reference): every op against
// hand-computed values, with explicit tolerances.
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "runtime/core/Initializers.h"
#include "runtime/core/Philox.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using axon::DType;
using axon::Tensor;
using axon::reference::Evaluator;
using Shape = std::vector<int64_t>;
using Values = std::vector<double>;

namespace {

Tensor f32(Shape shape, Values data) { return Tensor(DType::F32, shape, data); }
Tensor f64(Shape shape, Values data) { return Tensor(DType::F64, shape, data); }
Tensor i32(Shape shape, Values data) { return Tensor(DType::I32, shape, data); }
Tensor i64(Shape shape, Values data) { return Tensor(DType::I64, shape, data); }
Tensor i1(Shape shape, Values data) { return Tensor(DType::I1, shape, data); }
Tensor scalarI64(int64_t v) {
  return Tensor(DType::I64, {}, static_cast<double>(v));
}
double roundF32(double v) { return static_cast<double>(static_cast<float>(v)); }

/// Checks dtype, shape and every value of `t` within `tol`.
void expectTensor(const Tensor &t, DType dtype, const Shape &shape,
                  const Values &values, double tol = 0) {
  EXPECT_EQ(axon::dtypeName(t.dtype), std::string(axon::dtypeName(dtype)));
  ASSERT_EQ(t.shape, shape) << "got " << t.typeString();
  ASSERT_EQ(t.data.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_NEAR(t.data[i], values[i], tol) << "element " << i;
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

class EvaluatorTest : public ::testing::Test {
protected:
  EvaluatorTest() {
    ctx.loadDialect<axon::AxonDialect, mlir::func::FuncDialect>();
  }

  /// Parses and verifies `src`, as if from the file "test.mlir".
  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &src) {
    auto module = mlir::parseSourceString<mlir::ModuleOp>(
        src, mlir::ParserConfig(&ctx), "test.mlir");
    EXPECT_TRUE(module) << "cannot parse:\n" << src;
    return module;
  }

  llvm::Expected<std::vector<Tensor>>
  eval(const std::string &src, std::vector<Tensor> args, const char *fn = "f") {
    auto module = parse(src);
    if (!module)
      return llvm::createStringError("parse failed");
    Evaluator evaluator(*module);
    return evaluator.call(fn, args);
  }

  /// Runs @f and returns its results; a failure of the test on error.
  std::vector<Tensor> run(const std::string &src, std::vector<Tensor> args) {
    auto results = eval(src, std::move(args));
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError());
      return {};
    }
    return *results;
  }

  /// Runs @f, which must return one value.
  Tensor run1(const std::string &src, std::vector<Tensor> args) {
    auto results = run(src, std::move(args));
    if (results.size() != 1) {
      ADD_FAILURE() << "expected one result, got " << results.size();
      return Tensor();
    }
    return results[0];
  }

  /// Runs @f, which must fail; returns the error message.
  std::string runError(const std::string &src, std::vector<Tensor> args,
                       const char *fn = "f") {
    auto results = eval(src, std::move(args), fn);
    if (results) {
      ADD_FAILURE() << "expected an error";
      return "";
    }
    return llvm::toString(results.takeError());
  }

  mlir::MLIRContext ctx;
};

/// A module whose @f applies one op to its arguments and returns the result.
/// `body` uses %a, %b, %c for the arguments and defines %r.
std::string module(const std::vector<std::string> &argTypes,
                   const std::string &resultType, const std::string &body) {
  std::string src = "func.func @f(";
  const char *names[] = {"%a", "%b", "%c", "%d"};
  for (size_t i = 0; i < argTypes.size(); ++i)
    src += std::string(i ? ", " : "") + names[i] + ": " + argTypes[i];
  src += ") -> " + resultType + " {\n  " + body +
         "\n  return %r : " + resultType + "\n}\n";
  return src;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, UnaryOps) {
  struct Case {
    const char *op;
    Values input, expected;
  };
  Values x = {-1, 0, 0.5, 2}, p = {0.25, 1, 2, 4};
  const Case cases[] = {
      {"neg", x, {1, 0, -0.5, -2}},
      {"exp",
       x,
       {0.36787944117144233, 1, 1.6487212707001282, 7.38905609893065}},
      {"log",
       p,
       {-1.3862943611198906, 0, 0.6931471805599453, 1.3862943611198906}},
      {"sqrt", p, {0.5, 1, 1.4142135623730951, 2}},
      {"abs", x, {1, 0, 0.5, 2}},
      {"sin",
       x,
       {-0.8414709848078965, 0, 0.479425538604203, 0.9092974268256817}},
      {"cos",
       x,
       {0.5403023058681398, 1, 0.8775825618903728, -0.4161468365471424}},
      {"tanh",
       x,
       {-0.7615941559557649, 0, 0.46211715726000974, 0.9640275800758169}},
      {"sigmoid",
       x,
       {0.2689414213699951, 0.5, 0.6224593312018546, 0.8807970779778823}},
      {"relu", x, {0, 0, 0.5, 2}},
      {"softplus",
       x,
       {0.31326168751822286, 0.6931471805599453, 0.9740769841801067,
        2.1269280110429727}},
      {"sign", x, {-1, 0, 1, 1}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.op);
    std::string src =
        module({"tensor<4xf32>"}, "tensor<4xf32>",
               std::string("%r = axon.") + c.op + " %a : tensor<4xf32>");
    expectTensor(run1(src, {f32({4}, c.input)}), DType::F32, {4}, c.expected,
                 1e-6);
  }
}

TEST_F(EvaluatorTest, UnaryOpsAreStableForLargeInputs) {
  for (auto [op, expected] :
       {std::pair<const char *, Values>{"sigmoid", {0, 1}},
        {"softplus", {0, 1000}}}) {
    SCOPED_TRACE(op);
    std::string src =
        module({"tensor<2xf64>"}, "tensor<2xf64>",
               std::string("%r = axon.") + op + " %a : tensor<2xf64>");
    expectTensor(run1(src, {f64({2}, {-1000, 1000})}), DType::F64, {2},
                 expected, 1e-12);
  }
}

TEST_F(EvaluatorTest, ResultsAreRoundedToTheirElementType) {
  // 1 + 1e-8 is 1 in f32 but not in f64.
  std::string src32 =
      module({"tensor<f32>", "tensor<f32>"}, "tensor<f32>",
             "%r = axon.add %a, %b : tensor<f32>, tensor<f32> -> tensor<f32>");
  expectTensor(run1(src32, {f32({}, {1}), f32({}, {roundF32(1e-8)})}),
               DType::F32, {}, {1.0});
  std::string src64 =
      module({"tensor<f64>", "tensor<f64>"}, "tensor<f64>",
             "%r = axon.add %a, %b : tensor<f64>, tensor<f64> -> tensor<f64>");
  Tensor r = run1(src64, {f64({}, {1}), f64({}, {1e-8})});
  EXPECT_EQ(r.data.at(0), 1.00000001);
  // exp(1) keeps full double precision in f64.
  std::string exp64 =
      module({"tensor<f64>"}, "tensor<f64>", "%r = axon.exp %a : tensor<f64>");
  EXPECT_EQ(run1(exp64, {f64({}, {1})}).data.at(0), std::exp(1.0));
  std::string exp32 =
      module({"tensor<f32>"}, "tensor<f32>", "%r = axon.exp %a : tensor<f32>");
  EXPECT_EQ(run1(exp32, {f32({}, {1})}).data.at(0), roundF32(std::exp(1.0)));
}

TEST_F(EvaluatorTest, BinaryOpsBroadcastARowVector) {
  struct Case {
    const char *op;
    Values rhs, expected;
  };
  const Case cases[] = {
      {"add", {10, 20, 30}, {11, 22, 33, 14, 25, 36}},
      {"sub", {10, 20, 30}, {-9, -18, -27, -6, -15, -24}},
      {"mul", {10, 20, 30}, {10, 40, 90, 40, 100, 180}},
      {"div", {10, 20, 30}, {0.1, 0.1, 0.1, 0.4, 0.25, 0.2}},
      {"pow",
       {2, 0.5, -1},
       {1, 1.4142135623730951, 1.0 / 3, 16, 2.23606797749979, 1.0 / 6}},
      {"max", {2, 5, 1}, {2, 5, 3, 4, 5, 6}},
      {"min", {2, 5, 1}, {1, 2, 1, 2, 5, 1}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.op);
    std::string src = module(
        {"tensor<2x3xf32>", "tensor<3xf32>"}, "tensor<2x3xf32>",
        std::string("%r = axon.") + c.op +
            " %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>");
    expectTensor(run1(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, c.rhs)}),
                 DType::F32, {2, 3}, c.expected, 1e-6);
  }
}

TEST_F(EvaluatorTest, BinaryOpsBroadcastBothWays) {
  // [2, 1] + [1, 3] -> [2, 3].
  std::string src =
      module({"tensor<2x1xf32>", "tensor<1x3xf32>"}, "tensor<2x3xf32>",
             "%r = axon.add %a, %b : tensor<2x1xf32>, tensor<1x3xf32> -> "
             "tensor<2x3xf32>");
  expectTensor(run1(src, {f32({2, 1}, {1, 2}), f32({1, 3}, {10, 20, 30})}),
               DType::F32, {2, 3}, {11, 21, 31, 12, 22, 32});
  // A rank-0 operand stretches to anything.
  std::string scalar = module(
      {"tensor<f32>", "tensor<2x2xf32>"}, "tensor<2x2xf32>",
      "%r = axon.sub %a, %b : tensor<f32>, tensor<2x2xf32> -> tensor<2x2xf32>");
  expectTensor(run1(scalar, {f32({}, {10}), f32({2, 2}, {1, 2, 3, 4})}),
               DType::F32, {2, 2}, {9, 8, 7, 6});
}

TEST_F(EvaluatorTest, IntegerDivisionTruncatesAndRejectsZero) {
  std::string src = module(
      {"tensor<3xi32>", "tensor<3xi32>"}, "tensor<3xi32>",
      "%r = axon.div %a, %b : tensor<3xi32>, tensor<3xi32> -> tensor<3xi32>");
  expectTensor(run1(src, {i32({3}, {7, -7, 6}), i32({3}, {2, 2, -4})}),
               DType::I32, {3}, {3, -3, -1});
  std::string msg = runError(src, {i32({3}, {1, 2, 3}), i32({3}, {1, 0, 1})});
  EXPECT_TRUE(contains(msg, "axon.div")) << msg;
  EXPECT_TRUE(contains(msg, "division by zero")) << msg;
}

TEST_F(EvaluatorTest, BroadcastMismatchAtRunTimeIsAnError) {
  std::string src = module(
      {"tensor<?xf32>", "tensor<3xf32>"}, "tensor<?xf32>",
      "%r = axon.add %a, %b : tensor<?xf32>, tensor<3xf32> -> tensor<?xf32>");
  // [1] stretches; [2] does not broadcast with [3].
  expectTensor(run1(src, {f32({1}, {1}), f32({3}, {1, 2, 3})}), DType::F32, {3},
               {2, 3, 4});
  std::string msg = runError(src, {f32({2}, {1, 2}), f32({3}, {1, 2, 3})});
  EXPECT_TRUE(contains(msg, "test.mlir:2:")) << msg;
  EXPECT_TRUE(contains(msg, "axon.add")) << msg;
  EXPECT_TRUE(contains(msg, "do not broadcast")) << msg;
}

TEST_F(EvaluatorTest, CmpPredicates) {
  struct Case {
    const char *pred;
    Values expected;
  };
  const Case cases[] = {{"eq", {0, 1, 0}}, {"ne", {1, 0, 1}},
                        {"lt", {1, 0, 0}}, {"le", {1, 1, 0}},
                        {"gt", {0, 0, 1}}, {"ge", {0, 1, 1}}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.pred);
    std::string src =
        module({"tensor<3xf32>", "tensor<f32>"}, "tensor<3xi1>",
               std::string("%r = axon.cmp ") + c.pred +
                   ", %a, %b : tensor<3xf32>, tensor<f32> -> tensor<3xi1>");
    expectTensor(run1(src, {f32({3}, {1, 2, 3}), f32({}, {2})}), DType::I1, {3},
                 c.expected);
  }
}

TEST_F(EvaluatorTest, SelectBroadcastsAllThree) {
  std::string src = module({"tensor<2x1xi1>", "tensor<3xf32>", "tensor<f32>"},
                           "tensor<2x3xf32>",
                           "%r = axon.select %a, %b, %c : tensor<2x1xi1>, "
                           "tensor<3xf32>, tensor<f32> -> tensor<2x3xf32>");
  expectTensor(
      run1(src, {i1({2, 1}, {1, 0}), f32({3}, {1, 2, 3}), f32({}, {-1})}),
      DType::F32, {2, 3}, {1, 2, 3, -1, -1, -1});
}

TEST_F(EvaluatorTest, CastConvertsElementTypes) {
  Tensor x = f32({4}, {1.75, -1.75, 0, 2.5});
  auto cast = [&](const std::string &from, const std::string &to) {
    return module({from}, to, "%r = axon.cast %a : " + from + " -> " + to);
  };
  // Float to int truncates toward zero; anything nonzero is true.
  expectTensor(run1(cast("tensor<4xf32>", "tensor<4xi32>"), {x}), DType::I32,
               {4}, {1, -1, 0, 2});
  expectTensor(run1(cast("tensor<4xf32>", "tensor<4xi1>"), {x}), DType::I1, {4},
               {1, 1, 0, 1});
  expectTensor(run1(cast("tensor<2xi1>", "tensor<2xf32>"), {i1({2}, {1, 0})}),
               DType::F32, {2}, {1, 0});
  expectTensor(
      run1(cast("tensor<2xi32>", "tensor<2xf64>"), {i32({2}, {3, -4})}),
      DType::F64, {2}, {3, -4});
  expectTensor(
      run1(cast("tensor<2xi64>", "tensor<2xi32>"), {i64({2}, {7, -8})}),
      DType::I32, {2}, {7, -8});
  // f64 -> f32 rounds to the nearest f32.
  Tensor r = run1(cast("tensor<f64>", "tensor<f32>"), {f64({}, {0.1})});
  EXPECT_EQ(r.data.at(0), roundF32(0.1));
  EXPECT_NE(r.data.at(0), 0.1);
}

TEST_F(EvaluatorTest, CastRefinesStaticAndDynamicDims) {
  // Static to dynamic keeps the extents.
  std::string toDynamic =
      module({"tensor<2x3xf32>"}, "tensor<?x3xf64>",
             "%r = axon.cast %a : tensor<2x3xf32> -> tensor<?x3xf64>");
  expectTensor(run1(toDynamic, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F64,
               {2, 3}, {1, 2, 3, 4, 5, 6});
  // Dynamic to static is checked at run time.
  std::string toStatic =
      module({"tensor<?xf32>"}, "tensor<3xf32>",
             "%r = axon.cast %a : tensor<?xf32> -> tensor<3xf32>");
  expectTensor(run1(toStatic, {f32({3}, {1, 2, 3})}), DType::F32, {3},
               {1, 2, 3});
  std::string msg = runError(toStatic, {f32({2}, {1, 2})});
  EXPECT_TRUE(contains(msg, "axon.cast")) << msg;
  EXPECT_TRUE(contains(msg, "does not match the declared type")) << msg;
}

//===----------------------------------------------------------------------===//
// Contractions and convolutions
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, Matmul) {
  std::string src =
      module({"tensor<2x3xf32>", "tensor<3x2xf32>"}, "tensor<2x2xf32>",
             "%r = axon.matmul %a, %b : tensor<2x3xf32>, tensor<3x2xf32> -> "
             "tensor<2x2xf32>");
  expectTensor(run1(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6}),
                          f32({3, 2}, {7, 8, 9, 10, 11, 12})}),
               DType::F32, {2, 2}, {58, 64, 139, 154});
}

TEST_F(EvaluatorTest, MatmulBroadcastsBatchDims) {
  // [2, 1, 1, 2] @ [3, 2, 1] -> batch [2, 3], out[i, j] = a_i . b_j.
  std::string src = module({"tensor<2x1x1x2xf32>", "tensor<3x2x1xf32>"},
                           "tensor<2x3x1x1xf32>",
                           "%r = axon.matmul %a, %b : tensor<2x1x1x2xf32>, "
                           "tensor<3x2x1xf32> -> tensor<2x3x1x1xf32>");
  expectTensor(run1(src, {f32({2, 1, 1, 2}, {1, 2, 3, 4}),
                          f32({3, 2, 1}, {1, 0, 0, 1, 1, 1})}),
               DType::F32, {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7});
  // A rank-2 rhs is shared by every batch of the lhs.
  std::string shared =
      module({"tensor<2x1x2xf32>", "tensor<2x1xf32>"}, "tensor<2x1x1xf32>",
             "%r = axon.matmul %a, %b : tensor<2x1x2xf32>, tensor<2x1xf32> -> "
             "tensor<2x1x1xf32>");
  expectTensor(
      run1(shared, {f32({2, 1, 2}, {1, 2, 3, 4}), f32({2, 1}, {5, 6})}),
      DType::F32, {2, 1, 1}, {17, 39});
}

std::string convAttrs(const char *strides, const char *padding,
                      const char *dilations, int groups = 1) {
  return std::string("{strides = array<i64: ") + strides +
         ">, padding = array<i64: " + padding +
         ">, dilations = array<i64: " + dilations +
         ">, groups = " + std::to_string(groups) + " : i64}";
}

std::string convModule(const std::string &x, const std::string &w,
                       const std::string &out, const std::string &attrs) {
  return module({x, w}, out,
                "%r = axon.conv2d %a, %b " + attrs + " : " + x + ", " + w +
                    " -> " + out);
}

const Values kImage3x3 = {1, 2, 3, 4, 5, 6, 7, 8, 9};

TEST_F(EvaluatorTest, Conv2DPlain) {
  std::string src =
      convModule("tensor<1x1x3x3xf32>", "tensor<1x1x2x2xf32>",
                 "tensor<1x1x2x2xf32>", convAttrs("1, 1", "0, 0", "1, 1"));
  // out[0,0] = 1*1 + 2*2 + 4*3 + 5*4, and so on.
  expectTensor(run1(src, {f32({1, 1, 3, 3}, kImage3x3),
                          f32({1, 1, 2, 2}, {1, 2, 3, 4})}),
               DType::F32, {1, 1, 2, 2}, {37, 47, 67, 77});
}

TEST_F(EvaluatorTest, Conv2DStrideAndPadding) {
  // A 3x3 box filter, stride 2, zero padding 1: sums of the in-range parts.
  std::string src =
      convModule("tensor<1x1x3x3xf32>", "tensor<1x1x3x3xf32>",
                 "tensor<1x1x2x2xf32>", convAttrs("2, 2", "1, 1", "1, 1"));
  expectTensor(run1(src, {f32({1, 1, 3, 3}, kImage3x3),
                          f32({1, 1, 3, 3}, Values(9, 1))}),
               DType::F32, {1, 1, 2, 2}, {12, 16, 24, 28});
}

TEST_F(EvaluatorTest, Conv2DDilation) {
  // Dilation 2 puts the 2x2 taps on the image corners.
  std::string src =
      convModule("tensor<1x1x3x3xf32>", "tensor<1x1x2x2xf32>",
                 "tensor<1x1x1x1xf32>", convAttrs("1, 1", "0, 0", "2, 2"));
  expectTensor(run1(src, {f32({1, 1, 3, 3}, kImage3x3),
                          f32({1, 1, 2, 2}, {1, 2, 3, 4})}),
               DType::F32, {1, 1, 1, 1}, {1 * 1 + 2 * 3 + 3 * 7 + 4 * 9});
}

TEST_F(EvaluatorTest, Conv2DGroups) {
  // 2 groups of 1 input channel, 2 output channels each: outputs 0 and 1
  // see input channel 0, outputs 2 and 3 see input channel 1.
  std::string src =
      convModule("tensor<1x2x2x2xf32>", "tensor<4x1x1x1xf32>",
                 "tensor<1x4x2x2xf32>", convAttrs("1, 1", "0, 0", "1, 1", 2));
  expectTensor(run1(src, {f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                          f32({4, 1, 1, 1}, {1, 2, 3, 4})}),
               DType::F32, {1, 4, 2, 2},
               {1, 2, 3, 4, 2, 4, 6, 8, 15, 18, 21, 24, 20, 24, 28, 32});
}

TEST_F(EvaluatorTest, Conv2DSumsChannelsPerBatch) {
  std::string src =
      convModule("tensor<2x2x1x1xf32>", "tensor<1x2x1x1xf32>",
                 "tensor<2x1x1x1xf32>", convAttrs("1, 1", "0, 0", "1, 1"));
  expectTensor(run1(src, {f32({2, 2, 1, 1}, {1, 2, 3, 4}),
                          f32({1, 2, 1, 1}, {10, 100})}),
               DType::F32, {2, 1, 1, 1}, {210, 430});
}

std::string convTransposeModule(const std::string &x, const std::string &w,
                                const std::string &out, const char *strides,
                                const char *padding, const char *outputPadding,
                                int groups = 1) {
  std::string attrs = std::string("{strides = array<i64: ") + strides +
                      ">, padding = array<i64: " + padding +
                      ">, output_padding = array<i64: " + outputPadding +
                      ">, groups = " + std::to_string(groups) + " : i64}";
  return module({x, w}, out,
                "%r = axon.conv_transpose2d %a, %b " + attrs + " : " + x +
                    ", " + w + " -> " + out);
}

TEST_F(EvaluatorTest, ConvTranspose2DValues) {
  // Stride 2 with a 2x2 ones filter: each input element becomes a 2x2 block.
  std::string src =
      convTransposeModule("tensor<1x1x2x2xf32>", "tensor<1x1x2x2xf32>",
                          "tensor<1x1x4x4xf32>", "2, 2", "0, 0", "0, 0");
  expectTensor(run1(src, {f32({1, 1, 2, 2}, {1, 2, 3, 4}),
                          f32({1, 1, 2, 2}, {1, 1, 1, 1})}),
               DType::F32, {1, 1, 4, 4},
               {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // Stride 1: the "full" convolution of x with w.
  std::string full =
      convTransposeModule("tensor<1x1x2x2xf32>", "tensor<1x1x2x2xf32>",
                          "tensor<1x1x3x3xf32>", "1, 1", "0, 0", "0, 0");
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4}),
         w = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  expectTensor(run1(full, {x, w}), DType::F32, {1, 1, 3, 3},
               {1, 4, 4, 6, 20, 16, 9, 24, 16});
  // Padding 1 crops one element from each border of that.
  std::string cropped =
      convTransposeModule("tensor<1x1x2x2xf32>", "tensor<1x1x2x2xf32>",
                          "tensor<1x1x1x1xf32>", "1, 1", "1, 1", "0, 0");
  expectTensor(run1(cropped, {x, w}), DType::F32, {1, 1, 1, 1}, {20});
}

/// Deterministic test data: v[i] = sin(i * a + b).
Tensor wave(const Shape &shape, double a, double b) {
  Tensor t(DType::F64, shape);
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = std::sin(static_cast<double>(i) * a + b);
  return t;
}

double inner(const Tensor &x, const Tensor &y) {
  EXPECT_EQ(x.shape, y.shape);
  double s = 0;
  for (size_t i = 0; i < x.data.size() && i < y.data.size(); ++i)
    s += x.data[i] * y.data[i];
  return s;
}

std::string f64Type(const Shape &shape) {
  std::string t = "tensor<";
  for (int64_t d : shape)
    t += std::to_string(d) + "x";
  return t + "f64>";
}

// <conv2d(x, w), y> == <x, conv_transpose2d(y, w)>: conv_transpose2d is the
// adjoint of conv2d with respect to its input, for the same filter.
TEST_F(EvaluatorTest, ConvTranspose2DIsTheAdjointOfConv2D) {
  struct Case {
    Shape x, w, y;
    const char *strides, *padding, *outputPadding;
    int groups;
  };
  const Case cases[] = {
      // Stride 2, padding 1, 2 groups; output_padding recovers H = 6.
      {{2, 4, 6, 5}, {4, 2, 3, 3}, {2, 4, 3, 3}, "2, 2", "1, 1", "1, 0", 2},
      // Stride 1, no padding, a rectangular kernel.
      {{1, 3, 4, 5}, {2, 3, 2, 3}, {1, 2, 3, 3}, "1, 1", "0, 0", "0, 0", 1},
  };
  for (const Case &c : cases) {
    std::string conv =
        convModule(f64Type(c.x), f64Type(c.w), f64Type(c.y),
                   convAttrs(c.strides, c.padding, "1, 1", c.groups));
    std::string convT =
        convTransposeModule(f64Type(c.y), f64Type(c.w), f64Type(c.x), c.strides,
                            c.padding, c.outputPadding, c.groups);
    Tensor x = wave(c.x, 0.7, 0.1), w = wave(c.w, 1.3, 0.2),
           y = wave(c.y, 0.9, 0.3);
    Tensor cx = run1(conv, {x, w}), ty = run1(convT, {y, w});
    double lhs = inner(cx, y), rhs = inner(x, ty);
    EXPECT_NEAR(lhs, rhs, 1e-9 * std::max(1.0, std::fabs(lhs)));
    EXPECT_GT(std::fabs(lhs), 1e-3); // not trivially zero
  }
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

std::string poolModule(const char *op, const char *kernel, const char *strides,
                       const char *padding, const std::string &out) {
  return module({"tensor<1x1x3x3xf32>"}, out,
                std::string("%r = axon.") + op + " %a {kernel = array<i64: " +
                    kernel + ">, strides = array<i64: " + strides +
                    ">, padding = array<i64: " + padding +
                    ">} : tensor<1x1x3x3xf32> -> " + out);
}

TEST_F(EvaluatorTest, PoolingWithoutPadding) {
  Tensor x = f32({1, 1, 3, 3}, kImage3x3);
  expectTensor(run1(poolModule("max_pool2d", "2, 2", "1, 1", "0, 0",
                               "tensor<1x1x2x2xf32>"),
                    {x}),
               DType::F32, {1, 1, 2, 2}, {5, 6, 8, 9});
  expectTensor(run1(poolModule("avg_pool2d", "2, 2", "1, 1", "0, 0",
                               "tensor<1x1x2x2xf32>"),
                    {x}),
               DType::F32, {1, 1, 2, 2}, {3, 4, 6, 7});
}

TEST_F(EvaluatorTest, PoolingIgnoresPadding) {
  // All values negative: a padded zero would win the max if it counted.
  Tensor x = f32({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  expectTensor(run1(poolModule("max_pool2d", "2, 2", "2, 2", "1, 1",
                               "tensor<1x1x2x2xf32>"),
                    {x}),
               DType::F32, {1, 1, 2, 2}, {-1, -2, -4, -5});
  // Averages divide by the number of in-range elements: 1, 2, 2 and 4.
  expectTensor(run1(poolModule("avg_pool2d", "2, 2", "2, 2", "1, 1",
                               "tensor<1x1x2x2xf32>"),
                    {x}),
               DType::F32, {1, 1, 2, 2}, {-1, -2.5, -5.5, -7});
}

/// The attribute dict shared by the pooling ops and their gradients.
std::string windowAttrs(const char *kernel, const char *strides,
                        const char *padding) {
  return std::string("{kernel = array<i64: ") + kernel +
         ">, strides = array<i64: " + strides +
         ">, padding = array<i64: " + padding + ">}";
}

/// @f(%a: input, %b: grad) applies the pooling gradient `op`.
std::string poolGradModule(const char *op, const std::string &in,
                           const std::string &grad, const char *kernel,
                           const char *strides, const char *padding) {
  return module({in, grad}, in,
                std::string("%r = axon.") + op + " %a, %b " +
                    windowAttrs(kernel, strides, padding) + " : " + in + ", " +
                    grad + " -> " + in);
}

// Window gradients 1, 2, 4, 8: every sum of them is distinct, so each output
// position shows which windows sent it their gradient.
const Values kGrad2x2 = {1, 2, 4, 8};

TEST_F(EvaluatorTest, MaxPool2DGradAccumulatesOverlappingWins) {
  // Kernel 2, stride 1: windows {1,9,3,4} and {9,2,4,5} both pick the 9;
  // {3,4,6,0} picks the 6 and {4,5,0,7} the 7.
  std::string src =
      poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x2x2xf32>", "2, 2", "1, 1", "0, 0");
  expectTensor(run1(src, {f32({1, 1, 3, 3}, {1, 9, 2, 3, 4, 5, 6, 0, 7}),
                          f32({1, 1, 2, 2}, kGrad2x2)}),
               DType::F32, {1, 1, 3, 3}, {0, 1 + 2, 0, 0, 0, 0, 4, 0, 8});
}

TEST_F(EvaluatorTest, MaxPool2DGradTiesGoToTheFirstPosition) {
  //   2 2 1    {2,2,2,2} -> (0,0); {2,1,2,1} -> (0,1);
  //   2 2 1    {2,2,0,3} -> (2,1); {2,1,3,3} -> (2,1), the first of the
  //   0 3 3    two 3s in row-major window order, so (2,1) wins twice.
  std::string src =
      poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x2x2xf32>", "2, 2", "1, 1", "0, 0");
  expectTensor(run1(src, {f32({1, 1, 3, 3}, {2, 2, 1, 2, 2, 1, 0, 3, 3}),
                          f32({1, 1, 2, 2}, kGrad2x2)}),
               DType::F32, {1, 1, 3, 3}, {1, 2, 0, 0, 0, 0, 0, 4 + 8, 0});
}

TEST_F(EvaluatorTest, MaxPool2DGradNeverRoutesToPadding) {
  // Kernel 3, stride 2, padding 1: the windows cover rows (and columns)
  // {0,1} and {1,2}. All values are negative, so a padded zero would win
  // if it counted; the -1 at the centre wins all four windows.
  Tensor x = f32({1, 1, 3, 3}, {-5, -6, -7, -8, -1, -9, -2, -3, -4});
  std::string grad =
      poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x2x2xf32>", "3, 3", "2, 2", "1, 1");
  expectTensor(run1(grad, {x, f32({1, 1, 2, 2}, kGrad2x2)}), DType::F32,
               {1, 1, 3, 3}, {0, 0, 0, 0, 1 + 2 + 4 + 8, 0, 0, 0, 0});
  // The forward op picks the same winner.
  expectTensor(run1(poolModule("max_pool2d", "3, 3", "2, 2", "1, 1",
                               "tensor<1x1x2x2xf32>"),
                    {x}),
               DType::F32, {1, 1, 2, 2}, {-1, -1, -1, -1});
  // All zeros with kernel 2, stride 2, padding 1: every window is a tie, and
  // a padded zero would come first in three of them. The windows hold
  // {(0,0)}, {(0,1),(0,2)}, {(1,0),(2,0)} and {(1,1),(1,2),(2,1),(2,2)}.
  std::string tied =
      poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x2x2xf32>", "2, 2", "2, 2", "1, 1");
  expectTensor(run1(tied, {f32({1, 1, 3, 3}, Values(9, 0.0)),
                           f32({1, 1, 2, 2}, kGrad2x2)}),
               DType::F32, {1, 1, 3, 3}, {1, 2, 0, 4, 8, 0, 0, 0, 0});
}

TEST_F(EvaluatorTest, AvgPool2DGradDividesByUnpaddedCounts) {
  // Kernel 2, stride 2, padding 1: windows of 1, 2, 2 and 4 input positions
  // (as in PoolingIgnoresPadding), with gradients 4, 2, 6 and 8.
  std::string src =
      poolGradModule("avg_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x2x2xf32>", "2, 2", "2, 2", "1, 1");
  expectTensor(
      run1(src,
           {f32({1, 1, 3, 3}, kImage3x3), f32({1, 1, 2, 2}, {4, 2, 6, 8})}),
      DType::F32, {1, 1, 3, 3},
      {4, 2 / 2., 2 / 2., 6 / 2., 8 / 4., 8 / 4., 6 / 2., 8 / 4., 8 / 4.});
  // Kernel 2, stride 1, padding 1 on 2x2: nine overlapping windows holding
  // 1, 2, 1 / 2, 4, 2 / 1, 2, 1 positions; input (i, j) lies in windows
  // (i..i+1, j..j+1). Gradients g = 1..9.
  std::string overlap =
      poolGradModule("avg_pool2d_grad", "tensor<1x1x2x2xf32>",
                     "tensor<1x1x3x3xf32>", "2, 2", "1, 1", "1, 1");
  expectTensor(run1(overlap, {f32({1, 1, 2, 2}, {1, 2, 3, 4}),
                              f32({1, 1, 3, 3}, kImage3x3)}),
               DType::F32, {1, 1, 2, 2},
               {1 / 1. + 2 / 2. + 4 / 2. + 5 / 4.,   // 5.25
                2 / 2. + 3 / 1. + 5 / 4. + 6 / 2.,   // 8.25
                4 / 2. + 5 / 4. + 7 / 1. + 8 / 2.,   // 14.25
                5 / 4. + 6 / 2. + 8 / 2. + 9 / 1.}); // 17.25
}

TEST_F(EvaluatorTest, PoolGradRejectsAGradientOfTheWrongShape) {
  // A dynamic grad type lets a wrong extent reach run time.
  std::string src =
      poolGradModule("avg_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x?x2xf32>", "2, 2", "1, 1", "0, 0");
  std::string msg = runError(
      src, {f32({1, 1, 3, 3}, kImage3x3), f32({1, 1, 3, 2}, Values(6, 1.0))});
  EXPECT_TRUE(contains(msg, "test.mlir:2:")) << msg;
  EXPECT_TRUE(contains(msg, "axon.avg_pool2d_grad")) << msg;
  EXPECT_TRUE(contains(msg, "[1, 1, 3, 2]")) << msg;
}

struct PoolCase {
  Shape x, y;
  const char *kernel, *strides, *padding;
};
// Several planes, overlapping and rectangular windows, uneven padded counts.
const PoolCase kPoolCases[] = {
    {{2, 3, 5, 4}, {2, 3, 3, 5}, "3, 2", "2, 1", "1, 1"},
    {{1, 2, 3, 3}, {1, 2, 2, 2}, "2, 2", "2, 2", "1, 1"},
    {{2, 1, 6, 5}, {2, 1, 5, 2}, "2, 3", "1, 2", "0, 0"},
};

std::string poolOfCase(const char *op, const PoolCase &c) {
  return module({f64Type(c.x)}, f64Type(c.y),
                std::string("%r = axon.") + op + " %a " +
                    windowAttrs(c.kernel, c.strides, c.padding) + " : " +
                    f64Type(c.x) + " -> " + f64Type(c.y));
}

// <avg_pool2d(x), y> == <x, avg_pool2d_grad(x, y)>: avg_pool2d is linear and
// its gradient is its adjoint.
TEST_F(EvaluatorTest, AvgPool2DGradIsTheAdjointOfAvgPool2D) {
  for (const PoolCase &c : kPoolCases) {
    std::string pool = poolOfCase("avg_pool2d", c);
    std::string grad =
        poolGradModule("avg_pool2d_grad", f64Type(c.x), f64Type(c.y), c.kernel,
                       c.strides, c.padding);
    Tensor x = wave(c.x, 0.7, 0.1), y = wave(c.y, 0.9, 0.3);
    double lhs = inner(run1(pool, {x}), y), rhs = inner(x, run1(grad, {x, y}));
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(1.0, std::fabs(lhs))) << c.kernel;
    EXPECT_GT(std::fabs(lhs), 1e-3); // not trivially zero
  }
}

// max_pool2d is not linear, but it is positively homogeneous: each window's
// value is x at its winner, so <max_pool2d(x), y> == <x, max_pool2d_grad(x,
// y)> holds exactly when the gradient routes to the forward op's winners.
TEST_F(EvaluatorTest, MaxPool2DGradRoutesToTheForwardWinners) {
  for (const PoolCase &c : kPoolCases) {
    std::string pool = poolOfCase("max_pool2d", c);
    std::string grad =
        poolGradModule("max_pool2d_grad", f64Type(c.x), f64Type(c.y), c.kernel,
                       c.strides, c.padding);
    Tensor x = wave(c.x, 0.7, 0.1), y = wave(c.y, 0.9, 0.3);
    double lhs = inner(run1(pool, {x}), y), rhs = inner(x, run1(grad, {x, y}));
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(1.0, std::fabs(lhs))) << c.kernel;
    EXPECT_GT(std::fabs(lhs), 1e-3);
  }
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, Reductions) {
  struct Case {
    const char *op, *attrs, *resultType;
    Shape shape;
    Values expected;
  };
  const Case cases[] = {
      {"sum", "{axes = array<i64>}", "tensor<f32>", {}, {21}},
      {"sum", "{axes = array<i64: 0>}", "tensor<3xf32>", {3}, {5, 7, 9}},
      {"sum",
       "{axes = array<i64: -1>, keepdims = true}",
       "tensor<2x1xf32>",
       {2, 1},
       {6, 15}},
      {"mean", "{axes = array<i64: 1>}", "tensor<2xf32>", {2}, {2, 5}},
      {"mean",
       "{axes = array<i64>, keepdims = true}",
       "tensor<1x1xf32>",
       {1, 1},
       {3.5}},
      {"reduce_max", "{axes = array<i64: 0>}", "tensor<3xf32>", {3}, {4, 5, 6}},
      {"reduce_max",
       "{axes = array<i64: -1>, keepdims = true}",
       "tensor<2x1xf32>",
       {2, 1},
       {3, 6}},
      {"reduce_max", "{axes = array<i64: 0, 1>}", "tensor<f32>", {}, {6}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::string(c.op) + " " + c.attrs);
    std::string src =
        module({"tensor<2x3xf32>"}, c.resultType,
               std::string("%r = axon.") + c.op + " %a " + c.attrs +
                   " : tensor<2x3xf32> -> " + c.resultType);
    expectTensor(run1(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32,
                 c.shape, c.expected, 1e-6);
  }
}

TEST_F(EvaluatorTest, ReductionOverInnerAndOuterAxes) {
  // x = 1..8 as [2, 2, 2]; sum over axes 0 and 2 leaves axis 1.
  std::string src = module({"tensor<2x2x2xi32>"}, "tensor<2xi32>",
                           "%r = axon.sum %a {axes = array<i64: 0, 2>} : "
                           "tensor<2x2x2xi32> -> tensor<2xi32>");
  expectTensor(run1(src, {i32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}),
               DType::I32, {2}, {1 + 2 + 5 + 6, 3 + 4 + 7 + 8});
}

TEST_F(EvaluatorTest, ArgmaxTiesGoToTheLowestIndex) {
  Tensor x = f32({2, 3}, {1, 3, 3, 5, 2, 5});
  std::string rows = module({"tensor<2x3xf32>"}, "tensor<2xi64>",
                            "%r = axon.argmax %a {axis = 1 : i64} : "
                            "tensor<2x3xf32> -> tensor<2xi64>");
  expectTensor(run1(rows, {x}), DType::I64, {2}, {1, 0});
  std::string cols = module({"tensor<2x3xf32>"}, "tensor<3xi32>",
                            "%r = axon.argmax %a {axis = 0 : i64} : "
                            "tensor<2x3xf32> -> tensor<3xi32>");
  expectTensor(run1(cols, {x}), DType::I32, {3}, {1, 0, 1});
  std::string keep = module({"tensor<2x3xf32>"}, "tensor<2x1xi64>",
                            "%r = axon.argmax %a {axis = -1 : i64, keepdims = "
                            "true} : tensor<2x3xf32> -> tensor<2x1xi64>");
  expectTensor(run1(keep, {x}), DType::I64, {2, 1}, {1, 0});
}

TEST_F(EvaluatorTest, SoftmaxAndLogSoftmax) {
  std::string sm =
      module({"tensor<3xf32>"}, "tensor<3xf32>",
             "%r = axon.softmax %a {axis = 0 : i64} : tensor<3xf32>");
  expectTensor(run1(sm, {f32({3}, {1, 2, 3})}), DType::F32, {3},
               {0.09003057317038046, 0.24472847105479764, 0.6652409557748218},
               1e-7);
  std::string lsm =
      module({"tensor<3xf32>"}, "tensor<3xf32>",
             "%r = axon.log_softmax %a {axis = -1 : i64} : tensor<3xf32>");
  expectTensor(run1(lsm, {f32({3}, {1, 2, 3})}), DType::F32, {3},
               {-2.4076059644443806, -1.4076059644443804, -0.4076059644443804},
               1e-6);
}

TEST_F(EvaluatorTest, SoftmaxIsStableAndUsesItsAxis) {
  // exp(1000) overflows; subtracting the max first does not.
  std::string sm =
      module({"tensor<3xf64>"}, "tensor<3xf64>",
             "%r = axon.softmax %a {axis = 0 : i64} : tensor<3xf64>");
  expectTensor(run1(sm, {f64({3}, {1000, 1001, 1002})}), DType::F64, {3},
               {0.09003057317038046, 0.24472847105479764, 0.6652409557748218},
               1e-12);
  std::string lsm =
      module({"tensor<3xf64>"}, "tensor<3xf64>",
             "%r = axon.log_softmax %a {axis = 0 : i64} : tensor<3xf64>");
  expectTensor(run1(lsm, {f64({3}, {-1000, -1001, -1002})}), DType::F64, {3},
               {-0.4076059644443804, -1.4076059644443804, -2.4076059644443806},
               1e-9);
  // Along axis 0 of [[1, 5], [1, 5]] every column is uniform.
  std::string cols =
      module({"tensor<2x2xf32>"}, "tensor<2x2xf32>",
             "%r = axon.softmax %a {axis = 0 : i64} : tensor<2x2xf32>");
  expectTensor(run1(cols, {f32({2, 2}, {1, 5, 1, 5})}), DType::F32, {2, 2},
               {0.5, 0.5, 0.5, 0.5}, 1e-7);
}

//===----------------------------------------------------------------------===//
// Movement
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, ReshapeStaticAndDynamic) {
  std::string src =
      module({"tensor<2x3xf32>"}, "tensor<3x2xf32>",
             "%r = axon.reshape %a : tensor<2x3xf32> -> tensor<3x2xf32>");
  expectTensor(run1(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32, {3, 2},
               {1, 2, 3, 4, 5, 6});
  std::string dyn =
      module({"tensor<6xf32>", "tensor<i64>"}, "tensor<?x2xf32>",
             "%r = axon.reshape %a [%b] : tensor<6xf32> -> tensor<?x2xf32>");
  expectTensor(run1(dyn, {f32({6}, {1, 2, 3, 4, 5, 6}), scalarI64(3)}),
               DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6});
  // The element count is checked at run time.
  std::string msg = runError(dyn, {f32({6}, {1, 2, 3, 4, 5, 6}), scalarI64(4)});
  EXPECT_TRUE(contains(msg, "axon.reshape")) << msg;
  EXPECT_TRUE(contains(msg, "test.mlir:2:")) << msg;
}

TEST_F(EvaluatorTest, Transpose) {
  std::string src = module({"tensor<2x3xf32>"}, "tensor<3x2xf32>",
                           "%r = axon.transpose %a {perm = array<i64: 1, 0>} : "
                           "tensor<2x3xf32> -> tensor<3x2xf32>");
  expectTensor(run1(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32, {3, 2},
               {1, 4, 2, 5, 3, 6});
  // Result dim i is input dim perm[i]: out[k, i, 0] = x[i, 0, k].
  std::string r3 = module({"tensor<2x1x3xf32>"}, "tensor<3x2x1xf32>",
                          "%r = axon.transpose %a {perm = array<i64: 2, 0, 1>} "
                          ": tensor<2x1x3xf32> -> tensor<3x2x1xf32>");
  expectTensor(run1(r3, {f32({2, 1, 3}, {1, 2, 3, 4, 5, 6})}), DType::F32,
               {3, 2, 1}, {1, 4, 2, 5, 3, 6});
}

TEST_F(EvaluatorTest, Broadcast) {
  std::string row =
      module({"tensor<3xf32>"}, "tensor<2x3xf32>",
             "%r = axon.broadcast %a : tensor<3xf32> -> tensor<2x3xf32>");
  expectTensor(run1(row, {f32({3}, {1, 2, 3})}), DType::F32, {2, 3},
               {1, 2, 3, 1, 2, 3});
  std::string col =
      module({"tensor<2x1xf32>"}, "tensor<2x3xf32>",
             "%r = axon.broadcast %a : tensor<2x1xf32> -> tensor<2x3xf32>");
  expectTensor(run1(col, {f32({2, 1}, {1, 2})}), DType::F32, {2, 3},
               {1, 1, 1, 2, 2, 2});
  std::string dyn =
      module({"tensor<3xf32>", "tensor<i64>"}, "tensor<?x3xf32>",
             "%r = axon.broadcast %a [%b] : tensor<3xf32> -> tensor<?x3xf32>");
  expectTensor(run1(dyn, {f32({3}, {1, 2, 3}), scalarI64(2)}), DType::F32,
               {2, 3}, {1, 2, 3, 1, 2, 3});
}

TEST_F(EvaluatorTest, Slice) {
  Tensor x = f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::string odd =
      module({"tensor<2x5xf32>"}, "tensor<2x2xf32>",
             "%r = axon.slice %a {axis = 1 : i64, start = 1 : i64, limit = -1 "
             ": i64, stride = 2 : i64} : tensor<2x5xf32> -> tensor<2x2xf32>");
  expectTensor(run1(odd, {x}), DType::F32, {2, 2}, {1, 3, 6, 8});
  std::string row =
      module({"tensor<2x5xf32>"}, "tensor<1x5xf32>",
             "%r = axon.slice %a {axis = -2 : i64, start = 1 : i64, limit = 2 "
             ": i64} : tensor<2x5xf32> -> tensor<1x5xf32>");
  expectTensor(run1(row, {x}), DType::F32, {1, 5}, {5, 6, 7, 8, 9});
  std::string step3 =
      module({"tensor<2x5xf32>"}, "tensor<2x2xf32>",
             "%r = axon.slice %a {axis = 1 : i64, start = 0 : i64, limit = 5 : "
             "i64, stride = 3 : i64} : tensor<2x5xf32> -> tensor<2x2xf32>");
  expectTensor(run1(step3, {x}), DType::F32, {2, 2}, {0, 3, 5, 8});
}

TEST_F(EvaluatorTest, InsertSliceWithAStride) {
  // Columns 1 and 3 of each row take the update's values.
  std::string cols =
      module({"tensor<2x5xf32>", "tensor<2x2xf32>"}, "tensor<2x5xf32>",
             "%r = axon.insert_slice %b into %a {axis = 1 : i64, start = 1 : "
             "i64, stride = 2 : i64} : tensor<2x2xf32>, tensor<2x5xf32> -> "
             "tensor<2x5xf32>");
  expectTensor(run1(cols, {f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
                           f32({2, 2}, {10, 11, 12, 13})}),
               DType::F32, {2, 5}, {0, 10, 2, 11, 4, 5, 12, 7, 13, 9});
  // Rows 0 and 2 along axis 0.
  std::string rows =
      module({"tensor<3x1x2xf32>", "tensor<2x1x2xf32>"}, "tensor<3x1x2xf32>",
             "%r = axon.insert_slice %b into %a {axis = 0 : i64, start = 0 : "
             "i64, stride = 2 : i64} : tensor<2x1x2xf32>, tensor<3x1x2xf32> "
             "-> tensor<3x1x2xf32>");
  expectTensor(run1(rows, {f32({3, 1, 2}, {0, 1, 2, 3, 4, 5}),
                           f32({2, 1, 2}, {10, 11, 12, 13})}),
               DType::F32, {3, 1, 2}, {10, 11, 2, 3, 12, 13});
}

TEST_F(EvaluatorTest, InsertSliceIntoAMiddleAxis) {
  // Axis -2 of [2, 3, 2] is the middle one: both outer and inner strides
  // matter. The default stride is 1.
  std::string src =
      module({"tensor<2x3x2xf32>", "tensor<2x1x2xf32>"}, "tensor<2x3x2xf32>",
             "%r = axon.insert_slice %b into %a {axis = -2 : i64, start = 2 : "
             "i64} : tensor<2x1x2xf32>, tensor<2x3x2xf32> -> "
             "tensor<2x3x2xf32>");
  expectTensor(
      run1(src, {f32({2, 3, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}),
                 f32({2, 1, 2}, {-1, -2, -3, -4})}),
      DType::F32, {2, 3, 2}, {0, 1, 2, 3, -1, -2, 6, 7, 8, 9, -3, -4});
}

TEST_F(EvaluatorTest, InsertSliceOutOfRangeIsAnErrorAtTheOp) {
  // Positions 1 and 3 need 4 rows; a dynamic target dim hides that from the
  // verifier.
  auto src = [](const std::string &stride) {
    return module({"tensor<?x4xf32>", "tensor<2x4xf32>"}, "tensor<?x4xf32>",
                  "%r = axon.insert_slice %b into %a {axis = 0 : i64, start = "
                  "1 : i64, stride = " +
                      stride +
                      " : i64} : tensor<2x4xf32>, tensor<?x4xf32> -> "
                      "tensor<?x4xf32>");
  };
  Tensor update = f32({2, 4}, Values(8, 1.0));
  expectTensor(run1(src("2"), {f32({4, 4}, Values(16, 0.0)), update}),
               DType::F32, {4, 4},
               {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1});
  std::string msg = runError(src("2"), {f32({3, 4}, Values(12, 0.0)), update});
  EXPECT_TRUE(contains(msg, "test.mlir:2:")) << msg;
  EXPECT_TRUE(contains(msg, "axon.insert_slice")) << msg;
  EXPECT_TRUE(contains(msg, "runs past axis 0 of [3, 4]")) << msg;
  // start + stride overflows int64: still an error, not a wild write.
  msg = runError(src("9223372036854775807"),
                 {f32({3, 4}, Values(12, 0.0)), update});
  EXPECT_TRUE(contains(msg, "runs past axis 0")) << msg;
}

// <slice(x), y> == <x, insert_slice(y into zeros)>: with a zero target,
// insert_slice is slice's adjoint.
TEST_F(EvaluatorTest, InsertSliceIsTheAdjointOfSlice) {
  struct Case {
    Shape x, y;
    int axis, start, limit, stride;
  };
  const Case cases[] = {
      {{3, 7, 2}, {3, 3, 2}, 1, 1, 7, 2},
      {{5, 4}, {2, 4}, 0, 0, 4, 3},
      {{2, 3, 6}, {2, 3, 4}, -1, 2, -1, 1},
  };
  for (const Case &c : cases) {
    std::string attrs = "{axis = " + std::to_string(c.axis) +
                        " : i64, start = " + std::to_string(c.start) +
                        " : i64, limit = " + std::to_string(c.limit) +
                        " : i64, stride = " + std::to_string(c.stride) +
                        " : i64}";
    std::string slice = module({f64Type(c.x)}, f64Type(c.y),
                               "%r = axon.slice %a " + attrs + " : " +
                                   f64Type(c.x) + " -> " + f64Type(c.y));
    std::string insert =
        module({f64Type(c.y)}, f64Type(c.x),
               "%z = axon.fill {value = 0.0 : f64} : " + f64Type(c.x) +
                   "\n  %r = axon.insert_slice %a into %z {axis = " +
                   std::to_string(c.axis) +
                   " : i64, start = " + std::to_string(c.start) +
                   " : i64, stride = " + std::to_string(c.stride) +
                   " : i64} : " + f64Type(c.y) + ", " + f64Type(c.x) + " -> " +
                   f64Type(c.x));
    Tensor x = wave(c.x, 0.7, 0.1), y = wave(c.y, 0.9, 0.3);
    double lhs = inner(run1(slice, {x}), y), rhs = inner(x, run1(insert, {y}));
    EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(1.0, std::fabs(lhs)));
    EXPECT_GT(std::fabs(lhs), 1e-3);
  }
}

TEST_F(EvaluatorTest, Concat) {
  std::string rows =
      module({"tensor<1x2xf32>", "tensor<2x2xf32>"}, "tensor<3x2xf32>",
             "%r = axon.concat %a, %b {axis = 0 : i64} : tensor<1x2xf32>, "
             "tensor<2x2xf32> -> tensor<3x2xf32>");
  expectTensor(run1(rows, {f32({1, 2}, {1, 2}), f32({2, 2}, {3, 4, 5, 6})}),
               DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6});
  std::string cols =
      module({"tensor<2x1xf32>", "tensor<2x2xf32>", "tensor<2x1xf32>"},
             "tensor<2x4xf32>",
             "%r = axon.concat %a, %b, %c {axis = -1 : i64} : tensor<2x1xf32>, "
             "tensor<2x2xf32>, tensor<2x1xf32> -> tensor<2x4xf32>");
  expectTensor(run1(cols, {f32({2, 1}, {1, 2}), f32({2, 2}, {3, 4, 5, 6}),
                           f32({2, 1}, {7, 8})}),
               DType::F32, {2, 4}, {1, 3, 4, 7, 2, 5, 6, 8});
}

TEST_F(EvaluatorTest, GatherRowsWithRepeats) {
  std::string src =
      module({"tensor<3x2xf32>", "tensor<3xi32>"}, "tensor<3x2xf32>",
             "%r = axon.gather %a[%b] {axis = 0 : i64} : tensor<3x2xf32>, "
             "tensor<3xi32> -> tensor<3x2xf32>");
  expectTensor(
      run1(src, {f32({3, 2}, {1, 2, 3, 4, 5, 6}), i32({3}, {2, 0, 2})}),
      DType::F32, {3, 2}, {5, 6, 1, 2, 5, 6});
}

TEST_F(EvaluatorTest, GatherAlongAnInnerAxis) {
  // result shape = table[:1] ++ indices.shape ++ table[2:] = [2, 2, 2].
  std::string src =
      module({"tensor<2x3xf32>", "tensor<2x2xi64>"}, "tensor<2x2x2xf32>",
             "%r = axon.gather %a[%b] {axis = 1 : i64} : tensor<2x3xf32>, "
             "tensor<2x2xi64> -> tensor<2x2x2xf32>");
  expectTensor(
      run1(src, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({2, 2}, {2, 0, 1, 1})}),
      DType::F32, {2, 2, 2}, {3, 1, 2, 2, 6, 4, 5, 5});
}

TEST_F(EvaluatorTest, GatherOutOfRangeIsAnErrorAtTheOp) {
  std::string src =
      module({"tensor<3x2xf32>", "tensor<2xi32>"}, "tensor<2x2xf32>",
             "%r = axon.gather %a[%b] : tensor<3x2xf32>, tensor<2xi32> -> "
             "tensor<2x2xf32>");
  for (double bad : {3.0, -1.0}) {
    std::string msg =
        runError(src, {f32({3, 2}, {1, 2, 3, 4, 5, 6}), i32({2}, {0, bad})});
    EXPECT_TRUE(contains(msg, "test.mlir:2:")) << msg;
    EXPECT_TRUE(contains(msg, "axon.gather")) << msg;
    EXPECT_TRUE(contains(msg, "index " + std::to_string(static_cast<int>(bad))))
        << msg;
  }
}

TEST_F(EvaluatorTest, ScatterAddAccumulatesRepeatedIndices) {
  std::string src = module(
      {"tensor<3x2xf32>", "tensor<3xi32>", "tensor<3x2xf32>"},
      "tensor<3x2xf32>",
      "%r = axon.scatter_add %a[%b], %c {axis = 0 : i64} : tensor<3x2xf32>, "
      "tensor<3xi32>, tensor<3x2xf32> -> tensor<3x2xf32>");
  // Rows 0 and 2 of the updates both land on row 0.
  expectTensor(run1(src, {f32({3, 2}, {1, 1, 1, 1, 1, 1}), i32({3}, {0, 2, 0}),
                          f32({3, 2}, {1, 2, 3, 4, 5, 6})}),
               DType::F32, {3, 2}, {7, 9, 1, 1, 4, 5});
  // Along axis 1: out[i, idx[k]] += updates[i, k].
  std::string inner = module(
      {"tensor<2x3xf32>", "tensor<3xi32>", "tensor<2x3xf32>"},
      "tensor<2x3xf32>",
      "%r = axon.scatter_add %a[%b], %c {axis = 1 : i64} : tensor<2x3xf32>, "
      "tensor<3xi32>, tensor<2x3xf32> -> tensor<2x3xf32>");
  expectTensor(run1(inner, {f32({2, 3}, Values(6, 0)), i32({3}, {1, 1, 2}),
                            f32({2, 3}, {1, 2, 3, 4, 5, 6})}),
               DType::F32, {2, 3}, {0, 3, 3, 0, 9, 6});
  std::string msg =
      runError(src, {f32({3, 2}, Values(6, 0)), i32({3}, {0, 3, 0}),
                     f32({3, 2}, Values(6, 1))});
  EXPECT_TRUE(contains(msg, "axon.scatter_add")) << msg;
  EXPECT_TRUE(contains(msg, "index 3")) << msg;
}

TEST_F(EvaluatorTest, OneHot) {
  std::string src = module({"tensor<3xi32>"}, "tensor<3x3xf32>",
                           "%r = axon.one_hot %a {depth = 3 : i64} : "
                           "tensor<3xi32> -> tensor<3x3xf32>");
  expectTensor(run1(src, {i32({3}, {2, 0, 1})}), DType::F32, {3, 3},
               {0, 0, 1, 1, 0, 0, 0, 1, 0});
  // A label outside [0, depth) is an error, as in torch's one_hot.
  for (double bad : {5.0, -1.0}) {
    std::string msg = runError(src, {i32({3}, {2, 0, bad})});
    EXPECT_NE(msg.find("out of range [0, 3)"), std::string::npos) << msg;
  }
  std::string r2 = module({"tensor<2x1xi64>"}, "tensor<2x1x2xi32>",
                          "%r = axon.one_hot %a {depth = 2 : i64} : "
                          "tensor<2x1xi64> -> tensor<2x1x2xi32>");
  expectTensor(run1(r2, {i64({2, 1}, {1, 0})}), DType::I32, {2, 1, 2},
               {0, 1, 1, 0});
}

TEST_F(EvaluatorTest, DimOfADynamicTensor) {
  std::string src = R"mlir(
func.func @f(%x: tensor<?x3xf32>) -> (tensor<i64>, tensor<i64>) {
  %n = axon.dim %x {axis = 0 : i64} : tensor<?x3xf32>
  %m = axon.dim %x {axis = -1 : i64} : tensor<?x3xf32>
  return %n, %m : tensor<i64>, tensor<i64>
}
)mlir";
  auto r = run(src, {f32({4, 3}, Values(12, 0))});
  ASSERT_EQ(r.size(), 2u);
  expectTensor(r[0], DType::I64, {}, {4});
  expectTensor(r[1], DType::I64, {}, {3});
}

//===----------------------------------------------------------------------===//
// Tensor creation
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, Constants) {
  std::string src = R"mlir(
func.func @f() -> (tensor<1x2xf32>, tensor<2x2xi32>, tensor<3xi1>, tensor<f64>, tensor<2xf32>, tensor<2xi64>) {
  %a = axon.constant dense<[[1.5, -2.0]]> : tensor<1x2xf32>
  %b = axon.constant dense<7> : tensor<2x2xi32>
  %c = axon.constant dense<[true, false, true]> : tensor<3xi1>
  %d = axon.constant dense<0.1> : tensor<f64>
  %e = axon.constant dense<0.1> : tensor<2xf32>
  %g = axon.constant dense<[-3, 9000000000]> : tensor<2xi64>
  return %a, %b, %c, %d, %e, %g : tensor<1x2xf32>, tensor<2x2xi32>, tensor<3xi1>, tensor<f64>, tensor<2xf32>, tensor<2xi64>
}
)mlir";
  auto r = run(src, {});
  ASSERT_EQ(r.size(), 6u);
  expectTensor(r[0], DType::F32, {1, 2}, {1.5, -2});
  expectTensor(r[1], DType::I32, {2, 2}, {7, 7, 7, 7});
  expectTensor(r[2], DType::I1, {3}, {1, 0, 1});
  expectTensor(r[3], DType::F64, {}, {0.1});
  expectTensor(r[4], DType::F32, {2}, {roundF32(0.1), roundF32(0.1)});
  expectTensor(r[5], DType::I64, {2}, {-3, 9000000000.0});
}

TEST_F(EvaluatorTest, Fill) {
  std::string src = R"mlir(
func.func @f(%n: tensor<i64>) -> (tensor<2x2xf32>, tensor<?x2xi32>) {
  %a = axon.fill {value = 2.5 : f64} : tensor<2x2xf32>
  %b = axon.fill [%n] {value = -3.0 : f64} : tensor<?x2xi32>
  return %a, %b : tensor<2x2xf32>, tensor<?x2xi32>
}
)mlir";
  auto r = run(src, {scalarI64(3)});
  ASSERT_EQ(r.size(), 2u);
  expectTensor(r[0], DType::F32, {2, 2}, {2.5, 2.5, 2.5, 2.5});
  expectTensor(r[1], DType::I32, {3, 2}, {-3, -3, -3, -3, -3, -3});
}

TEST_F(EvaluatorTest, RandomDrawsFollowPhilox) {
  std::string src = R"mlir(
func.func @f(%c: tensor<i64>, %n: tensor<i64>) -> (tensor<4xf32>, tensor<?x2xf64>, tensor<4xf32>) {
  %u = axon.random_uniform %c {seed = 42 : i64, low = -1.0 : f64, high = 3.0 : f64} : tensor<4xf32>
  %z = axon.random_normal %c [%n] {seed = 7 : i64, mean = 1.0 : f64, std = 2.0 : f64} : tensor<?x2xf64>
  %b = axon.random_bernoulli %c {seed = 42 : i64, p = 0.5 : f64} : tensor<4xf32>
  return %u, %z, %b : tensor<4xf32>, tensor<?x2xf64>, tensor<4xf32>
}
)mlir";
  auto r = run(src, {scalarI64(5), scalarI64(3)});
  ASSERT_EQ(r.size(), 3u);
  Values u, z, b;
  for (uint64_t i = 0; i < 4; ++i) {
    u.push_back(roundF32(-1 + 4 * axon::philox::uniform(42, 5, i)));
    b.push_back(axon::philox::uniform(42, 5, i) < 0.5 ? 1 : 0);
  }
  for (uint64_t i = 0; i < 6; ++i)
    z.push_back(1 + 2 * axon::philox::normal(7, 5, i));
  expectTensor(r[0], DType::F32, {4}, u);
  expectTensor(r[1], DType::F64, {3, 2}, z);
  expectTensor(r[2], DType::F32, {4}, b);
  for (double v : r[0].data) {
    EXPECT_GE(v, -1);
    EXPECT_LT(v, 3);
  }

  // Same counter: same draws. Another counter: other draws.
  auto again = run(src, {scalarI64(5), scalarI64(3)});
  auto other = run(src, {scalarI64(6), scalarI64(3)});
  ASSERT_EQ(again.size(), 3u);
  ASSERT_EQ(other.size(), 3u);
  EXPECT_EQ(again[0].data, r[0].data);
  EXPECT_EQ(again[1].data, r[1].data);
  EXPECT_NE(other[0].data, r[0].data);
  EXPECT_NE(other[1].data, r[1].data);
}

TEST_F(EvaluatorTest, RandomBernoulliRate) {
  std::string src = module({"tensor<i64>"}, "tensor<2000xf32>",
                           "%r = axon.random_bernoulli %a {seed = 3 : i64, p = "
                           "0.3 : f64} : tensor<2000xf32>");
  Tensor r = run1(src, {scalarI64(0)});
  ASSERT_EQ(r.data.size(), 2000u);
  double ones = 0;
  for (double v : r.data) {
    EXPECT_TRUE(v == 0 || v == 1);
    ones += v;
  }
  EXPECT_NEAR(ones / 2000, 0.3, 0.04);
}

TEST_F(EvaluatorTest, HugeRunTimeExtentsAreErrors) {
  std::string src =
      module({"tensor<i64>"}, "tensor<?x4xf32>",
             "%r = axon.fill [%a] {value = 0.0 : f64} : tensor<?x4xf32>");
  std::string msg = runError(src, {scalarI64(int64_t(1) << 40)});
  EXPECT_TRUE(contains(msg, "axon.fill")) << msg;
  EXPECT_TRUE(contains(msg, "too large")) << msg;
  std::string negative = runError(src, {scalarI64(-2)});
  EXPECT_TRUE(contains(negative, "negative extent -2")) << negative;
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

const char *kParamModule = R"mlir(
axon.param @w : tensor<2x2xf32> = constant {a = 3.0 : f64}
axon.param @v : tensor<3x4xf32> = glorot_uniform {seed = 5 : i64}
func.func @f() -> (tensor<2x2xf32>, tensor<3x4xf32>) {
  %w = axon.param_ref @w : tensor<2x2xf32>
  %v = axon.param_ref @v : tensor<3x4xf32>
  return %w, %v : tensor<2x2xf32>, tensor<3x4xf32>
}
)mlir";

TEST_F(EvaluatorTest, ParamsStartAtTheirInitialisers) {
  auto m = parse(kParamModule);
  ASSERT_TRUE(m);
  Evaluator ev(*m);
  EXPECT_EQ(ev.paramNames(), (std::vector<std::string>{"w", "v"}));
  auto r = ev.call("f", {});
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->size(), 2u);
  expectTensor((*r)[0], DType::F32, {2, 2}, {3, 3, 3, 3});
  Tensor expected =
      axon::initialize("glorot_uniform", DType::F32, {3, 4}, 0, 0, 5);
  expectTensor((*r)[1], DType::F32, {3, 4}, expected.data);
  ASSERT_NE(ev.getParam("v"), nullptr);
  EXPECT_EQ(ev.getParam("v")->data, expected.data);
  EXPECT_EQ(ev.getParam("nope"), nullptr);
}

TEST_F(EvaluatorTest, SetParam) {
  auto m = parse(kParamModule);
  ASSERT_TRUE(m);
  Evaluator ev(*m);
  ASSERT_FALSE(static_cast<bool>(ev.setParam("w", f32({2, 2}, {1, 2, 3, 4}))));
  auto r = ev.call("f", {});
  ASSERT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
  expectTensor((*r)[0], DType::F32, {2, 2}, {1, 2, 3, 4});

  std::string shape = llvm::toString(ev.setParam("w", f32({4}, {1, 2, 3, 4})));
  EXPECT_TRUE(contains(shape, "@w")) << shape;
  std::string dtype =
      llvm::toString(ev.setParam("w", f64({2, 2}, {1, 2, 3, 4})));
  EXPECT_TRUE(contains(dtype, "f32[2, 2]")) << dtype;
  std::string unknown =
      llvm::toString(ev.setParam("u", f32({2, 2}, {1, 2, 3, 4})));
  EXPECT_TRUE(contains(unknown, "@u")) << unknown;
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

const char *kLoopModule = R"mlir(
func.func @f(%lo: tensor<i64>, %hi: tensor<i64>, %a0: tensor<f32>, %b0: tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  %zero = axon.constant dense<0.0> : tensor<f32>
  %r:3 = axon.loop %lo to %hi carry(%a0, %b0, %zero : tensor<f32>, tensor<f32>, tensor<f32>) {
  ^bb0(%t: tensor<i64>, %a: tensor<f32>, %b: tensor<f32>, %s: tensor<f32>):
    %next = axon.add %a, %b : tensor<f32>, tensor<f32> -> tensor<f32>
    %tf = axon.cast %t : tensor<i64> -> tensor<f32>
    %s2 = axon.add %s, %tf : tensor<f32>, tensor<f32> -> tensor<f32>
    axon.yield %b, %next, %s2 : tensor<f32>, tensor<f32>, tensor<f32>
  } -> tensor<f32>, tensor<f32>, tensor<f32>
  return %r#0, %r#1, %r#2 : tensor<f32>, tensor<f32>, tensor<f32>
}
)mlir";

TEST_F(EvaluatorTest, LoopCarriesValuesAndSeesTheStep) {
  struct Case {
    int64_t lo, hi;
    Values expected; // a, b (Fibonacci pair) and the sum of the steps
  };
  const Case cases[] = {
      {0, 5, {5, 8, 0 + 1 + 2 + 3 + 4}},
      {2, 5, {2, 3, 2 + 3 + 4}},
      {3, 3, {0, 1, 0}}, // no step runs: the initial values
      {4, 1, {0, 1, 0}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::to_string(c.lo) + " to " + std::to_string(c.hi));
    auto r = run(kLoopModule, {scalarI64(c.lo), scalarI64(c.hi), f32({}, {0}),
                               f32({}, {1})});
    ASSERT_EQ(r.size(), 3u);
    for (int i = 0; i < 3; ++i)
      expectTensor(r[i], DType::F32, {}, {c.expected[i]});
  }
}

TEST_F(EvaluatorTest, LoopBodyReadsOuterValues) {
  std::string src = R"mlir(
func.func @f(%v0: tensor<2xf32>, %k: tensor<2xf32>) -> tensor<2xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<2> : tensor<i64>
  %one = axon.constant dense<1.0> : tensor<f32>
  %r = axon.loop %lo to %hi carry(%v0 : tensor<2xf32>) {
  ^bb0(%t: tensor<i64>, %v: tensor<2xf32>):
    %m = axon.mul %v, %k : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
    %n = axon.add %m, %one : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
    axon.yield %n : tensor<2xf32>
  } -> tensor<2xf32>
  return %r : tensor<2xf32>
}
)mlir";
  // v -> v * k + 1 twice from [0, 0] with k = [2, 3]: [1, 1] then [3, 4].
  expectTensor(run1(src, {f32({2}, {0, 0}), f32({2}, {2, 3})}), DType::F32, {2},
               {3, 4});
}

TEST_F(EvaluatorTest, FuncCall) {
  std::string src = R"mlir(
func.func @square(%x: tensor<2xf32>) -> tensor<2xf32> {
  %r = axon.mul %x, %x : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return %r : tensor<2xf32>
}
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %a = func.call @square(%x) : (tensor<2xf32>) -> tensor<2xf32>
  %b = call @square(%a) : (tensor<2xf32>) -> tensor<2xf32>
  return %b : tensor<2xf32>
}
)mlir";
  expectTensor(run1(src, {f32({2}, {2, 3})}), DType::F32, {2}, {16, 81});
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

const char *kIdentity = R"mlir(
func.func @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  return %x : tensor<?x3xf32>
}
)mlir";

TEST_F(EvaluatorTest, ArgumentsAreChecked) {
  // A dynamic dim accepts any extent.
  expectTensor(run1(kIdentity, {f32({2, 3}, Values(6, 1))}), DType::F32, {2, 3},
               Values(6, 1));
  expectTensor(run1(kIdentity, {f32({0, 3}, Values{})}), DType::F32, {0, 3},
               Values{});

  std::string count = runError(kIdentity, {});
  EXPECT_TRUE(contains(count, "@f takes 1 arguments, got 0")) << count;
  std::string shape = runError(kIdentity, {f32({3, 2}, Values(6, 1))});
  EXPECT_TRUE(contains(shape, "argument #0")) << shape;
  EXPECT_TRUE(contains(shape, "f32[3, 2]")) << shape;
  EXPECT_TRUE(contains(shape, "test.mlir:2:")) << shape;
  std::string rank = runError(kIdentity, {f32({6}, Values(6, 1))});
  EXPECT_TRUE(contains(rank, "rank")) << rank;
  std::string dtype = runError(kIdentity, {f64({2, 3}, Values(6, 1))});
  EXPECT_TRUE(contains(dtype, "element type")) << dtype;
  std::string fn = runError(kIdentity, {}, "g");
  EXPECT_TRUE(contains(fn, "no function named @g")) << fn;
}

TEST_F(EvaluatorTest, UnknownOpIsNamed) {
  ctx.allowUnregisteredDialects();
  std::string src = R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %r = "mystery.op"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}
)mlir";
  std::string msg = runError(src, {f32({2}, {1, 2})});
  EXPECT_TRUE(contains(msg, "mystery.op")) << msg;
  EXPECT_TRUE(contains(msg, "test.mlir:3:")) << msg;
}

TEST_F(EvaluatorTest, ErrorsInsideLoopsAndCallsPropagate) {
  std::string src = R"mlir(
func.func @g(%t: tensor<3xf32>, %i: tensor<1xi32>) -> tensor<1xf32> {
  %r = axon.gather %t[%i] : tensor<3xf32>, tensor<1xi32> -> tensor<1xf32>
  return %r : tensor<1xf32>
}
func.func @f(%t: tensor<3xf32>, %i: tensor<1xi32>) -> tensor<1xf32> {
  %lo = axon.constant dense<0> : tensor<i64>
  %hi = axon.constant dense<2> : tensor<i64>
  %z = axon.constant dense<0.0> : tensor<1xf32>
  %r = axon.loop %lo to %hi carry(%z : tensor<1xf32>) {
  ^bb0(%s: tensor<i64>, %acc: tensor<1xf32>):
    %g = func.call @g(%t, %i) : (tensor<3xf32>, tensor<1xi32>) -> tensor<1xf32>
    %n = axon.add %acc, %g : tensor<1xf32>, tensor<1xf32> -> tensor<1xf32>
    axon.yield %n : tensor<1xf32>
  } -> tensor<1xf32>
  return %r : tensor<1xf32>
}
)mlir";
  expectTensor(run1(src, {f32({3}, {1, 2, 3}), i32({1}, {2})}), DType::F32, {1},
               {6});
  std::string msg = runError(src, {f32({3}, {1, 2, 3}), i32({1}, {7})});
  EXPECT_TRUE(contains(msg, "test.mlir:3:")) << msg;
  EXPECT_TRUE(contains(msg, "axon.gather")) << msg;
}

} // namespace
