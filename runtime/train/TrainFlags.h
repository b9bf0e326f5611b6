// The command-line flags of a training session, declared once for the two
// tools that run one: `axonc train` and a built binary's `train`.
#ifndef AXON_RUNTIME_TRAIN_TRAINFLAGS_H
#define AXON_RUNTIME_TRAIN_TRAINFLAGS_H

#include "runtime/train/TrainSession.h"

#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <string>

namespace axon {

/// --epochs, --limit, --eval-limit, --metrics, --checkpoint,
/// --checkpoint-every, --resume, --allow-nonfinite-inputs, --on-nonfinite,
/// registered on `command` in `category` when constructed.
struct TrainFlags {
  TrainFlags(llvm::cl::SubCommand &command, llvm::cl::OptionCategory &category);

  /// What the session takes from the flags.
  SessionOptions sessionOptions() const;

  llvm::cl::opt<int64_t> epochs, limit, evalLimit;
  llvm::cl::opt<std::string> metrics, checkpoint;
  llvm::cl::opt<int64_t> checkpointEvery;
  llvm::cl::opt<std::string> resume;
  llvm::cl::opt<bool> allowNonfiniteInputs;
  llvm::cl::opt<OnNonfinite> onNonfinite;
};

} // namespace axon

#endif // AXON_RUNTIME_TRAIN_TRAINFLAGS_H
