// The reference evaluator of the axon dialect (see Evaluator.h).
//
// One function per op family, each a direct loop over the result's elements
// in row-major order. Shapes are re-checked at run time, since function
// arguments may have dynamic dims that the verifier could not see.
#include "backends/reference/Evaluator.h"
#include "ir/SourceLocation.h"

#include "ir/AxonDialect.h"
#include "ir/ElementTypes.h"
#include "runtime/core/Initializers.h"
#include "runtime/core/Philox.h"
#include "runtime/core/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>
#include <limits>
#include <new>
#include <stdexcept>
#include <optional>

using namespace mlir;
using llvm::Error;
using llvm::Expected;
using llvm::Twine;

namespace axon::reference {
namespace {

using Shape = std::vector<int64_t>;

/// The largest tensor the evaluator creates from run-time extents (2^31
/// elements, 16 GiB of doubles): a bad extent becomes an error, not an abort.
constexpr int64_t kMaxElements = int64_t(1) << 31;

//===----------------------------------------------------------------------===//
// Shapes and indices
//===----------------------------------------------------------------------===//

std::string typeStr(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

Shape rowMajorStrides(const Shape &shape) {
  Shape s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Calls fn(index, flat) for every multi-index of `shape`, in row-major order.
template <typename Fn> void forEachIndex(const Shape &shape, Fn fn) {
  int64_t n = product(shape);
  Shape idx(shape.size(), 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    fn(static_cast<const Shape &>(idx), flat);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

int64_t dot(const Shape &idx, const Shape &strides) {
  int64_t off = 0;
  for (size_t i = 0; i < idx.size(); ++i)
    off += idx[i] * strides[i];
  return off;
}

/// numpy broadcasting: align on the right, an extent of 1 stretches.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Whether `from` broadcasts to exactly `to`.
bool broadcastsTo(const Shape &from, const Shape &to) {
  auto b = broadcastShapes(from, to);
  return b && *b == to;
}

/// Strides that read a tensor of shape `in` at an index of the broadcast
/// shape `out`: 0 on dims `in` lacks or stretches from 1.
Shape broadcastStrides(const Shape &in, const Shape &out) {
  Shape inStrides = rowMajorStrides(in);
  Shape s(out.size(), 0);
  size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    s[lead + i] = in[i] == 1 ? 0 : inStrides[i];
  return s;
}

/// Splits a shape around `axis` into (outer, extent, inner) element counts.
struct AxisSplit {
  int64_t outer, extent, inner;
};
AxisSplit splitAt(const Shape &shape, int64_t axis) {
  return {product(llvm::ArrayRef(shape).take_front(axis)), shape[axis],
          product(llvm::ArrayRef(shape).drop_front(axis + 1))};
}

using shape::normalizeAxis;

/// Window attributes are (h, w) pairs of values >= `min`. The verifier
/// checks them too, but the evaluator may be handed an unverified module.
bool isPair(llvm::ArrayRef<int64_t> v, int64_t min) {
  return v.size() == 2 && v[0] >= min && v[1] >= min;
}

double maxPropagatingNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a > b ? a : b;
}
double minPropagatingNaN(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return a < b ? a : b;
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// An error at `op`: "<location>: <op name>: <message>".
Error opError(Operation *op, const Twine &message) {
  return llvm::createStringError(sourceLocation(op->getLoc()) + ": " +
                                 op->getName().getStringRef() + ": " + message);
}

/// `axis` of `op` mapped into [0, rank of `x`), or an error at `op`.
Expected<int64_t> axisOf(Operation *op, int64_t axis, const Tensor &x) {
  if (auto a = normalizeAxis(axis, x.shape.size()))
    return *a;
  return opError(op, "axis " + Twine(axis) + " is out of range for rank " +
                         Twine(x.rank()));
}

//===----------------------------------------------------------------------===//
// The interpreter
//===----------------------------------------------------------------------===//

using Env = llvm::DenseMap<Value, Tensor>;
using Operands = std::vector<const Tensor *>;

class Interpreter {
public:
  Interpreter(ModuleOp module, const std::map<std::string, Tensor> &params)
      : module(module), params(params) {}

  /// Runs @name on `args`, checking them against the function type.
  /// `caller` (null for the outermost call) names the location of errors
  /// about the arguments.
  Expected<std::vector<Tensor>> callFunction(llvm::StringRef name,
                                             llvm::ArrayRef<Tensor> args,
                                             Operation *caller);

private:
  ModuleOp module;
  const std::map<std::string, Tensor> &params;
  int depth = 0;

public:
  /// Parameter values written by axon.param_store during the call.
  std::map<std::string, Tensor> stores;

private:
  static constexpr int kMaxDepth = 200;

  /// Runs the ops of `block` (its arguments already bound in `env`) and
  /// returns the terminator's operands.
  Expected<std::vector<Tensor>> runBlock(Block &block, Env &env);
  /// Runs one non-terminator op and binds its results in `env`.
  Error execute(Operation *op, Env &env);
  /// Computes the results of one op, unrounded.
  Expected<std::vector<Tensor>> compute(Operation *op, const Operands &in,
                                        Env &env);
  Expected<Tensor> computeOne(Operation *op, const Operands &in);
  Expected<std::vector<Tensor>> runLoop(LoopOp op, const Operands &in,
                                        Env &env);

  // Op families; each returns a result tensor with the shape it computed.
  Expected<Tensor> unary(Operation *op, const Tensor &x);
  Expected<Tensor> binary(Operation *op, const Tensor &a, const Tensor &b);
  Expected<Tensor> select(SelectOp op, const Tensor &c, const Tensor &t,
                          const Tensor &f);
  Expected<Tensor> matmul(MatmulOp op, const Tensor &a, const Tensor &b);
  Expected<Tensor> conv2d(Conv2DOp op, const Tensor &x, const Tensor &w);
  Expected<Tensor> convTranspose2d(ConvTranspose2DOp op, const Tensor &x,
                                   const Tensor &w);
  Expected<Tensor> pool2d(Operation *op, const Tensor &x,
                          llvm::ArrayRef<int64_t> kernel,
                          llvm::ArrayRef<int64_t> strides,
                          llvm::ArrayRef<int64_t> padding, bool isMax);
  Expected<Tensor> pool2dGrad(Operation *op, const Tensor &x, const Tensor &g,
                              llvm::ArrayRef<int64_t> kernel,
                              llvm::ArrayRef<int64_t> strides,
                              llvm::ArrayRef<int64_t> padding, bool isMax);
  Expected<Tensor> insertSlice(InsertSliceOp op, const Tensor &target,
                               const Tensor &update);
  Expected<Tensor> reduce(Operation *op, const Tensor &x,
                          llvm::ArrayRef<int64_t> axes, bool keepdims);
  Expected<Tensor> argmax(ArgmaxOp op, const Tensor &x);
  Expected<Tensor> softmax(Operation *op, const Tensor &x, int64_t axis,
                           bool log);
  Expected<Tensor> reshape(ReshapeOp op, const Operands &in);
  Expected<Tensor> transpose(TransposeOp op, const Tensor &x);
  Expected<Tensor> broadcast(BroadcastOp op, const Operands &in);
  Expected<Tensor> slice(SliceOp op, const Tensor &x);
  Expected<Tensor> concat(ConcatOp op, const Operands &in);
  Expected<Tensor> gather(GatherOp op, const Tensor &table, const Tensor &idx);
  Expected<Tensor> scatterAdd(ScatterAddOp op, const Tensor &target,
                              const Tensor &idx, const Tensor &updates);
  Expected<Tensor> dynamicRow(Operation *op, const Tensor &source,
                              const Tensor &index, const Tensor *update);
  Expected<Tensor> oneHot(OneHotOp op, const Tensor &idx);
  Expected<Tensor> triangle(Operation *op, const Tensor &x, int64_t k,
                            bool lower);
  Expected<Tensor> shift(ShiftOp op, const Tensor &x);
  Expected<Tensor> scan(ScanOp op, const Tensor &a, const Tensor &b);
  Expected<Tensor> arange(ArangeOp op, const Operands &in);
  Expected<Tensor> constant(ConstantOp op);
  Expected<Tensor> random(Operation *op, const Operands &in);

  /// The result shape of an op whose `?` dims are given by rank-0 operands.
  Expected<Shape> resolveDynamic(Operation *op, RankedTensorType type,
                                 llvm::ArrayRef<const Tensor *> extents);
};

Expected<std::vector<Tensor>>
Interpreter::callFunction(llvm::StringRef name, llvm::ArrayRef<Tensor> args,
                          Operation *caller) {
  auto fn =
      dyn_cast_or_null<func::FuncOp>(SymbolTable::lookupSymbolIn(module, name));
  auto fail = [&](const Twine &msg) -> Error {
    if (caller)
      return opError(caller, msg);
    return llvm::createStringError(msg);
  };
  if (!fn)
    return fail("no function named @" + name);
  if (fn.isExternal())
    return fail("function @" + name + " has no body");
  if (depth >= kMaxDepth)
    return fail("calls nest deeper than " + Twine(kMaxDepth) +
                " (unbounded recursion?)");

  FunctionType type = fn.getFunctionType();
  std::string where = sourceLocation(fn.getLoc()) + ": @" + name.str();
  if (args.size() != type.getNumInputs())
    return fail(where + " takes " + Twine(type.getNumInputs()) +
                " arguments, got " + Twine(args.size()));
  for (auto [i, arg] : llvm::enumerate(args)) {
    auto expected = dyn_cast<RankedTensorType>(type.getInput(i));
    auto mismatch = [&](const Twine &why) {
      return fail(where + ": argument #" + Twine(i) + " expects " +
                  typeStr(type.getInput(i)) + ", got " + arg.typeString() +
                  " (" + why + ")");
    };
    if (!expected)
      return mismatch("not a ranked tensor type");
    auto dtype = dtypeOf(expected.getElementType());
    if (!dtype || *dtype != arg.dtype)
      return mismatch("element type differs");
    if (expected.getRank() != arg.rank())
      return mismatch("rank differs");
    for (int64_t d = 0; d < arg.rank(); ++d)
      if (arg.shape[d] < 0 ||
          (!expected.isDynamicDim(d) && expected.getDimSize(d) != arg.shape[d]))
        return mismatch("dimension " + Twine(d) + " differs");
    if (static_cast<int64_t>(arg.data.size()) != arg.numElements())
      return mismatch("the tensor holds " + Twine(arg.data.size()) + " values");
  }

  Block &body = fn.getBody().front();
  Env env;
  for (auto [blockArg, arg] : llvm::zip(body.getArguments(), args))
    env[blockArg] = arg;
  ++depth;
  auto results = runBlock(body, env);
  --depth;
  return results;
}

Expected<std::vector<Tensor>> Interpreter::runBlock(Block &block, Env &env) {
  for (Operation &op : block) {
    if (isa<func::ReturnOp, YieldOp>(op)) {
      std::vector<Tensor> values;
      for (Value v : op.getOperands()) {
        auto it = env.find(v);
        if (it == env.end())
          return opError(&op, "operand has no value");
        values.push_back(it->second);
      }
      return values;
    }
    if (Error e = execute(&op, env))
      return e;
  }
  return llvm::createStringError("block has no terminator");
}

Error Interpreter::execute(Operation *op, Env &env) {
  Operands in;
  for (Value v : op->getOperands()) {
    auto it = env.find(v);
    if (it == env.end())
      return opError(op, "operand has no value");
    in.push_back(&it->second);
  }
  auto results = compute(op, in, env);
  if (!results)
    return results.takeError();
  if (results->size() != op->getNumResults())
    return opError(op, "internal error: computed " + Twine(results->size()) +
                           " results for " + Twine(op->getNumResults()));

  // Check each result against its declared type and round it to its dtype.
  for (auto [value, t] : llvm::zip(op->getResults(), *results)) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      return opError(op, "result type " + typeStr(value.getType()) +
                             " is not a ranked tensor");
    auto dtype = dtypeOf(type.getElementType());
    if (!dtype)
      return opError(op, "element type " + typeStr(type.getElementType()) +
                             " is not supported by the reference evaluator");
    bool fits = type.getRank() == t.rank();
    for (int64_t d = 0; fits && d < t.rank(); ++d)
      fits = type.isDynamicDim(d) || type.getDimSize(d) == t.shape[d];
    if (!fits)
      return opError(op, "result shape " + Tensor::shapeString(t.shape) +
                             " does not match the declared type " +
                             typeStr(type));
    t.dtype = *dtype;
    for (double &v : t.data)
      v = roundTo(*dtype, v);
    env[value] = std::move(t);
  }
  return Error::success();
}

Expected<std::vector<Tensor>>
Interpreter::compute(Operation *op, const Operands &in, Env &env) {
  if (auto loop = dyn_cast<LoopOp>(op))
    return runLoop(loop, in, env);
  if (auto store = dyn_cast<ParamStoreOp>(op)) {
    // Applied when the outermost call returns; reads see the old value.
    auto it = params.find(store.getParam().str());
    if (it == params.end())
      return opError(op, "no parameter named @" + store.getParam());
    if (it->second.shape != in[0]->shape)
      return opError(op, "value " + Tensor::shapeString(in[0]->shape) +
                             " does not match parameter " +
                             Tensor::shapeString(it->second.shape));
    Tensor value = *in[0];
    for (double &v : value.data)
      v = roundTo(it->second.dtype, v);
    value.dtype = it->second.dtype;
    stores[store.getParam().str()] = std::move(value);
    return std::vector<Tensor>{};
  }
  if (auto call = dyn_cast<func::CallOp>(op)) {
    std::vector<Tensor> args;
    for (const Tensor *t : in)
      args.push_back(*t);
    return callFunction(call.getCallee(), args, op);
  }
  auto result = computeOne(op, in);
  if (!result)
    return result.takeError();
  std::vector<Tensor> results;
  results.push_back(std::move(*result));
  return results;
}

Expected<std::vector<Tensor>>
Interpreter::runLoop(LoopOp op, const Operands &in, Env &env) {
  // Copy what the loop reads first: the body rebinds values in `env`.
  if (in[0]->data.size() != 1 || in[1]->data.size() != 1)
    return opError(op, "bounds must be rank-0 tensors");
  int64_t lower = static_cast<int64_t>(in[0]->data[0]);
  int64_t upper = static_cast<int64_t>(in[1]->data[0]);
  std::vector<Tensor> carried;
  for (size_t i = 2; i < in.size(); ++i)
    carried.push_back(*in[i]);

  Block &body = op.getBody().front();
  for (int64_t t = lower; t < upper; ++t) {
    env[body.getArgument(0)] = Tensor(DType::I64, {}, static_cast<double>(t));
    for (size_t i = 0; i < carried.size(); ++i)
      env[body.getArgument(i + 1)] = carried[i];
    auto next = runBlock(body, env);
    if (!next)
      return next.takeError();
    if (next->size() != carried.size())
      return opError(op, "the body yields " + Twine(next->size()) +
                             " values for " + Twine(carried.size()) +
                             " carried values");
    carried = std::move(*next);
  }
  return carried;
}

Expected<Tensor> Interpreter::computeOne(Operation *op, const Operands &in) {
  // Families evaluated alike (their members differ in one function each).
  std::optional<OpFamily> family = familyOf(op);
  if (family == OpFamily::ElementwiseUnary)
    return unary(op, *in[0]);
  if (family == OpFamily::ElementwiseBinary)
    return binary(op, *in[0], *in[1]);
  if (family == OpFamily::Random)
    return random(op, in);
  // clang-format off
  return llvm::TypeSwitch<Operation *, Expected<Tensor>>(op)
      .Case([&](SelectOp o) { return select(o, *in[0], *in[1], *in[2]); })
      .Case([&](CastOp) -> Expected<Tensor> { return *in[0]; })
      .Case([&](MatmulOp o) { return matmul(o, *in[0], *in[1]); })
      .Case([&](Conv2DOp o) { return conv2d(o, *in[0], *in[1]); })
      .Case([&](ConvTranspose2DOp o) { return convTranspose2d(o, *in[0], *in[1]); })
      .Case([&](MaxPool2DOp o) {
        return pool2d(o, *in[0], o.getKernel(), o.getStrides(), o.getPadding(), true);
      })
      .Case([&](AvgPool2DOp o) {
        return pool2d(o, *in[0], o.getKernel(), o.getStrides(), o.getPadding(), false);
      })
      .Case([&](MaxPool2DGradOp o) {
        return pool2dGrad(o, *in[0], *in[1], o.getKernel(), o.getStrides(), o.getPadding(), true);
      })
      .Case([&](AvgPool2DGradOp o) {
        return pool2dGrad(o, *in[0], *in[1], o.getKernel(), o.getStrides(), o.getPadding(), false);
      })
      .Case([&](InsertSliceOp o) { return insertSlice(o, *in[0], *in[1]); })
      .Case([&](SumOp o) { return reduce(o, *in[0], o.getAxes(), o.getKeepdims()); })
      .Case([&](MeanOp o) { return reduce(o, *in[0], o.getAxes(), o.getKeepdims()); })
      .Case([&](ReduceMaxOp o) { return reduce(o, *in[0], o.getAxes(), o.getKeepdims()); })
      .Case([&](ArgmaxOp o) { return argmax(o, *in[0]); })
      .Case([&](SoftmaxOp o) {
        return softmax(o, *in[0], static_cast<int64_t>(o.getAxis()), false);
      })
      .Case([&](LogSoftmaxOp o) {
        return softmax(o, *in[0], static_cast<int64_t>(o.getAxis()), true);
      })
      .Case([&](ReshapeOp o) { return reshape(o, in); })
      .Case([&](TransposeOp o) { return transpose(o, *in[0]); })
      .Case([&](BroadcastOp o) { return broadcast(o, in); })
      .Case([&](SliceOp o) { return slice(o, *in[0]); })
      .Case([&](ConcatOp o) { return concat(o, in); })
      .Case([&](GatherOp o) { return gather(o, *in[0], *in[1]); })
      .Case([&](ScatterAddOp o) { return scatterAdd(o, *in[0], *in[1], *in[2]); })
      .Case([&](DynamicRowOp o) { return dynamicRow(o, *in[0], *in[1], nullptr); })
      .Case([&](DynamicUpdateRowOp o) { return dynamicRow(o, *in[0], *in[1], in[2]); })
      .Case([&](OneHotOp o) { return oneHot(o, *in[0]); })
      .Case([&](TrilOp o) { return triangle(o, *in[0], o.getK(), true); })
      .Case([&](TriuOp o) { return triangle(o, *in[0], o.getK(), false); })
      .Case([&](ShiftOp o) { return shift(o, *in[0]); })
      .Case([&](ScanOp o) { return scan(o, *in[0], *in[1]); })
      .Case([&](ArangeOp o) { return arange(o, in); })
      .Case([&](DimOp o) -> Expected<Tensor> {
        auto axis = axisOf(o, static_cast<int64_t>(o.getAxis()), *in[0]);
        if (!axis)
          return axis.takeError();
        return Tensor(DType::I64, {}, static_cast<double>(in[0]->shape[*axis]));
      })
      .Case([&](ConstantOp o) { return constant(o); })
      .Case([&](FillOp o) -> Expected<Tensor> {
        auto shape = resolveDynamic(o, o.getType(), in);
        if (!shape)
          return shape.takeError();
        return Tensor(DType::F64, *shape, o.getValue().convertToDouble());
      })
      .Case([&](ParamRefOp o) -> Expected<Tensor> {
        auto it = params.find(o.getParam().str());
        if (it == params.end())
          return opError(o, "no parameter named @" + o.getParam());
        return it->second;
      })
      .Case([&](TrainingOp o) -> Expected<Tensor> {
        return opError(o, "the mode (train step or not) is decided by "
                          "axon-resolve-mode, which has not run");
      })
      .Default([&](Operation *o) -> Expected<Tensor> {
        return opError(o, "the reference evaluator does not know this op");
      });
  // clang-format on
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Expected<Tensor> Interpreter::unary(Operation *op, const Tensor &x) {
  std::function<double(double)> f =
      llvm::TypeSwitch<Operation *, std::function<double(double)>>(op)
          .Case([](NegOp) { return [](double v) { return -v; }; })
          .Case([](ExpOp) { return [](double v) { return std::exp(v); }; })
          .Case([](LogOp) { return [](double v) { return std::log(v); }; })
          .Case([](SqrtOp) { return [](double v) { return std::sqrt(v); }; })
          .Case([](AbsOp) { return [](double v) { return std::fabs(v); }; })
          .Case([](SinOp) { return [](double v) { return std::sin(v); }; })
          .Case([](CosOp) { return [](double v) { return std::cos(v); }; })
          .Case([](TanhOp) { return [](double v) { return std::tanh(v); }; })
          .Case([](SigmoidOp) {
            // Never exponentiates a large positive number.
            return [](double v) {
              return v >= 0 ? 1 / (1 + std::exp(-v))
                            : std::exp(v) / (1 + std::exp(v));
            };
          })
          .Case([](ReluOp) { return [](double v) { return v < 0 ? 0.0 : v; }; })
          .Case([](SoftplusOp) {
            // ln(1 + e^v) = max(v, 0) + ln(1 + e^-|v|), without overflow.
            return [](double v) {
              return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v)));
            };
          })
          .Case([](SignOp) {
            return [](double v) {
              return std::isnan(v) ? v : v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0;
            };
          })
          .Case([](ErfOp) { return [](double v) { return std::erf(v); }; })
          .Default([](Operation *) { return nullptr; });
  if (!f)
    return opError(op, "not a unary op");
  Tensor out = x;
  for (double &v : out.data)
    v = f(v);
  return out;
}

Expected<Tensor> Interpreter::binary(Operation *op, const Tensor &a,
                                     const Tensor &b) {
  auto shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return opError(op, "shapes " + Tensor::shapeString(a.shape) + " and " +
                           Tensor::shapeString(b.shape) + " do not broadcast");
  if (isa<DivOp>(op) && !isFloat(a.dtype))
    for (double v : b.data)
      if (v == 0)
        return opError(op, "integer division by zero");

  std::function<double(double, double)> f;
  if (auto cmp = dyn_cast<CmpOp>(op)) {
    switch (cmp.getPredicate()) {
    case CmpPredicate::eq:
      f = [](double x, double y) { return double(x == y); };
      break;
    case CmpPredicate::ne:
      f = [](double x, double y) { return double(x != y); };
      break;
    case CmpPredicate::lt:
      f = [](double x, double y) { return double(x < y); };
      break;
    case CmpPredicate::le:
      f = [](double x, double y) { return double(x <= y); };
      break;
    case CmpPredicate::gt:
      f = [](double x, double y) { return double(x > y); };
      break;
    case CmpPredicate::ge:
      f = [](double x, double y) { return double(x >= y); };
      break;
    }
  } else {
    f = llvm::TypeSwitch<Operation *, std::function<double(double, double)>>(op)
            .Case(
                [](AddOp) { return [](double x, double y) { return x + y; }; })
            .Case(
                [](SubOp) { return [](double x, double y) { return x - y; }; })
            .Case(
                [](MulOp) { return [](double x, double y) { return x * y; }; })
            .Case(
                [](DivOp) { return [](double x, double y) { return x / y; }; })
            .Case([](PowOp) {
              return [](double x, double y) { return std::pow(x, y); };
            })
            .Case([](MaxOp) { return maxPropagatingNaN; })
            .Case([](MinOp) { return minPropagatingNaN; })
            .Default([](Operation *) { return nullptr; });
  }
  if (!f)
    return opError(op, "not a binary op");

  Shape sa = broadcastStrides(a.shape, *shape),
        sb = broadcastStrides(b.shape, *shape);
  Tensor out(a.dtype, *shape);
  forEachIndex(*shape, [&](const Shape &idx, int64_t flat) {
    out.data[flat] = f(a.data[dot(idx, sa)], b.data[dot(idx, sb)]);
  });
  return out;
}

Expected<Tensor> Interpreter::select(SelectOp op, const Tensor &c,
                                     const Tensor &t, const Tensor &f) {
  auto values = broadcastShapes(t.shape, f.shape);
  auto shape = values ? broadcastShapes(c.shape, *values) : std::nullopt;
  if (!shape)
    return opError(op, "shapes " + Tensor::shapeString(c.shape) + ", " +
                           Tensor::shapeString(t.shape) + " and " + Tensor::shapeString(f.shape) +
                           " do not broadcast");
  Shape sc = broadcastStrides(c.shape, *shape),
        st = broadcastStrides(t.shape, *shape),
        sf = broadcastStrides(f.shape, *shape);
  Tensor out(t.dtype, *shape);
  forEachIndex(*shape, [&](const Shape &idx, int64_t flat) {
    out.data[flat] =
        c.data[dot(idx, sc)] != 0 ? t.data[dot(idx, st)] : f.data[dot(idx, sf)];
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Contractions and convolutions
//===----------------------------------------------------------------------===//

Expected<Tensor> Interpreter::matmul(MatmulOp op, const Tensor &a,
                                     const Tensor &b) {
  if (a.rank() < 2 || b.rank() < 2)
    return opError(op, "operands must have rank >= 2, got " +
                           Tensor::shapeString(a.shape) + " and " + Tensor::shapeString(b.shape));
  int64_t m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
  int64_t k2 = b.shape[b.rank() - 2], n = b.shape[b.rank() - 1];
  if (k != k2)
    return opError(op, "inner dimensions differ: " + Tensor::shapeString(a.shape) + " @ " +
                           Tensor::shapeString(b.shape));
  Shape batchA(a.shape.begin(), a.shape.end() - 2);
  Shape batchB(b.shape.begin(), b.shape.end() - 2);
  auto batch = broadcastShapes(batchA, batchB);
  if (!batch)
    return opError(op, "batch dimensions of " + Tensor::shapeString(a.shape) + " and " +
                           Tensor::shapeString(b.shape) + " do not broadcast");
  Shape outShape = *batch;
  outShape.push_back(m);
  outShape.push_back(n);
  Tensor out(a.dtype, outShape);

  // Batch strides count whole matrices.
  Shape sa = broadcastStrides(batchA, *batch),
        sb = broadcastStrides(batchB, *batch);
  forEachIndex(*batch, [&](const Shape &idx, int64_t flat) {
    const double *pa = a.data.data() + dot(idx, sa) * m * k;
    const double *pb = b.data.data() + dot(idx, sb) * k * n;
    double *po = out.data.data() + flat * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += pa[i * k + p] * pb[p * n + j];
        po[i * n + j] = acc;
      }
  });
  return out;
}

Expected<Tensor> Interpreter::conv2d(Conv2DOp op, const Tensor &x,
                                     const Tensor &w) {
  if (x.rank() != 4 || w.rank() != 4)
    return opError(op, "needs a rank-4 input and filter, got " +
                           Tensor::shapeString(x.shape) + " and " + Tensor::shapeString(w.shape));
  int64_t groups = static_cast<int64_t>(op.getGroups());
  auto s = op.getStrides(), p = op.getPadding(), d = op.getDilations();
  if (!isPair(s, 1) || !isPair(p, 0) || !isPair(d, 1))
    return opError(op, "strides, padding and dilations must be (h, w) pairs");
  int64_t batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t o = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  if (groups < 1 || c != cg * groups || o % groups != 0)
    return opError(op, "input " + Tensor::shapeString(x.shape) + " and filter " +
                           Tensor::shapeString(w.shape) + " do not agree for " +
                           Twine(groups) + " groups");
  int64_t oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0] + 1;
  int64_t ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1] + 1;
  if (h + 2 * p[0] < d[0] * (kh - 1) + 1 || wd + 2 * p[1] < d[1] * (kw - 1) + 1)
    return opError(op, "filter " + Tensor::shapeString(w.shape) +
                           " is larger than the padded input " +
                           Tensor::shapeString(x.shape));
  int64_t og = o / groups;
  Tensor out(x.dtype, {batch, o, oh, ow});
  forEachIndex(out.shape, [&](const Shape &i, int64_t flat) {
    int64_t n = i[0], oc = i[1], y = i[2], xx = i[3];
    int64_t firstChannel = (oc / og) * cg;
    double acc = 0;
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t a = 0; a < kh; ++a)
        for (int64_t b = 0; b < kw; ++b) {
          int64_t iy = y * s[0] - p[0] + a * d[0];
          int64_t ix = xx * s[1] - p[1] + b * d[1];
          if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
            continue; // zero padding
          acc += x.data[((n * c + firstChannel + ci) * h + iy) * wd + ix] *
                 w.data[((oc * cg + ci) * kh + a) * kw + b];
        }
    out.data[flat] = acc;
  });
  return out;
}

// Scatters each input element through the filter: exactly the adjoint of
// conv2d (without dilation) with respect to its input.
Expected<Tensor> Interpreter::convTranspose2d(ConvTranspose2DOp op,
                                              const Tensor &x,
                                              const Tensor &w) {
  if (x.rank() != 4 || w.rank() != 4)
    return opError(op, "needs a rank-4 input and filter, got " +
                           Tensor::shapeString(x.shape) + " and " + Tensor::shapeString(w.shape));
  int64_t groups = static_cast<int64_t>(op.getGroups());
  auto s = op.getStrides(), p = op.getPadding(), op_ = op.getOutputPadding();
  if (!isPair(s, 1) || !isPair(p, 0) || !isPair(op_, 0))
    return opError(op,
                   "strides, padding and output_padding must be (h, w) pairs");
  int64_t batch = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t og = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  if (groups < 1 || w.shape[0] != c || c % groups != 0)
    return opError(op, "input " + Tensor::shapeString(x.shape) + " and filter " +
                           Tensor::shapeString(w.shape) + " do not agree for " +
                           Twine(groups) + " groups");
  int64_t o = og * groups, cg = c / groups;
  int64_t oh = (h - 1) * s[0] - 2 * p[0] + kh + op_[0];
  int64_t ow = (wd - 1) * s[1] - 2 * p[1] + kw + op_[1];
  if (oh < 1 || ow < 1)
    return opError(op, "the output of input " + Tensor::shapeString(x.shape) +
                           " would be empty");
  Tensor out(x.dtype, {batch, o, oh, ow});
  forEachIndex(x.shape, [&](const Shape &i, int64_t flat) {
    int64_t n = i[0], ci = i[1], y = i[2], xx = i[3];
    int64_t firstOut = (ci / cg) * og;
    for (int64_t oc = 0; oc < og; ++oc)
      for (int64_t a = 0; a < kh; ++a)
        for (int64_t b = 0; b < kw; ++b) {
          int64_t oy = y * s[0] - p[0] + a, ox = xx * s[1] - p[1] + b;
          if (oy < 0 || oy >= oh || ox < 0 || ox >= ow)
            continue; // lands in the cropped padding
          out.data[((n * o + firstOut + oc) * oh + oy) * ow + ox] +=
              x.data[flat] * w.data[((ci * og + oc) * kh + a) * kw + b];
        }
  });
  return out;
}

/// The pooled shape of the NCHW input `x`, or an error at `op` when the
/// window attributes do not fit it. max_pool2d, avg_pool2d and their
/// gradients share this check and forEachWindow, so a gradient always walks
/// exactly the windows of its forward op.
Expected<Shape> pooledShape(Operation *op, const Tensor &x,
                            llvm::ArrayRef<int64_t> k,
                            llvm::ArrayRef<int64_t> s,
                            llvm::ArrayRef<int64_t> p) {
  if (x.rank() != 4)
    return opError(op, "needs a rank-4 input, got " + Tensor::shapeString(x.shape));
  if (!isPair(k, 1) || !isPair(s, 1) || !isPair(p, 0))
    return opError(op, "kernel, strides and padding must be (h, w) pairs");
  int64_t h = x.shape[2], wd = x.shape[3];
  if (h + 2 * p[0] < k[0] || wd + 2 * p[1] < k[1])
    return opError(op, "window is larger than the padded input " +
                           Tensor::shapeString(x.shape));
  int64_t oh = (h + 2 * p[0] - k[0]) / s[0] + 1;
  int64_t ow = (wd + 2 * p[1] - k[1]) / s[1] + 1;
  // An unverified module may pad far beyond the input.
  if (static_cast<double>(oh) * static_cast<double>(ow) *
          static_cast<double>(std::max<int64_t>(x.shape[0] * x.shape[1], 1)) >
      static_cast<double>(kMaxElements))
    return opError(op, "the pooled output of " + Tensor::shapeString(x.shape) +
                           " is too large for the reference evaluator");
  // A window of padding alone has no max and nothing to average. It holds
  // no input position exactly when its rows or its columns miss the input.
  auto missesInput = [](int64_t first, int64_t kernel, int64_t extent) {
    return first + kernel <= 0 || first >= extent;
  };
  for (int64_t y = 0; y < oh; ++y)
    if (missesInput(y * s[0] - p[0], k[0], h))
      return opError(op, "a window holds only padding");
  for (int64_t xx = 0; xx < ow; ++xx)
    if (missesInput(xx * s[1] - p[1], k[1], wd))
      return opError(op, "a window holds only padding");
  return Shape{x.shape[0], x.shape[1], oh, ow};
}

/// Visits every window of a pooling of `x` to `outShape` (from pooledShape):
/// `fn(out, positions)` gets the output element's flat index and the flat
/// input indices of the window's unpadded positions, in row-major window
/// order.
void forEachWindow(
    const Tensor &x, llvm::ArrayRef<int64_t> k, llvm::ArrayRef<int64_t> s,
    llvm::ArrayRef<int64_t> p, const Shape &outShape,
    llvm::function_ref<void(int64_t, llvm::ArrayRef<int64_t>)> fn) {
  int64_t h = x.shape[2], wd = x.shape[3], oh = outShape[2], ow = outShape[3];
  std::vector<int64_t> positions;
  for (int64_t flat = 0; flat < Tensor::numElements(outShape); ++flat) {
    int64_t xx = flat % ow, y = (flat / ow) % oh, plane = flat / (ow * oh);
    positions.clear();
    for (int64_t a = 0; a < k[0]; ++a)
      for (int64_t b = 0; b < k[1]; ++b) {
        int64_t iy = y * s[0] - p[0] + a, ix = xx * s[1] - p[1] + b;
        // Padding neither wins a max nor counts in an average.
        if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
          positions.push_back((plane * h + iy) * wd + ix);
      }
    fn(flat, positions);
  }
}

/// The position a max window picks: the first maximum in window order, or
/// the first NaN (which the forward op propagates).
int64_t maxWinner(const Tensor &x, llvm::ArrayRef<int64_t> positions) {
  int64_t best = positions[0];
  double acc = x.data[best];
  for (int64_t i : positions.drop_front()) {
    double v = maxPropagatingNaN(acc, x.data[i]);
    if (v != acc && !(std::isnan(v) && std::isnan(acc))) {
      acc = v;
      best = i;
    }
  }
  return best;
}

Expected<Tensor> Interpreter::pool2d(Operation *op, const Tensor &x,
                                     llvm::ArrayRef<int64_t> k,
                                     llvm::ArrayRef<int64_t> s,
                                     llvm::ArrayRef<int64_t> p, bool isMax) {
  auto outShape = pooledShape(op, x, k, s, p);
  if (!outShape)
    return outShape.takeError();
  Tensor out(x.dtype, *outShape);
  forEachWindow(x, k, s, p, *outShape,
                [&](int64_t flat, llvm::ArrayRef<int64_t> positions) {
                  if (isMax) {
                    out.data[flat] = x.data[maxWinner(x, positions)];
                    return;
                  }
                  double acc = 0;
                  for (int64_t i : positions)
                    acc += x.data[i];
                  out.data[flat] = acc / static_cast<double>(positions.size());
                });
  return out;
}

// The adjoint of pool2d's walk: each window sends its gradient back to the
// positions it read, to its max's winner or spread over its average.
Expected<Tensor>
Interpreter::pool2dGrad(Operation *op, const Tensor &x, const Tensor &g,
                        llvm::ArrayRef<int64_t> k, llvm::ArrayRef<int64_t> s,
                        llvm::ArrayRef<int64_t> p, bool isMax) {
  auto outShape = pooledShape(op, x, k, s, p);
  if (!outShape)
    return outShape.takeError();
  if (g.shape != *outShape)
    return opError(op, "gradient shape " + Tensor::shapeString(g.shape) +
                           " does not match the pooled shape " +
                           Tensor::shapeString(*outShape));
  Tensor out(g.dtype, x.shape);
  forEachWindow(x, k, s, p, *outShape,
                [&](int64_t flat, llvm::ArrayRef<int64_t> positions) {
                  double v = g.data[flat];
                  if (isMax) {
                    out.data[maxWinner(x, positions)] += v;
                    return;
                  }
                  for (int64_t i : positions)
                    out.data[i] += v / static_cast<double>(positions.size());
                });
  return out;
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

Expected<Tensor> Interpreter::reduce(Operation *op, const Tensor &x,
                                     llvm::ArrayRef<int64_t> axes,
                                     bool keepdims) {
  std::vector<bool> reduced(x.shape.size(), axes.empty());
  for (int64_t axis : axes) {
    auto a = axisOf(op, axis, x);
    if (!a)
      return a.takeError();
    reduced[*a] = true;
  }
  Shape outShape;
  int64_t count = 1;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (reduced[d])
      count *= x.shape[d];
    if (!reduced[d])
      outShape.push_back(x.shape[d]);
    else if (keepdims)
      outShape.push_back(1);
  }
  bool isMax = isa<ReduceMaxOp>(op);
  if (isMax && count == 0)
    return opError(op, "maximum over no elements");

  // Output strides seen from the input's dims: 0 along reduced dims.
  Shape outStrides = rowMajorStrides(outShape), toOut(x.shape.size(), 0);
  for (size_t d = 0, o = 0; d < x.shape.size(); ++d) {
    if (!reduced[d])
      toOut[d] = outStrides[o++];
    else if (keepdims)
      ++o;
  }
  Tensor out(x.dtype, outShape,
             isMax ? -std::numeric_limits<double>::infinity() : 0.0);
  forEachIndex(x.shape, [&](const Shape &idx, int64_t flat) {
    double &acc = out.data[dot(idx, toOut)];
    acc = isMax ? maxPropagatingNaN(acc, x.data[flat]) : acc + x.data[flat];
  });
  if (isa<MeanOp>(op))
    for (double &v : out.data)
      v /= static_cast<double>(count);
  return out;
}

Expected<Tensor> Interpreter::argmax(ArgmaxOp op, const Tensor &x) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = axisOf(op, rawAxis, x);
  if (!axis)
    return axis.takeError();
  AxisSplit sp = splitAt(x.shape, *axis);
  if (sp.extent == 0)
    return opError(op, "argmax over an empty axis");
  Shape outShape = x.shape;
  if (op.getKeepdims())
    outShape[*axis] = 1;
  else
    outShape.erase(outShape.begin() + *axis);
  Tensor out(DType::I64, outShape);
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t i = 0; i < sp.inner; ++i) {
      // Ties go to the lowest index; the first NaN wins, as in numpy.
      int64_t best = 0;
      double bestValue = x.data[o * sp.extent * sp.inner + i];
      for (int64_t k = 1; k < sp.extent && !std::isnan(bestValue); ++k) {
        double v = x.data[(o * sp.extent + k) * sp.inner + i];
        if (v > bestValue || std::isnan(v))
          best = k, bestValue = v;
      }
      out.data[o * sp.inner + i] = static_cast<double>(best);
    }
  return out;
}

