// The training loop: epochs of shuffled batches, evaluation, progress and
// metrics. How a step runs (evaluator, JIT, AOT) is the caller's function.
#ifndef AXON_RUNTIME_TRAIN_TRAINER_H
#define AXON_RUNTIME_TRAIN_TRAINER_H

#include "runtime/data/SampleSource.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace axon {

/// Where a run stands: what a checkpoint records and a resumed run starts
/// from. The batch order of an epoch depends only on (seed, epoch), so this
/// and the parameters determine the rest of the run.
struct TrainPosition {
  int64_t epoch = 0;      ///< The epoch in progress, from 0.
  int64_t step = 0;       ///< Steps of it done.
  int64_t globalStep = 0; ///< Steps done in the whole run.
  double lossSum = 0;     ///< Sum of this epoch's batch losses so far.
};

/// Several scalars of a batch from one call (the loss and the metric of one
/// forward pass), each averaged over an eval set.
using EvalEachFn = std::function<llvm::Expected<std::vector<double>>(
    llvm::ArrayRef<Tensor> batch)>;

struct TrainOptions {
  int64_t epochs = 1;
  int64_t batch = 32;
  uint64_t seed = 0;
  bool shuffle = true;
  std::string metricsPath; ///< JSON-lines log (see MetricsLog.h); empty: none.
  /// Where to start (a resumed run); the metrics log keeps the records
  /// before it and drops any after it.
  TrainPosition start;
  /// Called after every `checkpointEvery` steps (0: never) and at the end of
  /// every epoch (after its evaluation), with the position reached. An
  /// error stops training.
  std::function<llvm::Error(const TrainPosition &)> checkpoint;
  int64_t checkpointEvery = 0;
  /// The metric is also evaluated on the first `trainMetricSamples`
  /// training samples after each epoch (0: not at all).
  int64_t trainMetricSamples = 0;
  /// The validation split held out of the training data (null: none): the
  /// loss and the metric are evaluated on it after each epoch.
  const SampleSource *validation = nullptr;
  /// Called after each epoch's record is in the metrics log (plots).
  std::function<llvm::Error()> afterEpoch;
  /// A NaN or infinite batch loss stops training with an error naming the
  /// step, before anything is checkpointed after it, unless this is set
  /// (`--on-nonfinite=continue`): then training goes on.
  bool continueOnNonfinite = false;
  /// The loss and the metric of a batch in one call (TrainConfig::
  /// evalStepFn): where set, the validation and eval sets are read once,
  /// by it, instead of once by `evalLoss` and once by `evalMetric`. The
  /// training samples' metric still runs `evalMetric`.
  EvalEachFn evalLossAndMetric;
};

/// Runs one train step on a batch (the loss's arguments, in order, with
/// the samples along axis 0); returns the batch loss. `globalStep` counts
/// steps over the whole run from 0.
using StepFn = std::function<llvm::Expected<double>(
    llvm::ArrayRef<Tensor> batch, int64_t globalStep)>;
/// A scalar of a batch (mean loss or accuracy), averaged over an eval set.
using EvalFn = std::function<llvm::Expected<double>(llvm::ArrayRef<Tensor> batch)>;

struct EpochResult {
  double trainLoss = 0; ///< Mean of the epoch's batch losses.
  std::optional<double> trainMetric, evalLoss, evalMetric;
  std::optional<double> validationLoss, validationMetric;
};

/// Trains from `options.start` to the end of epoch `options.epochs` over
/// `Batcher(options.seed, shuffle)` batches of `trainSet` (gathered with the
/// epoch, for sources that draw), dropping the last partial batch. After
/// each epoch, evaluates `evalLoss` and `evalMetric` (either may be empty)
/// over all of `options.validation` and of `eval` (either may be null), in
/// batches of `options.batch`, weighted by batch size. Draws a ProgressBar
/// on `progress` and writes step and epoch records to
/// `options.metricsPath`. Errors: invalid options, a training set smaller
/// than one batch, an empty eval or validation set, an unwritable metrics
/// log, a start position past the end, a non-finite batch loss (see
/// continueOnNonfinite), and any error from `step`, an eval function or a
/// hook, which stops training and is returned as it came. Returns the
/// results of the epochs it finished.
llvm::Expected<std::vector<EpochResult>>
train(const TrainOptions &options, const SampleSource &trainSet,
      const SampleSource *eval, const StepFn &step, const EvalFn &evalLoss,
      const EvalFn &evalMetric, llvm::raw_ostream &progress);

/// The mean of `fn` over all of `data` (its `first` samples when > 0),
/// gathered as epoch 0, in batches of `batch` (the last one may be
/// smaller), each batch's value weighted by its size.
llvm::Expected<double> evaluate(const SampleSource &data, int64_t batch,
                                const EvalFn &fn, int64_t first = 0);
/// The same for each of `fn`'s scalars, in one pass over the data.
llvm::Expected<std::vector<double>> evaluateEach(const SampleSource &data,
                                                 int64_t batch,
                                                 const EvalEachFn &fn,
                                                 int64_t first = 0);

/// A gathered batch's tensors, in the source's order.
std::vector<Tensor> tensorsOf(NamedArrays batch);

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_TRAINER_H
