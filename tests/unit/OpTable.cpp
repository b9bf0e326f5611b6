// The per-op test table (OpTable.h): one entry per axon op. Instances give
// shapes and attributes; oracles and examples give the values; exemptions
// say which checks cannot apply, and why.
#include "tests/unit/OpTable.h"

#include "runtime/core/Philox.h"

#include <cmath>
#include <limits>

namespace axon::op_table {

//===----------------------------------------------------------------------===//
// Arguments, shapes, modules
//===----------------------------------------------------------------------===//

const char *checkName(Check check) {
  switch (check) {
  case Evaluator:
    return "evaluator";
  case Gradient:
    return "gradient";
  case Compiled:
    return "compiled";
  }
  return "?";
}

Arg any(std::string type) { return {std::move(type)}; }
Arg positive(std::string type) { return {std::move(type), 0.3, 2.0}; }
Arg awayFromZero(std::string type) {
  return {std::move(type), -1.5, 1.5, 0.25};
}
Arg ints(std::string type, std::vector<double> values) {
  return {std::move(type), 0, 0, 0, std::move(values)};
}
Arg constant(std::string type) { return {std::move(type), -1, 1, 0, {}, true}; }
Arg withEdges(std::string type) {
  return {std::move(type), -3, 3, 0, {}, false, true};
}
Arg bools(std::string type) { return {std::move(type), 0, 2}; }
Arg indices(std::string type, int64_t bound) {
  return {std::move(type), 0, double(bound)};
}

const std::string *OpEntry::exemption(Check check) const {
  for (const Exemption &e : exempt)
    if (e.check == check)
      return &e.reason;
  return nullptr;
}

uint32_t seedOf(const std::string &name) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : name)
    h = (h ^ ch) * 16777619u;
  return h;
}

std::vector<int64_t> shapeOf(const std::string &type, int64_t extent) {
  std::vector<int64_t> s;
  std::string dims = type.substr(7, type.size() - 8);
  size_t pos = 0;
  for (size_t x; (x = dims.find('x', pos)) != std::string::npos; pos = x + 1) {
    std::string d = dims.substr(pos, x - pos);
    s.push_back(d == "?" ? extent : std::stoll(d));
  }
  return s;
}

DType dtypeOf(const std::string &type) {
  auto endsWith = [&](const char *s) {
    std::string suffix(s);
    return type.size() >= suffix.size() &&
           type.compare(type.size() - suffix.size(), suffix.size(), suffix) ==
               0;
  };
  if (endsWith("f64>"))
    return DType::F64;
  if (endsWith("i64>"))
    return DType::I64;
  if (endsWith("i32>"))
    return DType::I32;
  if (endsWith("i1>"))
    return DType::I1;
  return DType::F32;
}

/// Values at which elementwise ops misbehave if they are going to: NaN,
/// both infinities and zeros, huge and tiny (f32-subnormal) magnitudes, and
/// where exp overflows f32 and f64.
const double kEdgeValues[] = {std::numeric_limits<double>::quiet_NaN(),
                              INFINITY,
                              -INFINITY,
                              0.0,
                              -0.0,
                              1e30,
                              -1e30,
                              1e-40,
                              -1e-40,
                              100,
                              -750};

Tensor drawArg(const Arg &arg, int64_t extent, std::mt19937 &rng) {
  DType dtype = dtypeOf(arg.type);
  Tensor t(dtype, shapeOf(arg.type, extent));
  if (!arg.values.empty()) {
    t.data = arg.values;
    return t;
  }
  std::uniform_real_distribution<double> u(arg.lo, arg.hi);
  const int64_t numEdges = sizeof kEdgeValues / sizeof kEdgeValues[0];
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double &v = t.data[i];
    if (arg.edges && i % 3 == 0) {
      v = roundTo(dtype, kEdgeValues[(i / 3) % numEdges]);
      continue;
    }
    do
      v = u(rng);
    while (std::fabs(v) < arg.gap);
    v = isFloat(dtype) ? roundTo(dtype, v) : std::floor(v);
  }
  return t;
}

bool hasDynamicExtent(const Instance &instance) {
  for (const Arg &a : instance.args)
    if (a.type.find('?') != std::string::npos)
      return true;
  return false;
}

std::string instanceParams(const Instance &instance) {
  std::string text;
  uint64_t seed = 1;
  for (auto &[name, type] : instance.params)
    text += "axon.param @" + name + " : " + type +
            " = uniform {a = -1.0 : f64, b = 1.0 : f64, seed = " +
            std::to_string(seed++) + " : i64}\n";
  return text;
}

std::string instanceFunction(const Instance &c, const std::string &fn) {
  std::string args;
  for (size_t i = 0; i < c.args.size(); ++i)
    args += (i ? ", %a" : "%a") + std::to_string(i) + ": " + c.args[i].type;
  return "func.func @" + fn + "(" + args + ") -> " + c.out + " {\n  " + c.body +
         "\n  return %y : " + c.out + "\n}\n";
}

std::string testName(const std::string &op) {
  return op.substr(op.find('.') + 1);
}

void PrintTo(const OpInstance &c, std::ostream *os) { *os << c.instance.name; }

std::vector<OpInstance> instancesFor(Check check) {
  std::vector<OpInstance> out;
  for (const OpEntry &e : opTable())
    for (const Instance &i : e.instances)
      if (i.checks & check)
        out.push_back({e.op, i});
  return out;
}

//===----------------------------------------------------------------------===//
// Oracles
//===----------------------------------------------------------------------===//

using Shape = std::vector<int64_t>;
using Values = std::vector<double>;
using Scalar = long double;

/// Applies `f` elementwise to `inputs` broadcast together (numpy rules),
/// rounding each result to `dtype`.
Tensor
broadcastMap(const std::vector<Tensor> &inputs, DType dtype,
             const std::function<Scalar(const std::vector<Scalar> &)> &f) {
  Shape shape;
  for (const Tensor &t : inputs) {
    if (t.shape.size() > shape.size())
      shape.insert(shape.begin(), t.shape.size() - shape.size(), 1);
    for (size_t i = 0; i < t.shape.size(); ++i) {
      int64_t &d = shape[shape.size() - t.shape.size() + i];
      if (d == 1)
        d = t.shape[i];
    }
  }
  Tensor out(dtype, shape);
  std::vector<Scalar> xs(inputs.size());
  for (int64_t flat = 0; flat < out.numElements(); ++flat) {
    for (size_t k = 0; k < inputs.size(); ++k) {
      const Tensor &t = inputs[k];
      int64_t rest = flat, index = 0, stride = 1;
      for (size_t d = shape.size(); d-- > 0;) {
        int64_t i = rest % shape[d];
        rest /= shape[d];
        size_t td = d + t.shape.size();
        if (td >= shape.size()) {
          td -= shape.size();
          if (t.shape[td] != 1)
            index += i * stride;
          stride *= t.shape[td];
        }
      }
      xs[k] = t.data[index];
    }
    out.data[flat] = roundTo(dtype, double(f(xs)));
  }
  return out;
}

Oracle unaryOracle(std::function<Scalar(Scalar)> f) {
  return [f](const std::vector<Tensor> &in) {
    return std::vector<Tensor>{
        broadcastMap(in, in[0].dtype,
                     [&](const std::vector<Scalar> &x) { return f(x[0]); })};
  };
}

Oracle binaryOracle(std::function<Scalar(Scalar, Scalar)> f,
                    DType result = DType::F32, bool sameAsInput = true) {
  return [=](const std::vector<Tensor> &in) {
    return std::vector<Tensor>{broadcastMap(
        in, sameAsInput ? in[0].dtype : result,
        [&](const std::vector<Scalar> &x) { return f(x[0], x[1]); })};
  };
}

/// max and min propagate NaN, as torch.maximum does.
Scalar maxOf(Scalar a, Scalar b) {
  return std::isnan(a) || std::isnan(b) ? NAN : std::fmax(a, b);
}
Scalar minOf(Scalar a, Scalar b) {
  return std::isnan(a) || std::isnan(b) ? NAN : std::fmin(a, b);
}

//===----------------------------------------------------------------------===//
// Examples
//===----------------------------------------------------------------------===//

Tensor f32(Shape shape, Values data) { return Tensor(DType::F32, shape, data); }
Tensor f64(Shape shape, Values data) { return Tensor(DType::F64, shape, data); }
Tensor i32(Shape shape, Values data) { return Tensor(DType::I32, shape, data); }
Tensor i64(Shape shape, Values data) { return Tensor(DType::I64, shape, data); }
Tensor i1(Shape shape, Values data) { return Tensor(DType::I1, shape, data); }
Tensor scalarI64(int64_t v) {
  return Tensor(DType::I64, {}, static_cast<double>(v));
}
double roundF32(double v) { return static_cast<double>(static_cast<float>(v)); }

/// A module whose @f applies one op to its arguments and returns the result.
/// `body` uses %a, %b, %c for the arguments and defines %r; it is line 2.
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

/// An example of one call with one expected result.
Example example(std::string what, std::string source,
                std::vector<Tensor> inputs, Expected result) {
  return {std::move(what),
          std::move(source),
          {Call{std::move(inputs), {std::move(result)}}}};
}

/// An example of one call that must fail naming all of `errors`.
Call failing(std::vector<Tensor> inputs, std::vector<std::string> errors) {
  return Call{std::move(inputs), {}, std::move(errors)};
}

//===----------------------------------------------------------------------===//
// Elementwise families
//===----------------------------------------------------------------------===//

using ArgMaker = Arg (*)(std::string);

/// A unary elementwise op: its gradient case (f64, [2, 3]); f32 at awkward
/// extents for the compiled check; FP edges in f32 and f64 for the
/// evaluator, against `f` in long double.
OpEntry unary(const std::string &name, std::function<Scalar(Scalar)> f,
              ArgMaker domain, std::vector<Example> examples) {
  std::string op = "axon." + name;
  auto body = [&](const std::string &t) {
    return "%y = " + op + " %a0 : " + t;
  };
  Oracle oracle = unaryOracle(f);
  OpEntry e{op, {}, std::move(examples)};
  const std::string t23 = "tensor<2x3xf64>";
  e.instances.push_back({name,
                         {domain(t23)},
                         t23,
                         body(t23),
                         {},
                         Gradient | Compiled | Evaluator,
                         oracle});
  e.instances.push_back({name + "_f32",
                         {domain("tensor<?xf32>")},
                         "tensor<?xf32>",
                         body("tensor<?xf32>"),
                         {},
                         Compiled | Evaluator,
                         oracle});
  for (const char *t : {"f32", "f64"}) {
    std::string type = std::string("tensor<?x") + t + ">";
    e.instances.push_back({name + "_edges_" + t,
                           {withEdges(type)},
                           type,
                           body(type),
                           {},
                           Evaluator,
                           oracle});
  }
  return e;
}

/// A binary elementwise op: gradient cases with a trailing and a two-way
/// broadcast (f64); f32 at awkward extents, same-shape and broadcast, for
/// the compiled check; FP edges against each other for the evaluator.
OpEntry binary(const std::string &name, std::function<Scalar(Scalar, Scalar)> f,
               ArgMaker lhs, ArgMaker rhs, std::vector<Example> examples) {
  std::string op = "axon." + name;
  auto body = [&](const std::string &l, const std::string &r,
                  const std::string &o) {
    return "%y = " + op + " %a0, %a1 : " + l + ", " + r + " -> " + o;
  };
  Oracle oracle = binaryOracle(f);
  OpEntry e{op, {}, std::move(examples)};
  // The f64 cases are not compiled: the f32 ones cover the kernels (and
  // unary ops the f64 ones), and each compiled case costs a kernel.
  unsigned all = Gradient | Evaluator;
  e.instances.push_back(
      {name + "_trailing_broadcast",
       {lhs("tensor<3x4xf64>"), rhs("tensor<4xf64>")},
       "tensor<3x4xf64>",
       body("tensor<3x4xf64>", "tensor<4xf64>", "tensor<3x4xf64>"),
       {},
       all,
       oracle});
  e.instances.push_back(
      {name + "_both_broadcast",
       {lhs("tensor<2x1x3xf64>"), rhs("tensor<4x1xf64>")},
       "tensor<2x4x3xf64>",
       body("tensor<2x1x3xf64>", "tensor<4x1xf64>", "tensor<2x4x3xf64>"),
       {},
       all,
       oracle});
  const std::string v = "tensor<?xf32>";
  e.instances.push_back({name + "_f32",
                         {lhs(v), rhs(v)},
                         v,
                         body(v, v, v),
                         {},
                         Compiled | Evaluator,
                         oracle});
  e.instances.push_back(
      {name + "_f32_broadcast",
       {lhs("tensor<?x1xf32>"), rhs("tensor<5xf32>")},
       "tensor<?x5xf32>",
       body("tensor<?x1xf32>", "tensor<5xf32>", "tensor<?x5xf32>"),
       {},
       Compiled | Evaluator,
       oracle});
  for (const char *t : {"f32", "f64"}) {
    std::string type = std::string("tensor<?x") + t + ">";
    e.instances.push_back({name + "_edges_" + t,
                           {withEdges(type), withEdges(type)},
                           type,
                           body(type, type, type),
                           {},
                           Evaluator,
                           oracle});
  }
  return e;
}

/// An example of a unary op on a tensor<4xf32> (hand-computed values).
Example unaryExample(const std::string &name, Values input, Values expected) {
  return example("hand-computed values",
                 module({"tensor<4xf32>"}, "tensor<4xf32>",
                        "%r = axon." + name + " %a : tensor<4xf32>"),
                 {f32({4}, std::move(input))},
                 {DType::F32, {4}, std::move(expected), 1e-6});
}

/// sigmoid and softplus at +-1000 in f64: no overflow.
Example largeInputExample(const std::string &name, Values expected) {
  return example("stable for large inputs",
                 module({"tensor<2xf64>"}, "tensor<2xf64>",
                        "%r = axon." + name + " %a : tensor<2xf64>"),
                 {f64({2}, {-1000, 1000})},
                 {DType::F64, {2}, std::move(expected), 1e-12});
}

/// A binary op with a row vector broadcast over a [2, 3] f32 lhs 1..6.
Example rowVectorExample(const std::string &name, Values rhs, Values expected) {
  return example(
      "broadcasts a row vector",
      module({"tensor<2x3xf32>", "tensor<3xf32>"}, "tensor<2x3xf32>",
             "%r = axon." + name +
                 " %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>"),
      {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, std::move(rhs))},
      {DType::F32, {2, 3}, std::move(expected), 1e-6});
}

void addUnaryOps(std::vector<OpEntry> &t) {
  Values x = {-1, 0, 0.5, 2}, p = {0.25, 1, 2, 4};
  t.push_back(unary("neg", [](Scalar v) { return -v; }, any,
                    {unaryExample("neg", x, {1, 0, -0.5, -2})}));
  t.push_back(unary("exp", [](Scalar v) { return std::exp(v); }, any,
                    {unaryExample("exp", x,
                                  {0.36787944117144233, 1, 1.6487212707001282,
                                   7.38905609893065})}));
  t.push_back(unary("log", [](Scalar v) { return std::log(v); }, positive,
                    {unaryExample("log", p,
                                  {-1.3862943611198906, 0, 0.6931471805599453,
                                   1.3862943611198906})}));
  t.push_back(
      unary("sqrt", [](Scalar v) { return std::sqrt(v); }, positive,
            {unaryExample("sqrt", p, {0.5, 1, 1.4142135623730951, 2})}));
  t.push_back(unary("abs", [](Scalar v) { return std::fabs(v); }, awayFromZero,
                    {unaryExample("abs", x, {1, 0, 0.5, 2})}));
  t.push_back(unary("sin", [](Scalar v) { return std::sin(v); }, any,
                    {unaryExample("sin", x,
                                  {-0.8414709848078965, 0, 0.479425538604203,
                                   0.9092974268256817})}));
  t.push_back(unary("cos", [](Scalar v) { return std::cos(v); }, any,
                    {unaryExample("cos", x,
                                  {0.5403023058681398, 1, 0.8775825618903728,
                                   -0.4161468365471424})}));
  t.push_back(unary("tanh", [](Scalar v) { return std::tanh(v); }, any,
                    {unaryExample("tanh", x,
                                  {-0.7615941559557649, 0, 0.46211715726000974,
                                   0.9640275800758169})}));
  t.push_back(unary("sigmoid", [](Scalar v) { return 1 / (1 + std::exp(-v)); },
                    any,
                    {unaryExample("sigmoid", x,
                                  {0.2689414213699951, 0.5, 0.6224593312018546,
                                   0.8807970779778823}),
                     largeInputExample("sigmoid", {0, 1})}));
  t.push_back(unary("erf", [](Scalar v) { return std::erf(v); }, any,
                    {unaryExample("erf", x,
                                  {-0.8427007929497149, 0, 0.5204998778130465,
                                   0.9953222650189527})}));
  // relu passes NaN through (max(NaN, 0) is NaN, as in torch).
  t.push_back(unary("relu",
                    [](Scalar v) { return std::isnan(v) ? v
                                          : v < 0       ? 0
                                                        : v; },
                    awayFromZero, {unaryExample("relu", x, {0, 0, 0.5, 2})}));
  // ln(1 + e^v), written so that e^v cannot overflow.
  t.push_back(unary("softplus",
                    [](Scalar v) {
                      return v > 0 ? v + std::log1p(std::exp(-v))
                                   : std::log1p(std::exp(v));
                    },
                    any,
                    {unaryExample("softplus", x,
                                  {0.31326168751822286, 0.6931471805599453,
                                   0.9740769841801067, 2.1269280110429727}),
                     largeInputExample("softplus", {0, 1000})}));
  t.push_back(unary("sign",
                    [](Scalar v) {
                      return std::isnan(v) ? v : v > 0 ? 1 : v < 0 ? -1 : 0;
                    },
                    awayFromZero, {unaryExample("sign", x, {-1, 0, 1, 1})}));
}

