// Test helper: compiles model-language text to the axon dialect, optionally
// through the gradient pipeline, keeping the diagnostics as text.
#ifndef AXON_TESTS_UNIT_COMPILEMODEL_H
#define AXON_TESTS_UNIT_COMPILEMODEL_H

#include "frontend/MLIRGen.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <string>

namespace axon::test_support {

struct CompiledModel {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module; ///< Null when compilation failed.
  std::string errors;                       ///< Diagnostics, as printed.
};

inline std::unique_ptr<CompiledModel>
compileModel(const std::string &text, bool gradientPipeline,
             const std::string &name = "model.axon") {
  auto m = std::make_unique<CompiledModel>();
  m->context.loadDialect<AxonDialect, mlir::func::FuncDialect>();
  m->context.printOpOnDiagnostic(false);
  {
    // The frontend's diagnostics, printed into `errors` while the file is
    // open (the passes' go to stderr, as MLIR prints them by default).
    llvm::raw_string_ostream os(m->errors);
    SourceFile file(m->context, name, text, os);
    m->module = compileSource(m->context, file);
  }
  if (m->module && gradientPipeline) {
    mlir::PassManager pm(&m->context);
    addGradientPipeline(pm);
    if (mlir::failed(pm.run(*m->module)))
      m->module = nullptr;
  }
  return m;
}

} // namespace axon::test_support

#endif // AXON_TESTS_UNIT_COMPILEMODEL_H
