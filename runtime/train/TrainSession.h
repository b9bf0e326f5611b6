// A train block run end to end, the same for `axonc train` (JIT) and the
// `train` subcommand of a built binary: the training loop on a Model, the
// metrics log and its plot, checkpoints every N steps and at each epoch's
// end, and resuming from one so that the run continues bit-identically.
#ifndef AXON_RUNTIME_TRAIN_TRAINSESSION_H
#define AXON_RUNTIME_TRAIN_TRAINSESSION_H

#include "runtime/io/Checkpoint.h"
#include "runtime/data/TrainSources.h"
#include "runtime/core/Model.h"
#include "runtime/core/TrainConfig.h"
#include "runtime/train/Trainer.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace axon {

struct SessionOptions {
  int64_t epochs = 0; ///< 0: the block's `epochs`.
  /// Metrics log; empty: the block's `log`, else "<model>.metrics.jsonl".
  /// The plot goes next to it (plotPathFor).
  std::string metricsPath;
  /// Checkpoint file; empty: "<model>.ckpt.safetensors". "none": no
  /// checkpoints.
  std::string checkpointPath;
  int64_t checkpointEvery = 0; ///< Also every N steps (0: epochs only).
  std::string resumePath;      ///< Non-empty: continue from this checkpoint.
  int64_t trainMetricSamples = 10000; ///< See TrainOptions.
  /// `--on-nonfinite=continue`: train on past a NaN or infinite loss (see
  /// TrainOptions). Either way a checkpoint holding a non-finite value is
  /// never written: the previous one stays (an error when stopping, a
  /// warning on `out` when continuing).
  bool continueOnNonfinite = false;
};

/// The values of `--on-nonfinite` (axonc train, a binary's train).
enum class OnNonfinite { Stop, Continue };

/// "parameter 'W1' holds NaN (element 3)" for the first non-finite value of
/// `c`'s floating-point tensors; empty when every value is finite.
std::string firstNonfinite(const Checkpoint &c);

/// Where a run with these options writes its metrics log and checkpoint.
std::string metricsPathOf(const TrainConfig &config, const SessionOptions &o);
std::string checkpointPathOf(const TrainConfig &config,
                             const SessionOptions &o);

/// The checkpoint of `model` at `at`: its parameters and optimizer state,
/// and as metadata the run's position and settings, which train block
/// wrote it (model file, loss, parameter group, optimizer kind) and the
/// vocabulary of its text source, if any (so generation decodes with it).
llvm::Expected<Checkpoint>
makeCheckpoint(const Model &model, const TrainConfig &config,
               const TrainOptions &options, int64_t trainSamples,
               const TrainPosition &at,
               const Vocabulary *vocabulary = nullptr);

/// Restores `model` from the checkpoint at `path` and returns the position
/// to continue from. Refuses, changing nothing, a checkpoint of another
/// train block or model: its recorded model file name, block (loss),
/// parameter group or optimizer kind differs from `config`'s; the error
/// lists every difference, run settings and parameter mismatches included.
/// A checkpoint without that record (written before it was kept) resumes on
/// the other checks alone, with `*note` saying so. Other errors: the file
/// (see readCheckpoint), parameters that do not match (restoreParams), or a
/// run that would not continue the checkpointed one (another batch size,
/// seed or training-set size).
llvm::Expected<TrainPosition> resumeFrom(Model &model, llvm::StringRef path,
                                         const TrainConfig &config,
                                         const TrainOptions &options,
                                         int64_t trainSamples,
                                         std::string *note = nullptr);

/// Runs the train block `config` on `model` over `data` (the training set,
/// its validation split and the eval set, bound to the loss's arguments).
/// Progress bar on `progress`, one line per file written and the final
/// result on `out`.
llvm::Expected<std::vector<EpochResult>>
runTrainSession(Model &model, const TrainConfig &config,
                const TrainSources &data, const SessionOptions &options,
                llvm::raw_ostream &out, llvm::raw_ostream &progress);

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_TRAINSESSION_H
