// Test helper: compiles model-language text to the axon dialect, optionally
// through the gradient pipeline, keeping the diagnostics as text.
#ifndef AXON_TESTS_UNIT_COMPILEMODEL_H
#define AXON_TESTS_UNIT_COMPILEMODEL_H

#include "frontend/MLIRGen.h"
#include "ir/AxonDialect.h"
#include "passes/Passes.h"
#include "runtime/core/Tensor.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <string>
#include <vector>

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

/// A copy of `module` with `fn` specialised to `argShapes` (the declared
/// element types kept) as `<fn>_static`, then rewritten by `pass` on each
/// function; null when either fails. Lets a pass's test count what it left.
inline mlir::OwningOpRef<mlir::ModuleOp>
specializeAndRun(mlir::ModuleOp module, const std::string &fn,
                 const std::vector<std::vector<int64_t>> &argShapes,
                 std::unique_ptr<mlir::Pass> pass) {
  mlir::OwningOpRef<mlir::ModuleOp> copy(module.clone());
  auto f = copy->lookupSymbol<mlir::func::FuncOp>(fn);
  llvm::SmallVector<mlir::Type> types;
  for (auto [declared, shape] : llvm::zip(f.getArgumentTypes(), argShapes))
    types.push_back(mlir::RankedTensorType::get(
        shape, mlir::cast<mlir::RankedTensorType>(declared).getElementType()));
  mlir::PassManager pm(module.getContext());
  pm.addPass(createSpecialize(fn, types, fn + "_static"));
  pm.addNestedPass<mlir::func::FuncOp>(std::move(pass));
  if (mlir::failed(pm.run(*copy)))
    return nullptr;
  return copy;
}

/// `count` of `<fn>_static`: `fn` specialised to the shapes of `args` and
/// rewritten by `pass` (specializeAndRun); -1 when either fails.
inline int countAfterPass(mlir::ModuleOp module, const std::string &fn,
                          const std::vector<Tensor> &args,
                          std::unique_ptr<mlir::Pass> pass,
                          llvm::function_ref<int(mlir::func::FuncOp)> count) {
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor &t : args)
    shapes.push_back(t.shape);
  auto copy = specializeAndRun(module, fn, shapes, std::move(pass));
  if (!copy)
    return -1;
  return count(copy->lookupSymbol<mlir::func::FuncOp>(fn + "_static"));
}

} // namespace axon::test_support

#endif // AXON_TESTS_UNIT_COMPILEMODEL_H
