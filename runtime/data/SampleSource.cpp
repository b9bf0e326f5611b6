// Samples as named arrays (see SampleSource.h).
#include "runtime/data/SampleSource.h"

#include <cassert>

using namespace axon;

const Tensor *NamedArrays::find(llvm::StringRef name) const {
  for (const auto &[n, t] : arrays)
    if (n == name)
      return &t;
  return nullptr;
}

SampleSource::~SampleSource() = default;

void SampleSource::gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                              std::vector<Tensor> &out) const {
  NamedArrays batch = gather(rows, epoch);
  out.resize(batch.arrays.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = std::move(batch.arrays[i].second);
}

TensorSource::TensorSource(NamedArrays arrays) : arrays_(std::move(arrays)) {
  for ([[maybe_unused]] const auto &[name, t] : arrays_.arrays)
    assert(t.rank() >= 1 && t.shape[0] == arrays_.arrays[0].second.shape[0] &&
           "every array holds one row per sample");
}

/// Moved in: a braced list of pairs would be an initializer_list, whose
/// elements are const and copied (the whole training set, once more).
static NamedArrays namedArraysOf(Dataset dataset) {
  NamedArrays arrays;
  arrays.arrays.reserve(2);
  arrays.arrays.emplace_back("inputs", std::move(dataset.inputs));
  arrays.arrays.emplace_back("labels", std::move(dataset.labels));
  return arrays;
}

TensorSource::TensorSource(Dataset dataset)
    : TensorSource(namedArraysOf(std::move(dataset))) {}

int64_t TensorSource::size() const {
  return arrays_.arrays.empty() ? 0 : arrays_.arrays[0].second.shape[0];
}

std::vector<ArraySpec> TensorSource::specs() const {
  std::vector<ArraySpec> specs;
  for (const auto &[name, t] : arrays_.arrays)
    specs.push_back({name, t.dtype,
                     std::vector<int64_t>(t.shape.begin() + 1, t.shape.end())});
  return specs;
}

NamedArrays TensorSource::gather(llvm::ArrayRef<int64_t> rows,
                                 int64_t /*epoch*/) const {
  NamedArrays out;
  for (const auto &[name, t] : arrays_.arrays)
    out.arrays.push_back({name, takeRows(t, rows)});
  return out;
}

void TensorSource::gatherInto(llvm::ArrayRef<int64_t> rows, int64_t /*epoch*/,
                              std::vector<Tensor> &out) const {
  out.resize(arrays_.arrays.size());
  for (size_t i = 0; i < out.size(); ++i)
    takeRowsInto(arrays_.arrays[i].second, rows, out[i]);
}
