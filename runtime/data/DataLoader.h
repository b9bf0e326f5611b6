// A train block's data: samples read from IDX, .npy or CSV files, shaped and
// typed for the loss's arguments, inputs normalised with statistics of the
// training set, labels optionally one-hot encoded.
#ifndef AXON_RUNTIME_DATA_DATALOADER_H
#define AXON_RUNTIME_DATA_DATALOADER_H

#include "runtime/data/Dataset.h"
#include "runtime/core/TrainConfig.h"

#include "llvm/Support/Error.h"

#include <array>
#include <optional>

namespace axon {

/// Reads `source`'s first `limit` samples (0: all) as stored: inputs F32
/// [n, ...] (IDX bytes as 0..255), labels [n, ...] (I32 for IDX, the file's
/// type for .npy, F64 for CSV). Errors name the file and what is wrong:
/// unreadable or malformed files (see readIdx, readNpy, readCsv), inputs and
/// labels of different counts, a CSV label column out of range, a negative
/// limit, a source with no samples, and (unless `allowNonfinite`) a NaN or
/// infinite value among the samples read, named by file (and CSV line),
/// sample and position.
llvm::Expected<Dataset> readSamples(const DataSource &source, int64_t limit,
                                    bool allowNonfinite = false);

/// The checks every reader of an (inputs, labels) source makes, with the
/// same messages: a sample limit >= 0; two files; as many labels
/// (`labels`) as inputs (`inputShape`'s first extent), and at least one.
llvm::Error checkSampleLimit(const DataSource &source, int64_t limit);
llvm::Error checkTwoFiles(const DataSource &source);
llvm::Error checkPairRows(const DataSource &source,
                          llvm::ArrayRef<int64_t> inputShape, int64_t labels);

/// How many samples `source` holds, from as little of it as tells: the
/// labels IDX file's header, the labels .npy file, the CSV file. Errors as
/// readSamples'.
llvm::Expected<int64_t> sampleCount(const DataSource &source);

/// x' = (x - offset) * scale, fitted on the training inputs.
struct InputScaling {
  double offset = 0, scale = 1;
};
/// Errors: `standard` or `scale` on inputs with no spread (all equal).
llvm::Expected<InputScaling> fitScaling(const Normalization &n,
                                        const Tensor &inputs);
/// The same over IDX bytes (the same arithmetic on the same values).
llvm::Expected<InputScaling> fitScaling(const Normalization &n,
                                        llvm::ArrayRef<unsigned char> inputs);

/// Makes raw samples what the loss takes: inputs reshaped to
/// [n] + config.inputShape, scaled and rounded to config.inputType; labels
/// one-hot encoded into config.oneHot classes, or reshaped to
/// [n] + config.labelShape and checked to fit config.labelType (whole, in
/// range) and, for class labels, to be a class in [0, config.numClasses).
/// Errors start with `what` (the source) and say which sample is wrong.
llvm::Error conformDataset(Dataset &data, const TrainConfig &config,
                           const InputScaling &scaling, llvm::StringRef what);

/// conformDataset's pieces, for data held otherwise (IdxSamples): the
/// check that a sample's `stored` shape holds config.inputShape's values;
/// the value each byte 0..255 of `bytes` becomes (scaled, rounded to
/// config.inputType), with conformDataset's error for the first byte whose
/// value does not fit an integer input type; and the labels conformed.
llvm::Error checkInputShape(llvm::ArrayRef<int64_t> stored,
                            const TrainConfig &config, llvm::StringRef what);
llvm::Expected<std::array<double, 256>>
byteValues(llvm::ArrayRef<unsigned char> bytes, const TrainConfig &config,
           const InputScaling &scaling, llvm::StringRef what);
llvm::Error conformLabels(Tensor &labels, const TrainConfig &config,
                          llvm::StringRef what);

struct TrainData {
  Dataset train;
  std::optional<Dataset> eval;
  InputScaling scaling;
};

/// The training set (first `limit` samples) and the evaluation set (first
/// `evalLimit`), both conformed with the training set's scaling.
llvm::Expected<TrainData> loadTrainData(const TrainConfig &config,
                                        int64_t limit, int64_t evalLimit);

} // namespace axon

#endif // AXON_RUNTIME_DATA_DATALOADER_H
