// `axonc train`: runs a model file's train block.
#ifndef AXON_TOOLS_AXONC_TRAINCOMMAND_H
#define AXON_TOOLS_AXONC_TRAINCOMMAND_H

#include "runtime/core/TrainConfig.h"
#include "runtime/data/TrainSources.h"
#include "runtime/train/TrainFlags.h"
#include "tools/axonc/Runner.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace axon {

/// The shapes a training session on `data` calls each function at
/// (rowsToCompile, with the eval_fn's train metric over the first
/// `trainMetricSamples` training samples), at the data's shapes
/// (lossArgumentShapes). The JIT compiles exactly these.
std::vector<FunctionRequest> trainRequests(const TrainConfig &config,
                                           const TrainSources &data,
                                           int64_t trainMetricSamples);

/// Runs the train block of `module` (after the gradient pipeline) whose
/// loss is `loss` (empty: the only one) from `modelPath`, at `batch` (0:
/// the block's), on the backend `runner` says: loads its data, compiles
/// what the session calls and runs it. Returns the process exit code.
int runTraining(mlir::ModuleOp module, const std::string &modelPath,
                const std::string &loss, int64_t batch,
                const TrainFlags &flags, const RunnerOptions &runner);

} // namespace axon

#endif // AXON_TOOLS_AXONC_TRAINCOMMAND_H
