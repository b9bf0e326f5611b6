// `axonc --emit=fused|plan|halide`: a compiled stage of the model's
// functions, specialised to a batch size, printed.
#ifndef AXON_TOOLS_AXONC_EMITCOMPILED_H
#define AXON_TOOLS_AXONC_EMITCOMPILED_H

#include "backends/halide/Backend.h"
#include "backends/halide/CompilePipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axon {

/// Requests for `fn` (any function with a body, a helper too), or for every
/// entry point (public function) when empty, with every `?` extent of their
/// arguments set to `batch` (0: the train block's batch, else 1).
llvm::Expected<std::vector<FunctionRequest>>
requestsAtBatch(mlir::ModuleOp module, const std::string &fn, int64_t batch);

enum class EmitStage { Fused, Plan, Halide };

/// Prints a compiled stage of `fn` (every public function when empty) at
/// batch size `batch`. Returns the process exit code.
int emitCompiled(mlir::ModuleOp module, EmitStage stage, const std::string &fn,
                 int64_t batch, const halide::CompileOptions &options,
                 llvm::raw_ostream &os);

} // namespace axon

#endif // AXON_TOOLS_AXONC_EMITCOMPILED_H
