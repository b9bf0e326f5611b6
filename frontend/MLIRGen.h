// MLIRGen: type-checks a parsed model file and lowers it to the axon dialect.
#ifndef AXON_FRONTEND_MLIRGEN_H
#define AXON_FRONTEND_MLIRGEN_H

#include "frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
class MLIRContext;
}

namespace axon {

/// Checks names, arities, element types and shapes (symbolic dimensions
/// are rigid within a function and instantiated per call), reporting every
/// error at its source location, and emits one func.func per `fn`, one
/// axon.param per `param` and one axon.train per `train` block. Returns
/// null when any error was reported. The context must have the axon and
/// func dialects loaded.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          SourceFile &file,
                                          const ast::Module &module);

/// Lexes, parses and lowers a file in one go (null on any error). Runs on
/// a thread of its own with frontendStackSize() bytes of stack, so the
/// nesting limits (ast::kMaxNestingDepth) hold whatever the caller's stack
/// and however large a sanitizer makes each frame.
mlir::OwningOpRef<mlir::ModuleOp> compileSource(mlir::MLIRContext &context,
                                                SourceFile &file);

/// The stack of compileSource's thread: 64 MB by default (a release build
/// needs about 1.5 MB at both nesting limits, an ASan build about 30 MB).
unsigned frontendStackSize();
void setFrontendStackSize(unsigned bytes);

} // namespace axon

#endif // AXON_FRONTEND_MLIRGEN_H