void addBinaryOps(std::vector<OpEntry> &t) {
  t.push_back(binary(
      "add", [](Scalar a, Scalar b) { return a + b; }, any, any,
      {rowVectorExample("add", {10, 20, 30}, {11, 22, 33, 14, 25, 36}),
       // [2, 1] + [1, 3] -> [2, 3].
       example("broadcasts both ways",
               module({"tensor<2x1xf32>", "tensor<1x3xf32>"}, "tensor<2x3xf32>",
                      "%r = axon.add %a, %b : tensor<2x1xf32>, "
                      "tensor<1x3xf32> -> tensor<2x3xf32>"),
               {f32({2, 1}, {1, 2}), f32({1, 3}, {10, 20, 30})},
               {DType::F32, {2, 3}, {11, 21, 31, 12, 22, 32}}),
       // [1] stretches; [2] does not broadcast with [3].
       {"a broadcast mismatch at run time is an error",
        module({"tensor<?xf32>", "tensor<3xf32>"}, "tensor<?xf32>",
               "%r = axon.add %a, %b : tensor<?xf32>, tensor<3xf32> -> "
               "tensor<?xf32>"),
        {Call{{f32({1}, {1}), f32({3}, {1, 2, 3})},
              {{DType::F32, {3}, {2, 3, 4}}}},
         failing({f32({2}, {1, 2}), f32({3}, {1, 2, 3})},
                 {"test.mlir:2:", "axon.add", "do not broadcast"})}}}));
  t.push_back(binary(
      "sub", [](Scalar a, Scalar b) { return a - b; }, any, any,
      {rowVectorExample("sub", {10, 20, 30}, {-9, -18, -27, -6, -15, -24}),
       // A rank-0 operand stretches to anything.
       example("a rank-0 operand stretches",
               module({"tensor<f32>", "tensor<2x2xf32>"}, "tensor<2x2xf32>",
                      "%r = axon.sub %a, %b : tensor<f32>, tensor<2x2xf32> -> "
                      "tensor<2x2xf32>"),
               {f32({}, {10}), f32({2, 2}, {1, 2, 3, 4})},
               {DType::F32, {2, 2}, {9, 8, 7, 6}})}));
  t.push_back(binary(
      "mul", [](Scalar a, Scalar b) { return a * b; }, any, any,
      {rowVectorExample("mul", {10, 20, 30}, {10, 40, 90, 40, 100, 180})}));
  std::string intDiv =
      module({"tensor<3xi32>", "tensor<3xi32>"}, "tensor<3xi32>",
             "%r = axon.div %a, %b : tensor<3xi32>, tensor<3xi32> -> "
             "tensor<3xi32>");
  t.push_back(binary(
      "div", [](Scalar a, Scalar b) { return a / b; }, any, awayFromZero,
      {rowVectorExample("div", {10, 20, 30}, {0.1, 0.1, 0.1, 0.4, 0.25, 0.2}),
       {"integer division truncates and rejects zero",
        intDiv,
        {Call{{i32({3}, {7, -7, 6}), i32({3}, {2, 2, -4})},
              {{DType::I32, {3}, {3, -3, -1}}}},
         failing({i32({3}, {1, 2, 3}), i32({3}, {1, 0, 1})},
                 {"axon.div", "division by zero"})}}}));
  t.push_back(binary("pow", [](Scalar a, Scalar b) { return std::pow(a, b); },
                     positive, any,
                     {rowVectorExample("pow", {2, 0.5, -1},
                                       {1, 1.4142135623730951, 1.0 / 3, 16,
                                        2.23606797749979, 1.0 / 6})}));
  t.push_back(binary("max", maxOf, any, any,
                     {rowVectorExample("max", {2, 5, 1}, {2, 5, 3, 4, 5, 6})}));
  t.push_back(binary("min", minOf, any, any,
                     {rowVectorExample("min", {2, 5, 1}, {1, 2, 1, 2, 5, 1})}));
}

void addComparisonsAndCasts(std::vector<OpEntry> &t) {
  // cmp: each predicate on f32 at awkward extents, and on FP edges, where
  // both operands hold the same edge value at every third element.
  OpEntry cmp{"axon.cmp", {}, {}};
  struct Pred {
    const char *name;
    std::function<bool(Scalar, Scalar)> f;
    Values expected; // [1, 2, 3] against 2
  };
  const Pred preds[] = {
      {"eq", [](Scalar a, Scalar b) { return a == b; }, {0, 1, 0}},
      {"ne", [](Scalar a, Scalar b) { return a != b; }, {1, 0, 1}},
      {"lt", [](Scalar a, Scalar b) { return a < b; }, {1, 0, 0}},
      {"le", [](Scalar a, Scalar b) { return a <= b; }, {1, 1, 0}},
      {"gt", [](Scalar a, Scalar b) { return a > b; }, {0, 0, 1}},
      {"ge", [](Scalar a, Scalar b) { return a >= b; }, {0, 1, 1}}};
  for (const Pred &p : preds) {
    Oracle oracle = binaryOracle(
        [f = p.f](Scalar a, Scalar b) -> Scalar { return f(a, b); }, DType::I1,
        /*sameAsInput=*/false);
    std::string name = std::string("cmp_") + p.name;
    for (const char *t : {"f32", "f64"}) {
      std::string type = std::string("tensor<?x") + t + ">";
      std::string body = std::string("%y = axon.cmp ") + p.name +
                         ", %a0, %a1 : " + type + ", " + type +
                         " -> tensor<?xi1>";
      // Compiled in f32 only: a kernel per predicate and extent is enough.
      unsigned checks =
          std::string(t) == "f32" ? Compiled | Evaluator : Evaluator;
      cmp.instances.push_back({name + "_" + t,
                               {any(type), any(type)},
                               "tensor<?xi1>",
                               body,
                               {},
                               checks,
                               oracle});
      cmp.instances.push_back({name + "_edges_" + t,
                               {withEdges(type), withEdges(type)},
                               "tensor<?xi1>",
                               body,
                               {},
                               Evaluator,
                               oracle});
    }
    cmp.examples.push_back(example(
        p.name,
        module({"tensor<3xf32>", "tensor<f32>"}, "tensor<3xi1>",
               std::string("%r = axon.cmp ") + p.name +
                   ", %a, %b : tensor<3xf32>, tensor<f32> -> tensor<3xi1>"),
        {f32({3}, {1, 2, 3}), f32({}, {2})}, {DType::I1, {3}, p.expected}));
  }
  cmp.exempt = {{Gradient, "its result is i1: comparisons have no gradient"}};
  t.push_back(std::move(cmp));

  // select: the condition comes from a comparison (no gradient); the
  // second case broadcasts all three operands, and %a2 reaches the loss
  // only through the comparison, so its gradient is exactly zero.
  Oracle selectOracle = [](const std::vector<Tensor> &in) {
    return std::vector<Tensor>{
        broadcastMap(in, in[1].dtype, [](const std::vector<Scalar> &x) {
          return x[0] != 0 ? x[1] : x[2];
        })};
  };
  const std::string t23 = "tensor<2x3xf64>";
  t.push_back(
      {"axon.select",
       {{"select_trailing_broadcast",
         {awayFromZero(t23), any("tensor<3xf64>")},
         t23,
         "%z = axon.constant dense<0.0> : tensor<f64>\n"
         "  %c = axon.cmp gt, %a0, %z : tensor<2x3xf64>, tensor<f64> -> "
         "tensor<2x3xi1>\n"
         "  %y = axon.select %c, %a0, %a1 : tensor<2x3xi1>, tensor<2x3xf64>, "
         "tensor<3xf64> -> tensor<2x3xf64>"},
        {"select_all_broadcast",
         {any("tensor<2x1x3xf64>"), any("tensor<3xf64>"),
          awayFromZero("tensor<4x1xf64>")},
         "tensor<2x4x3xf64>",
         "%z = axon.constant dense<0.0> : tensor<f64>\n"
         "  %c = axon.cmp lt, %a2, %z : tensor<4x1xf64>, tensor<f64> -> "
         "tensor<4x1xi1>\n"
         "  %y = axon.select %c, %a0, %a1 : tensor<4x1xi1>, "
         "tensor<2x1x3xf64>, tensor<3xf64> -> tensor<2x4x3xf64>"},
        {"select_f32",
         {bools("tensor<?x1xi1>"), any("tensor<?x5xf32>"),
          any("tensor<5xf32>")},
         "tensor<?x5xf32>",
         "%y = axon.select %a0, %a1, %a2 : tensor<?x1xi1>, tensor<?x5xf32>, "
         "tensor<5xf32> -> tensor<?x5xf32>",
         {},
         Compiled | Evaluator,
         selectOracle}},
       {example("broadcasts all three",
                module({"tensor<2x1xi1>", "tensor<3xf32>", "tensor<f32>"},
                       "tensor<2x3xf32>",
                       "%r = axon.select %a, %b, %c : tensor<2x1xi1>, "
                       "tensor<3xf32>, tensor<f32> -> tensor<2x3xf32>"),
                {i1({2, 1}, {1, 0}), f32({3}, {1, 2, 3}), f32({}, {-1})},
                {DType::F32, {2, 3}, {1, 2, 3, -1, -1, -1}})}});

  // cast: f64 -> f64 changing only the static-ness of the shape
  // (gradients); element type conversions (values).
  auto cast = [](const std::string &from, const std::string &to) {
    return module({from}, to, "%r = axon.cast %a : " + from + " -> " + to);
  };
  Tensor x = f32({4}, {1.75, -1.75, 0, 2.5});
  std::string toStatic = cast("tensor<?xf32>", "tensor<3xf32>");
  t.push_back(
      {"axon.cast",
       {{"cast_to_dynamic",
         {any("tensor<3x2xf64>")},
         "tensor<?x2xf64>",
         "%y = axon.cast %a0 : tensor<3x2xf64> -> tensor<?x2xf64>"},
        // Valid only where `?` is 3, as in the gradient check.
        {"cast_refine_shape",
         {any("tensor<?x2xf64>")},
         "tensor<3x2xf64>",
         "%y = axon.cast %a0 : tensor<?x2xf64> -> tensor<3x2xf64>",
         {},
         Gradient},
        // Float to int truncates toward zero.
        {"cast_f32_to_i32",
         {any("tensor<?xf32>")},
         "tensor<?xi32>",
         "%y = axon.cast %a0 : tensor<?xf32> -> tensor<?xi32>",
         {},
         Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           return std::vector<Tensor>{
               broadcastMap(in, DType::I32, [](const std::vector<Scalar> &v) {
                 return std::trunc(v[0]);
               })};
         }},
        {"cast_i1_to_f32",
         {bools("tensor<?xi1>")},
         "tensor<?xf32>",
         "%y = axon.cast %a0 : tensor<?xi1> -> tensor<?xf32>",
         {},
         Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           return std::vector<Tensor>{
               broadcastMap(in, DType::F32,
                            [](const std::vector<Scalar> &v) { return v[0]; })};
         }},
        {"cast_f64_to_f32",
         {any("tensor<?x3xf64>")},
         "tensor<?x3xf32>",
         "%y = axon.cast %a0 : tensor<?x3xf64> -> tensor<?x3xf32>",
         {},
         Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           return std::vector<Tensor>{
               broadcastMap(in, DType::F32,
                            [](const std::vector<Scalar> &v) { return v[0]; })};
         }}},
       {// Float to int truncates toward zero; anything nonzero is true.
        example("f32 to i32 truncates", cast("tensor<4xf32>", "tensor<4xi32>"),
                {x}, {DType::I32, {4}, {1, -1, 0, 2}}),
        example("f32 to i1: nonzero is true",
                cast("tensor<4xf32>", "tensor<4xi1>"), {x},
                {DType::I1, {4}, {1, 1, 0, 1}}),
        example("i1 to f32", cast("tensor<2xi1>", "tensor<2xf32>"),
                {i1({2}, {1, 0})}, {DType::F32, {2}, {1, 0}}),
        example("i32 to f64", cast("tensor<2xi32>", "tensor<2xf64>"),
                {i32({2}, {3, -4})}, {DType::F64, {2}, {3, -4}}),
        example("i64 to i32", cast("tensor<2xi64>", "tensor<2xi32>"),
                {i64({2}, {7, -8})}, {DType::I32, {2}, {7, -8}}),
        // f64 -> f32 rounds to the nearest f32 (and 0.1 is not an f32).
        example("f64 to f32 rounds", cast("tensor<f64>", "tensor<f32>"),
                {f64({}, {0.1})}, {DType::F32, {}, {roundF32(0.1)}}),
        // Static to dynamic keeps the extents.
        example("static to dynamic keeps the extents",
                cast("tensor<2x3xf32>", "tensor<?x3xf64>"),
                {f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                {DType::F64, {2, 3}, {1, 2, 3, 4, 5, 6}}),
        // Dynamic to static is checked at run time.
        {"dynamic to static is checked at run time",
         toStatic,
         {Call{{f32({3}, {1, 2, 3})}, {{DType::F32, {3}, {1, 2, 3}}}},
          failing({f32({2}, {1, 2})},
                  {"axon.cast", "does not match the declared type"})}}}});
}

//===----------------------------------------------------------------------===//
// Contractions and convolutions
//===----------------------------------------------------------------------===//

