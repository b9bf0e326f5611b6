// Tests of a train block's data (runtime/data/DataLoader.h, Csv.h, Dataset.h):
// IDX, .npy and CSV sources, normalisation, one-hot labels, limits, the
// error of every malformed input, and gathering rows.
#include "runtime/data/ArrayBinding.h"
#include "runtime/data/DataLoader.h"
#include "runtime/data/TrainSources.h"
#include "runtime/io/Csv.h"
#include "runtime/io/Idx.h"
#include "runtime/io/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

using namespace axon;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist/";

class DataLoaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("axon-dataset-test", dir));
    // Three 2x2 images and their labels.
    images = writeIdx("images.idx", {3, 2, 2},
                      {0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0});
    labels = writeIdx("labels.idx", {3}, {7, 0, 9});
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string writeIdx(const char *name, std::vector<uint32_t> dims,
                       std::vector<unsigned char> values) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    std::string bytes = {0, 0, 8, static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int shift = 24; shift >= 0; shift -= 8)
        bytes += static_cast<char>((d >> shift) & 0xff);
    bytes.append(values.begin(), values.end());
    std::ofstream(std::string(p), std::ios::binary) << bytes;
    return std::string(p);
  }
  std::string write(const char *name, const std::string &text) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    std::ofstream(std::string(p), std::ios::binary) << text;
    return std::string(p);
  }
  /// The config of a loss over f32[N] + `inputShape` and i32[N] labels.
  static TrainConfig configFor(std::vector<int64_t> inputShape,
                               DataSource train,
                               Normalization::Kind n = Normalization::Kind::Scale) {
    TrainConfig c;
    c.train = std::move(train);
    c.inputShape = std::move(inputShape);
    c.labelType = DType::I32;
    c.normalize.kind = n;
    return c;
  }
  /// The IDX pair as a train block with normalize = scale loads it.
  llvm::Expected<Dataset> loadIdx(const std::string &x, const std::string &t,
                                  std::vector<int64_t> inputShape,
                                  int64_t limit) {
    auto d = loadTrainData(configFor(inputShape, {"idx", {x, t}}), limit, 0);
    if (!d)
      return d.takeError();
    return std::move(d->train);
  }
  std::string errorOf(llvm::Expected<Dataset> d) {
    if (d) {
      ADD_FAILURE() << "loaded without an error";
      return "";
    }
    return llvm::toString(d.takeError());
  }

  llvm::SmallString<128> dir;
  std::string images, labels;
};

TEST_F(DataLoaderTest, ScalesToUnitRangeAsF32) {
  auto d = loadIdx(images, labels, {4}, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->size(), 3);
  EXPECT_EQ(d->inputs.dtype, DType::F32);
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{3, 4}));
  ASSERT_EQ(d->inputs.data.size(), 12u);
  EXPECT_EQ(d->inputs.data[0], 0.0);
  EXPECT_EQ(d->inputs.data[1], 1.0);
  // Values are what an f32 holds: 51 / 255 rounded to float.
  EXPECT_EQ(d->inputs.data[2], static_cast<double>(static_cast<float>(0.2)));
  EXPECT_EQ(d->inputs.data[3], static_cast<double>(static_cast<float>(0.4)));
  EXPECT_EQ(d->labels.dtype, DType::I32);
  EXPECT_EQ(d->labels.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d->labels.data, (std::vector<double>{7, 0, 9}));
}

TEST_F(DataLoaderTest, ReshapesEachSample) {
  auto d = loadIdx(images, labels, {1, 2, 2}, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{3, 1, 2, 2}));
  auto wrong = loadIdx(images, labels, {5}, 0);
  std::string msg = errorOf(std::move(wrong));
  std::string source = "idx(\"" + images + "\", \"" + labels + "\")";
  EXPECT_EQ(msg, source + ": each sample has 4 values [2, 2] but the loss's "
                          "input takes f32[5] (5)");
  msg = errorOf(loadIdx(images, labels, {0, 4}, 0));
  EXPECT_EQ(msg, source + ": each sample has 4 values [2, 2] but the loss's "
                          "input takes f32[0, 4] (0)");
}

