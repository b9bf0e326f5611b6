// Samples as named arrays: a data source gives each sample as several arrays
// ("tokens" and "targets", or "center", "context" and "negatives"), which
// the train driver binds to the loss's arguments of the same names. A source
// makes batches on demand, so a corpus is held once as token ids rather than
// as every window.
#ifndef AXON_RUNTIME_DATA_SAMPLESOURCE_H
#define AXON_RUNTIME_DATA_SAMPLESOURCE_H

#include "runtime/data/Dataset.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace axon {

/// One named array of every sample: its element type and its shape per
/// sample (after the batch axis).
struct ArraySpec {
  std::string name;
  DType dtype = DType::I32;
  std::vector<int64_t> shape;
};

/// Arrays with samples along axis 0, in a source's spec order.
struct NamedArrays {
  std::vector<std::pair<std::string, Tensor>> arrays;
  /// The array named `name`, or null.
  const Tensor *find(llvm::StringRef name) const;
};

class SampleSource {
public:
  virtual ~SampleSource();
  virtual int64_t size() const = 0;
  /// The arrays of each sample, in the order gather gives them.
  virtual std::vector<ArraySpec> specs() const = 0;
  /// Samples `rows` (each in [0, size()), repeats allowed), one row of every
  /// array per entry. A source that draws (negative samples) draws from its
  /// seed, `epoch` and the row, so any batch of any epoch can be made
  /// again, in any order, on resume.
  virtual NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                             int64_t epoch) const = 0;
  /// gather's arrays as tensors in `out` (resized to one per array),
  /// reusing the storage `out`'s tensors hold: a training loop gathers each
  /// batch into the same memory instead of allocating it anew.
  virtual void gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                          std::vector<Tensor> &out) const;
};

/// Arrays held in memory: a Dataset's as "inputs" and "labels".
class TensorSource : public SampleSource {
public:
  /// Every array has the same number of rows (rank >= 1).
  explicit TensorSource(NamedArrays arrays);
  explicit TensorSource(Dataset dataset);
  int64_t size() const override;
  std::vector<ArraySpec> specs() const override;
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override;
  void gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                  std::vector<Tensor> &out) const override;

private:
  NamedArrays arrays_;
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_SAMPLESOURCE_H