/// out[i, j] = sum_k a[i, k] b[k, j], for rank-2 operands.
std::vector<Tensor> naiveMatmul(const std::vector<Tensor> &in) {
  const Tensor &a = in[0], &b = in[1];
  int64_t m = a.shape[0], k = a.shape[1], n = b.shape[1];
  Tensor out(a.dtype, {m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      Scalar s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += Scalar(a.data[i * k + p]) * b.data[p * n + j];
      out.data[i * n + j] = roundTo(a.dtype, double(s));
    }
  return {out};
}

std::string convAttrs(const char *strides, const char *padding,
                      const char *dilations, int groups) {
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

std::string convTransposeModule(const std::string &x, const std::string &w,
                                const std::string &out, const char *strides,
                                const char *padding, const char *outputPadding,
                                int groups) {
  std::string attrs = std::string("{strides = array<i64: ") + strides +
                      ">, padding = array<i64: " + padding +
                      ">, output_padding = array<i64: " + outputPadding +
                      ">, groups = " + std::to_string(groups) + " : i64}";
  return module({x, w}, out,
                "%r = axon.conv_transpose2d %a, %b " + attrs + " : " + x +
                    ", " + w + " -> " + out);
}

const Values kImage3x3 = {1, 2, 3, 4, 5, 6, 7, 8, 9};

void addContractions(std::vector<OpEntry> &t) {
  auto matmul = [](const std::string &l, const std::string &r,
                   const std::string &o) {
    return "%y = axon.matmul %a0, %a1 : " + l + ", " + r + " -> " + o;
  };
  // A rank-2 rhs under a batched lhs, batch dims broadcast both ways, a
  // parameter as the rhs with a dynamic batch, and f32 with a 33-deep sum.
  t.push_back(
      {"axon.matmul",
       {{"matmul_rank_broadcast",
         {any("tensor<2x3x4xf64>"), any("tensor<4x5xf64>")},
         "tensor<2x3x5xf64>",
         matmul("tensor<2x3x4xf64>", "tensor<4x5xf64>", "tensor<2x3x5xf64>")},
        {"matmul_batch_broadcast",
         {any("tensor<2x1x3x4xf64>"), any("tensor<3x4x2xf64>")},
         "tensor<2x3x3x2xf64>",
         matmul("tensor<2x1x3x4xf64>", "tensor<3x4x2xf64>",
                "tensor<2x3x3x2xf64>")},
        {"matmul_param",
         {any("tensor<?x3xf64>")},
         "tensor<?x4xf64>",
         "%w = axon.param_ref @W : tensor<3x4xf64>\n"
         "  %y = axon.matmul %a0, %w : tensor<?x3xf64>, tensor<3x4xf64> "
         "-> tensor<?x4xf64>",
         {{"W", "tensor<3x4xf64>"}}},
        {"matmul_f32",
         {any("tensor<?x33xf32>"), any("tensor<33x7xf32>")},
         "tensor<?x7xf32>",
         matmul("tensor<?x33xf32>", "tensor<33x7xf32>", "tensor<?x7xf32>"),
         {},
         Compiled | Evaluator,
         naiveMatmul}},
       {example("2x3 @ 3x2",
                module({"tensor<2x3xf32>", "tensor<3x2xf32>"},
                       "tensor<2x2xf32>",
                       "%r = axon.matmul %a, %b : tensor<2x3xf32>, "
                       "tensor<3x2xf32> -> tensor<2x2xf32>"),
                {f32({2, 3}, {1, 2, 3, 4, 5, 6}),
                 f32({3, 2}, {7, 8, 9, 10, 11, 12})},
                {DType::F32, {2, 2}, {58, 64, 139, 154}}),
        // [2, 1, 1, 2] @ [3, 2, 1] -> batch [2, 3], out[i, j] = a_i . b_j.
        example("broadcasts batch dims",
                module({"tensor<2x1x1x2xf32>", "tensor<3x2x1xf32>"},
                       "tensor<2x3x1x1xf32>",
                       "%r = axon.matmul %a, %b : tensor<2x1x1x2xf32>, "
                       "tensor<3x2x1xf32> -> tensor<2x3x1x1xf32>"),
                {f32({2, 1, 1, 2}, {1, 2, 3, 4}),
                 f32({3, 2, 1}, {1, 0, 0, 1, 1, 1})},
                {DType::F32, {2, 3, 1, 1}, {1, 2, 3, 3, 4, 7}}),
        // A rank-2 rhs is shared by every batch of the lhs.
        example("a rank-2 rhs is shared by every batch",
                module({"tensor<2x1x2xf32>", "tensor<2x1xf32>"},
                       "tensor<2x1x1xf32>",
                       "%r = axon.matmul %a, %b : tensor<2x1x2xf32>, "
                       "tensor<2x1xf32> -> tensor<2x1x1xf32>"),
                {f32({2, 1, 2}, {1, 2, 3, 4}), f32({2, 1}, {5, 6})},
                {DType::F32, {2, 1, 1}, {17, 39}})}});

  // conv2d (groups = 1): stride 2 + padding 1; the same with a remainder
  // (the last input row and column reach no output); unequal strides,
  // paddings and kernel extents. Grouped, w.r.t. the input alone (constant
  // filter) and w.r.t. both (the filter gradient is built per group).
  // Dilated: compiled only (autodiff refuses its filter gradient).
  auto conv = [](const std::string &x, const std::string &w,
                 const std::string &o, const std::string &attrs) {
    return "%y = axon.conv2d %a0, %a1 {" + attrs + "} : " + x + ", " + w +
           " -> " + o;
  };
  const std::string plain = "strides = array<i64: 2, 2>, padding = "
                            "array<i64: 1, 1>, dilations = array<i64: 1, 1>";
  OpEntry conv2d{
      "axon.conv2d",
      {{"conv2d_stride2_pad1",
        {any("tensor<2x2x5x5xf64>"), any("tensor<3x2x3x3xf64>")},
        "tensor<2x3x3x3xf64>",
        conv("tensor<2x2x5x5xf64>", "tensor<3x2x3x3xf64>",
             "tensor<2x3x3x3xf64>", plain)},
       {"conv2d_stride2_remainder",
        {any("tensor<1x2x6x6xf64>"), any("tensor<2x2x3x3xf64>")},
        "tensor<1x2x3x3xf64>",
        conv("tensor<1x2x6x6xf64>", "tensor<2x2x3x3xf64>",
             "tensor<1x2x3x3xf64>", plain)},
       {"conv2d_asymmetric",
        {any("tensor<1x2x6x5xf64>"), any("tensor<2x2x2x3xf64>")},
        "tensor<1x2x5x3xf64>",
        conv("tensor<1x2x6x5xf64>", "tensor<2x2x2x3xf64>",
             "tensor<1x2x5x3xf64>",
             "strides = array<i64: 1, 2>, padding = array<i64: 0, 1>, "
             "dilations = array<i64: 1, 1>")},
       {"conv2d_grouped_input_only",
        {any("tensor<1x4x5x5xf64>"), constant("tensor<2x2x3x3xf64>")},
        "tensor<1x2x3x3xf64>",
        conv("tensor<1x4x5x5xf64>", "tensor<2x2x3x3xf64>",
             "tensor<1x2x3x3xf64>", plain + ", groups = 2 : i64")},
       {"conv2d_grouped",
        {any("tensor<1x4x5x5xf64>"), any("tensor<2x2x3x3xf64>")},
        "tensor<1x2x3x3xf64>",
        conv("tensor<1x4x5x5xf64>", "tensor<2x2x3x3xf64>",
             "tensor<1x2x3x3xf64>", plain + ", groups = 2 : i64")},
       {"conv2d_grouped_f32",
        {any("tensor<?x4x9x9xf32>"), any("tensor<6x2x3x3xf32>")},
        "tensor<?x6x5x5xf32>",
        conv("tensor<?x4x9x9xf32>", "tensor<6x2x3x3xf32>",
             "tensor<?x6x5x5xf32>",
             "dilations = array<i64: 1, 1>, groups = 2 : i64, padding = "
             "array<i64: 1, 1>, strides = array<i64: 2, 2>"),
        {},
        Compiled},
       {"conv2d_dilated_f32",
        {any("tensor<?x4x9x9xf32>"), any("tensor<6x2x3x3xf32>")},
        "tensor<?x6x9x9xf32>",
        conv("tensor<?x4x9x9xf32>", "tensor<6x2x3x3xf32>",
             "tensor<?x6x9x9xf32>",
             "dilations = array<i64: 2, 2>, groups = 2 : i64, padding = "
             "array<i64: 2, 2>, strides = array<i64: 1, 1>"),
        {},
        Compiled}},
      {// out[0,0] = 1*1 + 2*2 + 4*3 + 5*4, and so on.
       example("plain",
               convModule("tensor<1x1x3x3xf32>", "tensor<1x1x2x2xf32>",
                          "tensor<1x1x2x2xf32>",
                          convAttrs("1, 1", "0, 0", "1, 1")),
               {f32({1, 1, 3, 3}, kImage3x3), f32({1, 1, 2, 2}, {1, 2, 3, 4})},
               {DType::F32, {1, 1, 2, 2}, {37, 47, 67, 77}}),
       // A 3x3 box filter, stride 2, zero padding 1: sums of the in-range
       // parts.
       example("stride and padding",
               convModule("tensor<1x1x3x3xf32>", "tensor<1x1x3x3xf32>",
                          "tensor<1x1x2x2xf32>",
                          convAttrs("2, 2", "1, 1", "1, 1")),
               {f32({1, 1, 3, 3}, kImage3x3), f32({1, 1, 3, 3}, Values(9, 1))},
               {DType::F32, {1, 1, 2, 2}, {12, 16, 24, 28}}),
       // Dilation 2 puts the 2x2 taps on the image corners.
       example("dilation",
               convModule("tensor<1x1x3x3xf32>", "tensor<1x1x2x2xf32>",
                          "tensor<1x1x1x1xf32>",
                          convAttrs("1, 1", "0, 0", "2, 2")),
               {f32({1, 1, 3, 3}, kImage3x3), f32({1, 1, 2, 2}, {1, 2, 3, 4})},
               {DType::F32, {1, 1, 1, 1}, {1 * 1 + 2 * 3 + 3 * 7 + 4 * 9}}),
       // 2 groups of 1 input channel, 2 output channels each: outputs 0
       // and 1 see input channel 0, outputs 2 and 3 see input channel 1.
       example("groups",
               convModule("tensor<1x2x2x2xf32>", "tensor<4x1x1x1xf32>",
                          "tensor<1x4x2x2xf32>",
                          convAttrs("1, 1", "0, 0", "1, 1", 2)),
               {f32({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                f32({4, 1, 1, 1}, {1, 2, 3, 4})},
               {DType::F32,
                {1, 4, 2, 2},
                {1, 2, 3, 4, 2, 4, 6, 8, 15, 18, 21, 24, 20, 24, 28, 32}}),
       example("sums channels per batch",
               convModule("tensor<2x2x1x1xf32>", "tensor<1x2x1x1xf32>",
                          "tensor<2x1x1x1xf32>",
                          convAttrs("1, 1", "0, 0", "1, 1")),
               {f32({2, 2, 1, 1}, {1, 2, 3, 4}), f32({1, 2, 1, 1}, {10, 100})},
               {DType::F32, {2, 1, 1, 1}, {210, 430}})}};
  t.push_back(std::move(conv2d));

  // conv_transpose2d: grouped (input alone and both); stride 2, padding 1,
  // output_padding 1; a batch of 2 with stride 1, no padding and a
  // non-square kernel. At stride 1 the compiled path lowers it as a conv2d
  // over a padded input with a flipped filter: padding 0 and 1, several
  // channels in and out, a non-square window.
  auto convT = [](const std::string &x, const std::string &w,
                  const std::string &o, const std::string &attrs) {
    return "%y = axon.conv_transpose2d %a0, %a1 {" + attrs + "} : " + x + ", " +
           w + " -> " + o;
  };
  const std::string grouped = "strides = array<i64: 2, 2>, padding = "
                              "array<i64: 1, 1>, output_padding = array<i64: "
                              "0, 0>, groups = 2 : i64";
  Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4}),
         w = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  t.push_back(
      {"axon.conv_transpose2d",
       {{"conv_transpose2d_grouped_input_only",
         {any("tensor<1x4x3x3xf64>"), constant("tensor<4x1x3x3xf64>")},
         "tensor<1x2x5x5xf64>",
         convT("tensor<1x4x3x3xf64>", "tensor<4x1x3x3xf64>",
               "tensor<1x2x5x5xf64>", grouped)},
        {"conv_transpose2d_grouped",
         {any("tensor<1x4x3x3xf64>"), any("tensor<4x1x3x3xf64>")},
         "tensor<1x2x5x5xf64>",
         convT("tensor<1x4x3x3xf64>", "tensor<4x1x3x3xf64>",
               "tensor<1x2x5x5xf64>", grouped)},
        {"conv_transpose2d_stride2_pad1_outpad1",
         {any("tensor<1x2x3x3xf64>"), any("tensor<2x3x3x3xf64>")},
         "tensor<1x3x6x6xf64>",
         convT("tensor<1x2x3x3xf64>", "tensor<2x3x3x3xf64>",
               "tensor<1x3x6x6xf64>",
               "strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, "
               "output_padding = array<i64: 1, 1>")},
        {"conv_transpose2d_batch_stride1",
         {any("tensor<2x2x3x4xf64>"), any("tensor<2x1x2x3xf64>")},
         "tensor<2x1x4x6xf64>",
         convT("tensor<2x2x3x4xf64>", "tensor<2x1x2x3xf64>",
               "tensor<2x1x4x6xf64>",
               "strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, "
               "output_padding = array<i64: 0, 0>")},
        {"conv_transpose2d_grouped_f32",
         {any("tensor<?x6x3x3xf32>"), any("tensor<6x2x3x3xf32>")},
         "tensor<?x6x5x5xf32>",
         convT("tensor<?x6x3x3xf32>", "tensor<6x2x3x3xf32>",
               "tensor<?x6x5x5xf32>",
               "output_padding = array<i64: 0, 0>, padding = array<i64: 1, "
               "1>, strides = array<i64: 2, 2>, groups = 3 : i64"),
         {},
         Compiled},
        {"conv_transpose2d_stride1_pad0_f32",
         {any("tensor<?x5x6x7xf32>"), any("tensor<5x3x3x2xf32>")},
         "tensor<?x3x8x8xf32>",
         convT("tensor<?x5x6x7xf32>", "tensor<5x3x3x2xf32>",
               "tensor<?x3x8x8xf32>",
               "output_padding = array<i64: 0, 0>, padding = array<i64: 0, "
               "0>, strides = array<i64: 1, 1>"),
         {},
         Compiled},
        {"conv_transpose2d_stride1_pad1_f32",
         {any("tensor<?x5x6x7xf32>"), any("tensor<5x3x3x2xf32>")},
         "tensor<?x3x6x6xf32>",
         convT("tensor<?x5x6x7xf32>", "tensor<5x3x3x2xf32>",
               "tensor<?x3x6x6xf32>",
               "output_padding = array<i64: 0, 0>, padding = array<i64: 1, "
               "1>, strides = array<i64: 1, 1>"),
         {},
         Compiled}},
       {// Stride 2 with a 2x2 ones filter: each input element becomes a
        // 2x2 block.
        example(
            "stride 2 spreads each element",
            convTransposeModule("tensor<1x1x2x2xf32>", "tensor<1x1x2x2xf32>",
                                "tensor<1x1x4x4xf32>", "2, 2", "0, 0", "0, 0"),
            {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 2, 2}, {1, 1, 1, 1})},
            {DType::F32,
             {1, 1, 4, 4},
             {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}}),
        // Stride 1: the "full" convolution of x with w.
        example(
            "stride 1 is the full convolution",
            convTransposeModule("tensor<1x1x2x2xf32>", "tensor<1x1x2x2xf32>",
                                "tensor<1x1x3x3xf32>", "1, 1", "0, 0", "0, 0"),
            {x, w},
            {DType::F32, {1, 1, 3, 3}, {1, 4, 4, 6, 20, 16, 9, 24, 16}}),
        // Padding 1 crops one element from each border of that.
        example(
            "padding crops",
            convTransposeModule("tensor<1x1x2x2xf32>", "tensor<1x1x2x2xf32>",
                                "tensor<1x1x1x1xf32>", "1, 1", "1, 1", "0, 0"),
            {x, w}, {DType::F32, {1, 1, 1, 1}, {20}})}});
}

//===----------------------------------------------------------------------===//
// Pooling and its gradients
//===----------------------------------------------------------------------===//

/// The attribute dict shared by the pooling ops and their gradients.
std::string windowAttrs(const char *kernel, const char *strides,
                        const char *padding) {
  return std::string("{kernel = array<i64: ") + kernel +
         ">, strides = array<i64: " + strides +
         ">, padding = array<i64: " + padding + ">}";
}

