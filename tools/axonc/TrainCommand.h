// `axonc train`: runs a model file's train block.
#ifndef AXON_TOOLS_AXONC_TRAINCOMMAND_H
#define AXON_TOOLS_AXONC_TRAINCOMMAND_H

#include "runtime/data/DataLoader.h"
#include "runtime/core/TrainConfig.h"
#include "tools/axonc/Runner.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace axon {

struct TrainFlags {
  std::string modelPath;   ///< For the default metrics file name.
  std::string loss;        ///< Which train block; empty: the only one.
  int64_t epochs = 0;      ///< 0: the block's `epochs`.
  int64_t batch = 0;       ///< 0: the block's `batch`.
  int64_t limit = 0;       ///< Training samples to use; 0: all.
  int64_t evalLimit = 0;   ///< Evaluation samples to use; 0: all.
  std::string metrics;     ///< Metrics file; empty: the block's `log` or a default.
  std::string checkpoint;  ///< Checkpoint file; empty: a default; "none": off.
  int64_t checkpointEvery = 0; ///< Also checkpoint every N steps.
  std::string resume;      ///< Continue from this checkpoint.
  bool allowNonfinite = false;      ///< --allow-nonfinite-inputs
  bool continueOnNonfinite = false; ///< --on-nonfinite=continue
  RunnerOptions runner;    ///< Backend, schedules, threads, profiling.
};

/// The shapes a training session calls each function at: the train step at
/// the batch; the loss and eval_fn over the eval set and the eval_fn over the
/// first `trainMetricSamples` training samples, in full batches and the
/// remainder. The compiled backend specialises to exactly these.
std::vector<FunctionRequest> trainRequests(const TrainConfig &config,
                                           const TrainData &data,
                                           int64_t trainMetricSamples);

/// Lowers the train block to a train step (the module must have been
/// through the gradient pipeline), loads its data and runs the training
/// loop on the chosen backend. Returns the process exit code.
int runTraining(mlir::ModuleOp module, const TrainFlags &flags);

} // namespace axon

#endif // AXON_TOOLS_AXONC_TRAINCOMMAND_H
