// A train block's data as sample sources bound to the loss's arguments: the
// training set, the validation split held out of it, the eval set, and the
// vocabulary of a text source. idx, npy and csv data are loaded as before
// (DataLoader.h) and given as TensorSources ("inputs", "labels", bound in
// order); text(...) gives TextWindows or SkipGramPairs, task(...) a
// SequenceTask, bound by name.
#ifndef AXON_RUNTIME_DATA_TRAINSOURCES_H
#define AXON_RUNTIME_DATA_TRAINSOURCES_H

#include "runtime/data/ArrayBinding.h"
#include "runtime/data/DataLoader.h"
#include "runtime/data/SequenceTask.h"
#include "runtime/data/TextSource.h"

#include <optional>

namespace axon {

struct TrainSources {
  /// Each gives the loss's arguments, in order and by their names.
  std::unique_ptr<SampleSource> train, validation, eval;
  std::optional<Vocabulary> vocabulary; ///< Text sources.
  InputScaling scaling;                 ///< idx, npy, csv.
};

/// The fraction of the training data `config` holds out: the block's
/// `validation`, else a text or task source's own (default 0.1), else 0.
double validationFraction(const TrainConfig &config);

/// A text source's settings (textSourceSpec of its files and options) with
/// the block's validation fraction. Errors as textSourceSpec's.
llvm::Expected<TextSourceSpec> textSpecOf(const TrainConfig &config);

/// A task source's settings (sequenceTaskSpec of its name and options)
/// with the block's validation fraction. Errors as sequenceTaskSpec's, and
/// a task(...) without exactly one name.
llvm::Expected<SequenceTaskOptions> taskSpecOf(const TrainConfig &config);

/// The arrays each sample of `config.train` holds, from its settings alone
/// (no file is read): text's tokens and targets i32[seq], or center,
/// context i32[] and negatives i32[k]; task's source and target i32[length];
/// inputs and labels of the loss's shapes otherwise.
llvm::Expected<std::vector<ArraySpec>> sourceArrays(const TrainConfig &config);

/// `config.lossArgs` bound to sourceArrays (errors as bindArrays').
llvm::Expected<ArrayBinding> bindLoss(const TrainConfig &config);

/// How many of `samples` a validation `fraction` holds out: round(samples *
/// fraction), the last ones.
int64_t heldOut(int64_t samples, double fraction);

/// Tensor data: `train` without its last heldOut(n, fraction) samples, and
/// those as a second set (none when that is 0).
std::pair<Dataset, std::optional<Dataset>> splitValidation(Dataset train,
                                                           double fraction);

/// Loads `config`'s data: the first `limit` training samples (0: all; text:
/// windows or pairs), the validation split held out of them, the first
/// `evalLimit` eval samples, each bound to the loss's arguments. Errors as
/// loadTrainData's, loadTextSamples' and bindArrays'.
llvm::Expected<TrainSources> loadTrainSources(const TrainConfig &config,
                                              int64_t limit, int64_t evalLimit);

/// Tensor data (tests, a caller that loaded it) as bound sources.
llvm::Expected<TrainSources> sourcesOf(const TrainConfig &config,
                                       TrainData data);

} // namespace axon

#endif // AXON_RUNTIME_DATA_TRAINSOURCES_H