std::string poolModule(const char *op, const char *kernel, const char *strides,
                       const char *padding, const std::string &out) {
  return module({"tensor<1x1x3x3xf32>"}, out,
                std::string("%r = axon.") + op + " %a " +
                    windowAttrs(kernel, strides, padding) +
                    " : tensor<1x1x3x3xf32> -> " + out);
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

void addPooling(std::vector<OpEntry> &t) {
  // Overlapping windows with padding and rectangular windows (random
  // inputs: no ties), and f32 at awkward batch sizes.
  auto pool = [](const std::string &op, const std::string &x,
                 const std::string &o, const char *kernel, const char *strides,
                 const char *padding) {
    return "%y = " + op + " %a0 " + windowAttrs(kernel, strides, padding) +
           " : " + x + " -> " + o;
  };
  auto poolInstances = [&](const std::string &name,
                           const char *compiledKernel) {
    std::string o = "axon." + name;
    return std::vector<Instance>{
        {name + "_k3_s2_pad1",
         {any("tensor<1x2x5x5xf64>")},
         "tensor<1x2x3x3xf64>",
         pool(o, "tensor<1x2x5x5xf64>", "tensor<1x2x3x3xf64>", "3, 3", "2, 2",
              "1, 1")},
        {name + "_asymmetric",
         {any("tensor<2x1x4x6xf64>")},
         "tensor<2x1x3x3xf64>",
         pool(o, "tensor<2x1x4x6xf64>", "tensor<2x1x3x3xf64>", "2, 3", "1, 2",
              "0, 1")},
        {name + "_f32",
         {any("tensor<?x6x5x5xf32>")},
         "tensor<?x6x3x3xf32>",
         pool(o, "tensor<?x6x5x5xf32>", "tensor<?x6x3x3xf32>", compiledKernel,
              "2, 2", "1, 1"),
         {},
         Compiled}};
  };
  Tensor image = f32({1, 1, 3, 3}, kImage3x3);
  // All values negative: a padded zero would win the max if it counted.
  Tensor negative = f32({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  // Kernel 3, stride 2, padding 1: the windows cover rows (and columns)
  // {0,1} and {1,2}; the -1 at the centre wins all four.
  Tensor centre = f32({1, 1, 3, 3}, {-5, -6, -7, -8, -1, -9, -2, -3, -4});
  t.push_back(
      {"axon.max_pool2d",
       poolInstances("max_pool2d", "2, 2"),
       {example("without padding",
                poolModule("max_pool2d", "2, 2", "1, 1", "0, 0",
                           "tensor<1x1x2x2xf32>"),
                {image}, {DType::F32, {1, 1, 2, 2}, {5, 6, 8, 9}}),
        example("ignores padding",
                poolModule("max_pool2d", "2, 2", "2, 2", "1, 1",
                           "tensor<1x1x2x2xf32>"),
                {negative}, {DType::F32, {1, 1, 2, 2}, {-1, -2, -4, -5}}),
        example("the winner of padded overlapping windows",
                poolModule("max_pool2d", "3, 3", "2, 2", "1, 1",
                           "tensor<1x1x2x2xf32>"),
                {centre}, {DType::F32, {1, 1, 2, 2}, {-1, -1, -1, -1}})}});
  // Averages divide by the number of in-range elements: 1, 2, 2 and 4.
  t.push_back({"axon.avg_pool2d",
               poolInstances("avg_pool2d", "3, 3"),
               {example("without padding",
                        poolModule("avg_pool2d", "2, 2", "1, 1", "0, 0",
                                   "tensor<1x1x2x2xf32>"),
                        {image}, {DType::F32, {1, 1, 2, 2}, {3, 4, 6, 7}}),
                example("ignores padding",
                        poolModule("avg_pool2d", "2, 2", "2, 2", "1, 1",
                                   "tensor<1x1x2x2xf32>"),
                        {negative},
                        {DType::F32, {1, 1, 2, 2}, {-1, -2.5, -5.5, -7}})}});

  // The gradient ops: windows that tile the input (kernel == stride, no
  // padding; 7x7 leaves the last row and column uncovered), overlapping
  // padded windows, and 1x1 windows.
  auto grad = [](const std::string &op, const std::string &x,
                 const std::string &g, const char *kernel, const char *strides,
                 const char *padding) {
    return "%y = " + op + " %a0, %a1 " + windowAttrs(kernel, strides, padding) +
           " : " + x + ", " + g + " -> " + x;
  };
  auto gradInstances = [&](const std::string &name) {
    std::string o = "axon." + name;
    return std::vector<Instance>{
        {name + "_tiling_f32",
         {any("tensor<?x3x7x7xf32>"), any("tensor<?x3x3x3xf32>")},
         "tensor<?x3x7x7xf32>",
         grad(o, "tensor<?x3x7x7xf32>", "tensor<?x3x3x3xf32>", "2, 2", "2, 2",
              "0, 0"),
         {},
         Compiled},
        {name + "_k3_s2_pad1_f32",
         {any("tensor<?x4x9x9xf32>"), any("tensor<?x4x5x5xf32>")},
         "tensor<?x4x9x9xf32>",
         grad(o, "tensor<?x4x9x9xf32>", "tensor<?x4x5x5xf32>", "3, 3", "2, 2",
              "1, 1"),
         {},
         Compiled},
        {name + "_k1_f32",
         {any("tensor<?x4x9x9xf32>"), any("tensor<?x4x9x9xf32>")},
         "tensor<?x4x9x9xf32>",
         grad(o, "tensor<?x4x9x9xf32>", "tensor<?x4x9x9xf32>", "1, 1", "1, 1",
              "0, 0"),
         {},
         Compiled}};
  };
  const char *gradOnly =
      "a gradient-only op: autodiff emits it for max_pool2d/avg_pool2d and "
      "refuses to differentiate it (GradientCheckDiagnostics."
      "OpWithoutRuleIsNamed)";
  std::string grad3 =
      poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                     "tensor<1x1x2x2xf32>", "2, 2", "1, 1", "0, 0");
  t.push_back(
      {"axon.max_pool2d_grad",
       gradInstances("max_pool2d_grad"),
       {// Kernel 2, stride 1: windows {1,9,3,4} and {9,2,4,5} both pick the
        // 9; {3,4,6,0} picks the 6 and {4,5,0,7} the 7.
        example("accumulates overlapping wins", grad3,
                {f32({1, 1, 3, 3}, {1, 9, 2, 3, 4, 5, 6, 0, 7}),
                 f32({1, 1, 2, 2}, kGrad2x2)},
                {DType::F32, {1, 1, 3, 3}, {0, 1 + 2, 0, 0, 0, 0, 4, 0, 8}}),
        //   2 2 1    {2,2,2,2} -> (0,0); {2,1,2,1} -> (0,1);
        //   2 2 1    {2,2,0,3} -> (2,1); {2,1,3,3} -> (2,1), the first of
        //   0 3 3    the two 3s in row-major window order: (2,1) wins twice.
        example("ties go to the first position", grad3,
                {f32({1, 1, 3, 3}, {2, 2, 1, 2, 2, 1, 0, 3, 3}),
                 f32({1, 1, 2, 2}, kGrad2x2)},
                {DType::F32, {1, 1, 3, 3}, {1, 2, 0, 0, 0, 0, 0, 4 + 8, 0}}),
        // All values negative, so a padded zero would win if it counted.
        example("never routes to padding",
                poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                               "tensor<1x1x2x2xf32>", "3, 3", "2, 2", "1, 1"),
                {centre, f32({1, 1, 2, 2}, kGrad2x2)},
                {DType::F32,
                 {1, 1, 3, 3},
                 {0, 0, 0, 0, 1 + 2 + 4 + 8, 0, 0, 0, 0}}),
        // All zeros with kernel 2, stride 2, padding 1: every window is a
        // tie, and a padded zero would come first in three of them. The
        // windows hold {(0,0)}, {(0,1),(0,2)}, {(1,0),(2,0)} and
        // {(1,1),(1,2),(2,1),(2,2)}.
        example(
            "ties in padded windows go to the first input position",
            poolGradModule("max_pool2d_grad", "tensor<1x1x3x3xf32>",
                           "tensor<1x1x2x2xf32>", "2, 2", "2, 2", "1, 1"),
            {f32({1, 1, 3, 3}, Values(9, 0.0)), f32({1, 1, 2, 2}, kGrad2x2)},
            {DType::F32, {1, 1, 3, 3}, {1, 2, 0, 4, 8, 0, 0, 0, 0}})},
       {{Gradient, gradOnly}}});
  t.push_back(
      {"axon.avg_pool2d_grad",
       gradInstances("avg_pool2d_grad"),
       {// Kernel 2, stride 2, padding 1: windows of 1, 2, 2 and 4 input
        // positions, with gradients 4, 2, 6 and 8.
        example("divides by unpadded counts",
                poolGradModule("avg_pool2d_grad", "tensor<1x1x3x3xf32>",
                               "tensor<1x1x2x2xf32>", "2, 2", "2, 2", "1, 1"),
                {image, f32({1, 1, 2, 2}, {4, 2, 6, 8})},
                {DType::F32,
                 {1, 1, 3, 3},
                 {4, 2 / 2., 2 / 2., 6 / 2., 8 / 4., 8 / 4., 6 / 2., 8 / 4.,
                  8 / 4.}}),
        // Kernel 2, stride 1, padding 1 on 2x2: nine overlapping windows
        // holding 1, 2, 1 / 2, 4, 2 / 1, 2, 1 positions; input (i, j) lies
        // in windows (i..i+1, j..j+1). Gradients g = 1..9.
        example("overlapping padded windows",
                poolGradModule("avg_pool2d_grad", "tensor<1x1x2x2xf32>",
                               "tensor<1x1x3x3xf32>", "2, 2", "1, 1", "1, 1"),
                {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 3, 3}, kImage3x3)},
                {DType::F32,
                 {1, 1, 2, 2},
                 {1 / 1. + 2 / 2. + 4 / 2. + 5 / 4., // 5.25
                  2 / 2. + 3 / 1. + 5 / 4. + 6 / 2., // 8.25
                  4 / 2. + 5 / 4. + 7 / 1. + 8 / 2., // 14.25
                  5 / 4. + 6 / 2. + 8 / 2. +
                      9 / 1.}}), // 17.25
                                 // A dynamic grad type lets a wrong extent
                                 // reach run time.
        {"rejects a gradient of the wrong shape",
         poolGradModule("avg_pool2d_grad", "tensor<1x1x3x3xf32>",
                        "tensor<1x1x?x2xf32>", "2, 2", "1, 1", "0, 0"),
         {failing({image, f32({1, 1, 3, 2}, Values(6, 1.0))},
                  {"test.mlir:2:", "axon.avg_pool2d_grad", "[1, 1, 3, 2]"})}}},
       {{Gradient, gradOnly}}});
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

/// Visits the input as [outer, n, inner] around `axis`.
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
  AxisView(const Shape &shape, int64_t axis) {
    for (int64_t d = 0; d < int64_t(shape.size()); ++d)
      (d < axis ? outer : d == axis ? n : inner) *= shape[d];
  }
  int64_t at(int64_t o, int64_t k, int64_t i) const {
    return (o * n + k) * inner + i;
  }
};

int64_t normalised(int64_t axis, size_t rank) {
  return axis < 0 ? axis + int64_t(rank) : axis;
}

/// sum, mean or max over `axes` (all when empty), one axis at a time.
Oracle naiveReduce(const std::string &kind, std::vector<int64_t> axes,
                   bool keepdims) {
  return [=](const std::vector<Tensor> &in) {
    Tensor x = in[0];
    std::vector<int64_t> all = axes;
    if (all.empty())
      for (size_t d = 0; d < x.shape.size(); ++d)
        all.push_back(int64_t(d));
    std::vector<bool> reduced(x.shape.size(), false);
    for (int64_t a : all)
      reduced[normalised(a, x.shape.size())] = true;
    // Reduce the highest axes first so the lower ones keep their index.
    std::vector<Scalar> data(x.data.begin(), x.data.end());
    Shape shape = x.shape;
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (!reduced[d])
        continue;
      AxisView v(shape, d);
      std::vector<Scalar> next(v.outer * v.inner);
      for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t i = 0; i < v.inner; ++i) {
          Scalar acc = kind == "max" ? -INFINITY : 0;
          for (int64_t k = 0; k < v.n; ++k) {
            Scalar e = data[v.at(o, k, i)];
            acc = kind == "max" ? std::fmax(acc, e) : acc + e;
          }
          next[o * v.inner + i] = kind == "mean" ? acc / v.n : acc;
        }
      data = next;
      shape[d] = 1;
    }
    Shape outShape;
    for (size_t d = 0; d < shape.size(); ++d)
      if (keepdims || !reduced[d])
        outShape.push_back(shape[d]);
    Tensor out(x.dtype, outShape);
    for (size_t i = 0; i < data.size(); ++i)
      out.data[i] = roundTo(x.dtype, double(data[i]));
    return std::vector<Tensor>{out};
  };
}

/// softmax or log_softmax along `axis`, straight from the definition.
Oracle naiveSoftmax(bool log, int64_t axis) {
  return [=](const std::vector<Tensor> &in) {
    const Tensor &x = in[0];
    AxisView v(x.shape, normalised(axis, x.shape.size()));
    Tensor out(x.dtype, x.shape);
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        Scalar sum = 0;
        for (int64_t k = 0; k < v.n; ++k)
          sum += std::exp(Scalar(x.data[v.at(o, k, i)]));
        for (int64_t k = 0; k < v.n; ++k) {
          Scalar e = x.data[v.at(o, k, i)];
          Scalar r = log ? e - std::log(sum) : std::exp(e) / sum;
          out.data[v.at(o, k, i)] = roundTo(x.dtype, double(r));
        }
      }
    return std::vector<Tensor>{out};
  };
}

/// The index of the first maximum along `axis`.
Oracle naiveArgmax(int64_t axis, DType dtype) {
  return [=](const std::vector<Tensor> &in) {
    const Tensor &x = in[0];
    int64_t a = normalised(axis, x.shape.size());
    AxisView v(x.shape, a);
    Shape shape = x.shape;
    shape.erase(shape.begin() + a);
    Tensor out(dtype, shape);
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        int64_t best = 0;
        for (int64_t k = 1; k < v.n; ++k)
          if (x.data[v.at(o, k, i)] > x.data[v.at(o, best, i)])
            best = k;
        out.data[o * v.inner + i] = double(best);
      }
    return std::vector<Tensor>{out};
  };
}

