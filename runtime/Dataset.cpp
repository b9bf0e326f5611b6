// Datasets in memory and batch order (see Dataset.h).
#include "runtime/Dataset.h"

#include "runtime/Idx.h"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <random>

using namespace axon;

static std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

llvm::Expected<Dataset>
axon::loadIdxDataset(llvm::StringRef images, llvm::StringRef labels,
                     const std::vector<int64_t> &sampleShape, int64_t limit) {
  if (limit < 0)
    return llvm::createStringError(images +
                                   ": the sample limit must be >= 0, "
                                   "got " +
                                   llvm::Twine(limit));
  for (int64_t d : sampleShape)
    if (d <= 0)
      return llvm::createStringError(images + ": the sample shape " +
                                     shapeString(sampleShape) +
                                     " must have positive dimensions");
  auto x = readIdx(images);
  if (!x)
    return x.takeError();
  auto t = readIdx(labels);
  if (!t)
    return t.takeError();
  if (t->rank() != 1)
    return llvm::createStringError(
        labels + ": labels must be one number per sample, got shape " +
        shapeString(t->shape));
  if (x->shape[0] != t->shape[0])
    return llvm::createStringError(
        images + " holds " + llvm::Twine(x->shape[0]) + " images but " +
        labels + " holds " + llvm::Twine(t->shape[0]) + " labels");
  int64_t n = x->shape[0];
  std::vector<int64_t> imageShape(x->shape.begin() + 1, x->shape.end());
  int64_t perSample = Tensor::numElements(imageShape);
  if (Tensor::numElements(sampleShape) != perSample)
    return llvm::createStringError(
        images + ": samples have " + llvm::Twine(perSample) + " values (" +
        shapeString(imageShape) + ") but the sample shape " +
        shapeString(sampleShape) + " has " +
        llvm::Twine(Tensor::numElements(sampleShape)));
  if (limit > 0 && limit < n)
    n = limit;

  // Scale in place and hand the storage over: the full training images are
  // 47M values, and a second copy as doubles would cost another 376 MB.
  Dataset d;
  d.inputs.dtype = DType::F32;
  d.inputs.shape = {n};
  d.inputs.shape.insert(d.inputs.shape.end(), sampleShape.begin(),
                        sampleShape.end());
  d.inputs.data = std::move(x->data);
  d.inputs.data.resize(n * perSample);
  d.inputs.data.shrink_to_fit();
  for (double &v : d.inputs.data)
    v = roundTo(DType::F32, v / 255.0);
  d.labels.dtype = DType::I32;
  d.labels.shape = {n};
  d.labels.data = std::move(t->data);
  d.labels.data.resize(n);
  return d;
}

Tensor axon::takeRows(const Tensor &t, llvm::ArrayRef<int64_t> rows) {
  assert(t.rank() >= 1 && "takeRows needs a tensor of rank >= 1");
  std::vector<int64_t> shape = t.shape;
  int64_t rowSize =
      Tensor::numElements(std::vector<int64_t>(shape.begin() + 1, shape.end()));
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out(t.dtype, shape);
  for (size_t r = 0; r < rows.size(); ++r) {
    assert(rows[r] >= 0 && rows[r] < t.shape[0] && "row out of range");
    std::copy_n(t.data.begin() + rows[r] * rowSize, rowSize,
                out.data.begin() + r * rowSize);
  }
  return out;
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