Expected<Tensor> Interpreter::softmax(Operation *op, const Tensor &x,
                                      int64_t rawAxis, bool log) {
  auto axis = axisOf(op, rawAxis, x);
  if (!axis)
    return axis.takeError();
  AxisSplit sp = splitAt(x.shape, *axis);
  Tensor out = x;
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t i = 0; i < sp.inner; ++i) {
      auto at = [&](int64_t k) { return (o * sp.extent + k) * sp.inner + i; };
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < sp.extent; ++k)
        m = maxPropagatingNaN(m, x.data[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < sp.extent; ++k)
        sum += std::exp(x.data[at(k)] - m);
      for (int64_t k = 0; k < sp.extent; ++k)
        out.data[at(k)] = log ? x.data[at(k)] - m - std::log(sum)
                              : std::exp(x.data[at(k)] - m) / sum;
    }
  return out;
}

//===----------------------------------------------------------------------===//
// Movement
//===----------------------------------------------------------------------===//

Expected<Shape>
Interpreter::resolveDynamic(Operation *op, RankedTensorType type,
                            llvm::ArrayRef<const Tensor *> extents) {
  Shape shape;
  size_t next = 0;
  for (int64_t d : type.getShape()) {
    if (!ShapedType::isDynamic(d)) {
      shape.push_back(d);
      continue;
    }
    if (next >= extents.size() || extents[next]->data.size() != 1)
      return opError(op, "missing the extent of a dynamic dim");
    double v = extents[next++]->data[0];
    if (v < 0)
      return opError(op, "negative extent " + Twine(static_cast<int64_t>(v)) +
                             " for a dynamic dim");
    if (v > static_cast<double>(kMaxElements))
      return opError(op, "extent " + Twine(static_cast<int64_t>(v)) +
                             " is too large for the reference evaluator");
    shape.push_back(static_cast<int64_t>(v));
  }
  // Refuse sizes the host cannot hold rather than dying in the allocator.
  double count = 1;
  for (int64_t d : shape)
    count *= static_cast<double>(d);
  if (count > static_cast<double>(kMaxElements))
    return opError(op, "result " + Tensor::shapeString(shape) +
                           " is too large for the reference evaluator");
  return shape;
}