void addReductions(std::vector<OpEntry> &t) {
  // All axes, positive and negative axes, keepdims, a dynamic extent among
  // the reduced ones (mean divides by its run-time value); and f32 over
  // 1, 7 or 33 rows of 33.
  auto reduce = [](const std::string &op, const std::string &x,
                   const std::string &o, const std::string &attrs) {
    return "%y = " + op + " %a0 {" + attrs + "} : " + x + " -> " + o;
  };
  struct Example2x3 {
    const char *attrs, *resultType;
    Shape shape;
    Values expected;
  };
  auto reduction = [&](const std::string &name, const std::string &kind,
                       std::vector<Example2x3> hand) {
    std::string o = "axon." + name;
    unsigned all = Gradient | Compiled | Evaluator;
    // Not compiled where an f32 case below covers the same reduction.
    unsigned covered = Gradient | Evaluator;
    OpEntry e{
        o,
        {{name + "_all",
          {any("tensor<2x3xf64>")},
          "tensor<f64>",
          reduce(o, "tensor<2x3xf64>", "tensor<f64>", "axes = array<i64>"),
          {},
          covered,
          naiveReduce(kind, {}, false)},
         {name + "_axis1",
          {any("tensor<2x3x4xf64>")},
          "tensor<2x4xf64>",
          reduce(o, "tensor<2x3x4xf64>", "tensor<2x4xf64>",
                 "axes = array<i64: 1>"),
          {},
          all,
          naiveReduce(kind, {1}, false)},
         {name + "_negative_axis_keepdims",
          {any("tensor<2x3x4xf64>")},
          "tensor<2x1x4xf64>",
          reduce(o, "tensor<2x3x4xf64>", "tensor<2x1x4xf64>",
                 "axes = array<i64: -2>, keepdims = true"),
          {},
          covered,
          naiveReduce(kind, {-2}, true)},
         {name + "_negative_axes",
          {any("tensor<2x3x4xf64>")},
          "tensor<3xf64>",
          reduce(o, "tensor<2x3x4xf64>", "tensor<3xf64>",
                 "axes = array<i64: -1, 0>"),
          {},
          all,
          naiveReduce(kind, {-1, 0}, false)},
         {name + "_dynamic",
          {any("tensor<?x4xf64>")},
          "tensor<4xf64>",
          reduce(o, "tensor<?x4xf64>", "tensor<4xf64>", "axes = array<i64: 0>"),
          {},
          covered,
          naiveReduce(kind, {0}, false)},
         {name + "_rows_f32",
          {any("tensor<?x33xf32>")},
          "tensor<33xf32>",
          reduce(o, "tensor<?x33xf32>", "tensor<33xf32>",
                 "axes = array<i64: 0>"),
          {},
          Compiled | Evaluator,
          naiveReduce(kind, {0}, false)},
         {name + "_columns_keepdims_f32",
          {any("tensor<?x33xf32>")},
          "tensor<?x1xf32>",
          reduce(o, "tensor<?x33xf32>", "tensor<?x1xf32>",
                 "axes = array<i64: -1>, keepdims = true"),
          {},
          Compiled | Evaluator,
          naiveReduce(kind, {-1}, true)},
         {name + "_all_f32",
          {any("tensor<?x33xf32>")},
          "tensor<f32>",
          reduce(o, "tensor<?x33xf32>", "tensor<f32>", "axes = array<i64>"),
          {},
          Compiled | Evaluator,
          naiveReduce(kind, {}, false)}},
        {}};
    for (const Example2x3 &h : hand)
      e.examples.push_back(
          example(std::string(h.attrs),
                  module({"tensor<2x3xf32>"}, h.resultType,
                         "%r = " + o + " %a " + h.attrs +
                             " : tensor<2x3xf32> -> " + h.resultType),
                  {f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                  {DType::F32, h.shape, h.expected, 1e-6}));
    return e;
  };
  OpEntry sum =
      reduction("sum", "sum",
                {{"{axes = array<i64>}", "tensor<f32>", {}, {21}},
                 {"{axes = array<i64: 0>}", "tensor<3xf32>", {3}, {5, 7, 9}},
                 {"{axes = array<i64: -1>, keepdims = true}",
                  "tensor<2x1xf32>",
                  {2, 1},
                  {6, 15}}});
  // x = 1..8 as [2, 2, 2]; sum over axes 0 and 2 leaves axis 1.
  sum.examples.push_back(
      example("over inner and outer axes, in i32",
              module({"tensor<2x2x2xi32>"}, "tensor<2xi32>",
                     "%r = axon.sum %a {axes = array<i64: 0, 2>} : "
                     "tensor<2x2x2xi32> -> tensor<2xi32>"),
              {i32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})},
              {DType::I32, {2}, {1 + 2 + 5 + 6, 3 + 4 + 7 + 8}}));
  t.push_back(std::move(sum));
  t.push_back(
      reduction("mean", "mean",
                {{"{axes = array<i64: 1>}", "tensor<2xf32>", {2}, {2, 5}},
                 {"{axes = array<i64>, keepdims = true}",
                  "tensor<1x1xf32>",
                  {1, 1},
                  {3.5}}}));
  t.push_back(
      reduction("reduce_max", "max",
                {{"{axes = array<i64: 0>}", "tensor<3xf32>", {3}, {4, 5, 6}},
                 {"{axes = array<i64: -1>, keepdims = true}",
                  "tensor<2x1xf32>",
                  {2, 1},
                  {3, 6}},
                 {"{axes = array<i64: 0, 1>}", "tensor<f32>", {}, {6}}}));

  // argmax: ties go to the lowest index.
  Tensor x = f32({2, 3}, {1, 3, 3, 5, 2, 5});
  t.push_back(
      {"axon.argmax",
       {{"argmax_rows_f32",
         {any("tensor<?x33xf32>")},
         "tensor<?xi32>",
         "%y = axon.argmax %a0 {axis = 1 : i64} : tensor<?x33xf32> -> "
         "tensor<?xi32>",
         {},
         Compiled | Evaluator,
         naiveArgmax(1, DType::I32)},
        {"argmax_columns_f64",
         {any("tensor<?x7xf64>")},
         "tensor<7xi64>",
         "%y = axon.argmax %a0 {axis = 0 : i64} : tensor<?x7xf64> -> "
         "tensor<7xi64>",
         {},
         Compiled | Evaluator,
         naiveArgmax(0, DType::I64)}},
       {example("ties go to the lowest index, along rows",
                module({"tensor<2x3xf32>"}, "tensor<2xi64>",
                       "%r = axon.argmax %a {axis = 1 : i64} : "
                       "tensor<2x3xf32> -> tensor<2xi64>"),
                {x}, {DType::I64, {2}, {1, 0}}),
        example("ties go to the lowest index, along columns",
                module({"tensor<2x3xf32>"}, "tensor<3xi32>",
                       "%r = axon.argmax %a {axis = 0 : i64} : "
                       "tensor<2x3xf32> -> tensor<3xi32>"),
                {x}, {DType::I32, {3}, {1, 0, 1}}),
        example("keepdims",
                module({"tensor<2x3xf32>"}, "tensor<2x1xi64>",
                       "%r = axon.argmax %a {axis = -1 : i64, keepdims = "
                       "true} : tensor<2x3xf32> -> tensor<2x1xi64>"),
                {x}, {DType::I64, {2, 1}, {1, 0}})},
       {{Gradient, "its result is an integer index: piecewise constant, "
                   "without a gradient"}}});

  // softmax and log_softmax: along a middle, a first and a negative axis;
  // stable where exp overflows.
  auto softmaxLike = [&](const std::string &name, bool log,
                         std::vector<Example> hand) {
    std::string o = "axon." + name;
    unsigned all = Gradient | Compiled | Evaluator;
    auto body = [&](const std::string &t, int axis) {
      return "%y = " + o + " %a0 {axis = " + std::to_string(axis) +
             " : i64} : " + t;
    };
    return OpEntry{o,
                   {{name + "_axis1",
                     {any("tensor<2x3x4xf64>")},
                     "tensor<2x3x4xf64>",
                     body("tensor<2x3x4xf64>", 1),
                     {},
                     all,
                     naiveSoftmax(log, 1)},
                    {name + "_axis0",
                     {any("tensor<3x4xf64>")},
                     "tensor<3x4xf64>",
                     body("tensor<3x4xf64>", 0),
                     {},
                     all,
                     naiveSoftmax(log, 0)},
                    {name + "_negative_axis",
                     {any("tensor<2x5xf64>")},
                     "tensor<2x5xf64>",
                     body("tensor<2x5xf64>", -1),
                     {},
                     all,
                     naiveSoftmax(log, -1)},
                    {name + "_rows_f32",
                     {any("tensor<?x33xf32>")},
                     "tensor<?x33xf32>",
                     body("tensor<?x33xf32>", 1),
                     {},
                     Compiled | Evaluator,
                     naiveSoftmax(log, 1)}},
                   std::move(hand)};
  };
  OpEntry softmax = softmaxLike(
      "softmax", false,
      {example("values",
               module({"tensor<3xf32>"}, "tensor<3xf32>",
                      "%r = axon.softmax %a {axis = 0 : i64} : tensor<3xf32>"),
               {f32({3}, {1, 2, 3})},
               {DType::F32,
                {3},
                {0.09003057317038046, 0.24472847105479764, 0.6652409557748218},
                1e-7}),
       // exp(1000) overflows; subtracting the max first does not.
       example("stable where exp overflows",
               module({"tensor<3xf64>"}, "tensor<3xf64>",
                      "%r = axon.softmax %a {axis = 0 : i64} : tensor<3xf64>"),
               {f64({3}, {1000, 1001, 1002})},
               {DType::F64,
                {3},
                {0.09003057317038046, 0.24472847105479764, 0.6652409557748218},
                1e-12}),
       // Along axis 0 of [[1, 5], [1, 5]] every column is uniform.
       example("uses its axis",
               module({"tensor<2x2xf32>"}, "tensor<2x2xf32>",
                      "%r = axon.softmax %a {axis = 0 : i64} : "
                      "tensor<2x2xf32>"),
               {f32({2, 2}, {1, 5, 1, 5})},
               {DType::F32, {2, 2}, {0.5, 0.5, 0.5, 0.5}, 1e-7})});
  // The gradient check's softmax cases were axis 1 and -1; axis 0 is new.
  softmax.instances[1].checks = Compiled | Evaluator;
  t.push_back(std::move(softmax));
  OpEntry logSoftmax = softmaxLike(
      "log_softmax", true,
      {example("values",
               module({"tensor<3xf32>"}, "tensor<3xf32>",
                      "%r = axon.log_softmax %a {axis = -1 : i64} : "
                      "tensor<3xf32>"),
               {f32({3}, {1, 2, 3})},
               {DType::F32,
                {3},
                {-2.4076059644443806, -1.4076059644443804, -0.4076059644443804},
                1e-6}),
       example("stable where exp underflows",
               module({"tensor<3xf64>"}, "tensor<3xf64>",
                      "%r = axon.log_softmax %a {axis = 0 : i64} : "
                      "tensor<3xf64>"),
               {f64({3}, {-1000, -1001, -1002})},
               {DType::F64,
                {3},
                {-0.4076059644443804, -1.4076059644443804, -2.4076059644443806},
                1e-9})});
  // The gradient check's log_softmax cases were axis 0 and -1.
  logSoftmax.instances[0].checks = Compiled | Evaluator;
  t.push_back(std::move(logSoftmax));
}

//===----------------------------------------------------------------------===//
// Movement
//===----------------------------------------------------------------------===//

/// one_hot of integer labels: a trailing axis of `depth`.
Oracle naiveOneHot(int64_t depth, DType dtype) {
  return [=](const std::vector<Tensor> &in) {
    Shape shape = in[0].shape;
    shape.push_back(depth);
    Tensor out(dtype, shape);
    for (int64_t i = 0; i < in[0].numElements(); ++i)
      out.data[i * depth + int64_t(in[0].data[i])] = 1;
    return std::vector<Tensor>{out};
  };
}

/// out[i, k] = table[i, indices[k]] for a rank-2 table.
std::vector<Tensor> naiveGatherColumns(const std::vector<Tensor> &in) {
  const Tensor &table = in[0], &idx = in[1];
  int64_t rows = table.shape[0], cols = table.shape[1], k = idx.numElements();
  Tensor out(table.dtype, {rows, k});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < k; ++j)
      out.data[i * k + j] = table.data[i * cols + int64_t(idx.data[j])];
  return {out};
}

