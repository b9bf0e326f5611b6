// Loading and conforming a train block's data (see DataLoader.h).
#include "runtime/data/DataLoader.h"

#include "runtime/io/Csv.h"
#include "runtime/io/Idx.h"
#include "runtime/io/Npy.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace axon;

namespace {

/// Keeps the first `n` rows of `t` (rank >= 1), in place.
void keepRows(Tensor &t, int64_t n) {
  if (t.rank() == 0 || t.shape[0] <= n)
    return;
  t.data.resize(n * (t.numElements() / t.shape[0]));
  t.data.shrink_to_fit();
  t.shape[0] = n;
}

llvm::Expected<Dataset> readPair(const DataSource &s,
                                 llvm::Expected<Tensor> (*read)(llvm::StringRef)) {
  if (llvm::Error e = checkTwoFiles(s))
    return std::move(e);
  // IDX: compare the two headers' counts before decompressing either.
  if (s.format == "idx")
    if (llvm::Error e = checkIdxPair(s.files[0], s.files[1]))
      return std::move(e);
  auto x = read(s.files[0]);
  if (!x)
    return x.takeError();
  auto t = read(s.files[1]);
  if (!t)
    return t.takeError();
  if (x->rank() < 1 || t->rank() < 1)
    return llvm::createStringError(
        (x->rank() < 1 ? s.files[0] : s.files[1]) +
        ": a scalar, not one row per sample");
  if (llvm::Error e = checkPairRows(s, x->shape, t->shape[0]))
    return std::move(e);
  Dataset d;
  d.inputs = std::move(*x);
  d.labels = std::move(*t);
  // The IDX reader gives I32 bytes; inputs are computed on as floats.
  d.inputs.dtype = DType::F32;
  return d;
}

/// Whether `v` is exactly representable in `dtype` (integers: whole and in
/// range; i1: 0 or 1). Never casts a value that does not fit.
bool fits(DType dtype, double v) {
  switch (dtype) {
  case DType::F32:
  case DType::F64:
    return true;
  case DType::I1:
    return v == 0 || v == 1;
  case DType::I32:
    return std::isfinite(v) && v == std::floor(v) && v >= -2147483648.0 &&
           v <= 2147483647.0;
  case DType::I64:
    return std::isfinite(v) && v == std::floor(v) &&
           v >= -9223372036854775808.0 && v < 9223372036854775808.0;
  }
  return false;
}

const char *kAllowHint =
    "; non-finite values are refused (--allow-nonfinite-inputs loads them)";

/// The first non-finite value of `t` (rank >= 1), named by its file, sample
/// and position in the sample.
llvm::Error checkFinite(const Tensor &t, llvm::StringRef file,
                        llvm::StringRef what) {
  int64_t per = t.shape.empty() || t.shape[0] == 0
                    ? 1
                    : std::max<int64_t>(1, t.numElements() / t.shape[0]);
  for (size_t i = 0; i < t.data.size(); ++i)
    if (!std::isfinite(t.data[i]))
      return llvm::createStringError(
          file + llvm::formatv(": sample {0}: {1} {2} is {3}{4}", int64_t(i) / per,
                               what, int64_t(i) % per, numberText(t.data[i]),
                               kAllowHint));
  return llvm::Error::success();
}

llvm::Expected<Dataset> readCsvSamples(const DataSource &s, int64_t limit,
                                       bool allowNonfinite) {
  if (s.files.size() != 1)
    return llvm::createStringError(s.describe() + ": expected one file");
  auto table = readCsv(s.files[0]);
  if (!table)
    return table.takeError();
  int64_t rows = table->values.shape[0], cols = table->values.shape[1];
  if (limit > 0)
    rows = std::min(rows, limit);
  int64_t label = s.labelColumn < 0 ? cols + s.labelColumn : s.labelColumn;
  if (label < 0 || label >= cols || cols < 2)
    return llvm::createStringError(
        s.files[0] + ": label column " + llvm::Twine(s.labelColumn) +
        " is out of range for " + llvm::Twine(cols) + " columns (need a "
        "label and at least one input)");
  Dataset d;
  d.inputs = Tensor(DType::F32, {rows, cols - 1});
  d.labels = Tensor(DType::F64, {rows});
  const std::vector<double> &v = table->values.data;
  for (int64_t r = 0; r < rows; ++r) {
    double *in = d.inputs.data.data() + r * (cols - 1);
    for (int64_t c = 0; c < cols; ++c) {
      double x = v[r * cols + c];
      if (!allowNonfinite && !std::isfinite(x))
        return llvm::createStringError(
            s.files[0] +
            llvm::formatv(":{0}: sample {1}, column {2} ({3}): {4} is not "
                          "finite",
                          table->lines[r], r, c + 1,
                          c == label ? "the label" : "an input", numberText(x)) +
            kAllowHint);
      if (c == label)
        d.labels.data[r] = v[r * cols + c];
      else
        *in++ = v[r * cols + c];
    }
  }
  return d;
}

} // namespace