Expected<Tensor> Interpreter::reshape(ReshapeOp op, const Operands &in) {
  const Tensor &x = *in[0];
  auto shape =
      resolveDynamic(op, op.getType(), llvm::ArrayRef(in).drop_front());
  if (!shape)
    return shape.takeError();
  if (product(*shape) != x.numElements())
    return opError(op, "cannot reshape " + Tensor::shapeString(x.shape) + " (" +
                           Twine(x.numElements()) + " elements) to " +
                           Tensor::shapeString(*shape) + " (" + Twine(product(*shape)) +
                           " elements)");
  return Tensor(x.dtype, *shape, x.data);
}

Expected<Tensor> Interpreter::transpose(TransposeOp op, const Tensor &x) {
  auto perm = op.getPerm();
  std::vector<bool> seen(x.shape.size(), false);
  bool valid = perm.size() == x.shape.size();
  for (int64_t p : perm) {
    valid = valid && p >= 0 && p < x.rank() && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid)
    return opError(op, "perm is not a permutation of the " + Twine(x.rank()) +
                           " dims");
  Shape inStrides = rowMajorStrides(x.shape), outShape, fromOut;
  for (int64_t p : perm) {
    outShape.push_back(x.shape[p]);
    fromOut.push_back(inStrides[p]);
  }
  Tensor out(x.dtype, outShape);
  forEachIndex(outShape, [&](const Shape &idx, int64_t flat) {
    out.data[flat] = x.data[dot(idx, fromOut)];
  });
  return out;
}

