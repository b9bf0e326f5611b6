// IDX data held as bytes (see IdxSamples.h).
#include "runtime/data/IdxSamples.h"

#include "runtime/data/DataLoader.h"
#include "runtime/io/Idx.h"

#include <cassert>

using namespace axon;

IdxSamples::IdxSamples(std::shared_ptr<const IdxImages> images, int64_t first,
                       Tensor labels)
    : images_(std::move(images)), first_(first), labels_(std::move(labels)) {
  assert(labels_.rank() >= 1 &&
         (first_ + labels_.shape[0]) * images_->rowSize <=
             int64_t(images_->bytes.size()) &&
         "the samples lie within the images");
}

std::vector<ArraySpec> IdxSamples::specs() const {
  return {{"inputs", images_->dtype, images_->sampleShape},
          {"labels", labels_.dtype,
           std::vector<int64_t>(labels_.shape.begin() + 1, labels_.shape.end())}};
}

NamedArrays IdxSamples::gather(llvm::ArrayRef<int64_t> rows,
                               int64_t epoch) const {
  std::vector<Tensor> arrays;
  gatherInto(rows, epoch, arrays);
  NamedArrays out;
  out.arrays.emplace_back("inputs", std::move(arrays[0]));
  out.arrays.emplace_back("labels", std::move(arrays[1]));
  return out;
}

void IdxSamples::gatherInto(llvm::ArrayRef<int64_t> rows, int64_t /*epoch*/,
                            std::vector<Tensor> &out) const {
  const IdxImages &im = *images_;
  out.resize(2);
  Tensor &x = out[0];
  x.dtype = im.dtype;
  x.shape = {int64_t(rows.size())};
  x.shape.insert(x.shape.end(), im.sampleShape.begin(), im.sampleShape.end());
  x.data.resize(rows.size() * im.rowSize);
  for (size_t r = 0; r < rows.size(); ++r) {
    assert(rows[r] >= 0 && rows[r] < size() && "row out of range");
    const unsigned char *from = im.bytes.data() + (first_ + rows[r]) * im.rowSize;
    double *to = x.data.data() + r * im.rowSize;
    for (int64_t i = 0; i < im.rowSize; ++i)
      to[i] = im.values[from[i]];
  }
  takeRowsInto(labels_, rows, out[1]);
}

namespace {

/// readSamples for an idx source, as bytes: its errors, in its order.
struct IdxPair {
  IdxBytes inputs;
  Tensor labels;
};

llvm::Expected<IdxPair> readIdxPair(const DataSource &s, int64_t limit) {
  if (llvm::Error e = checkSampleLimit(s, limit))
    return std::move(e);
  if (llvm::Error e = checkTwoFiles(s))
    return std::move(e);
  if (llvm::Error e = checkIdxPair(s.files[0], s.files[1]))
    return std::move(e);
  auto x = readIdxBytes(s.files[0]);
  if (!x)
    return x.takeError();
  auto t = readIdxBytes(s.files[1]);
  if (!t)
    return t.takeError();
  if (llvm::Error e = checkPairRows(s, x->shape, t->shape[0]))
    return std::move(e);
  IdxPair p;
  p.inputs = std::move(*x);
  int64_t n = p.inputs.shape[0];
  int64_t row = Tensor::numElements(p.inputs.shape) / n;
  int64_t labelRow = Tensor::numElements(t->shape) / n;
  if (limit > 0 && limit < n) {
    n = limit;
    p.inputs.shape[0] = n;
    p.inputs.values.resize(n * row);
    p.inputs.values.shrink_to_fit();
    t->shape[0] = n;
    t->values.resize(n * labelRow);
  }
  p.labels = Tensor(DType::I32, t->shape,
                    std::vector<double>(t->values.begin(), t->values.end()));
  return p;
}

/// An idx set conformed: its images (values for `scaling`) and labels.
llvm::Expected<std::pair<std::shared_ptr<IdxImages>, Tensor>>
conformIdx(IdxPair p, const TrainConfig &c, const InputScaling &scaling,
           llvm::StringRef what) {
  std::vector<int64_t> stored(p.inputs.shape.begin() + 1, p.inputs.shape.end());
  if (llvm::Error e = checkInputShape(stored, c, what))
    return std::move(e);
  auto values = byteValues(p.inputs.values, c, scaling, what);
  if (!values)
    return values.takeError();
  if (llvm::Error e = conformLabels(p.labels, c, what))
    return std::move(e);
  auto images = std::make_shared<IdxImages>();
  images->rowSize = Tensor::numElements(stored);
  images->bytes = std::move(p.inputs.values);
  images->values = *values;
  images->dtype = c.inputType;
  images->sampleShape = c.inputShape;
  return std::make_pair(std::move(images), std::move(p.labels));
}

} // namespace

llvm::Expected<TrainSources> axon::loadIdxSources(const TrainConfig &c,
                                                  int64_t limit,
                                                  int64_t evalLimit) {
  auto train = readIdxPair(c.train, limit);
  if (!train)
    return train.takeError();
  auto scaling = fitScaling(c.normalize, train->inputs.values);
  if (!scaling)
    return llvm::createStringError(c.train.describe() + ": " +
                                   llvm::toString(scaling.takeError()));
  auto trainSet = conformIdx(std::move(*train), c, *scaling, c.train.describe());
  if (!trainSet)
    return trainSet.takeError();
  std::optional<std::pair<std::shared_ptr<IdxImages>, Tensor>> evalSet;
  if (!c.eval.empty()) {
    auto eval = readIdxPair(c.eval, evalLimit);
    if (!eval)
      return eval.takeError();
    auto conformed = conformIdx(std::move(*eval), c, *scaling, c.eval.describe());
    if (!conformed)
      return conformed.takeError();
    evalSet = std::move(*conformed);
  }
  auto binding = bindLoss(c);
  if (!binding)
    return binding.takeError();
  auto bound = [&](std::unique_ptr<SampleSource> s) {
    return std::make_unique<BoundSource>(std::move(s), *binding);
  };
  TrainSources out;
  out.scaling = *scaling;
  // The validation split: the last heldOut rows, a view of the same bytes.
  auto &[images, labels] = *trainSet;
  int64_t n = labels.shape[0];
  int64_t held = std::max<int64_t>(0, heldOut(n, validationFraction(c)));
  if (held > 0) {
    std::vector<int64_t> first(n - held), last(held);
    for (int64_t i = 0; i < n - held; ++i)
      first[i] = i;
    for (int64_t i = 0; i < held; ++i)
      last[i] = n - held + i;
    out.validation = bound(
        std::make_unique<IdxSamples>(images, n - held, takeRows(labels, last)));
    labels = takeRows(labels, first);
  }
  out.train = bound(std::make_unique<IdxSamples>(images, 0, std::move(labels)));
  if (evalSet)
    out.eval = bound(std::make_unique<IdxSamples>(evalSet->first, 0,
                                                  std::move(evalSet->second)));
  return out;
}
