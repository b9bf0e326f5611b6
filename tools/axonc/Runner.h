// What runs a model for `axonc run` and `axonc train`: the reference
// evaluator or JIT-compiled Halide kernels, behind one interface.
#ifndef AXON_TOOLS_AXONC_RUNNER_H
#define AXON_TOOLS_AXONC_RUNNER_H

#include "backends/halide/Backend.h"
#include "backends/halide/CompilePipeline.h"
#include "runtime/core/Model.h"
#include "runtime/core/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace axon {

struct RunnerOptions {
  std::string backend = "halide"; ///< "halide" or "reference".
  halide::CompileOptions compile;
  int threads = 0;         ///< 0: Halide's default (HL_NUM_THREADS or cores).
  std::string profilePath; ///< Non-empty: profile kernels, trace to here.
  /// --max-memory: the most the parameters, optimizer state, constants
  /// and temporaries may take ("2G", "512M"; empty: no limit besides the
  /// memory this machine has available).
  std::string maxMemory;
};

/// A Model run by the reference evaluator or by JIT-compiled kernels.
class Runner : public Model {
public:
  /// Prints the profile and writes the trace, when asked for.
  virtual llvm::Error finish() { return llvm::Error::success(); }
};

/// A runner for `module` (after the gradient pipeline). The Halide backend
/// compiles `requests` (each function at each argument shape it will be
/// called with) up front. Memory that does not fit (options.maxMemory, the
/// machine's) is an error here, before anything is allocated.
llvm::Expected<std::unique_ptr<Runner>>
makeRunner(mlir::ModuleOp module, const RunnerOptions &options,
           const std::vector<FunctionRequest> &requests);

std::vector<std::vector<int64_t>> shapesOf(const std::vector<Tensor> &args);

} // namespace axon

#endif // AXON_TOOLS_AXONC_RUNNER_H