Expected<Tensor> Interpreter::broadcast(BroadcastOp op, const Operands &in) {
  const Tensor &x = *in[0];
  auto shape =
      resolveDynamic(op, op.getType(), llvm::ArrayRef(in).drop_front());
  if (!shape)
    return shape.takeError();
  if (!broadcastsTo(x.shape, *shape))
    return opError(op, "cannot broadcast " + Tensor::shapeString(x.shape) + " to " +
                           Tensor::shapeString(*shape));
  Shape strides = broadcastStrides(x.shape, *shape);
  Tensor out(x.dtype, *shape);
  forEachIndex(*shape, [&](const Shape &idx, int64_t flat) {
    out.data[flat] = x.data[dot(idx, strides)];
  });
  return out;
}

Expected<Tensor> Interpreter::insertSlice(InsertSliceOp op,
                                          const Tensor &target,
                                          const Tensor &update) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = normalizeAxis(rawAxis, target.shape.size());
  if (!axis || update.rank() != target.rank())
    return opError(op, "axis " + Twine(rawAxis) +
                           " or the update's rank does not fit the target " +
                           Tensor::shapeString(target.shape));
  for (int64_t d = 0; d < target.rank(); ++d)
    if (d != *axis && update.shape[d] != target.shape[d])
      return opError(op, "update " + Tensor::shapeString(update.shape) +
                             " does not fit target " + Tensor::shapeString(target.shape));
  AxisSplit sp = splitAt(target.shape, *axis);
  int64_t start = static_cast<int64_t>(op.getStart());
  int64_t stride = static_cast<int64_t>(op.getStride());
  int64_t n = update.shape[*axis];
  // The last position written is start + (n - 1) * stride; compared by
  // division, since that product overflows for a huge stride.
  bool fits = start >= 0 && stride >= 1 &&
              (n == 0 || (start < sp.extent &&
                          (n - 1) <= (sp.extent - 1 - start) / stride));
  if (!fits)
    return opError(op, "update " + Tensor::shapeString(update.shape) + " at " +
                           Twine(start) + " step " + Twine(stride) +
                           " runs past axis " + Twine(*axis) + " of " +
                           Tensor::shapeString(target.shape));
  Tensor out = target;
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < sp.inner; ++i)
        out.data[(o * sp.extent + start + k * stride) * sp.inner + i] =
            update.data[(o * n + k) * sp.inner + i];
  return out;
}

