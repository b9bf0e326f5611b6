// A train block's IDX data held as the files' bytes: images decoded per
// batch through the 256 values the block's normalisation gives a byte, so
// the training set takes 47 MB (Fashion-MNIST) instead of 376 MB of
// doubles, and loading it is decompression and one statistics pass.
#ifndef AXON_RUNTIME_DATA_IDXSAMPLES_H
#define AXON_RUNTIME_DATA_IDXSAMPLES_H

#include "runtime/data/TrainSources.h"

#include <array>
#include <memory>

namespace axon {

/// Images as bytes, one row of `rowSize` per sample, and what each byte
/// value becomes in a batch.
struct IdxImages {
  std::vector<unsigned char> bytes;
  int64_t rowSize = 0;
  std::array<double, 256> values{};
  DType dtype = DType::F32;
  std::vector<int64_t> sampleShape; ///< Per sample, after the batch dim.
};

/// Samples [first, first + labels' rows) of `images` as "inputs" (decoded)
/// and "labels" (conformed, as loaded): the same arrays a TensorSource of
/// the conformed Dataset gives.
class IdxSamples : public SampleSource {
public:
  IdxSamples(std::shared_ptr<const IdxImages> images, int64_t first,
             Tensor labels);
  int64_t size() const override { return labels_.shape[0]; }
  std::vector<ArraySpec> specs() const override;
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override;
  void gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                  std::vector<Tensor> &out) const override;

private:
  std::shared_ptr<const IdxImages> images_;
  int64_t first_;
  Tensor labels_;
};

/// loadTrainSources for idx data (training and eval sets both idx):
/// loadTrainData's samples, limits, scaling,
/// checks and errors (in the same order), then sourcesOf's binding and
/// validation split, with IdxSamples in place of TensorSources.
llvm::Expected<TrainSources> loadIdxSources(const TrainConfig &config,
                                            int64_t limit, int64_t evalLimit);

} // namespace axon

#endif // AXON_RUNTIME_DATA_IDXSAMPLES_H
