// Test helpers shared by the compiled-path tests: deterministic inputs, and
// a function compiled at several argument shapes and run against the
// reference evaluator, every result compared.
#ifndef AXON_TESTS_UNIT_COMPILEDVSREFERENCE_H
#define AXON_TESTS_UNIT_COMPILEDVSREFERENCE_H

#include "backends/halide/CompilePipeline.h"
#include "backends/reference/Evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace axon::test_support {

/// Deterministic values in [lo, hi) from an LCG `state`: floats rounded to
/// the dtype, integers truncated.
inline Tensor randomTensor(DType dtype, std::vector<int64_t> shape,
                           uint64_t &state, double lo = -2, double hi = 2) {
  Tensor t(dtype, std::move(shape));
  for (double &v : t.data) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    double u = double(state >> 11) / double(1ull << 53);
    v = isFloat(dtype) ? roundTo(dtype, lo + (hi - lo) * u)
                       : double(int64_t(lo + (hi - lo) * u));
  }
  return t;
}

/// `got` equals `want` in shape and dtype, integers exactly, floats to a
/// relative `tol` (default: 2e-4 for f32, whose kernels accumulate in f32
/// and may reassociate while the reference rounds each op's double result;
/// 1e-9 for f64), NaN where the reference has NaN, infinities exactly.
inline void expectClose(const Tensor &got, const Tensor &want,
                        const std::string &what, double tol = 0) {
  ASSERT_EQ(got.shape, want.shape) << what;
  ASSERT_EQ(got.dtype, want.dtype) << what;
  if (tol == 0)
    tol = got.dtype == DType::F64 ? 1e-9 : 2e-4;
  int reported = 0;
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double g = got.data[i], w = want.data[i];
    if (std::isnan(w) && std::isnan(g))
      continue;
    // Equal infinities are close (their difference is NaN).
    bool ok = isFloat(got.dtype)
                  ? g == w || std::fabs(g - w) <= tol * std::max(1.0, std::fabs(w))
                  : g == w;
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g
                    << ", reference " << w;
  }
}

/// Compiles @fn of `module` at each argument set's shapes, runs it there and
/// in the reference evaluator, and compares every result. `diagnostics` is
/// shown when compilation fails.
inline void checkAgainstReference(mlir::ModuleOp module, const std::string &fn,
                                  const std::vector<std::vector<Tensor>> &argSets,
                                  const std::string &diagnostics = "") {
  std::vector<FunctionRequest> requests;
  for (const auto &args : argSets) {
    FunctionRequest r{fn, {}};
    for (const Tensor &t : args)
      r.argShapes.push_back(t.shape);
    requests.push_back(r);
  }
  reference::Evaluator reference(module);
  auto program = JitProgram::compile(module, requests, {});
  ASSERT_TRUE(bool(program)) << llvm::toString(program.takeError()) << "\n"
                             << diagnostics;
  for (const auto &args : argSets) {
    std::string shapes;
    for (const Tensor &t : args)
      shapes += t.typeString() + " ";
    auto want = reference.call(fn, args);
    ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
    auto got = (*program)->executor().call(fn, args);
    ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError());
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < got->size(); ++i)
      expectClose((*got)[i], (*want)[i],
                  "@" + fn + " (" + shapes + ") result " + std::to_string(i));
  }
}

/// A file's whole text ("" when it cannot be read).
inline std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace axon::test_support

#endif // AXON_TESTS_UNIT_COMPILEDVSREFERENCE_H
