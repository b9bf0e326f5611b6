// Datasets in memory and batch order (see Dataset.h).
#include "runtime/Dataset.h"

#include "runtime/Idx.h"

#include <numeric>
#include <random>

using namespace axon;

llvm::Expected<Dataset> axon::loadIdxDataset(llvm::StringRef images,
                                             llvm::StringRef labels,
                                             const std::vector<int64_t> &sampleShape,
                                             int64_t limit) {
  auto x = readIdx(images);
  if (!x)
    return x.takeError();
  auto t = readIdx(labels);
  if (!t)
    return t.takeError();
  if (x->shape[0] != t->shape[0])
    return llvm::createStringError(images + " holds " + llvm::Twine(x->shape[0]) +
                                   " images but " + labels + " holds " +
                                   llvm::Twine(t->shape[0]) + " labels");
  if (t->rank() != 1)
    return llvm::createStringError(labels + ": labels must be one number per sample");
  int64_t n = x->shape[0];
  int64_t perSample = x->numElements() / std::max<int64_t>(n, 1);
  if (Tensor::numElements(sampleShape) != perSample)
    return llvm::createStringError(
        images + ": samples have " + llvm::Twine(perSample) +
        " values but the model expects " +
        llvm::Twine(Tensor::numElements(sampleShape)));
  if (limit > 0 && limit < n)
    n = limit;
  Dataset d;
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
  d.inputs = Tensor(DType::F32, shape);
  for (int64_t i = 0; i < n * perSample; ++i)
    d.inputs.data[i] = roundTo(DType::F32, x->data[i] / 255.0);
  d.labels = Tensor(DType::I32, {n},
                    std::vector<double>(t->data.begin(), t->data.begin() + n));
  return d;
}

Tensor axon::takeRows(const Tensor &t, llvm::ArrayRef<int64_t> rows) {
  std::vector<int64_t> shape = t.shape;
  int64_t row = t.numElements() / std::max<int64_t>(shape[0], 1);
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out(t.dtype, shape);
  for (size_t r = 0; r < rows.size(); ++r)
    std::copy_n(t.data.begin() + rows[r] * row, row, out.data.begin() + r * row);
  return out;
}

Batcher::Batcher(int64_t size, int64_t batch, uint64_t seed, bool shuffle,
                 bool dropLast)
    : size_(size), batch_(std::max<int64_t>(batch, 1)), seed_(seed),
      shuffle_(shuffle), dropLast_(dropLast) {}

int64_t Batcher::batchesPerEpoch() const {
  return dropLast_ ? size_ / batch_ : (size_ + batch_ - 1) / batch_;
}

std::vector<std::vector<int64_t>> Batcher::epoch(int64_t index) const {
  std::vector<int64_t> order(size_);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle_) {
    // Fisher-Yates with our own loop: std::shuffle's algorithm is not fixed
    // by the standard, and runs must reproduce across standard libraries.
    std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index));
    for (int64_t i = size_ - 1; i > 0; --i) {
      int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
      std::swap(order[i], order[j]);
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (int64_t b = 0; b < batchesPerEpoch(); ++b) {
    int64_t begin = b * batch_, end = std::min(size_, begin + batch_);
    batches.emplace_back(order.begin() + begin, order.begin() + end);
  }
  return batches;
}
