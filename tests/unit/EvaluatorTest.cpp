// Tests of the reference evaluator (backends/reference) beyond each op's own
// values: rounding to the element type, adjoint relations between ops,
// reproducible random draws, parameters, calls and argument errors. Each
// op's own values and errors are checked from the per-op table
// (OpTable.cpp, OpEvaluatorTest.cpp).
#include "backends/reference/Evaluator.h"
#include "ir/AxonDialect.h"
#include "tests/unit/OpTable.h"
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

using axon::op_table::f32;
using axon::op_table::f64;
using axon::op_table::i32;
using axon::op_table::roundF32;
using axon::op_table::scalarI64;

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

using axon::op_table::convAttrs;
using axon::op_table::convModule;
using axon::op_table::convTransposeModule;
using axon::op_table::module;

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Convolutions: conv_transpose2d is conv2d's adjoint
//===----------------------------------------------------------------------===//

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
// Pooling: gradients are adjoints (or route to the forward winners)
//===----------------------------------------------------------------------===//

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
// Slicing: insert_slice is slice's adjoint
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Random draws: reproducible, in range, at the right rate
//===----------------------------------------------------------------------===//

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
