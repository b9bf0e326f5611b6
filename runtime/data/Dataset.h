// Datasets in memory, and the order in which training visits them.
#ifndef AXON_RUNTIME_DATA_DATASET_H
#define AXON_RUNTIME_DATA_DATASET_H

#include "runtime/core/Tensor.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace axon {

/// Inputs and labels, one sample per row (axis 0).
struct Dataset {
  Tensor inputs;
  Tensor labels;
  int64_t size() const { return inputs.shape.empty() ? 0 : inputs.shape[0]; }
};

/// The rows `rows` of `t` (gathered along axis 0, in that order; repeats
/// allowed). `t` has rank >= 1 and every row index is in range.
Tensor takeRows(const Tensor &t, llvm::ArrayRef<int64_t> rows);
/// takeRows into `out`, reusing the storage it holds.
void takeRowsInto(const Tensor &t, llvm::ArrayRef<int64_t> rows, Tensor &out);

/// Splits the sample indices [0, size) into batches, shuffled or in order.
/// Epoch e's order depends only on (seed, e) and is computed with fully
/// specified algorithms (mt19937_64, our own Fisher-Yates), so a run
/// reproduces across machines and standard libraries, and a resumed run can
/// regenerate any epoch.
class Batcher {
public:
  /// `batch` < 1 is treated as 1. With `dropLast`, a final batch smaller than
  /// `batch` is left out.
  Batcher(int64_t size, int64_t batch, uint64_t seed, bool shuffle,
          bool dropLast);
  /// The batches of epoch `epochIndex` (counted from 0).
  std::vector<std::vector<int64_t>> epoch(int64_t epochIndex) const;
  int64_t batchesPerEpoch() const;

private:
  int64_t size_, batch_;
  uint64_t seed_;
  bool shuffle_, dropLast_;
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_DATASET_H
