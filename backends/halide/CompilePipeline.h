// The compiled path end to end: model IR -> specialised functions -> fused
// kernels -> memory plans -> Halide objects -> a loaded shared object and an
// Executor. `axonc run/train --backend=halide` and the tests use it; `axonc
// build` shares every step up to the objects.
#ifndef AXON_BACKENDS_HALIDE_COMPILEPIPELINE_H
#define AXON_BACKENDS_HALIDE_COMPILEPIPELINE_H

#include "backends/halide/Backend.h"
#include "backends/halide/KernelSpec.h"
#include "runtime/core/Executor.h"
#include "runtime/core/KernelLibrary.h"
#include "runtime/core/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace axon {

/// One function to compile, at these argument shapes (element types come
/// from the function's signature).
struct FunctionRequest {
  std::string function;
  std::vector<std::vector<int64_t>> argShapes;
};

/// Specialises, fuses and memory-plans each request inside `module` (which
/// has been through addGradientPipeline) and builds the plan and kernels.
/// Diagnostics go to the context's handler; returns failure after one.
mlir::LogicalResult buildPlan(mlir::ModuleOp module,
                              const std::vector<FunctionRequest> &requests,
                              Plan &plan,
                              std::vector<kernel::KernelSpec> &kernels);

/// The specialised function names buildPlan added, in request order.
std::string specializedName(const FunctionRequest &request, size_t index);

/// A request for `fn` with every `?` extent of its arguments set to `rows`.
FunctionRequest requestAtRows(mlir::func::FuncOp fn, int64_t rows);

/// `options` with its `--target` value (host, x86-64-avx2, ...) turned into
/// the Halide target string for this machine (runtime/core/HostCpu.h).
llvm::Expected<halide::CompileOptions>
resolveOptions(const halide::CompileOptions &options);

/// Runs the system C++ compiler (c++ on PATH) with `args`.
llvm::Error runCxx(const std::vector<std::string> &args);

/// Links object files into a shared object with the system C++ compiler.
llvm::Error linkSharedObject(const std::vector<std::string> &objects,
                             const std::string &output);

/// A plan with its kernels compiled and loaded in this process.
class JitProgram {
public:
  /// Compiles for options.target (resolved here) and refuses, before
  /// loading anything, kernels that would use features this CPU lacks.
  /// The memory the plan needs is checked (runtime/core/Plan.h checkPlanMemory:
  /// this machine's available memory and `maxMemory` bytes, 0: no limit)
  /// before any kernel is compiled or anything allocated.
  static llvm::Expected<std::unique_ptr<JitProgram>>
  compile(mlir::ModuleOp module, const std::vector<FunctionRequest> &requests,
          const halide::CompileOptions &options, int64_t maxMemory = 0);
  ~JitProgram();

  Executor &executor() { return *executor_; }
  const Plan &plan() const { return plan_; }
  KernelLibrary &library() { return *library_; }

private:
  Plan plan_;
  std::string dir;
  std::unique_ptr<KernelLibrary> library_;
  std::unique_ptr<Executor> executor_;
};

} // namespace axon

#endif // AXON_BACKENDS_HALIDE_COMPILEPIPELINE_H