TEST_F(DataLoaderTest, LimitKeepsTheFirstSamples) {
  auto d = loadIdx(images, labels, {2, 2}, 2);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->size(), 2);
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(d->inputs.data.size(), 8u);
  EXPECT_EQ(d->labels.data, (std::vector<double>{7, 0}));
  auto all = loadIdx(images, labels, {4}, 100); // more than there are
  ASSERT_TRUE(bool(all));
  EXPECT_EQ(all->size(), 3);
  std::string msg = errorOf(loadIdx(images, labels, {4}, -1));
  EXPECT_NE(msg.find("the sample limit must be >= 0"), std::string::npos);
}

TEST_F(DataLoaderTest, CountMismatchNamesBothFiles) {
  std::string two = writeIdx("two.idx", {2}, {1, 2});
  std::string msg = errorOf(loadIdx(images, two, {4}, 0));
  EXPECT_EQ(msg, images + " holds 3 samples but " + two + " holds 2 labels");
}

TEST_F(DataLoaderTest, LabelsMustBeOnePerSample) {
  std::string msg = errorOf(loadIdx(images, images, {4}, 0));
  EXPECT_EQ(msg, "idx(\"" + images + "\", \"" + images +
                     "\"): each label has 4 values [2, 2] but the loss's "
                     "labels take i32[]");
}

TEST_F(DataLoaderTest, ReadErrorsPassThrough) {
  std::string msg = errorOf(loadIdx(images, labels + ".absent", {4}, 0));
  EXPECT_EQ(msg.rfind(labels + ".absent: cannot open", 0), 0u) << msg;
}

TEST_F(DataLoaderTest, FashionMnistSubset) {
  auto d = loadIdx(kData + "t10k-images-idx3-ubyte.gz",
                          kData + "t10k-labels-idx1-ubyte.gz", {784}, 100);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{100, 784}));
  EXPECT_EQ(d->labels.data[0], 9);
  double hi = 0;
  for (double v : d->inputs.data) {
    ASSERT_TRUE(v >= 0 && v <= 1) << v;
    hi = std::max(hi, v);
  }
  EXPECT_EQ(hi, 1.0);
}

