// The training loop: epochs of shuffled batches, evaluation, progress and
// metrics. How a step runs (evaluator, JIT, AOT) is the caller's function.
#ifndef AXON_RUNTIME_TRAINER_H
#define AXON_RUNTIME_TRAINER_H

#include "runtime/Dataset.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace axon {

struct TrainOptions {
  int64_t epochs = 1;
  int64_t batch = 32;
  uint64_t seed = 0;
  bool shuffle = true;
  std::string metricsPath; ///< JSON-lines log (see MetricsLog.h); empty: none.
};

/// Runs one train step on a batch; returns the batch loss. `globalStep`
/// counts steps over the whole run from 0.
using StepFn = std::function<llvm::Expected<double>(
    const Tensor &x, const Tensor &t, int64_t globalStep)>;
/// A scalar of a batch (mean loss or accuracy), averaged over an eval set.
using EvalFn =
    std::function<llvm::Expected<double>(const Tensor &x, const Tensor &t)>;

struct EpochResult {
  double trainLoss = 0; ///< Mean of the epoch's batch losses.
  std::optional<double> evalLoss, evalMetric;
};

/// Trains for `options.epochs` epochs over `Batcher(options.seed, shuffle)`
/// batches of `trainSet`, dropping the last partial batch. After each epoch,
/// evaluates `evalLoss` and `evalMetric` (either may be empty) over all of
/// `eval` (may be null), in batches of `options.batch`, weighted by batch
/// size. Draws a ProgressBar on `progress` and writes step and epoch records
/// to `options.metricsPath`. Errors: invalid options, a training set smaller
/// than one batch, inputs and labels of different lengths, an empty eval
/// set, an unwritable metrics log, and any error from `step` or an eval
/// function, which stops training and is returned as it came.
llvm::Expected<std::vector<EpochResult>>
train(const TrainOptions &options, const Dataset &trainSet, const Dataset *eval,
      const StepFn &step, const EvalFn &evalLoss, const EvalFn &evalMetric,
      llvm::raw_ostream &progress);

/// The mean of `fn` over all of `data` in batches of `batch` (the last one
/// may be smaller), each batch's value weighted by its size.
llvm::Expected<double> evaluate(const Dataset &data, int64_t batch,
                                const EvalFn &fn);

} // namespace axon

#endif // AXON_RUNTIME_TRAINER_H