Expected<Tensor> Interpreter::triangle(Operation *op, const Tensor &x,
                                       int64_t k, bool lower) {
  if (x.rank() < 2)
    return opError(op, "needs rank >= 2, got " + Tensor::shapeString(x.shape));
  int64_t rows = x.shape[x.rank() - 2], cols = x.shape[x.rank() - 1];
  Tensor out = x;
  for (int64_t flat = 0; flat < x.numElements(); ++flat) {
    int64_t j = flat % cols, i = (flat / cols) % rows;
    if (lower ? j - i > k : j - i < k)
      out.data[flat] = 0;
  }
  return out;
}

Expected<Tensor> Interpreter::shift(ShiftOp op, const Tensor &x) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = axisOf(op, rawAxis, x);
  if (!axis)
    return axis.takeError();
  AxisSplit sp = splitAt(x.shape, *axis);
  int64_t offset = static_cast<int64_t>(op.getOffset());
  Tensor out(x.dtype, x.shape, 0.0);
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t t = 0; t < sp.extent; ++t)
      if (t - offset >= 0 && t - offset < sp.extent)
        for (int64_t i = 0; i < sp.inner; ++i)
          out.data[(o * sp.extent + t) * sp.inner + i] =
              x.data[(o * sp.extent + t - offset) * sp.inner + i];
  return out;
}