TEST_F(DataLoaderTest, TakeRowsGathersAlongAxisZero) {
  Tensor t(DType::F32, {3, 2, 2});
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = static_cast<double>(i);
  Tensor r = takeRows(t, {2, 0, 2});
  EXPECT_EQ(r.dtype, DType::F32);
  EXPECT_EQ(r.shape, (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(r.data,
            (std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  Tensor labels(DType::I32, {4}, {5, 6, 7, 8});
  Tensor l = takeRows(labels, {3, 1});
  EXPECT_EQ(l.dtype, DType::I32);
  EXPECT_EQ(l.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(l.data, (std::vector<double>{8, 6}));
  Tensor none = takeRows(t, {});
  EXPECT_EQ(none.shape, (std::vector<int64_t>{0, 2, 2}));
  EXPECT_TRUE(none.data.empty());
}


TEST_F(DataLoaderTest, GatherIntoReusesStorageWithGathersValues) {
  // 40 samples of [3] inputs and i32 labels, in batches of 1, 7 and 33
  // (the last one partial), each gathered into the same tensors, also
  // through a binding in order and one that swaps the arrays.
  const int64_t n = 40;
  Dataset d{Tensor(DType::F32, {n, 3}), Tensor(DType::I32, {n})};
  for (int64_t i = 0; i < n * 3; ++i)
    d.inputs.data[i] = 0.5 * double(i);
  for (int64_t i = 0; i < n; ++i)
    d.labels.data[i] = double(i % 10);
  std::vector<ArraySpec> specs = TensorSource(d).specs();
  std::vector<LossArgument> inOrder = {{"x", DType::F32, {3}},
                                       {"t", DType::I32, {}}};
  std::vector<LossArgument> swapped = {{"labels", DType::I32, {}},
                                       {"inputs", DType::F32, {3}}};
  auto first = bindArrays(inOrder, specs, false, "loss", "idx");
  auto second = bindArrays(swapped, specs, true, "loss", "idx");
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  ASSERT_TRUE(bool(second)) << llvm::toString(second.takeError());
  std::vector<std::unique_ptr<SampleSource>> sources;
  sources.push_back(std::make_unique<TensorSource>(d));
  sources.push_back(std::make_unique<BoundSource>(
      std::make_unique<TensorSource>(d), *first));
  sources.push_back(std::make_unique<BoundSource>(
      std::make_unique<TensorSource>(d), *second));
  for (const auto &source : sources)
    for (int64_t batch : {1, 7, 33}) {
      Batcher batcher(n, batch, 5, /*shuffle=*/true, /*dropLast=*/false);
      std::vector<Tensor> into;
      int64_t seen = 0;
      for (const auto &rows : batcher.epoch(1)) {
        source->gatherInto(rows, 1, into);
        NamedArrays expected = source->gather(rows, 1);
        ASSERT_EQ(into.size(), expected.arrays.size());
        for (size_t a = 0; a < into.size(); ++a) {
          const Tensor &want = expected.arrays[a].second;
          EXPECT_EQ(into[a].dtype, want.dtype);
          EXPECT_EQ(into[a].shape, want.shape);
          EXPECT_EQ(into[a].data, want.data) << "batch " << batch;
          EXPECT_EQ(into[a].shape[0], int64_t(rows.size()));
        }
        seen += int64_t(rows.size());
      }
      EXPECT_EQ(seen, n) << "batch " << batch; // the partial batch included
      EXPECT_EQ(into[0].shape[0], n % batch == 0 ? batch : n % batch);
    }
}

/// Every array of every sample of `a` and `b` (gathered in one batch of all
/// rows, then in batches of 7 into reused storage) is the same.
void expectSameSamples(const SampleSource *a, const SampleSource *b,
                       const std::string &what) {
  ASSERT_EQ(a == nullptr, b == nullptr) << what;
  if (!a)
    return;
  ASSERT_EQ(a->size(), b->size()) << what;
  std::vector<ArraySpec> sa = a->specs(), sb = b->specs();
  ASSERT_EQ(sa.size(), sb.size()) << what;
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].name, sb[i].name) << what;
    EXPECT_EQ(sa[i].dtype, sb[i].dtype) << what;
    EXPECT_EQ(sa[i].shape, sb[i].shape) << what;
  }
  std::vector<int64_t> all(a->size());
  for (int64_t i = 0; i < a->size(); ++i)
    all[i] = a->size() - 1 - i; // backwards
  NamedArrays x = a->gather(all, 0), y = b->gather(all, 0);
  ASSERT_EQ(x.arrays.size(), y.arrays.size()) << what;
  for (size_t i = 0; i < x.arrays.size(); ++i) {
    EXPECT_EQ(x.arrays[i].first, y.arrays[i].first) << what;
    EXPECT_EQ(x.arrays[i].second.dtype, y.arrays[i].second.dtype) << what;
    EXPECT_EQ(x.arrays[i].second.shape, y.arrays[i].second.shape) << what;
    EXPECT_EQ(x.arrays[i].second.data, y.arrays[i].second.data) << what;
  }
  std::vector<Tensor> into;
  for (const auto &rows : Batcher(a->size(), 7, 3, true, false).epoch(2)) {
    a->gatherInto(rows, 2, into);
    NamedArrays want = b->gather(rows, 2);
    for (size_t i = 0; i < into.size(); ++i)
      EXPECT_EQ(into[i].data, want.arrays[i].second.data) << what;
  }
}

TEST_F(DataLoaderTest, IdxBytesLoadAsTheConformedDataset) {
  // loadTrainSources keeps IDX images as bytes (IdxSamples); the oracle is
  // loadTrainData + sourcesOf, which conform every value as doubles. 1, 7
  // and 33 samples of 7 values; every normalisation; limits; a validation
  // split; an eval set; an integer input type.
  for (int64_t n : {1, 7, 33}) {
    std::vector<unsigned char> x(n * 7), t(n);
    for (int64_t i = 0; i < n * 7; ++i)
      x[i] = static_cast<unsigned char>((i * 89 + 3) % 256);
    for (int64_t i = 0; i < n; ++i)
      t[i] = static_cast<unsigned char>(i % 10);
    std::string xs = writeIdx("x.idx", {uint32_t(n), 7}, x);
    std::string ts = writeIdx("t.idx", {uint32_t(n)}, t);
    std::string ex = writeIdx("ex.idx", {3, 7, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                                                    10, 11, 250, 251, 252, 253,
                                                    254, 255, 128, 129, 7});
    std::string et = writeIdx("et.idx", {3}, {1, 2, 3});
    for (auto kind : {Normalization::Kind::Scale, Normalization::Kind::Standard,
                      Normalization::Kind::Fixed, Normalization::Kind::None})
      for (int64_t limit : {int64_t(0), int64_t(5)})
        for (double validation : {-1.0, 0.3}) {
          TrainConfig c = configFor({7}, {"idx", {xs, ts}}, kind);
          c.eval = {"idx", {ex, et}};
          c.normalize.mean = 100;
          c.normalize.std = 3;
          c.validation = validation;
          c.numClasses = 10;
          std::string what = "n " + std::to_string(n) + ", normalize " +
                             normalizationName(kind) + ", limit " +
                             std::to_string(limit) + ", validation " +
                             std::to_string(validation);
          auto bytes = loadTrainSources(c, limit, 2);
          auto data = loadTrainData(c, limit, 2);
          if (!data) {
            // One distinct value (n = 1): scale and standard refuse it alike.
            ASSERT_FALSE(bool(bytes)) << what;
            EXPECT_EQ(llvm::toString(bytes.takeError()),
                      llvm::toString(data.takeError())) << what;
            continue;
          }
          auto doubles = sourcesOf(c, std::move(*data));
          ASSERT_TRUE(bool(bytes)) << what << ": "
                                   << llvm::toString(bytes.takeError());
          ASSERT_TRUE(bool(doubles)) << llvm::toString(doubles.takeError());
          EXPECT_EQ(bytes->scaling.offset, doubles->scaling.offset) << what;
          EXPECT_EQ(bytes->scaling.scale, doubles->scaling.scale) << what;
          expectSameSamples(bytes->train.get(), doubles->train.get(),
                            what + ", train");
          expectSameSamples(bytes->validation.get(), doubles->validation.get(),
                            what + ", validation");
          expectSameSamples(bytes->eval.get(), doubles->eval.get(),
                            what + ", eval");
        }
  }
}

TEST_F(DataLoaderTest, IdxBytesFailAsTheConformedDataset) {
  // The same error, word for word, from both loaders.
  auto same = [&](TrainConfig c, int64_t limit, const std::string &needle) {
    auto bytes = loadTrainSources(c, limit, 0);
    auto data = loadTrainData(c, limit, 0);
    ASSERT_FALSE(bool(bytes)) << needle;
    ASSERT_FALSE(bool(data)) << needle;
    std::string msg = llvm::toString(bytes.takeError());
    EXPECT_EQ(msg, llvm::toString(data.takeError()));
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  };
  // An i32 input that a fixed normalisation scales past 2^31.
  TrainConfig c = configFor({2, 2}, {"idx", {images, labels}},
                            Normalization::Kind::Fixed);
  c.inputType = DType::I32;
  c.normalize.std = 1e-8;
  same(c, 0, "sample 0: input 2.55e+10 does not fit i32");
  // A label outside the loss's classes, a sample of the wrong size, a
  // negative limit, counts that differ, a truncated file, no samples.
  c = configFor({2, 2}, {"idx", {images, labels}});
  c.numClasses = 8;
  same(c, 0, "sample 2: label 9 is not a class in [0, 8)");
  same(configFor({3}, {"idx", {images, labels}}), 0,
       "each sample has 4 values [2, 2]");
  same(configFor({2, 2}, {"idx", {images, labels}}), -1,
       "the sample limit must be >= 0, got -1");
  std::string two = writeIdx("two.idx", {2}, {1, 2});
  same(configFor({2, 2}, {"idx", {images, two}}), 0,
       "holds 3 samples but " + two + " holds 2 labels");
  std::string cut = write("cut.idx", std::string("\0\0\x08\x01\0\0\0\x07", 8) + "ab");
  same(configFor({1}, {"idx", {cut, cut}}), 0,
       cut + ": truncated: the header promises 7 values but the file holds 2");
  std::string none = writeIdx("none.idx", {0, 2, 2}, {});
  std::string noLabels = writeIdx("nolabels.idx", {0}, {});
  same(configFor({2, 2}, {"idx", {none, noLabels}}), 0,
       none + ": holds no samples");
}

TEST_F(DataLoaderTest, CsvWithHeaderAndLabelColumn) {
  std::string csv = write("d.csv", "x0, x1,label\r\n1,2,0\n\n3,4,2\n5,\"6\",1\n");
  auto table = readCsv(csv);
  ASSERT_TRUE(bool(table)) << llvm::toString(table.takeError());
  EXPECT_EQ(table->header, (std::vector<std::string>{"x0", "x1", "label"}));
  EXPECT_EQ(table->values.shape, (std::vector<int64_t>{3, 3}));
  TrainConfig c = configFor({2}, {"csv", {csv}, -1}, Normalization::Kind::None);
  auto d = loadTrainData(c, 0, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->train.inputs.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(d->train.inputs.data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(d->train.labels.dtype, DType::I32);
  EXPECT_EQ(d->train.labels.data, (std::vector<double>{0, 2, 1}));
  // The label in the first column instead.
  c.train.labelColumn = 0;
  d = loadTrainData(c, 0, 0);
  ASSERT_TRUE(bool(d));
  EXPECT_EQ(d->train.labels.data, (std::vector<double>{1, 3, 5}));
  EXPECT_EQ(d->train.inputs.data, (std::vector<double>{2, 0, 4, 2, 6, 1}));
}

TEST_F(DataLoaderTest, CsvErrorsNameFileAndLine) {
  auto err = [](const std::string &path) {
    auto t = readCsv(path);
    return t ? std::string("no error") : llvm::toString(t.takeError());
  };
  std::string ragged = write("ragged.csv", "1,2,3\n4,5\n");
  EXPECT_EQ(err(ragged), ragged + ":2: expected 3 fields, got 2");
  std::string word = write("word.csv", "a,b\n1,2\n3,x7\n");
  EXPECT_EQ(err(word), word + ":3: column 2: 'x7' is not a number");
  std::string empty = write("empty.csv", "a,b\n\n");
  EXPECT_EQ(err(empty), empty + ": no data rows");
  EXPECT_EQ(err(empty + ".absent").rfind(empty + ".absent: cannot open", 0), 0u);
  // A label column outside the table, and labels that are not classes.
  std::string ok = write("ok.csv", "1,2\n3,4\n");
  auto d = loadTrainData(configFor({1}, {"csv", {ok}, 5}), 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()),
            ok + ": label column 5 is out of range for 2 columns (need a label "
                 "and at least one input)");
  std::string frac = write("frac.csv", "0.5,2\n1,4\n");
  d = loadTrainData(configFor({1}, {"csv", {frac}}), 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_NE(llvm::toString(d.takeError()).find("label 0.5 of sample 0 does not fit i32"),
            std::string::npos);
}

TEST_F(DataLoaderTest, OneHotLabels) {
  TrainConfig c = configFor({4}, {"idx", {images, labels}});
  c.oneHot = 10;
  c.labelShape = {10};
  c.labelType = DType::F32;
  auto d = loadTrainData(c, 0, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->train.labels.shape, (std::vector<int64_t>{3, 10}));
  EXPECT_EQ(d->train.labels.dtype, DType::F32);
  std::vector<double> row2(d->train.labels.data.begin() + 20,
                           d->train.labels.data.end());
  EXPECT_EQ(row2, (std::vector<double>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1})); // 9
  c.oneHot = 8; // label 9 is out of range
  c.labelShape = {8};
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()),
            "idx(\"" + images + "\", \"" + labels +
                "\"): sample 2: label 9 is not a class in [0, 8) (one_hot = 8)");
}

TEST_F(DataLoaderTest, StandardNormalisationUsesTrainingStatistics) {
  TrainConfig c = configFor({4}, {"idx", {images, labels}},
                            Normalization::Kind::Standard);
  // The evaluation set: the first image only, scaled with the training
  // set's mean and deviation, not its own.
  c.eval = {"idx", {images, labels}};
  auto d = loadTrainData(c, 0, 1);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  double sum = 0, sq = 0;
  for (double v : d->train.inputs.data)
    sum += v;
  double mean = sum / 12;
  for (double v : d->train.inputs.data)
    sq += (v - mean) * (v - mean);
  EXPECT_NEAR(mean, 0, 1e-6);
  EXPECT_NEAR(sq / 12, 1, 1e-5);
  ASSERT_EQ(d->eval->size(), 1);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(d->eval->inputs.data[i], d->train.inputs.data[i]);
  // Fixed statistics.
  c.normalize = {Normalization::Kind::Fixed, 255, 255};
  d = loadTrainData(c, 0, 0);
  ASSERT_TRUE(bool(d));
  EXPECT_EQ(d->train.inputs.data[0], -1.0);
  EXPECT_EQ(d->train.inputs.data[1], 0.0);
  // No spread: an error rather than a division by zero.
  std::string flat = writeIdx("flat.idx", {3, 2, 2}, std::vector<unsigned char>(12, 7));
  c = configFor({4}, {"idx", {flat, labels}}, Normalization::Kind::Standard);
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_NE(llvm::toString(d.takeError()).find("inputs are all equal"),
            std::string::npos);
}

TEST_F(DataLoaderTest, NpyPair) {
  llvm::SmallString<128> x(dir), t(dir);
  llvm::sys::path::append(x, "x.npy");
  llvm::sys::path::append(t, "t.npy");
  ASSERT_FALSE(bool(writeNpy(x, Tensor(DType::F64, {2, 3}, {1, 2, 3, 4, 5, 6}))));
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I64, {2}, {1, 0}))));
  TrainConfig c = configFor({3}, {"npy", {std::string(x), std::string(t)}},
                            Normalization::Kind::None);
  auto d = loadTrainData(c, 0, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->train.inputs.dtype, DType::F32);
  EXPECT_EQ(d->train.inputs.data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(d->train.labels.dtype, DType::I32);
  // Three labels for two inputs.
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I64, {3}, {1, 0, 1}))));
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()),
            std::string(x) + " holds 2 samples but " + std::string(t) +
                " holds 3 labels");
}

