// From fused, memory-planned IR to a runtime Plan and the KernelSpecs the
// Halide side compiles. The MLIR side of the backend: it includes MLIR but
// never Halide (see KernelSpec.h).
#ifndef AXON_BACKENDS_HALIDE_PLANBUILDER_H
#define AXON_BACKENDS_HALIDE_PLANBUILDER_H

#include "backends/halide/KernelSpec.h"
#include "runtime/core/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace axon {

class KernelOp;

/// The plain-data description of an axon.kernel op. Emits an error on the
/// op (and fails) for an element type or attribute the backend cannot take.
mlir::FailureOr<kernel::KernelSpec> extractKernel(KernelOp op);

/// Appends the module's axon.param declarations to plan.params.
void addParams(mlir::ModuleOp module, Plan &plan);

/// Appends to `plan` the function plan of `fn` (specialised, fused by
/// axon-fuse and planned by axon-plan-memory), named `modelName`, and
/// appends its kernels to plan.kernels and `kernels`. plan.params must
/// already hold the module's parameters.
mlir::LogicalResult addFunctionPlan(mlir::func::FuncOp fn,
                                    llvm::StringRef modelName, Plan &plan,
                                    std::vector<kernel::KernelSpec> &kernels);

/// Keeps one copy of kernels that are identical but for their name (the
/// same fused ops at the same shapes, e.g. the forward pass inside
/// `forward`, `predict` and `loss` at one batch size): steps are pointed at
/// the first, the rest dropped from plan.kernels and `kernels`. Compile time
/// is per kernel, so this is what a model with many entry points saves.
void dedupeKernels(Plan &plan, std::vector<kernel::KernelSpec> &kernels);

} // namespace axon

#endif // AXON_BACKENDS_HALIDE_PLANBUILDER_H