void addMovement(std::vector<OpEntry> &t) {
  Tensor x25 = f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::string dynReshape =
      module({"tensor<6xf32>", "tensor<i64>"}, "tensor<?x2xf32>",
             "%r = axon.reshape %a [%b] : tensor<6xf32> -> tensor<?x2xf32>");
  t.push_back(
      {"axon.reshape",
       {{"reshape_dynamic_batch",
         {any("tensor<?x3x2xf64>")},
         "tensor<?x6xf64>",
         "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x3x2xf64>\n"
         "  %y = axon.reshape %a0[%n] : tensor<?x3x2xf64> -> tensor<?x6xf64>"},
        {"reshape_static",
         {any("tensor<2x6xf64>")},
         "tensor<3x2x2xf64>",
         "%y = axon.reshape %a0 : tensor<2x6xf64> -> tensor<3x2x2xf64>"},
        {"reshape_split_f32",
         {any("tensor<?x6xf32>")},
         "tensor<?x3x2xf32>",
         "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x6xf32>\n"
         "  %y = axon.reshape %a0[%n] : tensor<?x6xf32> -> tensor<?x3x2xf32>",
         {},
         Compiled}},
       {example("static",
                module({"tensor<2x3xf32>"}, "tensor<3x2xf32>",
                       "%r = axon.reshape %a : tensor<2x3xf32> -> "
                       "tensor<3x2xf32>"),
                {f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                {DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6}}),
        // The element count is checked at run time.
        {"dynamic, its element count checked at run time",
         dynReshape,
         {Call{{f32({6}, {1, 2, 3, 4, 5, 6}), scalarI64(3)},
               {{DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6}}}},
          failing({f32({6}, {1, 2, 3, 4, 5, 6}), scalarI64(4)},
                  {"axon.reshape", "test.mlir:2:"})}}}});

  t.push_back(
      {"axon.transpose",
       {{"transpose_rotate",
         {any("tensor<2x3x4xf64>")},
         "tensor<4x2x3xf64>",
         "%y = axon.transpose %a0 {perm = array<i64: 2, 0, 1>} : "
         "tensor<2x3x4xf64> -> tensor<4x2x3xf64>"},
        {"transpose_f32",
         {any("tensor<?x6xf32>")},
         "tensor<6x?xf32>",
         "%y = axon.transpose %a0 {perm = array<i64: 1, 0>} : tensor<?x6xf32> "
         "-> tensor<6x?xf32>",
         {},
         Compiled}},
       {example("rank 2",
                module({"tensor<2x3xf32>"}, "tensor<3x2xf32>",
                       "%r = axon.transpose %a {perm = array<i64: 1, 0>} : "
                       "tensor<2x3xf32> -> tensor<3x2xf32>"),
                {f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                {DType::F32, {3, 2}, {1, 4, 2, 5, 3, 6}}),
        // Result dim i is input dim perm[i]: out[k, i, 0] = x[i, 0, k].
        example("result dim i is input dim perm[i]",
                module({"tensor<2x1x3xf32>"}, "tensor<3x2x1xf32>",
                       "%r = axon.transpose %a {perm = array<i64: 2, 0, 1>} "
                       ": tensor<2x1x3xf32> -> tensor<3x2x1xf32>"),
                {f32({2, 1, 3}, {1, 2, 3, 4, 5, 6})},
                {DType::F32, {3, 2, 1}, {1, 4, 2, 5, 3, 6}})}});

  // %a1 only supplies the dynamic extent: its gradient is zero.
  t.push_back(
      {"axon.broadcast",
       {{"broadcast_rank_and_extent",
         {any("tensor<3x1xf64>")},
         "tensor<2x3x4xf64>",
         "%y = axon.broadcast %a0 : tensor<3x1xf64> -> tensor<2x3x4xf64>"},
        {"broadcast_dynamic",
         {any("tensor<1x4xf64>"), any("tensor<?xf64>")},
         "tensor<?x4xf64>",
         "%n = axon.dim %a1 {axis = 0 : i64} : tensor<?xf64>\n"
         "  %y = axon.broadcast %a0[%n] : tensor<1x4xf64> -> "
         "tensor<?x4xf64>"},
        {"broadcast_rows_f32",
         {any("tensor<6xf32>"), any("tensor<?xf32>")},
         "tensor<?x6xf32>",
         "%n = axon.dim %a1 {axis = 0 : i64} : tensor<?xf32>\n"
         "  %y = axon.broadcast %a0[%n] : tensor<6xf32> -> tensor<?x6xf32>",
         {},
         Compiled}},
       {example("a row",
                module({"tensor<3xf32>"}, "tensor<2x3xf32>",
                       "%r = axon.broadcast %a : tensor<3xf32> -> "
                       "tensor<2x3xf32>"),
                {f32({3}, {1, 2, 3})},
                {DType::F32, {2, 3}, {1, 2, 3, 1, 2, 3}}),
        example("a column",
                module({"tensor<2x1xf32>"}, "tensor<2x3xf32>",
                       "%r = axon.broadcast %a : tensor<2x1xf32> -> "
                       "tensor<2x3xf32>"),
                {f32({2, 1}, {1, 2})},
                {DType::F32, {2, 3}, {1, 1, 1, 2, 2, 2}}),
        example("to a dynamic extent",
                module({"tensor<3xf32>", "tensor<i64>"}, "tensor<?x3xf32>",
                       "%r = axon.broadcast %a [%b] : tensor<3xf32> -> "
                       "tensor<?x3xf32>"),
                {f32({3}, {1, 2, 3}), scalarI64(2)},
                {DType::F32, {2, 3}, {1, 2, 3, 1, 2, 3}})}});

  t.push_back(
      {"axon.slice",
       {{"slice_strided",
         {any("tensor<7x3xf64>")},
         "tensor<3x3xf64>",
         "%y = axon.slice %a0 {axis = 0 : i64, start = 1 : i64, limit = 6 : "
         "i64, stride = 2 : i64} : tensor<7x3xf64> -> tensor<3x3xf64>"},
        {"slice_negative_axis_to_end",
         {any("tensor<3x7xf64>")},
         "tensor<3x4xf64>",
         "%y = axon.slice %a0 {axis = -1 : i64, start = 0 : i64, limit = -1 "
         ": i64, stride = 2 : i64} : tensor<3x7xf64> -> tensor<3x4xf64>"},
        {"slice_strided_f32",
         {any("tensor<?x6xf32>")},
         "tensor<?x3xf32>",
         "%y = axon.slice %a0 {axis = 1 : i64, start = 1 : i64, limit = 6 : "
         "i64, stride = 2 : i64} : tensor<?x6xf32> -> tensor<?x3xf32>",
         {},
         Compiled}},
       {example("odd columns up to the last",
                module({"tensor<2x5xf32>"}, "tensor<2x2xf32>",
                       "%r = axon.slice %a {axis = 1 : i64, start = 1 : i64, "
                       "limit = -1 : i64, stride = 2 : i64} : tensor<2x5xf32> "
                       "-> tensor<2x2xf32>"),
                {x25}, {DType::F32, {2, 2}, {1, 3, 6, 8}}),
        example("a row, by a negative axis",
                module({"tensor<2x5xf32>"}, "tensor<1x5xf32>",
                       "%r = axon.slice %a {axis = -2 : i64, start = 1 : i64, "
                       "limit = 2 : i64} : tensor<2x5xf32> -> "
                       "tensor<1x5xf32>"),
                {x25}, {DType::F32, {1, 5}, {5, 6, 7, 8, 9}}),
        example("stride 3",
                module({"tensor<2x5xf32>"}, "tensor<2x2xf32>",
                       "%r = axon.slice %a {axis = 1 : i64, start = 0 : i64, "
                       "limit = 5 : i64, stride = 3 : i64} : tensor<2x5xf32> "
                       "-> tensor<2x2xf32>"),
                {x25}, {DType::F32, {2, 2}, {0, 3, 5, 8}})}});

  // Positions 1 and 3 need 4 rows; a dynamic target dim hides that from
  // the verifier.
  auto outOfRange = [](const std::string &stride) {
    return module({"tensor<?x4xf32>", "tensor<2x4xf32>"}, "tensor<?x4xf32>",
                  "%r = axon.insert_slice %b into %a {axis = 0 : i64, start = "
                  "1 : i64, stride = " +
                      stride +
                      " : i64} : tensor<2x4xf32>, tensor<?x4xf32> -> "
                      "tensor<?x4xf32>");
  };
  Tensor update = f32({2, 4}, Values(8, 1.0));
  t.push_back(
      {"axon.insert_slice",
       {{"insert_slice_strided",
         {any("tensor<3x7xf64>"), any("tensor<3x2xf64>")},
         "tensor<3x7xf64>",
         "%y = axon.insert_slice %a1 into %a0 {axis = 1 : i64, start = 2 : "
         "i64, stride = 3 : i64} : tensor<3x2xf64>, tensor<3x7xf64> -> "
         "tensor<3x7xf64>"},
        {"insert_slice_axis0",
         {any("tensor<5x2xf64>"), any("tensor<2x2xf64>")},
         "tensor<5x2xf64>",
         "%y = axon.insert_slice %a1 into %a0 {axis = 0 : i64, start = 3 : "
         "i64} : tensor<2x2xf64>, tensor<5x2xf64> -> tensor<5x2xf64>"},
        {"insert_slice_strided_f32",
         {any("tensor<?x6xf32>"), any("tensor<?x2xf32>")},
         "tensor<?x6xf32>",
         "%y = axon.insert_slice %a1 into %a0 {axis = 1 : i64, start = 1 : "
         "i64, stride = 3 : i64} : tensor<?x2xf32>, tensor<?x6xf32> -> "
         "tensor<?x6xf32>",
         {},
         Compiled}},
       {// Columns 1 and 3 of each row take the update's values.
        example("columns, with a stride",
                module({"tensor<2x5xf32>", "tensor<2x2xf32>"},
                       "tensor<2x5xf32>",
                       "%r = axon.insert_slice %b into %a {axis = 1 : i64, "
                       "start = 1 : i64, stride = 2 : i64} : tensor<2x2xf32>, "
                       "tensor<2x5xf32> -> tensor<2x5xf32>"),
                {x25, f32({2, 2}, {10, 11, 12, 13})},
                {DType::F32, {2, 5}, {0, 10, 2, 11, 4, 5, 12, 7, 13, 9}}),
        // Rows 0 and 2 along axis 0.
        example("rows, with a stride",
                module({"tensor<3x1x2xf32>", "tensor<2x1x2xf32>"},
                       "tensor<3x1x2xf32>",
                       "%r = axon.insert_slice %b into %a {axis = 0 : i64, "
                       "start = 0 : i64, stride = 2 : i64} : "
                       "tensor<2x1x2xf32>, tensor<3x1x2xf32> -> "
                       "tensor<3x1x2xf32>"),
                {f32({3, 1, 2}, {0, 1, 2, 3, 4, 5}),
                 f32({2, 1, 2}, {10, 11, 12, 13})},
                {DType::F32, {3, 1, 2}, {10, 11, 2, 3, 12, 13}}),
        // Axis -2 of [2, 3, 2] is the middle one: both outer and inner
        // strides matter. The default stride is 1.
        example(
            "into a middle axis",
            module({"tensor<2x3x2xf32>", "tensor<2x1x2xf32>"},
                   "tensor<2x3x2xf32>",
                   "%r = axon.insert_slice %b into %a {axis = -2 : i64, "
                   "start = 2 : i64} : tensor<2x1x2xf32>, "
                   "tensor<2x3x2xf32> -> tensor<2x3x2xf32>"),
            {f32({2, 3, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}),
             f32({2, 1, 2}, {-1, -2, -3, -4})},
            {DType::F32, {2, 3, 2}, {0, 1, 2, 3, -1, -2, 6, 7, 8, 9, -3, -4}}),
        {"out of range is an error at the op",
         outOfRange("2"),
         {Call{{f32({4, 4}, Values(16, 0.0)), update},
               {{DType::F32,
                 {4, 4},
                 {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}}}},
          failing({f32({3, 4}, Values(12, 0.0)), update},
                  {"test.mlir:2:", "axon.insert_slice",
                   "runs past axis 0 of [3, 4]"})}},
        // start + stride overflows int64: still an error, not a wild write.
        {"start + stride overflowing is an error",
         outOfRange("9223372036854775807"),
         {failing({f32({3, 4}, Values(12, 0.0)), update},
                  {"runs past axis 0"})}}}});

  t.push_back(
      {"axon.concat",
       {{"concat_three_negative_axis",
         {any("tensor<2x3xf64>"), any("tensor<2x1xf64>"),
          any("tensor<2x2xf64>")},
         "tensor<2x6xf64>",
         "%y = axon.concat %a0, %a1, %a2 {axis = -1 : i64} : "
         "tensor<2x3xf64>, tensor<2x1xf64>, tensor<2x2xf64> -> "
         "tensor<2x6xf64>"},
        {"concat_axis0",
         {any("tensor<1x3xf64>"), any("tensor<2x3xf64>")},
         "tensor<3x3xf64>",
         "%y = axon.concat %a0, %a1 {axis = 0 : i64} : tensor<1x3xf64>, "
         "tensor<2x3xf64> -> tensor<3x3xf64>"},
        {"concat_five_f32",
         {any("tensor<?x6xf32>"), any("tensor<?x3xf32>")},
         "tensor<?x24xf32>",
         "%y = axon.concat %a0, %a1, %a0, %a1, %a0 {axis = 1 : i64} : "
         "tensor<?x6xf32>, tensor<?x3xf32>, tensor<?x6xf32>, "
         "tensor<?x3xf32>, tensor<?x6xf32> -> tensor<?x24xf32>",
         {},
         Compiled}},
       {example("rows",
                module({"tensor<1x2xf32>", "tensor<2x2xf32>"},
                       "tensor<3x2xf32>",
                       "%r = axon.concat %a, %b {axis = 0 : i64} : "
                       "tensor<1x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>"),
                {f32({1, 2}, {1, 2}), f32({2, 2}, {3, 4, 5, 6})},
                {DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6}}),
        example(
            "three, along a negative axis",
            module({"tensor<2x1xf32>", "tensor<2x2xf32>", "tensor<2x1xf32>"},
                   "tensor<2x4xf32>",
                   "%r = axon.concat %a, %b, %c {axis = -1 : i64} : "
                   "tensor<2x1xf32>, tensor<2x2xf32>, tensor<2x1xf32> -> "
                   "tensor<2x4xf32>"),
            {f32({2, 1}, {1, 2}), f32({2, 2}, {3, 4, 5, 6}),
             f32({2, 1}, {7, 8})},
            {DType::F32, {2, 4}, {1, 3, 4, 7, 2, 5, 6, 8}})}});

  // gather / scatter_add with repeated indices (the table gradient
  // accumulates; scatter_add's update gradient gathers).
  std::string gatherRows =
      module({"tensor<3x2xf32>", "tensor<2xi32>"}, "tensor<2x2xf32>",
             "%r = axon.gather %a[%b] : tensor<3x2xf32>, tensor<2xi32> -> "
             "tensor<2x2xf32>");
  Example gatherOutOfRange{
      "out of range is an error at the op", gatherRows, {}};
  for (double bad : {3.0, -1.0})
    gatherOutOfRange.calls.push_back(
        failing({f32({3, 2}, {1, 2, 3, 4, 5, 6}), i32({2}, {0, bad})},
                {"test.mlir:2:", "axon.gather",
                 "index " + std::to_string(static_cast<int>(bad))}));
  t.push_back(
      {"axon.gather",
       {{"gather_repeated",
         {any("tensor<5x3xf64>"), ints("tensor<4xi32>", {4, 1, 4, 0})},
         "tensor<4x3xf64>",
         "%y = axon.gather %a0[%a1] : tensor<5x3xf64>, tensor<4xi32> -> "
         "tensor<4x3xf64>"},
        {"gather_axis1_matrix_indices",
         {any("tensor<3x5xf64>"), ints("tensor<2x2xi64>", {1, 3, 3, 1})},
         "tensor<3x2x2xf64>",
         "%y = axon.gather %a0[%a1] {axis = 1 : i64} : tensor<3x5xf64>, "
         "tensor<2x2xi64> -> tensor<3x2x2xf64>"},
        {"gather_columns_f32",
         {any("tensor<?x6xf32>"), indices("tensor<5xi32>", 6)},
         "tensor<?x5xf32>",
         "%y = axon.gather %a0[%a1] {axis = 1 : i64} : tensor<?x6xf32>, "
         "tensor<5xi32> -> tensor<?x5xf32>",
         {},
         Compiled | Evaluator,
         naiveGatherColumns}},
       {example("rows, with repeats",
                module({"tensor<3x2xf32>", "tensor<3xi32>"}, "tensor<3x2xf32>",
                       "%r = axon.gather %a[%b] {axis = 0 : i64} : "
                       "tensor<3x2xf32>, tensor<3xi32> -> tensor<3x2xf32>"),
                {f32({3, 2}, {1, 2, 3, 4, 5, 6}), i32({3}, {2, 0, 2})},
                {DType::F32, {3, 2}, {5, 6, 1, 2, 5, 6}}),
        // result shape = table[:1] ++ indices.shape ++ table[2:] = [2, 2, 2].
        example("along an inner axis",
                module({"tensor<2x3xf32>", "tensor<2x2xi64>"},
                       "tensor<2x2x2xf32>",
                       "%r = axon.gather %a[%b] {axis = 1 : i64} : "
                       "tensor<2x3xf32>, tensor<2x2xi64> -> "
                       "tensor<2x2x2xf32>"),
                {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({2, 2}, {2, 0, 1, 1})},
                {DType::F32, {2, 2, 2}, {3, 1, 2, 2, 6, 4, 5, 5}}),
        gatherOutOfRange}});

  std::string scatterRows =
      module({"tensor<3x2xf32>", "tensor<3xi32>", "tensor<3x2xf32>"},
             "tensor<3x2xf32>",
             "%r = axon.scatter_add %a[%b], %c {axis = 0 : i64} : "
             "tensor<3x2xf32>, tensor<3xi32>, tensor<3x2xf32> -> "
             "tensor<3x2xf32>");
  t.push_back(
      {"axon.scatter_add",
       {{"scatter_add_repeated",
         {any("tensor<5x3xf64>"), ints("tensor<4xi32>", {2, 2, 0, 4}),
          any("tensor<4x3xf64>")},
         "tensor<5x3xf64>",
         "%y = axon.scatter_add %a0[%a1], %a2 : tensor<5x3xf64>, "
         "tensor<4xi32>, tensor<4x3xf64> -> tensor<5x3xf64>"},
        {"scatter_add_axis1",
         {any("tensor<3x5xf64>"), ints("tensor<4xi64>", {1, 4, 1, 1}),
          any("tensor<3x4xf64>")},
         "tensor<3x5xf64>",
         "%y = axon.scatter_add %a0[%a1], %a2 {axis = 1 : i64} : "
         "tensor<3x5xf64>, tensor<4xi64>, tensor<3x4xf64> -> "
         "tensor<3x5xf64>"},
        {"scatter_add_rows_f32",
         {any("tensor<6x?xf32>"), indices("tensor<5xi32>", 6),
          any("tensor<5x?xf32>")},
         "tensor<6x?xf32>",
         "%y = axon.scatter_add %a0[%a1], %a2 {axis = 0 : i64} : "
         "tensor<6x?xf32>, tensor<5xi32>, tensor<5x?xf32> -> "
         "tensor<6x?xf32>",
         {},
         Compiled}},
       {// Rows 0 and 2 of the updates both land on row 0.
        {"accumulates repeated indices, and rejects one out of range",
         scatterRows,
         {Call{{f32({3, 2}, {1, 1, 1, 1, 1, 1}), i32({3}, {0, 2, 0}),
                f32({3, 2}, {1, 2, 3, 4, 5, 6})},
               {{DType::F32, {3, 2}, {7, 9, 1, 1, 4, 5}}}},
          failing({f32({3, 2}, Values(6, 0)), i32({3}, {0, 3, 0}),
                   f32({3, 2}, Values(6, 1))},
                  {"axon.scatter_add", "index 3"})}},
        // Along axis 1: out[i, idx[k]] += updates[i, k].
        example("along axis 1",
                module({"tensor<2x3xf32>", "tensor<3xi32>", "tensor<2x3xf32>"},
                       "tensor<2x3xf32>",
                       "%r = axon.scatter_add %a[%b], %c {axis = 1 : i64} : "
                       "tensor<2x3xf32>, tensor<3xi32>, tensor<2x3xf32> -> "
                       "tensor<2x3xf32>"),
                {f32({2, 3}, Values(6, 0)), i32({3}, {1, 1, 2}),
                 f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                {DType::F32, {2, 3}, {0, 3, 3, 0, 9, 6}})}});

  // A label outside [0, depth) is an error, as in torch's one_hot.
  std::string oneHot = module({"tensor<3xi32>"}, "tensor<3x3xf32>",
                              "%r = axon.one_hot %a {depth = 3 : i64} : "
                              "tensor<3xi32> -> tensor<3x3xf32>");
  Example oneHotValues{
      "values, and labels out of range",
      oneHot,
      {Call{{i32({3}, {2, 0, 1})},
            {{DType::F32, {3, 3}, {0, 0, 1, 1, 0, 0, 0, 1, 0}}}}}};
  for (double bad : {5.0, -1.0})
    oneHotValues.calls.push_back(
        failing({i32({3}, {2, 0, bad})}, {"out of range [0, 3)"}));
  t.push_back(
      {"axon.one_hot",
       {{"one_hot_f32",
         {indices("tensor<?xi32>", 10)},
         "tensor<?x10xf32>",
         "%y = axon.one_hot %a0 {depth = 10 : i64} : tensor<?xi32> -> "
         "tensor<?x10xf32>",
         {},
         Compiled | Evaluator,
         naiveOneHot(10, DType::F32)},
        {"one_hot_rank2_i32",
         {indices("tensor<?x2xi64>", 3)},
         "tensor<?x2x3xi32>",
         "%y = axon.one_hot %a0 {depth = 3 : i64} : tensor<?x2xi64> -> "
         "tensor<?x2x3xi32>",
         {},
         Compiled | Evaluator,
         naiveOneHot(3, DType::I32)}},
       {oneHotValues,
        example("rank 2 labels, i32 result",
                module({"tensor<2x1xi64>"}, "tensor<2x1x2xi32>",
                       "%r = axon.one_hot %a {depth = 2 : i64} : "
                       "tensor<2x1xi64> -> tensor<2x1x2xi32>"),
                {i64({2, 1}, {1, 0})}, {DType::I32, {2, 1, 2}, {0, 1, 1, 0}})},
       {{Gradient, "its input is integer labels: nothing to differentiate"}}});

  Oracle filledRows = [](const std::vector<Tensor> &in) {
    return std::vector<Tensor>{Tensor(DType::F32, {in[0].shape[0], 2}, 1.5)};
  };
  std::string fillBody =
      "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x3xf32>\n"
      "  %y = axon.fill [%n] {value = 1.5 : f64} : tensor<?x2xf32>";
  t.push_back(
      {"axon.dim",
       {{"dim_sizes_a_fill",
         {any("tensor<?x3xf32>")},
         "tensor<?x2xf32>",
         fillBody,
         {},
         Compiled | Evaluator,
         filledRows}},
       {{"of a dynamic tensor",
         "func.func @f(%x: tensor<?x3xf32>) -> (tensor<i64>, tensor<i64>) {\n"
         "  %n = axon.dim %x {axis = 0 : i64} : tensor<?x3xf32>\n"
         "  %m = axon.dim %x {axis = -1 : i64} : tensor<?x3xf32>\n"
         "  return %n, %m : tensor<i64>, tensor<i64>\n}\n",
         {Call{{f32({4, 3}, Values(12, 0))},
               {{DType::I64, {}, {4}}, {DType::I64, {}, {3}}}}}}},
       {{Gradient, "its result is an extent, an integer"}}});
}

//===----------------------------------------------------------------------===//
// Creation and random draws
//===----------------------------------------------------------------------===//