llvm::Error axon::checkSampleLimit(const DataSource &source, int64_t limit) {
  if (limit < 0)
    return llvm::createStringError(source.describe() +
                                   ": the sample limit must be >= 0, got " +
                                   llvm::Twine(limit));
  return llvm::Error::success();
}

llvm::Error axon::checkTwoFiles(const DataSource &source) {
  if (source.files.size() != 2)
    return llvm::createStringError(source.describe() +
                                   ": expected two files, inputs and labels");
  return llvm::Error::success();
}

llvm::Error axon::checkPairRows(const DataSource &source,
                                llvm::ArrayRef<int64_t> inputShape,
                                int64_t labels) {
  if (inputShape[0] != labels)
    return llvm::createStringError(
        source.files[0] + " holds " + llvm::Twine(inputShape[0]) +
        " samples but " + source.files[1] + " holds " + llvm::Twine(labels) +
        " labels");
  if (labels == 0)
    return llvm::createStringError(source.files[0] + ": holds no samples (" +
                                   Tensor::shapeString(inputShape) + "); " +
                                   source.describe() + " needs at least one");
  return llvm::Error::success();
}

llvm::Expected<Dataset> axon::readSamples(const DataSource &source,
                                          int64_t limit, bool allowNonfinite) {
  if (llvm::Error e = checkSampleLimit(source, limit))
    return std::move(e);
  if (source.format != "idx" && source.format != "npy" &&
      source.format != "csv")
    return llvm::createStringError("unknown data format '" + source.format +
                                   "' (idx, npy or csv)");
  if (source.format == "csv")
    return readCsvSamples(source, limit, allowNonfinite);
  llvm::Expected<Dataset> d =
      readPair(source, source.format == "idx" ? readIdx : readNpy);
  if (!d)
    return d.takeError();
  if (limit > 0) {
    keepRows(d->inputs, limit);
    keepRows(d->labels, limit);
  }
  // An IDX file's values are bytes: always finite.
  if (!allowNonfinite && source.format != "idx") {
    if (auto e = checkFinite(d->inputs, source.files[0], "value"))
      return std::move(e);
    if (auto e = checkFinite(d->labels, source.files[1], "label value"))
      return std::move(e);
  }
  return d;
}

llvm::Expected<int64_t> axon::sampleCount(const DataSource &source) {
  if (source.format == "idx" && source.files.size() == 2) {
    auto header = readIdxHeader(source.files[1]);
    if (!header)
      return header.takeError();
    return header->shape.empty() ? 0 : header->shape[0];
  }
  if (source.format == "npy" && source.files.size() == 2) {
    auto labels = readNpy(source.files[1]);
    if (!labels)
      return labels.takeError();
    return labels->rank() == 0 ? 0 : labels->shape[0];
  }
  if (source.format == "csv" && source.files.size() == 1) {
    auto table = readCsv(source.files[0]);
    if (!table)
      return table.takeError();
    return table->values.shape[0];
  }
  return llvm::createStringError("cannot count the samples of " +
                                 source.describe());
}

namespace {

/// fitScaling over any values that convert to double, in order: the same
/// arithmetic whether the training inputs are doubles or IDX bytes.
template <typename Values>
llvm::Expected<InputScaling> fitScalingOf(const Normalization &n,
                                          const Values &values);

} // namespace

llvm::Expected<InputScaling> axon::fitScaling(const Normalization &n,
                                              const Tensor &inputs) {
  return fitScalingOf(n, inputs.data);
}

llvm::Expected<InputScaling>
axon::fitScaling(const Normalization &n, llvm::ArrayRef<unsigned char> inputs) {
  return fitScalingOf(n, inputs);
}

