// Checkpoints in the safetensors format: an 8-byte little-endian header
// length, a JSON header {"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}, then the tensors' bytes. Files are
// written atomically (a temporary file in the same directory, synced, then
// renamed over the target), so a crash mid-write leaves the previous
// checkpoint as it was; the temporary files of writers killed mid-write are
// removed by the next write (see AtomicFile.h).
#ifndef AXON_RUNTIME_IO_CHECKPOINT_H
#define AXON_RUNTIME_IO_CHECKPOINT_H

#include "runtime/core/Model.h"
#include "runtime/core/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace axon {

struct Checkpoint {
  std::vector<std::pair<std::string, Tensor>> tensors; ///< In file order.
  std::map<std::string, std::string> metadata;

  const Tensor *find(llvm::StringRef name) const;
};

/// Writes `checkpoint` to `path` atomically. `afterEachTensor(i)` is called
/// once the bytes of tensor i are written to the temporary file (tests use
/// it to stop the process mid-write). Errors name the path.
llvm::Error writeCheckpoint(
    llvm::StringRef path, const Checkpoint &checkpoint,
    const std::function<void(size_t)> &afterEachTensor = nullptr);

/// Reads a safetensors file (dtypes F32, F64, I32, I64, BOOL). Errors name
/// the path and what is wrong: cannot open, not a regular file, shorter
/// than its header says, a header over 100 MB or nesting arrays/objects
/// more than 64 deep (refused before parsing), header not JSON or not the
/// expected fields, an unsupported dtype, a shape whose size overflows, data
/// offsets that do not match the shape or fall outside the file, tensors
/// that overlap or leave data bytes to no tensor (they must tile the data
/// section exactly), and, in an Axon training checkpoint (metadata format
/// "axon-checkpoint-1"), a known metadata key of the wrong type (epoch,
/// step, global_step, batch, train_samples: integers in [0, 2^53];
/// shuffle: 0 or 1; seed: unsigned 64-bit; loss_sum: a number).
llvm::Expected<Checkpoint> readCheckpoint(llvm::StringRef path);

/// Every parameter of `model` (optimizer state included) as a checkpoint.
llvm::Expected<Checkpoint> checkpointOf(const Model &model);

/// Which parameters a checkpoint may lack (for inference: the optimizer's
/// state, which no forward function reads).
using MayBeAbsent = std::function<bool(llvm::StringRef name)>;

/// How `checkpoint` differs from `model`'s parameters, each as `name: ...`
/// (missing from the file unless `mayBeAbsent` says it may be, not a
/// parameter of the model, another dtype or shape); empty when it matches.
llvm::Expected<std::vector<std::string>>
paramMismatches(const Model &model, const Checkpoint &checkpoint,
                const MayBeAbsent &mayBeAbsent = nullptr);

/// Sets every parameter of `model` from `checkpoint`. Checks first, changing
/// nothing on error: the error lists every mismatch (a parameter missing
/// from the file, a tensor the model does not have, a dtype or shape that
/// differs), each as `name: ...`, after `path`. Parameters `mayBeAbsent`
/// accepts keep their values when the file lacks them.
llvm::Error restoreParams(Model &model, const Checkpoint &checkpoint,
                          llvm::StringRef path,
                          const MayBeAbsent &mayBeAbsent = nullptr);

} // namespace axon

#endif // AXON_RUNTIME_IO_CHECKPOINT_H
