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

TensorSource::TensorSource(NamedArrays arrays) : arrays_(std::move(arrays)) {
  for ([[maybe_unused]] const auto &[name, t] : arrays_.arrays)
    assert(t.rank() >= 1 && t.shape[0] == arrays_.arrays[0].second.shape[0] &&
           "every array holds one row per sample");
}

TensorSource::TensorSource(Dataset dataset)
    : TensorSource(NamedArrays{{{"inputs", std::move(dataset.inputs)},
                                {"labels", std::move(dataset.labels)}}}) {}

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
