#include "tools/axonc/BuildCommand.h"

#include "llvm/Support/WithColor.h"

int axon::runBuild(mlir::ModuleOp, const BuildFlags &) {
  llvm::WithColor::error(llvm::errs(), "axonc") << "build: not implemented\n";
  return 1;
}
