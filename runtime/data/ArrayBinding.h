// Binding a data source's arrays to a loss's arguments: by name for sources
// of named arrays (text: "tokens" and "targets" fill `fn loss(tokens: i32[N,
// T], targets: i32[N, T])`), in order for inputs-and-labels sources (idx,
// npy, csv), whose arrays have no names a loss could use. The data binds
// the loss's symbolic dims after the batch dim (T above from `seq`).
#ifndef AXON_RUNTIME_DATA_ARRAYBINDING_H
#define AXON_RUNTIME_DATA_ARRAYBINDING_H

#include "runtime/core/TrainConfig.h"
#include "runtime/data/SampleSource.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace axon {

struct ArrayBinding {
  /// For each loss argument, the index of the array that fills it.
  std::vector<size_t> arrays;
  /// The loss's arguments with every dim after the batch dim bound.
  std::vector<LossArgument> bound;
};

/// Binds `arrays` (what `source` gives each sample) to `args` (the loss
/// `loss`'s arguments, -1 for a symbolic dim), `byName` or in order. Errors
/// name the loss argument, the source and its arrays: no array of that name,
/// more arguments than arrays (in order), another element type, rank or
/// static dim.
llvm::Expected<ArrayBinding> bindArrays(llvm::ArrayRef<LossArgument> args,
                                        llvm::ArrayRef<ArraySpec> arrays,
                                        bool byName, llvm::StringRef loss,
                                        llvm::StringRef source);

/// `source` with its arrays in the order of a binding's loss arguments,
/// named after them: what a train step takes.
class BoundSource : public SampleSource {
public:
  BoundSource(std::unique_ptr<SampleSource> source, ArrayBinding binding);
  int64_t size() const override { return source_->size(); }
  std::vector<ArraySpec> specs() const override;
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override;
  void gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                  std::vector<Tensor> &out) const override;

private:
  std::unique_ptr<SampleSource> source_;
  ArrayBinding binding_;
  bool inOrder_; ///< Argument i is the source's array i, for every array.
};

} // namespace axon

#endif // AXON_RUNTIME_DATA_ARRAYBINDING_H
