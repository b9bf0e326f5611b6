// A lowered train block (axon.train with its step_fn) read into the
// runtime's TrainConfig, shared by `axonc train` and `axonc build`.
#ifndef AXON_TOOLS_AXONC_TRAINBLOCK_H
#define AXON_TOOLS_AXONC_TRAINBLOCK_H

#include "ir/AxonDialect.h"
#include "runtime/core/TrainConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace axon {

/// The train block for loss `loss` (empty: the only one). Errors: no train
/// block, several and none chosen, no block for that loss.
llvm::Expected<TrainOp> findTrainBlock(mlir::ModuleOp module,
                                       llvm::StringRef loss);

/// The `batch` of the model's train block (the last one's when several);
/// none without a train block or a batch setting.
std::optional<int64_t> trainBlockBatch(mlir::ModuleOp module);

/// `train`'s settings. The module must have been through the gradient
/// pipeline (the block has a step_fn). Defaults: normalize = scale for idx
/// data, none otherwise. Errors: no step function, a loss that does not take
/// (inputs, labels) with static dims after the batch dim, a one_hot that
/// does not match the loss's labels, an unknown eval_fn.
llvm::Expected<TrainConfig> trainConfigOf(mlir::ModuleOp module, TrainOp train,
                                          llvm::StringRef modelPath);

/// Adds `@<loss>_eval_step` to `module`: the loss and the eval_fn of one
/// batch from one call, returning both, so that compiled (inlined, then
/// CSE) the forward pass they share runs once per eval batch; names it in
/// `c.evalStepFn`. Nothing without an eval_fn, or where the eval_fn does
/// not take the loss's arguments or either gives more than one result.
/// The function is marked `axon.eval_step_of` (a second call finds it).
void addEvalStep(mlir::ModuleOp module, TrainConfig &c);

} // namespace axon

#endif // AXON_TOOLS_AXONC_TRAINBLOCK_H