/// The recurrence one step at a time, the definition the compiled block
/// scan is checked against.
Expected<Tensor> Interpreter::scan(ScanOp op, const Tensor &a,
                                   const Tensor &b) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = normalizeAxis(rawAxis, b.shape.size());
  if (!axis || a.shape != b.shape)
    return opError(op, "needs a and b of one shape and an axis in range, got " +
                           Tensor::shapeString(a.shape) + " and " +
                           Tensor::shapeString(b.shape) + " along " +
                           Twine(rawAxis));
  AxisSplit sp = splitAt(b.shape, *axis);
  bool reverse = op.getReverse();
  Tensor h(b.dtype, b.shape, 0.0);
  auto at = [&](int64_t o, int64_t t, int64_t i) {
    return (o * sp.extent + t) * sp.inner + i;
  };
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t i = 0; i < sp.inner; ++i)
      for (int64_t n = 0; n < sp.extent; ++n) {
        // Forward: h_t = a_t h_(t-1) + b_t; reverse: h_t = a_(t+1) h_(t+1) + b_t.
        int64_t t = reverse ? sp.extent - 1 - n : n;
        double carried = 0;
        if (n > 0)
          carried = reverse ? a.data[at(o, t + 1, i)] * h.data[at(o, t + 1, i)]
                            : a.data[at(o, t, i)] * h.data[at(o, t - 1, i)];
        // Rounded at each step, as a kernel of the result's type would.
        h.data[at(o, t, i)] = roundTo(b.dtype, carried + b.data[at(o, t, i)]);
      }
  return h;
}