namespace {

template <typename Values>
llvm::Expected<InputScaling> fitScalingOf(const Normalization &n,
                                          const Values &v) {
  InputScaling s;
  switch (n.kind) {
  case Normalization::Kind::None:
    return s;
  case Normalization::Kind::Fixed:
    s.offset = n.mean;
    s.scale = 1 / n.std;
    return s;
  case Normalization::Kind::Scale: {
    // std::minmax_element's values (from the first element on, a NaN
    // never replaces one), in a loop the compiler vectorises.
    if (v.empty())
      return llvm::createStringError(
          "normalize = scale: the training inputs are all equal");
    double lo = v[0], hi = v[0];
    for (double x : v) {
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
    }
    if (hi == lo)
      return llvm::createStringError(
          "normalize = scale: the training inputs are all equal");
    s.offset = lo;
    s.scale = 1 / (hi - lo);
    return s;
  }
  case Normalization::Kind::Standard: {
    // Two passes: the mean first, then the spread around it (stable).
    double sum = 0;
    for (double x : v)
      sum += x;
    double mean = sum / double(std::max<size_t>(1, v.size()));
    double sq = 0;
    for (double x : v)
      sq += (x - mean) * (x - mean);
    double std = std::sqrt(sq / double(std::max<size_t>(1, v.size())));
    if (!(std > 0))
      return llvm::createStringError(
          "normalize = standard: the training inputs are all equal");
    s.offset = mean;
    s.scale = 1 / std;
    return s;
  }
  }
  return s;
}

} // namespace

llvm::Error axon::conformDataset(Dataset &d, const TrainConfig &c,
                                 const InputScaling &scaling,
                                 llvm::StringRef what) {
  int64_t n = d.size();
  // Inputs: reshape (same values per sample), scale, round to the type.
  std::vector<int64_t> stored(d.inputs.shape.begin() + 1, d.inputs.shape.end());
  if (llvm::Error e = checkInputShape(stored, c, what))
    return e;
  d.inputs.shape = {n};
  d.inputs.shape.insert(d.inputs.shape.end(), c.inputShape.begin(),
                        c.inputShape.end());
  d.inputs.dtype = c.inputType;
  int64_t perInput = std::max<int64_t>(1, Tensor::numElements(c.inputShape));
  if (c.inputType == DType::F32) {
    // roundTo(F32, x) without its per-element switch: one pass the
    // compiler vectorises (the training set's 47M values).
    for (double &v : d.inputs.data)
      v = double(float((v - scaling.offset) * scaling.scale));
  }
  for (size_t i = 0; c.inputType != DType::F32 && i < d.inputs.data.size();
       ++i) {
    double &v = d.inputs.data[i];
    double x = (v - scaling.offset) * scaling.scale;
    if (!isFloat(c.inputType) && !fits(c.inputType, std::trunc(x)))
      return llvm::createStringError(
          what + llvm::formatv(": sample {0}: input {1} does not fit {2}",
                               int64_t(i) / perInput, numberText(x),
                               dtypeName(c.inputType)));
    v = roundTo(c.inputType, x);
  }
  return conformLabels(d.labels, c, what);
}

llvm::Error axon::checkInputShape(llvm::ArrayRef<int64_t> stored,
                                  const TrainConfig &c, llvm::StringRef what) {
  std::vector<int64_t> shape(stored.begin(), stored.end());
  if (Tensor::numElements(shape) != Tensor::numElements(c.inputShape))
    return llvm::createStringError(
        what + ": each sample has " +
        llvm::Twine(Tensor::numElements(shape)) + " values " +
        Tensor::shapeString(shape) + " but the loss's input takes " +
        dtypeName(c.inputType) + Tensor::shapeString(c.inputShape) + " (" +
        llvm::Twine(Tensor::numElements(c.inputShape)) + ")");
  return llvm::Error::success();
}

llvm::Expected<std::array<double, 256>>
axon::byteValues(llvm::ArrayRef<unsigned char> bytes, const TrainConfig &c,
                 const InputScaling &scaling, llvm::StringRef what) {
  std::array<double, 256> values;
  std::array<bool, 256> fit;
  for (int b = 0; b < 256; ++b) {
    double x = (double(b) - scaling.offset) * scaling.scale;
    fit[b] = isFloat(c.inputType) || fits(c.inputType, std::trunc(x));
    values[b] = roundTo(c.inputType, x);
  }
  if (!isFloat(c.inputType)) {
    int64_t perInput = std::max<int64_t>(1, Tensor::numElements(c.inputShape));
    for (size_t i = 0; i < bytes.size(); ++i)
      if (!fit[bytes[i]])
        return llvm::createStringError(
            what + llvm::formatv(": sample {0}: input {1} does not fit {2}",
                                 int64_t(i) / perInput,
                                 numberText((double(bytes[i]) - scaling.offset) *
                                            scaling.scale),
                                 dtypeName(c.inputType)));
  }
  return values;
}

