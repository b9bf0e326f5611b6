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

/// Lexes, parses and lowers a file in one go (null on any error).
mlir::OwningOpRef<mlir::ModuleOp> compileSource(mlir::MLIRContext &context,
                                                SourceFile &file);

} // namespace axon

#endif // AXON_FRONTEND_MLIRGEN_H
