// Which functions get compiled at which row counts: one policy for `axonc
// train` (the JIT) and `axonc build`, so that a training session calls the
// same compiled shapes in both.
#ifndef AXON_TOOLS_AXONC_COMPILEPOLICY_H
#define AXON_TOOLS_AXONC_COMPILEPOLICY_H

#include "runtime/core/TrainConfig.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axon {

/// The sizes of the sets a training session evaluates on (runtime/train/
/// TrainSession): the loss and the eval_fn over the eval set and over the
/// validation split, the eval_fn over the train metric's first samples of
/// the training set. Unknown sizes (data not readable at build time) are
/// left empty.
struct EvaluatedSizes {
  std::optional<int64_t> eval, trainMetric, validation;
};

/// A function and the row counts (the extent of the batch dimension) it is
/// compiled at.
struct CompiledRows {
  std::string function;
  std::vector<int64_t> rows;
};

/// The policy, for the train block `train` (stepFn empty: none) at `batch`:
///  - the train step at the batch size;
///  - the loss and the eval_fn at the batch size (the whole set when it is
///    smaller) and at the leftover batch of each evaluated set: the batches
///    a session evaluates in (runtime/train/Trainer.h evaluate); for the
///    eval and validation sets the eval step instead (TrainConfig::
///    evalStepFn, both in one call) where there is one;
///  - each function of `anyRows` (called on any number of rows: a built
///    binary's infer) at the batch size and, but for the train step, at 1,
///    which serve any row count in pieces (runtime/core/ExecutorModel.h);
///    not at 1 those of `scalarResults` (a rank-0 result) other than the
///    loss and the eval_fn: infer runs no such function in pieces (a
///    scalar of some rows says nothing of the rest), so their 1-row
///    kernels would serve a call of exactly one row alone (mingru's
///    scan_vs_loop check: 27 of the binary's 137 kernels).
/// Train step, loss, eval_fn, then `anyRows`' order; each function and
/// row count once.
std::vector<CompiledRows>
rowsToCompile(const TrainConfig &train, int64_t batch,
              const EvaluatedSizes &sizes, llvm::ArrayRef<std::string> anyRows,
              llvm::ArrayRef<std::string> scalarResults = {});

/// Whether `function` takes the loss's arguments (the train step, the loss,
/// the eval_fn), whose dims after the batch dim the data binds.
bool takesLossArguments(const TrainConfig &train, llvm::StringRef function);

/// The argument shapes of such a function at `rows` samples: each loss
/// argument's dims after the batch dim as the data binds them
/// (TrainConfig::lossArgs: a text source's `seq` is `T` of `i32[N, T]`),
/// and the train step's step counter, a scalar.
std::vector<std::vector<int64_t>> lossArgumentShapes(const TrainConfig &train,
                                                     llvm::StringRef function,
                                                     int64_t rows);

} // namespace axon

#endif // AXON_TOOLS_AXONC_COMPILEPOLICY_H