/// Draws of `seed` at the counter in the instance's first argument, shaped
/// as the second's rows by `cols` (or [n] without a second), through `f`.
Oracle philoxDraws(uint64_t seed, DType dtype, int64_t n, int64_t cols,
                   std::function<double(uint64_t, uint64_t, uint64_t)> f) {
  return [=](const std::vector<Tensor> &in) {
    uint64_t counter = uint64_t(in[0].data[0]);
    Shape shape = in.size() > 1 ? Shape{in[1].shape[0], cols} : Shape{n};
    Tensor out(dtype, shape);
    for (int64_t i = 0; i < out.numElements(); ++i)
      out.data[i] = roundTo(dtype, f(seed, counter, uint64_t(i)));
    return std::vector<Tensor>{out};
  };
}

void addCreation(std::vector<OpEntry> &t) {
  const char *noInputs = "it has no operands to differentiate";
  t.push_back(
      {"axon.constant",
       {{"constant_scales_rows_f32",
         {any("tensor<?x3xf32>")},
         "tensor<?x3xf32>",
         "%c = axon.constant dense<[[1.5, -2.0, 0.25]]> : tensor<1x3xf32>\n"
         "  %y = axon.mul %a0, %c : tensor<?x3xf32>, tensor<1x3xf32> -> "
         "tensor<?x3xf32>",
         {},
         Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           return std::vector<Tensor>{broadcastMap(
               {in[0], f32({1, 3}, {1.5, -2.0, 0.25})}, DType::F32,
               [](const std::vector<Scalar> &x) { return x[0] * x[1]; })};
         }}},
       {{"every element type, splat and dense",
         "func.func @f() -> (tensor<1x2xf32>, tensor<2x2xi32>, tensor<3xi1>, "
         "tensor<f64>, tensor<2xf32>, tensor<2xi64>) {\n"
         "  %a = axon.constant dense<[[1.5, -2.0]]> : tensor<1x2xf32>\n"
         "  %b = axon.constant dense<7> : tensor<2x2xi32>\n"
         "  %c = axon.constant dense<[true, false, true]> : tensor<3xi1>\n"
         "  %d = axon.constant dense<0.1> : tensor<f64>\n"
         "  %e = axon.constant dense<0.1> : tensor<2xf32>\n"
         "  %g = axon.constant dense<[-3, 9000000000]> : tensor<2xi64>\n"
         "  return %a, %b, %c, %d, %e, %g : tensor<1x2xf32>, tensor<2x2xi32>, "
         "tensor<3xi1>, tensor<f64>, tensor<2xf32>, tensor<2xi64>\n}\n",
         {Call{{},
               {{DType::F32, {1, 2}, {1.5, -2}},
                {DType::I32, {2, 2}, {7, 7, 7, 7}},
                {DType::I1, {3}, {1, 0, 1}},
                {DType::F64, {}, {0.1}},
                {DType::F32, {2}, {roundF32(0.1), roundF32(0.1)}},
                {DType::I64, {2}, {-3, 9000000000.0}}}}}}},
       {{Gradient, noInputs}}});

  std::string huge =
      module({"tensor<i64>"}, "tensor<?x4xf32>",
             "%r = axon.fill [%a] {value = 0.0 : f64} : tensor<?x4xf32>");
  t.push_back(
      {"axon.fill",
       {{"fill_rows_f32",
         {any("tensor<?x3xf32>")},
         "tensor<?x2xf32>",
         "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x3xf32>\n"
         "  %y = axon.fill [%n] {value = 1.5 : f64} : tensor<?x2xf32>",
         {},
         Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           return std::vector<Tensor>{
               Tensor(DType::F32, {in[0].shape[0], 2}, 1.5)};
         }},
        {"fill_added_f32",
         {any("tensor<?x7xf32>")},
         "tensor<?x7xf32>",
         "%f = axon.fill {value = -3.0 : f64} : tensor<7xf32>\n"
         "  %y = axon.add %a0, %f : tensor<?x7xf32>, tensor<7xf32> -> "
         "tensor<?x7xf32>",
         {},
         Compiled}},
       {{"static and dynamic",
         "func.func @f(%n: tensor<i64>) -> (tensor<2x2xf32>, "
         "tensor<?x2xi32>) {\n"
         "  %a = axon.fill {value = 2.5 : f64} : tensor<2x2xf32>\n"
         "  %b = axon.fill [%n] {value = -3.0 : f64} : tensor<?x2xi32>\n"
         "  return %a, %b : tensor<2x2xf32>, tensor<?x2xi32>\n}\n",
         {Call{{scalarI64(3)},
               {{DType::F32, {2, 2}, {2.5, 2.5, 2.5, 2.5}},
                {DType::I32, {3, 2}, {-3, -3, -3, -3, -3, -3}}}}}},
        {"huge and negative run-time extents are errors",
         huge,
         {failing({scalarI64(int64_t(1) << 40)}, {"axon.fill", "too large"}),
          failing({scalarI64(-2)}, {"negative extent -2"})}}},
       {{Gradient, noInputs}}});

  // Each draw is a function of (seed, counter, index) through Philox: the
  // same on every backend. A static [33] and a dynamic [n, 2] result.
  const char *noGradient =
      "its draws depend on no differentiable operand (seed and counter only)";
  // The compiled case fuses a [1, 5] draw into its consumer's kernel,
  // broadcast over 1, 7 or 33 rows, at a counter past 2^24.
  auto random = [&](const std::string &name, const std::string &attrs,
                    std::function<double(uint64_t, uint64_t, uint64_t)> f,
                    uint64_t seed, const std::string &consumer) {
    std::string o = "axon." + name;
    Oracle draws = philoxDraws(seed, DType::F32, 5, 0, f);
    Oracle fused = [=](const std::vector<Tensor> &in) {
      Tensor r = draws({in[1]})[0];
      r.shape = {1, 5};
      return std::vector<Tensor>{broadcastMap(
          {in[0], r}, DType::F32, [&](const std::vector<Scalar> &x) {
            return consumer == "add" ? x[0] + x[1] : x[0] * x[1];
          })};
    };
    return OpEntry{
        o,
        {{name + "_f32",
          {ints("tensor<i64>", {5})},
          "tensor<33xf32>",
          "%y = " + o + " %a0 {seed = " + std::to_string(seed) + " : i64, " +
              attrs + "} : tensor<33xf32>",
          {},
          Evaluator,
          philoxDraws(seed, DType::F32, 33, 0, f)},
         {name + "_fused_f32",
          {any("tensor<?x5xf32>"), ints("tensor<i64>", {33000099})},
          "tensor<?x5xf32>",
          "%r = " + o + " %a1 {seed = " + std::to_string(seed) + " : i64, " +
              attrs + "} : tensor<1x5xf32>\n  %y = axon." + consumer +
              " %a0, %r : tensor<?x5xf32>, tensor<1x5xf32> -> tensor<?x5xf32>",
          {},
          Compiled | Evaluator,
          fused},
         {name + "_dynamic_f64",
          {ints("tensor<i64>", {7000021}), any("tensor<?xf64>")},
          "tensor<?x2xf64>",
          "%n = axon.dim %a1 {axis = 0 : i64} : tensor<?xf64>\n  %y = " + o +
              " %a0 [%n] {seed = " + std::to_string(seed) + " : i64, " + attrs +
              "} : tensor<?x2xf64>",
          {},
          Compiled | Evaluator,
          philoxDraws(seed, DType::F64, 0, 2, f)}},
        {},
        {{Gradient, noGradient}}};
  };
  t.push_back(random(
      "random_uniform", "low = -1.0 : f64, high = 3.0 : f64",
      [](uint64_t s, uint64_t c, uint64_t i) {
        return -1 + 4 * philox::uniform(s, c, i);
      },
      42, "add"));
  t.push_back(random(
      "random_normal", "mean = 1.0 : f64, std = 2.0 : f64",
      [](uint64_t s, uint64_t c, uint64_t i) {
        return 1 + 2 * philox::normal(s, c, i);
      },
      7, "mul"));
  t.push_back(random(
      "random_bernoulli", "p = 0.3 : f64",
      [](uint64_t s, uint64_t c, uint64_t i) {
        return philox::uniform(s, c, i) < 0.3 ? 1.0 : 0.0;
      },
      9, "mul"));
}

//===----------------------------------------------------------------------===//
// Parameters, loops and structure
//===----------------------------------------------------------------------===//

void addParametersAndLoops(std::vector<OpEntry> &t) {
  // A parameter scales the rows; a second call sees what the first stored.
  std::string readBody = "%p = axon.param_ref @P : tensor<5xf32>\n"
                         "  %y = axon.mul %a0, %p : tensor<?x5xf32>, "
                         "tensor<5xf32> -> tensor<?x5xf32>";
  Instance read{"param_ref_scales_rows_f32", {any("tensor<?x5xf32>")},
                "tensor<?x5xf32>",           readBody,
                {{"P", "tensor<5xf32>"}},    Compiled};
  Example initial{"starts at its initialiser",
                  "axon.param @w : tensor<2x2xf32> = constant {a = 3.0 : f64}\n"
                  "func.func @f() -> tensor<2x2xf32> {\n"
                  "  %w = axon.param_ref @w : tensor<2x2xf32>\n"
                  "  return %w : tensor<2x2xf32>\n}\n",
                  {Call{{}, {{DType::F32, {2, 2}, {3, 3, 3, 3}}}}}};
  const char *declaration =
      "a declaration, not a value: gradients w.r.t. parameters are checked "
      "through their reads (axon.matmul's matmul_param)";
  Instance declared = read;
  declared.name = "param_declared_f32";
  t.push_back({"axon.param", {declared}, {initial}, {{Gradient, declaration}}});
  t.push_back(
      {"axon.param_ref",
       {read},
       {initial},
       {{Gradient, "autodiff differentiates w.r.t. the parameter a read "
                   "names, not through the read (axon.matmul's "
                   "matmul_param)"}}});

  // Reads in the same call still see the value the call began with.
  t.push_back(
      {"axon.param_store",
       {{"param_store_accumulates_f32",
         {any("tensor<?x5xf32>")},
         "tensor<?x5xf32>",
         readBody + "\n  %s = axon.sum %a0 {axes = array<i64: 0>} : "
                    "tensor<?x5xf32> -> tensor<5xf32>\n"
                    "  %n = axon.add %p, %s : tensor<5xf32>, tensor<5xf32> -> "
                    "tensor<5xf32>\n"
                    "  axon.param_store %n into @P : tensor<5xf32>",
         {{"P", "tensor<5xf32>"}},
         Compiled}},
       {{"takes effect when the call returns",
         "axon.param @w : tensor<2xf32> = constant {a = 3.0 : f64}\n"
         "func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {\n"
         "  %old = axon.param_ref @w : tensor<2xf32>\n"
         "  axon.param_store %x into @w : tensor<2xf32>\n"
         "  %r = axon.add %old, %x : tensor<2xf32>, tensor<2xf32> -> "
         "tensor<2xf32>\n"
         "  return %r : tensor<2xf32>\n}\n",
         {Call{{f32({2}, {1, 2})}, {{DType::F32, {2}, {4, 5}}}},
          Call{{f32({2}, {10, 20})}, {{DType::F32, {2}, {11, 22}}}}}}},
       {{Gradient, "a side effect without a result"}}});

  // The Fibonacci pair and the sum of the steps, over several bounds.
  const char *fibonacci = R"mlir(
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
  Example steps{"carries values and sees the step", fibonacci, {}};
  struct Bounds {
    int64_t lo, hi;
    Values expected; // a, b (Fibonacci pair) and the sum of the steps
  };
  const Bounds bounds[] = {
      {0, 5, {5, 8, 0 + 1 + 2 + 3 + 4}},
      {2, 5, {2, 3, 2 + 3 + 4}},
      {3, 3, {0, 1, 0}}, // no step runs: the initial values
      {4, 1, {0, 1, 0}},
  };
  for (const Bounds &b : bounds)
    steps.calls.push_back(
        Call{{scalarI64(b.lo), scalarI64(b.hi), f32({}, {0}), f32({}, {1})},
             {{DType::F32, {}, {b.expected[0]}},
              {DType::F32, {}, {b.expected[1]}},
              {DType::F32, {}, {b.expected[2]}}}});
  // v -> v * k + 1 twice from [0, 0] with k = [2, 3]: [1, 1] then [3, 4].
  Example outer{"the body reads outer values",
                R"mlir(
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
)mlir",
                {Call{{f32({2}, {0, 0}), f32({2}, {2, 3})},
                      {{DType::F32, {2}, {3, 4}}}}}};
  t.push_back(
      {"axon.loop",
       {{"loop_tanh_recurrence_f32",
         {any("tensor<?x4xf32>"), any("tensor<4x4xf32>")},
         "tensor<?x4xf32>",
         "%lo = axon.constant dense<0> : tensor<i64>\n"
         "  %hi = axon.constant dense<5> : tensor<i64>\n"
         "  %y = axon.loop %lo to %hi carry(%a0 : tensor<?x4xf32>) {\n"
         "  ^bb0(%t: tensor<i64>, %h: tensor<?x4xf32>):\n"
         "    %p = axon.matmul %h, %a1 : tensor<?x4xf32>, tensor<4x4xf32> -> "
         "tensor<?x4xf32>\n"
         "    %n = axon.tanh %p : tensor<?x4xf32>\n"
         "    axon.yield %n : tensor<?x4xf32>\n"
         "  } -> tensor<?x4xf32>",
         {},
         Compiled}},
       {steps, outer},
       {{Gradient, "autodiff unrolls loops with constant bounds instead of "
                   "differentiating the op (GradientCheckLoop, "
                   "GradientCheckModels.RnnUnrolledOverFiveSteps)"}}});

  const char *terminator = "the terminator of axon.loop, meaningless alone: "
                           "every instance and example of axon.loop runs it";
  t.push_back({"axon.yield",
               {},
               {},
               {{Evaluator, terminator},
                {Gradient, terminator},
                {Compiled, terminator}}});

  const char *trainConfig =
      "a module-level declaration of the training configuration, never "
      "executed: axon-lower-train turns it into step functions "
      "(TrainStepTest; HalideBackend's train-step tests)";
  t.push_back({"axon.train",
               {},
               {},
               {{Evaluator, trainConfig},
                {Gradient, trainConfig},
                {Compiled, trainConfig}}});

  const char *mode =
      "the mode is decided per call by axon-resolve-mode, which replaces "
      "it with a constant before anything runs (DropoutTest; "
      "tests/ir/axon-resolve-mode.mlir)";
  t.push_back({"axon.training",
               {},
               {},
               {{Evaluator, mode}, {Gradient, mode}, {Compiled, mode}}});

  const char *fused = "formed by axon-fuse after autodiff, for the compiled "
                      "path only (the reference evaluator runs the unfused "
                      "ops); every compiled check runs through it";
  for (const char *op : {"axon.kernel", "axon.kernel_yield"})
    t.push_back({op,
                 {},
                 {},
                 {{Evaluator, fused}, {Gradient, fused}, {Compiled, fused}}});
}

//===----------------------------------------------------------------------===//
// Sequences: ranges, triangle masks, shifts and scans
//===----------------------------------------------------------------------===//

/// The recurrence of axon.scan one step at a time in long double, apart
/// from the evaluator: along `axis` of a and b (same shape), h_0 = b_0.
Tensor scanLoop(const Tensor &a, const Tensor &b, int64_t axis, bool reverse) {
  int64_t outer = 1, inner = 1, n = b.shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= b.shape[d];
  for (size_t d = axis + 1; d < b.shape.size(); ++d)
    inner *= b.shape[d];
  Tensor h(b.dtype, b.shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      long double carry = 0;
      for (int64_t s = 0; s < n; ++s) {
        int64_t t = reverse ? n - 1 - s : s;
        int64_t at = (o * n + t) * inner + i;
        // Forward: a_t multiplies h_(t-1); reverse: a_(t+1) multiplies h_(t+1).
        long double k = s == 0 ? 0
                        : reverse ? a.data[at + inner]
                                  : a.data[at];
        // Rounded at each step, as a loop in the result's type would be
        // (an f32 product overflows to inf, and inf * 0 is NaN).
        carry = roundTo(b.dtype, double(s == 0 ? (long double)b.data[at]
                                               : k * carry + b.data[at]));
        h.data[at] = double(carry);
      }
    }
  return h;
}

/// tril (j - i <= k) or triu (j - i >= k) over the last two axes.
Oracle triangleOracle(int64_t k, bool lower) {
  return [=](const std::vector<Tensor> &in) {
    Tensor y = in[0];
    int64_t rows = y.shape[y.shape.size() - 2], cols = y.shape.back();
    for (int64_t f = 0; f < y.numElements(); ++f) {
      int64_t j = f % cols, i = (f / cols) % rows;
      if (lower ? j - i > k : j - i < k)
        y.data[f] = 0;
    }
    return std::vector<Tensor>{y};
  };
}