Expected<Tensor> Interpreter::arange(ArangeOp op, const Operands &in) {
  auto shape = resolveDynamic(op, op.getType(), in);
  if (!shape)
    return shape.takeError();
  if (shape->size() != 1)
    return opError(op, "arange gives a 1-D tensor");
  double start = op.getStart().convertToDouble();
  double step = op.getStep().convertToDouble();
  Tensor out(DType::F64, *shape);
  for (int64_t i = 0; i < (*shape)[0]; ++i)
    out.data[i] = start + static_cast<double>(i) * step;
  return out;
}

Expected<Tensor> Interpreter::slice(SliceOp op, const Tensor &x) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = axisOf(op, rawAxis, x);
  if (!axis)
    return axis.takeError();
  AxisSplit sp = splitAt(x.shape, *axis);
  int64_t start = static_cast<int64_t>(op.getStart());
  int64_t limit = static_cast<int64_t>(op.getLimit());
  int64_t stride = static_cast<int64_t>(op.getStride());
  if (limit == -1)
    limit = sp.extent;
  if (start < 0 || limit < start || limit > sp.extent || stride < 1)
    return opError(op, "slice [" + Twine(start) + ", " + Twine(limit) +
                           ") step " + Twine(stride) + " does not fit axis " +
                           Twine(*axis) + " of " + Tensor::shapeString(x.shape));
  int64_t n = (limit - start + stride - 1) / stride;
  Shape outShape = x.shape;
  outShape[*axis] = n;
  Tensor out(x.dtype, outShape);
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t k = 0; k < n; ++k)
      for (int64_t i = 0; i < sp.inner; ++i)
        out.data[(o * n + k) * sp.inner + i] =
            x.data[(o * sp.extent + start + k * stride) * sp.inner + i];
  return out;
}

Expected<Tensor> Interpreter::concat(ConcatOp op, const Operands &in) {
  const Tensor &first = *in[0];
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = axisOf(op, rawAxis, first);
  if (!axis)
    return axis.takeError();
  Shape outShape = first.shape;
  outShape[*axis] = 0;
  for (const Tensor *t : in) {
    bool same = t->rank() == first.rank();
    for (int64_t d = 0; same && d < t->rank(); ++d)
      same = d == *axis || t->shape[d] == first.shape[d];
    if (!same)
      return opError(op, "operands " + Tensor::shapeString(first.shape) + " and " +
                             Tensor::shapeString(t->shape) + " differ outside axis " +
                             Twine(*axis));
    outShape[*axis] += t->shape[*axis];
  }
  Tensor out(first.dtype, outShape);
  AxisSplit sp = splitAt(outShape, *axis);
  int64_t offset = 0; // where along the axis the current operand starts
  for (const Tensor *t : in) {
    int64_t n = t->shape[*axis];
    for (int64_t o = 0; o < sp.outer; ++o)
      for (int64_t k = 0; k < n; ++k)
        for (int64_t i = 0; i < sp.inner; ++i)
          out.data[(o * sp.extent + offset + k) * sp.inner + i] =
              t->data[(o * n + k) * sp.inner + i];
    offset += n;
  }
  return out;
}

Expected<Tensor> Interpreter::gather(GatherOp op, const Tensor &table,
                                     const Tensor &idx) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = axisOf(op, rawAxis, table);
  if (!axis)
    return axis.takeError();
  AxisSplit sp = splitAt(table.shape, *axis);
  Shape outShape(table.shape.begin(), table.shape.begin() + *axis);
  outShape.insert(outShape.end(), idx.shape.begin(), idx.shape.end());
  outShape.insert(outShape.end(), table.shape.begin() + *axis + 1,
                  table.shape.end());
  int64_t count = idx.numElements();
  Tensor out(table.dtype, outShape);
  for (int64_t k = 0; k < count; ++k) {
    double row = idx.data[k];
    if (row < 0 || row >= static_cast<double>(sp.extent))
      return opError(op, "index " + Twine(static_cast<int64_t>(row)) +
                             " is out of range [0, " + Twine(sp.extent) +
                             ") for axis " + Twine(*axis) + " of " +
                             Tensor::shapeString(table.shape));
    int64_t r = static_cast<int64_t>(row);
    for (int64_t o = 0; o < sp.outer; ++o)
      for (int64_t i = 0; i < sp.inner; ++i)
        out.data[(o * count + k) * sp.inner + i] =
            table.data[(o * sp.extent + r) * sp.inner + i];
  }
  return out;
}

Expected<Tensor> Interpreter::scatterAdd(ScatterAddOp op, const Tensor &target,
                                         const Tensor &idx,
                                         const Tensor &updates) {
  int64_t rawAxis = static_cast<int64_t>(op.getAxis());
  auto axis = axisOf(op, rawAxis, target);
  if (!axis)
    return axis.takeError();
  AxisSplit sp = splitAt(target.shape, *axis);
  Shape gathered(target.shape.begin(), target.shape.begin() + *axis);
  gathered.insert(gathered.end(), idx.shape.begin(), idx.shape.end());
  gathered.insert(gathered.end(), target.shape.begin() + *axis + 1,
                  target.shape.end());
  if (updates.shape != gathered)
    return opError(op, "updates " + Tensor::shapeString(updates.shape) +
                           " do not have the gathered shape " +
                           Tensor::shapeString(gathered));
  int64_t count = idx.numElements();
  Tensor out = target;
  for (int64_t k = 0; k < count; ++k) {
    double row = idx.data[k];
    if (row < 0 || row >= static_cast<double>(sp.extent))
      return opError(op, "index " + Twine(static_cast<int64_t>(row)) +
                             " is out of range [0, " + Twine(sp.extent) +
                             ") for axis " + Twine(*axis) + " of " +
                             Tensor::shapeString(target.shape));
    int64_t r = static_cast<int64_t>(row);
    for (int64_t o = 0; o < sp.outer; ++o)
      for (int64_t i = 0; i < sp.inner; ++i)
        out.data[(o * sp.extent + r) * sp.inner + i] +=
            updates.data[(o * count + k) * sp.inner + i];
  }
  return out;
}

