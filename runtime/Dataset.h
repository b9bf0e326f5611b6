// Datasets in memory, and the order in which training visits them.
#ifndef AXON_RUNTIME_DATASET_H
#define AXON_RUNTIME_DATASET_H

#include "runtime/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace axon {

/// Inputs and labels, one sample per row (axis 0).
struct Dataset {
  Tensor inputs;
  Tensor labels;
  int64_t size() const { return inputs.shape.empty() ? 0 : inputs.shape[0]; }
};

/// An IDX image/label pair: images scaled to [0, 1] (F32) and shaped
/// `sampleShape` per sample (e.g. {784} or {1, 28, 28}); labels I32. Keeps
/// the first `limit` samples when `limit` > 0.
llvm::Expected<Dataset> loadIdxDataset(llvm::StringRef images,
                                       llvm::StringRef labels,
                                       const std::vector<int64_t> &sampleShape,
                                       int64_t limit);

/// The rows `rows` of `t` (along axis 0), in that order.
Tensor takeRows(const Tensor &t, llvm::ArrayRef<int64_t> rows);

/// Splits sample indices into batches. Epoch e's order depends only on
/// (seed, e), so any epoch can be regenerated (resuming a run).
class Batcher {
public:
  Batcher(int64_t size, int64_t batch, uint64_t seed, bool shuffle,
          bool dropLast);
  std::vector<std::vector<int64_t>> epoch(int64_t index) const;
  int64_t batchesPerEpoch() const;

private:
  int64_t size_, batch_;
  uint64_t seed_;
  bool shuffle_, dropLast_;
};

} // namespace axon

#endif // AXON_RUNTIME_DATASET_H