TEST_F(DataLoaderTest, TruncatedGzipNamesTheFile) {
  std::ifstream in(kData + "t10k-labels-idx1-ubyte.gz", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 100u);
  std::string cut = write("cut-labels.gz", bytes.substr(0, bytes.size() / 2));
  // Read alone: paired with a smaller images file, the headers' counts
  // (compared before decompressing) would disagree first.
  auto d = readIdx(cut);
  ASSERT_FALSE(bool(d));
  std::string msg = llvm::toString(d.takeError());
  EXPECT_EQ(msg.rfind(cut + ":", 0), 0u) << msg;
}

/// Issue 11 item 4: NaN and infinite values are refused at load time, named
/// by file (and CSV line), sample and position, unless allowed.
TEST_F(DataLoaderTest, NonfiniteValuesAreRefusedUnlessAllowed) {
  std::string x = write("x.npy", ""), t = write("t.npy", "");
  double nan = std::nan(""), inf = HUGE_VAL;
  ASSERT_FALSE(bool(writeNpy(x, Tensor(DType::F32, {3, 2}, {1, 2, 3, nan, 5, 6}))));
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I32, {3}, {0, 1, 2}))));
  TrainConfig c = configFor({2}, {"npy", {x, t}}, Normalization::Kind::None);
  auto d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  std::string msg = llvm::toString(d.takeError());
  EXPECT_EQ(msg.rfind(x + ": sample 1: value 1 is nan; non-finite values are "
                          "refused (--allow-nonfinite-inputs loads them)", 0),
            0u)
      << msg;
  // Only the samples read are checked.
  EXPECT_TRUE(bool(loadTrainData(c, 1, 0)));
  // Allowed: loaded as they are.
  c.allowNonfinite = true;
  d = loadTrainData(c, 0, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_TRUE(std::isnan(d->train.inputs.data[3]));

  // Float labels (a loss such as mse): the labels file is named.
  ASSERT_FALSE(bool(writeNpy(x, Tensor(DType::F32, {2, 2}, {1, 2, 3, 4}))));
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::F32, {2, 2}, {0, 1, -inf, 0}))));
  c = configFor({2}, {"npy", {x, t}}, Normalization::Kind::None);
  c.labelType = DType::F32;
  c.labelShape = {2};
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  msg = llvm::toString(d.takeError());
  EXPECT_EQ(msg.rfind(t + ": sample 1: label value 0 is -inf", 0), 0u) << msg;
  // Integer labels cannot hold NaN even when non-finite values are allowed.
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::F32, {2}, {0, nan}))));
  c = configFor({2}, {"npy", {x, t}}, Normalization::Kind::None);
  c.allowNonfinite = true;
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_NE(llvm::toString(d.takeError()).find("label nan of sample 1 does not fit i32"),
            std::string::npos);

  // CSV: nan, inf and numbers too large for a double, with the line.
  for (const char *bad : {"nan", "inf", "1e400", "-inf"}) {
    std::string csv = write("bad.csv", std::string("a,b,label\n1,2,0\n\n3,") +
                                           bad + ",1\n");
    c = configFor({2}, {"csv", {csv}, -1}, Normalization::Kind::None);
    d = loadTrainData(c, 0, 0);
    ASSERT_FALSE(bool(d)) << bad;
    msg = llvm::toString(d.takeError());
    EXPECT_EQ(msg.rfind(csv + ":4: sample 1, column 2 (an input): ", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("is not finite"), std::string::npos) << msg;
    c.allowNonfinite = true;
    EXPECT_TRUE(bool(loadTrainData(c, 0, 0))) << bad;
  }
  std::string csv = write("label.csv", "1,2,0\n3,4,nan\n");
  c = configFor({2}, {"csv", {csv}, -1}, Normalization::Kind::None);
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()).rfind(
                csv + ":2: sample 1, column 3 (the label): nan is not finite", 0),
            0u);
}