void addSequenceOps(std::vector<OpEntry> &t) {
  const char *noInputs = "it has no operands to differentiate";
  t.push_back(
      {"axon.arange",
       {{"arange_rows_f32",
         {any("tensor<?x3xf32>")},
         "tensor<?xf32>",
         "%n = axon.dim %a0 {axis = 0 : i64} : tensor<?x3xf32>\n"
         "  %y = axon.arange [%n] {start = 2.0 : f64, step = -0.5 : f64} : "
         "tensor<?xf32>",
         {},
         Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           Tensor y(DType::F32, {in[0].shape[0]});
           for (int64_t i = 0; i < y.numElements(); ++i)
             y.data[i] = 2.0 - 0.5 * double(i);
           return std::vector<Tensor>{y};
         }},
        {"arange_added_f32",
         {any("tensor<?x7xf32>")},
         "tensor<?x7xf32>",
         "%r = axon.arange {start = -3.0 : f64, step = 0.25 : f64} : "
         "tensor<7xf32>\n"
         "  %y = axon.add %a0, %r : tensor<?x7xf32>, tensor<7xf32> -> "
         "tensor<?x7xf32>",
         {},
         Compiled}},
       {{"integers, static and dynamic, and a negative extent",
         "func.func @f(%n: tensor<i64>) -> (tensor<3xi64>, tensor<?xi32>) {\n"
         "  %a = axon.arange : tensor<3xi64>\n"
         "  %b = axon.arange [%n] {start = 5.0 : f64, step = -2.0 : f64} : "
         "tensor<?xi32>\n"
         "  return %a, %b : tensor<3xi64>, tensor<?xi32>\n}\n",
         {Call{{scalarI64(4)},
               {{DType::I64, {3}, {0, 1, 2}},
                {DType::I32, {4}, {5, 3, 1, -1}}}},
          failing({scalarI64(-2)}, {"negative extent -2"})}}},
       {{Gradient, noInputs}}});

  for (bool lower : {true, false}) {
    std::string name = lower ? "tril" : "triu", op = "axon." + name;
    int64_t k1 = lower ? 1 : 2, k2 = -1;
    auto body = [&](const std::string &type, int64_t k) {
      return "%y = " + op + " %a0 {k = " + std::to_string(k) + " : i64} : " +
             type;
    };
    // The causal mask: ones on and below the diagonal (tril), on and
    // above it (triu).
    std::vector<double> mask = lower ? std::vector<double>{1, 0, 0, 1, 1, 0, 1, 1, 1}
                                     : std::vector<double>{1, 1, 1, 0, 1, 1, 0, 0, 1};
    t.push_back(
        {op,
         {{name + "_f64", {any("tensor<4x5xf64>")}, "tensor<4x5xf64>",
           body("tensor<4x5xf64>", k1), {}, Gradient | Compiled | Evaluator,
           triangleOracle(k1, lower)},
          {name + "_batched_f32", {withEdges("tensor<2x?x6xf32>")},
           "tensor<2x?x6xf32>", body("tensor<2x?x6xf32>", k2), {},
           Compiled | Evaluator, triangleOracle(k2, lower)}},
         {example("the causal mask of ones",
                  module({"tensor<3x3xf32>"}, "tensor<3x3xf32>",
                         "%r = " + op + " %a : tensor<3x3xf32>"),
                  {f32({3, 3}, std::vector<double>(9, 1.0))},
                  {DType::F32, {3, 3}, mask})}});
  }

  t.push_back(
      {"axon.shift",
       {{"shift_right_f64", {any("tensor<3x5xf64>")}, "tensor<3x5xf64>",
         "%y = axon.shift %a0 {axis = 1 : i64, offset = 2 : i64} : "
         "tensor<3x5xf64>"},
        {"shift_left_rows_f32", {any("tensor<?x4xf32>")}, "tensor<?x4xf32>",
         "%y = axon.shift %a0 {axis = 0 : i64, offset = -1 : i64} : "
         "tensor<?x4xf32>",
         {},
         Compiled}},
       {example("right by one, left by three, and past the end",
                "func.func @f(%a: tensor<4xf32>) -> (tensor<4xf32>, "
                "tensor<4xf32>, tensor<4xf32>) {\n"
                "  %r = axon.shift %a {axis = 0 : i64, offset = 1 : i64} : "
                "tensor<4xf32>\n"
                "  %l = axon.shift %a {axis = -1 : i64, offset = -3 : i64} : "
                "tensor<4xf32>\n"
                "  %z = axon.shift %a {axis = 0 : i64, offset = 5 : i64} : "
                "tensor<4xf32>\n"
                "  return %r, %l, %z : tensor<4xf32>, tensor<4xf32>, "
                "tensor<4xf32>\n}\n",
                {f32({4}, {1, 2, 3, 4})}, {DType::F32, {4}, {0, 1, 2, 3}})}});
  // The example above checks one result; its other two are the point too.
  t.back().examples[0].calls[0].results.push_back({DType::F32, {4}, {4, 0, 0, 0}});
  t.back().examples[0].calls[0].results.push_back({DType::F32, {4}, {0, 0, 0, 0}});

  auto scanBody = [](const std::string &type, int64_t axis, bool reverse) {
    return "%y = axon.scan %a0, %a1 {axis = " + std::to_string(axis) +
           " : i64" + (reverse ? ", reverse" : "") + "} : " + type;
  };
  auto scanOracle = [](int64_t axis, bool reverse) -> Oracle {
    return [=](const std::vector<Tensor> &in) {
      int64_t ax = axis < 0 ? axis + int64_t(in[1].shape.size()) : axis;
      return std::vector<Tensor>{scanLoop(in[0], in[1], ax, reverse)};
    };
  };
  auto scanModule = [](const std::string &attrs) {
    return module({"tensor<3xf32>", "tensor<3xf32>"}, "tensor<3xf32>",
                  "%r = axon.scan %a, %b {axis = 0 : i64" + attrs +
                      "} : tensor<3xf32>");
  };
  const double inf = INFINITY, nan = NAN;
  t.push_back(
      {"axon.scan",
       {{"scan_f64", {any("tensor<2x5xf64>"), any("tensor<2x5xf64>")},
         "tensor<2x5xf64>", scanBody("tensor<2x5xf64>", 1, false), {},
         Gradient | Compiled | Evaluator, scanOracle(1, false)},
        {"scan_reverse_f64", {any("tensor<5x3xf64>"), any("tensor<5x3xf64>")},
         "tensor<5x3xf64>", scanBody("tensor<5x3xf64>", 0, true), {},
         Gradient | Compiled | Evaluator, scanOracle(0, true)},
        // Zeros in a (cumprod's case) must not turn into divisions.
        {"scan_zeros_in_a_f64",
         {ints("tensor<6xf64>", {0.5, 0, -1.5, 0, 2, 0.75}),
          any("tensor<6xf64>")},
         "tensor<6xf64>", scanBody("tensor<6xf64>", 0, false)},
        {"scan_rows_f32", {any("tensor<?x3xf32>"), any("tensor<?x3xf32>")},
         "tensor<?x3xf32>", scanBody("tensor<?x3xf32>", 0, false), {},
         Compiled | Evaluator, scanOracle(0, false)},
        {"scan_last_axis_reverse_f32",
         {any("tensor<4x?xf32>"), any("tensor<4x?xf32>")}, "tensor<4x?xf32>",
         scanBody("tensor<4x?xf32>", -1, true), {}, Compiled | Evaluator,
         scanOracle(-1, true)},
        // FP edges, against the loop in both paths: cumsum (a = 1) carries
        // a NaN and an overflow to inf to every later position; cumprod
        // (a = x, b = x then 0) overflows to inf, and inf times a later
        // zero is NaN as in torch.cumprod; a_0 (inf here) is never read.
        {"scan_cumsum_nan_f32",
         {ints("tensor<4xf32>", {1, 1, 1, 1}),
          ints("tensor<4xf32>", {1, nan, 2, 3})},
         "tensor<4xf32>", scanBody("tensor<4xf32>", 0, false), {},
         Compiled | Evaluator, scanOracle(0, false)},
        {"scan_cumsum_overflow_f32",
         {ints("tensor<4xf32>", {1, 1, 1, 1}),
          ints("tensor<4xf32>", {3e38, 3e38, -1, 5})},
         "tensor<4xf32>", scanBody("tensor<4xf32>", 0, false), {},
         Compiled | Evaluator, scanOracle(0, false)},
        {"scan_cumprod_overflow_f32",
         {ints("tensor<5xf32>", {inf, 1e30, 1e10, 0, 2}),
          ints("tensor<5xf32>", {1e30, 0, 0, 0, 0})},
         "tensor<5xf32>", scanBody("tensor<5xf32>", 0, false), {},
         Compiled | Evaluator, scanOracle(0, false)}},
       {example("a reverse scan runs from the end with a_(t+1)",
                scanModule(", reverse"),
                {f32({3}, {2, 3, 4}), f32({3}, {1, 1, 1})},
                {DType::F32, {3}, {16, 5, 1}}),
        example("cumprod through a zero", scanModule(""),
                {f32({3}, {2, 0, 3}), f32({3}, {2, 0, 0})},
                {DType::F32, {3}, {2, 0, 0}})}});
}

//===----------------------------------------------------------------------===//
// Rows at a run-time index (what a differentiated loop stores and reads)
//===----------------------------------------------------------------------===//

/// Row `in[1]` of in[0] (dynamic_row), or in[0] with that row replaced by
/// in[2] (dynamic_update_row), by flat offsets.
std::vector<Tensor> rowOracle(const std::vector<Tensor> &in) {
  const Tensor &x = in[0];
  int64_t row = x.numElements() / x.shape[0], at = int64_t(in[1].data[0]) * row;
  if (in.size() == 2) {
    Tensor y(x.dtype, std::vector<int64_t>(x.shape.begin() + 1, x.shape.end()));
    for (int64_t k = 0; k < row; ++k)
      y.data[k] = x.data[at + k];
    return {y};
  }
  Tensor y = x;
  for (int64_t k = 0; k < row; ++k)
    y.data[at + k] = in[2].data[k];
  return {y};
}

void addRowOps(std::vector<OpEntry> &t) {
  auto rowBody = [](const std::string &source, const std::string &row) {
    return "%y = axon.dynamic_row %a0[%a1] : " + source + " -> " + row;
  };
  std::string rowModule = module({"tensor<4x2xf32>", "tensor<i64>"}, "tensor<2xf32>",
                                 "%r = axon.dynamic_row %a[%b] : tensor<4x2xf32> -> "
                                 "tensor<2xf32>");
  Example rowOutOfRange{"an index out of range is an error at the op", rowModule, {}};
  for (int64_t bad : {4, -1})
    rowOutOfRange.calls.push_back(
        failing({f32({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), scalarI64(bad)},
                {"test.mlir:2:", "axon.dynamic_row",
                 "index " + std::to_string(bad) + " is out of range [0, 4)"}));
  t.push_back(
      {"axon.dynamic_row",
       {{"dynamic_row_f64", {any("tensor<4x2x3xf64>"), ints("tensor<i64>", {2})},
         "tensor<2x3xf64>", rowBody("tensor<4x2x3xf64>", "tensor<2x3xf64>"), {},
         Gradient | Compiled | Evaluator, rowOracle},
        // The first and the last row of 33, rows of awkward lengths.
        {"dynamic_row_first_f32", {withEdges("tensor<?x7xf32>"), ints("tensor<i64>", {0})},
         "tensor<7xf32>", rowBody("tensor<?x7xf32>", "tensor<7xf32>"), {},
         Compiled | Evaluator, rowOracle},
        {"dynamic_row_last_f32", {any("tensor<33x?xf32>"), ints("tensor<i64>", {32})},
         "tensor<?xf32>", rowBody("tensor<33x?xf32>", "tensor<?xf32>"), {},
         Compiled | Evaluator, rowOracle},
        {"dynamic_row_element_i32", {indices("tensor<7xi32>", 100), ints("tensor<i64>", {6})},
         "tensor<i32>", rowBody("tensor<7xi32>", "tensor<i32>"), {},
         Compiled | Evaluator, rowOracle}},
       {example("row 1 of four", rowModule,
                {f32({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), scalarI64(1)},
                {DType::F32, {2}, {3, 4}}),
        rowOutOfRange}});

  auto updateBody = [](const std::string &target, const std::string &row) {
    return "%y = axon.dynamic_update_row %a0[%a1], %a2 : " + target + ", " + row;
  };
  std::string updateModule =
      module({"tensor<3x2xf32>", "tensor<i64>", "tensor<2xf32>"}, "tensor<3x2xf32>",
             "%r = axon.dynamic_update_row %a[%b], %c : tensor<3x2xf32>, tensor<2xf32>");
  Example updateOutOfRange{"an index out of range is an error at the op", updateModule,
                           {}};
  for (int64_t bad : {3, -2})
    updateOutOfRange.calls.push_back(
        failing({f32({3, 2}, {1, 2, 3, 4, 5, 6}), scalarI64(bad), f32({2}, {7, 8})},
                {"test.mlir:2:", "axon.dynamic_update_row",
                 "index " + std::to_string(bad) + " is out of range [0, 3)"}));
  t.push_back(
      {"axon.dynamic_update_row",
       {{"dynamic_update_row_f64",
         {any("tensor<4x2x3xf64>"), ints("tensor<i64>", {1}), any("tensor<2x3xf64>")},
         "tensor<4x2x3xf64>", updateBody("tensor<4x2x3xf64>", "tensor<2x3xf64>"), {},
         Gradient | Compiled | Evaluator, rowOracle},
        // The target an argument: the plan copies it into the result's
        // buffer, then the kernel writes the row.
        {"dynamic_update_row_first_f32",
         {withEdges("tensor<?x7xf32>"), ints("tensor<i64>", {0}), withEdges("tensor<7xf32>")},
         "tensor<?x7xf32>", updateBody("tensor<?x7xf32>", "tensor<7xf32>"), {},
         Compiled | Evaluator, rowOracle},
        // The target a kernel's result read by nothing after: the write
        // takes its buffer (the row is written in place).
        {"dynamic_update_row_in_place_f32",
         {any("tensor<33x?xf32>"), ints("tensor<i64>", {32}), any("tensor<?xf32>")},
         "tensor<33x?xf32>",
         "%e = axon.exp %a0 : tensor<33x?xf32>\n"
         "  %y = axon.dynamic_update_row %e[%a1], %a2 : tensor<33x?xf32>, tensor<?xf32>",
         {}, Compiled | Evaluator,
         [](const std::vector<Tensor> &in) {
           Tensor e = in[0];
           for (double &v : e.data)
             v = roundTo(e.dtype, std::exp(v));
           return rowOracle({e, in[1], in[2]});
         }},
        // The target still read after the write (the sum): not in place.
        {"dynamic_update_row_target_read_after_f32",
         {any("tensor<5x?xf32>"), ints("tensor<i64>", {3}), any("tensor<?xf32>")},
         "tensor<5x?xf32>",
         "%e = axon.exp %a0 : tensor<5x?xf32>\n"
         "  %w = axon.dynamic_update_row %e[%a1], %a2 : tensor<5x?xf32>, tensor<?xf32>\n"
         "  %y = axon.add %w, %e : tensor<5x?xf32>, tensor<5x?xf32> -> tensor<5x?xf32>",
         {}, Compiled},
        {"dynamic_update_row_element_i32",
         {indices("tensor<7xi32>", 100), ints("tensor<i64>", {6}), indices("tensor<i32>", 100)},
         "tensor<7xi32>", updateBody("tensor<7xi32>", "tensor<i32>"), {},
         Compiled | Evaluator, rowOracle}},
       {example("row 2 of three replaced", updateModule,
                {f32({3, 2}, {1, 2, 3, 4, 5, 6}), scalarI64(2), f32({2}, {7, 8})},
                {DType::F32, {3, 2}, {1, 2, 3, 4, 7, 8}}),
        updateOutOfRange}});
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

std::vector<OpEntry> buildTable() {
  std::vector<OpEntry> table;
  addUnaryOps(table);
  addBinaryOps(table);
  addComparisonsAndCasts(table);
  addContractions(table);
  addPooling(table);
  addReductions(table);
  addMovement(table);
  addCreation(table);
  addSequenceOps(table);
  addRowOps(table);
  addParametersAndLoops(table);
  return table;
}

const std::vector<OpEntry> &opTable() {
  static const std::vector<OpEntry> table = buildTable();
  return table;
}

} // namespace axon::op_table
