// The axon passes (declared in Passes.td).
#ifndef AXON_PASSES_PASSES_H
#define AXON_PASSES_PASSES_H

#include "ir/AxonDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <optional>
#include <utility>

namespace axon {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Train-step lowering, autodiff and the train/inference mode (with fresh
/// random draws at every step), then canonicalize and CSE: what
/// `axonc --emit=grad` prints and what drivers run before executing.
void addGradientPipeline(mlir::OpPassManager &pm);

/// Prints the memory plan of a function planned by axon-plan-memory as a
/// table: arena size, sum of buffers, reuse, then one line per kernel
/// result (kernel, result, type, bytes, offset or parameter, live range).
void printMemoryPlan(mlir::func::FuncOp fn, llvm::raw_ostream &os);

/// What a pass that inlines calls needs loaded: the axon and func dialects
/// and func's inliner extension (MLIR's DialectInlinerInterface for
/// func.call and func.return; the axon dialect registers its own). Passes
/// that call inlineCalls add this in getDependentDialects.
void addInlinerDependencies(mlir::DialectRegistry &registry);

/// Inlines every func.call in `block` (recursively) with MLIR's inliner;
/// `purpose` completes the error "cannot <purpose> a call of 'f', which has
/// no body".
mlir::LogicalResult inlineCalls(mlir::Block &block, mlir::ModuleOp module,
                                llvm::StringRef purpose);

/// What axon-flatten does to a function body: inlineCalls, then every
/// axon.loop unrolled; a run-time trip count is an error ("cannot <purpose>
/// a loop whose trip count ...").
mlir::LogicalResult flatten(mlir::Block &block, mlir::ModuleOp module,
                            llvm::StringRef purpose);

/// An axon.loop's lower and upper bounds where both are constants.
std::optional<std::pair<int64_t, int64_t>> constantBounds(LoopOp loop);

/// An axon.loop with constant bounds and at least one step.
struct SteppedLoop {
  LoopOp loop;
  int64_t lower, upper;
};

/// The axon.loops under `root` with constant bounds and at least one step,
/// inner loops first (collected before a pass rewrites any of them): the
/// loops the loop-hoisting passes rewrite.
llvm::SmallVector<SteppedLoop> steppedLoops(mlir::Operation *root);

/// Unrolls one axon.loop, whose bounds must be constants (the same error
/// as flatten otherwise).
mlir::LogicalResult unrollLoop(LoopOp loop, llvm::StringRef purpose);

/// axon-specialize for the static `argTypes` of function `name`, the copy
/// named `newName` (the pass's options, from C++ values).
std::unique_ptr<mlir::Pass> createSpecialize(llvm::StringRef name,
                                             llvm::ArrayRef<mlir::Type> argTypes,
                                             llvm::StringRef newName);

} // namespace axon

#endif // AXON_PASSES_PASSES_H
