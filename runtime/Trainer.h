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
  std::string metricsPath; ///< JSON-lines log; empty: none.
};

/// Runs one train step on a batch; returns the batch loss.
using StepFn = std::function<llvm::Expected<double>(
    const Tensor &x, const Tensor &t, int64_t globalStep)>;
/// A scalar of a batch (loss or accuracy), averaged over an eval set.
using EvalFn =
    std::function<llvm::Expected<double>(const Tensor &x, const Tensor &t)>;

struct EpochResult {
  double trainLoss = 0;
  std::optional<double> evalLoss, evalMetric;
};

/// Trains for `options.epochs` epochs (dropping the last partial batch),
/// evaluating `evalLoss` / `evalMetric` (either may be empty) on `eval`
/// after each epoch, weighted by batch size. An error from a step stops
/// training and is returned.
llvm::Expected<std::vector<EpochResult>>
train(const TrainOptions &options, const Dataset &trainSet, const Dataset *eval,
      const StepFn &step, const EvalFn &evalLoss, const EvalFn &evalMetric,
      llvm::raw_ostream &progress);

/// The mean of `fn` over `data` in batches of `batch`, weighted by size.
llvm::Expected<double> evaluate(const Dataset &data, int64_t batch,
                                const EvalFn &fn);

} // namespace axon

#endif // AXON_RUNTIME_TRAINER_H
