// axon-opt: mlir-opt with the axon dialect and MLIR's generic passes.
#include "ir/AxonDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses(); // canonicalize, cse, inline, ...
  axon::registerAxonPasses();
  mlir::DialectRegistry registry;
  registry.insert<axon::AxonDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Axon optimizer driver\n", registry));
}