/// Row `index` of `source` (dynamic_row), or a copy of it with that row
/// replaced by `*update` (dynamic_update_row).
Expected<Tensor> Interpreter::dynamicRow(Operation *op, const Tensor &source,
                                         const Tensor &index, const Tensor *update) {
  if (source.shape.empty())
    return opError(op, "needs a tensor with rows, not a scalar");
  int64_t rows = source.shape[0];
  double i = index.data[0];
  if (!(i >= 0 && i < static_cast<double>(rows)))
    return opError(op, "index " + Twine(static_cast<int64_t>(i)) +
                           " is out of range [0, " + Twine(rows) + ") for the rows of " +
                           Tensor::shapeString(source.shape));
  Shape rowShape(source.shape.begin() + 1, source.shape.end());
  int64_t n = product(rowShape), at = static_cast<int64_t>(i) * n;
  if (!update) {
    Tensor row(source.dtype, rowShape);
    std::copy(source.data.begin() + at, source.data.begin() + at + n, row.data.begin());
    return row;
  }
  if (update->shape != rowShape)
    return opError(op, "update " + Tensor::shapeString(update->shape) +
                           " is not a row of " + Tensor::shapeString(source.shape));
  Tensor out = source;
  std::copy(update->data.begin(), update->data.end(), out.data.begin() + at);
  return out;
}

// An index outside [0, depth) is an error, as in torch's one_hot: a label
// out of range in cross_entropy or nll would otherwise count a zero row.
Expected<Tensor> Interpreter::oneHot(OneHotOp op, const Tensor &idx) {
  int64_t depth = static_cast<int64_t>(op.getDepth());
  Shape outShape = idx.shape;
  outShape.push_back(depth);
  Tensor out(DType::F64, outShape);
  for (int64_t k = 0; k < idx.numElements(); ++k) {
    double label = idx.data[k];
    if (!(label >= 0 && label < static_cast<double>(depth)))
      return opError(op, "index " + Twine(static_cast<int64_t>(label)) +
                             " is out of range [0, " + Twine(depth) + ")");
    out.data[k * depth + static_cast<int64_t>(label)] = 1;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Tensor creation
//===----------------------------------------------------------------------===//

Expected<Tensor> Interpreter::constant(ConstantOp op) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!dense)
    return opError(op, "only dense elements attributes are supported");
  auto type = cast<ShapedType>(dense.getType());
  Shape shape(type.getShape().begin(), type.getShape().end());
  Tensor out(DType::F64, shape);
  Type element = type.getElementType();
  int64_t i = 0;
  if (isa<FloatType>(element)) {
    for (const llvm::APFloat &v : dense.getValues<llvm::APFloat>())
      out.data[i++] = v.convertToDouble();
  } else if (auto intType = dyn_cast<IntegerType>(element)) {
    bool isBool = intType.getWidth() == 1;
    for (const llvm::APInt &v : dense.getValues<llvm::APInt>())
      out.data[i++] = isBool ? static_cast<double>(v.getBoolValue())
                             : static_cast<double>(v.getSExtValue());
  } else {
    return opError(op, "unsupported constant element type " + typeStr(element));
  }
  return out;
}

Expected<Tensor> Interpreter::random(Operation *op, const Operands &in) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  auto shape = resolveDynamic(op, type, llvm::ArrayRef(in).drop_front());
  if (!shape)
    return shape.takeError();
  uint64_t seed = llvm::TypeSwitch<Operation *, uint64_t>(op)
                      .Case<RandomUniformOp, RandomNormalOp, RandomBernoulliOp>(
                          [](auto r) { return r.getSeed(); })
                      .Default([](Operation *) { return 0; });
  if (in[0]->data.size() != 1)
    return opError(op, "the counter must be a rank-0 tensor");
  uint64_t counter =
      static_cast<uint64_t>(static_cast<int64_t>(in[0]->data[0]));
  Tensor out(DType::F64, *shape);
  for (int64_t i = 0; i < out.numElements(); ++i) {
    uint64_t index = static_cast<uint64_t>(i);
    if (auto u = dyn_cast<RandomUniformOp>(op)) {
      double low = u.getLow().convertToDouble(),
             high = u.getHigh().convertToDouble();
      out.data[i] = low + (high - low) * philox::uniform(seed, counter, index);
    } else if (auto n = dyn_cast<RandomNormalOp>(op)) {
      out.data[i] =
          n.getMean().convertToDouble() +
          n.getStd().convertToDouble() * philox::normal(seed, counter, index);
    } else {
      double p = cast<RandomBernoulliOp>(op).getP().convertToDouble();
      out.data[i] = philox::uniform(seed, counter, index) < p ? 1.0 : 0.0;
    }
  }
  return out;
}

} // namespace

//===----------------------------------------------------------------------===//
// Evaluator
//===----------------------------------------------------------------------===//

Evaluator::Evaluator(ModuleOp module, int64_t maxMemory)
    : module(module.getOperation()) {
  // Nothing is allocated for parameters that cannot fit.
  std::vector<MemoryItem> items;
  for (ParamOp param : module.getOps<ParamOp>())
    if (auto type = dyn_cast<RankedTensorType>(param.getType());
        type && type.hasStaticShape() && dtypeOf(type.getElementType())) {
      Shape shape(type.getShape().begin(), type.getShape().end());
      items.push_back(
          {"parameter " + param.getSymName().str() + " (" +
               std::string(dtypeName(*dtypeOf(type.getElementType()))) +
               Tensor::shapeString(shape) + ")",
           saturatingBytes(shape, int64_t(sizeof(double))),
           sourceLocation(param.getLoc())});
    }
  allocError = checkMemory(items, "the parameters", maxMemory);
  if (!allocError.empty()) {
    allocError += " (the reference evaluator holds 8 bytes a value)";
    return;
  }
  try {
    initializeParams(module);
  } catch (const std::bad_alloc &) {
    params.clear();
    order.clear();
    allocError = "out of memory allocating the parameters (they need " +
                 formatBytes(totalBytes(items)) + ")";
  } catch (const std::length_error &) {
    params.clear();
    order.clear();
    allocError = "out of memory allocating the parameters";
  }
}

void Evaluator::initializeParams(ModuleOp module) {
  for (ParamOp param : module.getOps<ParamOp>()) {
    std::string name = param.getSymName().str();
    auto type = dyn_cast<RankedTensorType>(param.getType());
    auto dtype = type ? dtypeOf(type.getElementType()) : std::nullopt;
    if (!type || !type.hasStaticShape() || !dtype) {
      initError = sourceLocation(param.getLoc()) + ": axon.param @" + name +
                  ": unsupported parameter type " + typeStr(param.getType());
      continue;
    }
    Shape shape(type.getShape().begin(), type.getShape().end());
    order.push_back(name);
    params[name] = initialize(stringifyInitKind(param.getInit()).str(), *dtype,
                              shape, param.getA().convertToDouble(),
                              param.getB().convertToDouble(), param.getSeed());
  }
}

Error Evaluator::setParam(llvm::StringRef name, Tensor value) {
  if (!allocError.empty())
    return llvm::createStringError(allocError);
  auto it = params.find(name.str());
  if (it == params.end())
    return llvm::createStringError("no parameter named @" + name);
  if (value.dtype != it->second.dtype || value.shape != it->second.shape ||
      static_cast<int64_t>(value.data.size()) != value.numElements())
    return llvm::createStringError("parameter @" + name + " is " +
                                   it->second.typeString() + ", got " +
                                   value.typeString());
  for (double &v : value.data)
    v = roundTo(value.dtype, v);
  it->second = std::move(value);
  return Error::success();
}

const Tensor *Evaluator::getParam(llvm::StringRef name) const {
  auto it = params.find(name.str());
  return it == params.end() ? nullptr : &it->second;
}

std::vector<std::string> Evaluator::paramNames() const { return order; }

Expected<std::vector<Tensor>> Evaluator::call(llvm::StringRef fn,
                                              llvm::ArrayRef<Tensor> args) {
  if (!allocError.empty())
    return llvm::createStringError(allocError);
  if (!initError.empty())
    return llvm::createStringError(initError);
  Interpreter interpreter(cast<ModuleOp>(module), params);
  auto results = interpreter.callFunction(fn, args, nullptr);
  // Stores take effect together once the whole call has succeeded.
  if (results)
    for (auto &[name, value] : interpreter.stores)
      params[name] = std::move(value);
  return results;
}

} // namespace axon::reference
