// Datasets in memory and batch order (see Dataset.h).
#include "runtime/data/Dataset.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <random>

using namespace axon;

Tensor axon::takeRows(const Tensor &t, llvm::ArrayRef<int64_t> rows) {
  Tensor out;
  takeRowsInto(t, rows, out);
  return out;
}

void axon::takeRowsInto(const Tensor &t, llvm::ArrayRef<int64_t> rows,
                        Tensor &out) {
  assert(t.rank() >= 1 && "takeRows needs a tensor of rank >= 1");
  out.dtype = t.dtype;
  out.shape = t.shape;
  out.shape[0] = static_cast<int64_t>(rows.size());
  int64_t rowSize = t.shape[0] ? t.numElements() / t.shape[0]
                               : Tensor::numElements(std::vector<int64_t>(
                                     t.shape.begin() + 1, t.shape.end()));
  out.data.resize(rows.size() * rowSize);
  for (size_t r = 0; r < rows.size(); ++r) {
    assert(rows[r] >= 0 && rows[r] < t.shape[0] && "row out of range");
    std::copy_n(t.data.begin() + rows[r] * rowSize, rowSize,
                out.data.begin() + r * rowSize);
  }
}

Batcher::Batcher(int64_t size, int64_t batch, uint64_t seed, bool shuffle,
                 bool dropLast)
    : size_(std::max<int64_t>(size, 0)), batch_(std::max<int64_t>(batch, 1)),
      seed_(seed), shuffle_(shuffle), dropLast_(dropLast) {}

int64_t Batcher::batchesPerEpoch() const {
  return dropLast_ ? size_ / batch_ : (size_ + batch_ - 1) / batch_;
}

std::vector<std::vector<int64_t>> Batcher::epoch(int64_t epochIndex) const {
  std::vector<int64_t> order(size_);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle_) {
    // Fisher-Yates with our own loop: std::shuffle's and the distributions'
    // algorithms are not fixed by the standard, mt19937_64's output is. The
    // seed mixes (seed, epoch) with the golden-ratio multiplier so nearby
    // pairs land far apart. The modulo's bias is below size / 2^64.
    std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull +
                        static_cast<uint64_t>(epochIndex));
    for (int64_t i = size_ - 1; i > 0; --i) {
      int64_t j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
      std::swap(order[i], order[j]);
    }
  }
  std::vector<std::vector<int64_t>> batches;
  batches.reserve(batchesPerEpoch());
  for (int64_t b = 0; b < batchesPerEpoch(); ++b) {
    int64_t begin = b * batch_, end = std::min(size_, begin + batch_);
    batches.emplace_back(order.begin() + begin, order.begin() + end);
  }
  return batches;
}
