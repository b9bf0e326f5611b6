// The per-op test table: for every op of the axon dialect, the instances
// of it worth testing (awkward shapes and attributes, argument domains, FP
// edges), what its results should be (an elementwise std:: oracle, or
// explicit values computed by hand), and which checks do not apply to it,
// with the reason. Three suites are generated from it:
//   OpEvaluatorTest: the reference evaluator against the oracles and the
//                    explicit examples;
//   OpGradientTest:  autodiff's gradient against central differences;
//   OpCompiledTest:  the Halide-compiled kernels against the evaluator;
// and OpCoverageTest fails naming any registered op that lacks one of them.
//
// Adding an op is one entry in OpTable.cpp: for an elementwise op, one call
// of `unary` or `binary` with its std:: function and a hand-computed
// example; otherwise instances (with an oracle where a naive loop is short),
// examples, and an exemption only where a check cannot apply (no gradient
// for integer results or random draws), each with its reason.
#ifndef AXON_TESTS_UNIT_OPTABLE_H
#define AXON_TESTS_UNIT_OPTABLE_H

#include "runtime/core/Tensor.h"

#include <functional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace axon::op_table {

/// The generated checks, as flags.
enum Check : unsigned {
  Evaluator = 1, ///< OpEvaluatorTest
  Gradient = 2,  ///< OpGradientTest
  Compiled = 4,  ///< OpCompiledTest
};
const char *checkName(Check check);

/// An argument of an instance, and how its values are drawn: uniformly
/// from [lo, hi) away from 0 by `gap`, with FP edges (NaN, infinities,
/// zeros, huge and tiny values) at every third element when `edges`, or
/// the fixed `values` (integer indices, counters).
struct Arg {
  std::string type;           ///< MLIR tensor type; `?` extents vary.
  double lo = -1, hi = 1;     ///< Range of random float values...
  double gap = 0;             ///< ...kept at least this far from 0.
  std::vector<double> values; ///< Fixed values instead.
  bool constant = false;      ///< A float argument not differentiated.
  bool edges = false;         ///< Every third element an FP edge value.
};
Arg any(std::string type);
Arg positive(std::string type);     ///< [0.3, 2): log, sqrt, pow's base.
Arg awayFromZero(std::string type); ///< +-[0.25, 1.5): kinks, divisors.
Arg ints(std::string type, std::vector<double> values);
Arg constant(std::string type);
Arg withEdges(std::string type);
Arg bools(std::string type);                  ///< Random 0s and 1s.
Arg indices(std::string type, int64_t bound); ///< Random in [0, bound).

/// The op's results computed from an instance's inputs, independently of
/// the evaluator (std:: math in long double, or a naive loop).
using Oracle = std::function<std::vector<Tensor>(const std::vector<Tensor> &)>;

/// One application of the op: MLIR `body` computing %y (of type `out`)
/// from %a0, %a1, ... Every `?` extent takes the same value: 3 in the
/// gradient check, each of kAwkwardExtents in the others.
struct Instance {
  std::string name;      ///< Unique test-name suffix.
  std::vector<Arg> args; ///< %a0, %a1, ...
  std::string out;       ///< Type of %y.
  std::string body;      ///< MLIR computing %y.
  /// Parameters (name, type) the body reads with axon.param_ref.
  std::vector<std::pair<std::string, std::string>> params = {};
  unsigned checks = Gradient | Compiled; ///< The suites that run it.
  Oracle oracle = nullptr; ///< When set, the evaluator check compares with it.
};

/// Extents of `?` in the evaluator and compiled checks: a lone element, a
/// vector tail, and more than one vector plus a tail.
inline const int64_t kAwkwardExtents[] = {1, 7, 33};

/// A result an example expects: dtype, shape and values within `tol`.
struct Expected {
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<double> values;
  double tol = 0;
};

/// One call of an example: @fn at `inputs` gives `results`, or fails with
/// an error containing every string of `errors`.
struct Call {
  std::vector<Tensor> inputs;
  std::vector<Expected> results;
  std::vector<std::string> errors = {};
  std::string fn = "f";
};

/// Values worked out by hand: `calls` run in order on one evaluator of
/// `source` (parsed as "test.mlir", so errors name its lines).
struct Example {
  std::string what; ///< What it shows, for failure messages.
  std::string source;
  std::vector<Call> calls;
};

/// A check that does not apply to an op, and why.
struct Exemption {
  Check check;
  std::string reason;
};

struct OpEntry {
  std::string op; ///< "axon.exp"
  std::vector<Instance> instances;
  std::vector<Example> examples;
  std::vector<Exemption> exempt = {};

  /// The reason `check` does not apply, or null.
  const std::string *exemption(Check check) const;
};

/// The whole table, one entry per op.
const std::vector<OpEntry> &opTable();

/// An entry's instances that a suite runs, paired with their op, for
/// INSTANTIATE_TEST_SUITE_P.
struct OpInstance {
  std::string op;
  Instance instance;
};
std::vector<OpInstance> instancesFor(Check check);
/// gtest prints a case by its name, not its bytes.
void PrintTo(const OpInstance &c, std::ostream *os);

/// Draws the value of `arg` with `?` = `extent`: floats rounded to the
/// dtype, integers from [lo, hi) rounded down.
Tensor drawArg(const Arg &arg, int64_t extent, std::mt19937 &rng);

/// Stable 32-bit FNV-1a, to seed a case's random numbers by its name.
uint32_t seedOf(const std::string &name);

/// "tensor<2x?xf32>" -> {2, `extent`}.
std::vector<int64_t> shapeOf(const std::string &type, int64_t extent);
DType dtypeOf(const std::string &type);

/// Whether any of the instance's argument types has a `?`.
bool hasDynamicExtent(const Instance &instance);

/// A module whose @`fn` returns the instance's %y; parameters are
/// initialised from seeded draws.
std::string instanceFunction(const Instance &instance, const std::string &fn);
std::string instanceParams(const Instance &instance);

/// A stable test-name form of "axon.max_pool2d": "max_pool2d".
std::string testName(const std::string &op);

/// Tensors written out by hand, and f32 rounding, shared with the tests that
/// check several ops together.
Tensor f32(std::vector<int64_t> shape, std::vector<double> data);
Tensor f64(std::vector<int64_t> shape, std::vector<double> data);
Tensor i32(std::vector<int64_t> shape, std::vector<double> data);
Tensor i64(std::vector<int64_t> shape, std::vector<double> data);
Tensor i1(std::vector<int64_t> shape, std::vector<double> data);
Tensor scalarI64(int64_t v);
double roundF32(double v);

/// Snippet builders, shared with the tests that check several ops together.
/// A module whose @f applies one op to its arguments and returns the result;
/// `body` uses %a, %b, %c for the arguments and defines %r on line 2.
std::string module(const std::vector<std::string> &argTypes,
                   const std::string &resultType, const std::string &body);
/// conv2d's attribute dictionary, and modules of one conv2d or
/// conv_transpose2d.
std::string convAttrs(const char *strides, const char *padding,
                      const char *dilations, int groups = 1);
std::string convModule(const std::string &x, const std::string &w,
                       const std::string &out, const std::string &attrs);
std::string convTransposeModule(const std::string &x, const std::string &w,
                                const std::string &out, const char *strides,
                                const char *padding, const char *outputPadding,
                                int groups = 1);

} // namespace axon::op_table

#endif // AXON_TESTS_UNIT_OPTABLE_H
