// The axon passes (declared in Passes.td).
#ifndef AXON_PASSES_PASSES_H
#define AXON_PASSES_PASSES_H

#include "ir/AxonDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace axon {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Train-step lowering and autodiff, then canonicalize and CSE: what
/// `axonc --emit=grad` prints and what drivers run before executing.
void addGradientPipeline(mlir::OpPassManager &pm);

} // namespace axon

#endif // AXON_PASSES_PASSES_H