llvm::Error axon::conformLabels(Tensor &labels, const TrainConfig &c,
                                llvm::StringRef what) {
  int64_t n = labels.rank() == 0 ? 0 : labels.shape[0];
  std::vector<int64_t> labelStored(labels.shape.begin() + 1,
                                   labels.shape.end());
  if (c.oneHot > 0) {
    if (Tensor::numElements(labelStored) != 1)
      return llvm::createStringError(
          what + ": one_hot needs one class number per sample, got labels "
                 "of shape " + Tensor::shapeString(labelStored));
    Tensor hot(c.labelType, {n, c.oneHot});
    for (int64_t i = 0; i < n; ++i) {
      double k = labels.data[i];
      if (k != std::floor(k) || k < 0 || k >= double(c.oneHot))
        return llvm::createStringError(
            what + llvm::formatv(": sample {0}: label {1} is not a class in "
                                 "[0, {2}) (one_hot = {2})",
                                 i, numberText(k), c.oneHot));
      hot.data[i * c.oneHot + int64_t(k)] = 1;
    }
    labels = std::move(hot);
    return llvm::Error::success();
  }
  if (Tensor::numElements(labelStored) != Tensor::numElements(c.labelShape))
    return llvm::createStringError(
        what + ": each label has " +
        llvm::Twine(Tensor::numElements(labelStored)) + " values " +
        Tensor::shapeString(labelStored) + " but the loss's labels take " +
        dtypeName(c.labelType) + Tensor::shapeString(c.labelShape) +
        (c.labelShape.size() == 1 && labelStored.empty()
             ? " (class numbers can be one-hot encoded with one_hot = " +
                   std::to_string(c.labelShape[0]) + ")"
             : ""));
  labels.shape = {n};
  labels.shape.insert(labels.shape.end(), c.labelShape.begin(),
                        c.labelShape.end());
  if (!isFloat(c.labelType)) {
    int64_t per = std::max<int64_t>(1, Tensor::numElements(c.labelShape));
    for (size_t i = 0; i < labels.data.size(); ++i) {
      double k = labels.data[i];
      if (!fits(c.labelType, k))
        return llvm::createStringError(
            what + llvm::formatv(": label {0} of sample {1} does not fit {2}",
                                 numberText(k), int64_t(i) / per,
                                 dtypeName(c.labelType)));
      // The classes the loss's cross_entropy / nll takes (TrainConfig).
      if (c.numClasses > 0 && (k < 0 || k >= double(c.numClasses)))
        return llvm::createStringError(
            what + llvm::formatv(": sample {0}: label {1} is not a class in "
                                 "[0, {2}) (the loss '{3}' takes {2} classes)",
                                 int64_t(i) / per, numberText(k),
                                 c.numClasses, c.lossFn));
    }
  }
  labels.dtype = c.labelType;
  for (double &v : labels.data)
    v = roundTo(c.labelType, v);
  return llvm::Error::success();
}

llvm::Expected<TrainData> axon::loadTrainData(const TrainConfig &config,
                                              int64_t limit,
                                              int64_t evalLimit) {
  if (config.train.empty())
    return llvm::createStringError("the train block has no 'data' setting");
  TrainData out;
  auto train = readSamples(config.train, limit, config.allowNonfinite);
  if (!train)
    return train.takeError();
  auto scaling = fitScaling(config.normalize, train->inputs);
  if (!scaling)
    return llvm::createStringError(config.train.describe() + ": " +
                                   llvm::toString(scaling.takeError()));
  out.scaling = *scaling;
  if (auto e = conformDataset(*train, config, out.scaling,
                              config.train.describe()))
    return std::move(e);
  out.train = std::move(*train);
  if (!config.eval.empty()) {
    auto eval = readSamples(config.eval, evalLimit, config.allowNonfinite);
    if (!eval)
      return eval.takeError();
    if (auto e = conformDataset(*eval, config, out.scaling,
                                config.eval.describe()))
      return std::move(e);
    out.eval = std::move(*eval);
  }
  return out;
}