/// Issue 11 item 5: class labels outside the classes the loss takes.
TEST_F(DataLoaderTest, LabelsOutsideTheLossesClassesAreRefused) {
  std::string x = write("x.npy", ""), t = write("t.npy", "");
  ASSERT_FALSE(bool(writeNpy(x, Tensor(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6}))));
  TrainConfig c = configFor({2}, {"npy", {x, t}}, Normalization::Kind::None);
  c.numClasses = 3;
  c.lossFn = "loss";
  std::string source = c.train.describe();
  for (double bad : {7.0, -1.0, 2147483647.0, 3.0}) {
    ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I32, {3}, {0, 2, bad}))));
    auto d = loadTrainData(c, 0, 0);
    ASSERT_FALSE(bool(d)) << bad;
    char text[32];
    std::snprintf(text, sizeof text, "%g", bad);
    EXPECT_EQ(llvm::toString(d.takeError()),
              source + ": sample 2: label " + text +
                  " is not a class in [0, 3) (the loss 'loss' takes 3 classes)");
  }
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I32, {3}, {0, 2, 1}))));
  EXPECT_TRUE(bool(loadTrainData(c, 0, 0)));
  // Too large for i32 at all (no class count needed).
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I64, {3}, {0, 1099511627776.0, 1}))));
  c.numClasses = 0;
  auto d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_NE(llvm::toString(d.takeError()).find("label 1.09951e+12 of sample 1 does not fit i32"),
            std::string::npos);
  // A CSV label 9 and an IDX label 200, 10 classes.
  std::string csv = write("d.csv", "1,2,0\n3,4,9\n");
  c = configFor({2}, {"csv", {csv}, -1}, Normalization::Kind::None);
  c.numClasses = 3;
  c.lossFn = "loss";
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()),
            c.train.describe() + ": sample 1: label 9 is not a class in [0, 3) "
                                 "(the loss 'loss' takes 3 classes)");
  std::string big = writeIdx("big.idx", {3}, {7, 200, 9});
  c = configFor({4}, {"idx", {images, big}});
  c.numClasses = 10;
  c.lossFn = "loss";
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_NE(llvm::toString(d.takeError()).find("sample 1: label 200 is not a class in [0, 10)"),
            std::string::npos);
  // The evaluation set is checked too.
  c.train = {"idx", {images, labels}};
  c.eval = {"idx", {images, big}};
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()).rfind(c.eval.describe(), 0), 0u);
}

/// Issue 11 item 8: a source with no samples names its file.
TEST_F(DataLoaderTest, NoSamplesNamesTheFile) {
  std::string x = write("x.npy", ""), t = write("t.npy", "");
  ASSERT_FALSE(bool(writeNpy(x, Tensor(DType::F32, {0, 2}))));
  ASSERT_FALSE(bool(writeNpy(t, Tensor(DType::I32, {0}))));
  TrainConfig c = configFor({2}, {"npy", {x, t}}, Normalization::Kind::None);
  auto d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()),
            x + ": holds no samples ([0, 2]); " + c.train.describe() +
                " needs at least one");
  std::string none = writeIdx("none.idx", {0, 2, 2}, {});
  std::string noLabels = writeIdx("nolabels.idx", {0}, {});
  c = configFor({4}, {"idx", {images, labels}});
  c.eval = {"idx", {none, noLabels}};
  d = loadTrainData(c, 0, 0);
  ASSERT_FALSE(bool(d));
  EXPECT_EQ(llvm::toString(d.takeError()).rfind(none + ": holds no samples", 0),
            0u);
}

} // namespace
