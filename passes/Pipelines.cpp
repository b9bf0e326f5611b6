// Pass pipelines shared by the drivers.
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

void axon::addGradientPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createLowerTrain());
  pm.addPass(createAutodiff());
  pm.addPass(createResolveMode());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}
