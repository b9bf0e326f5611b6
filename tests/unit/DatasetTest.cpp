// Tests of in-memory datasets (runtime/Dataset.h): loading an IDX pair
// (scaling, sample shape, limit, errors) and gathering rows.
#include "runtime/Dataset.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace axon;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist/";

class DatasetTest : public ::testing::Test {
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

TEST_F(DatasetTest, ScalesToUnitRangeAsF32) {
  auto d = loadIdxDataset(images, labels, {4}, 0);
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

TEST_F(DatasetTest, ReshapesEachSample) {
  auto d = loadIdxDataset(images, labels, {1, 2, 2}, 0);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{3, 1, 2, 2}));
  auto wrong = loadIdxDataset(images, labels, {5}, 0);
  std::string msg = errorOf(std::move(wrong));
  EXPECT_EQ(msg, images + ": samples have 4 values ([2, 2]) but the sample "
                          "shape [5] has 5");
  msg = errorOf(loadIdxDataset(images, labels, {0, 4}, 0));
  EXPECT_NE(msg.find("must have positive dimensions"), std::string::npos);
}

TEST_F(DatasetTest, LimitKeepsTheFirstSamples) {
  auto d = loadIdxDataset(images, labels, {2, 2}, 2);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->size(), 2);
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(d->inputs.data.size(), 8u);
  EXPECT_EQ(d->labels.data, (std::vector<double>{7, 0}));
  auto all = loadIdxDataset(images, labels, {4}, 100); // more than there are
  ASSERT_TRUE(bool(all));
  EXPECT_EQ(all->size(), 3);
  std::string msg = errorOf(loadIdxDataset(images, labels, {4}, -1));
  EXPECT_NE(msg.find("the sample limit must be >= 0"), std::string::npos);
}

TEST_F(DatasetTest, CountMismatchNamesBothFiles) {
  std::string two = writeIdx("two.idx", {2}, {1, 2});
  std::string msg = errorOf(loadIdxDataset(images, two, {4}, 0));
  EXPECT_EQ(msg, images + " holds 3 images but " + two + " holds 2 labels");
}

TEST_F(DatasetTest, LabelsMustBeOnePerSample) {
  std::string msg = errorOf(loadIdxDataset(images, images, {4}, 0));
  EXPECT_EQ(msg, images + ": labels must be one number per sample, got shape "
                          "[3, 2, 2]");
}

TEST_F(DatasetTest, ReadErrorsPassThrough) {
  std::string msg = errorOf(loadIdxDataset(images, labels + ".absent", {4}, 0));
  EXPECT_EQ(msg.rfind(labels + ".absent: cannot open", 0), 0u) << msg;
}

TEST_F(DatasetTest, FashionMnistSubset) {
  auto d = loadIdxDataset(kData + "t10k-images-idx3-ubyte.gz",
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

TEST_F(DatasetTest, TakeRowsGathersAlongAxisZero) {
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

} // namespace
