// Training: data loading, batching, the loop, and a short real run of the
// MLP example on Fashion-MNIST through `axonc train`.
#include "runtime/Dataset.h"
#include "runtime/Idx.h"
#include "runtime/MetricsLog.h"
#include "runtime/Trainer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>

using namespace axon;

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist/";

std::string tempPath(const char *name) {
  llvm::SmallString<128> dir;
  llvm::sys::fs::createUniqueDirectory("axon-training", dir);
  llvm::sys::path::append(dir, name);
  return std::string(dir);
}

TEST(Idx, ReadsFashionMnist) {
  auto labels = readIdx(kData + "t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(bool(labels)) << llvm::toString(labels.takeError());
  EXPECT_EQ(labels->shape, (std::vector<int64_t>{10000}));
  EXPECT_EQ(labels->data[0], 9); // an ankle boot
  auto images = readIdx(kData + "t10k-images-idx3-ubyte.gz");
  ASSERT_TRUE(bool(images));
  EXPECT_EQ(images->shape, (std::vector<int64_t>{10000, 28, 28}));
}

TEST(Idx, ErrorsNameTheFileAndTheProblem) {
  std::string bad = tempPath("bad.idx");
  std::ofstream(bad) << "not an idx file";
  auto r = readIdx(bad);
  ASSERT_FALSE(bool(r));
  std::string msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find(bad + ": not an IDX file"), std::string::npos) << msg;

  std::string truncated = tempPath("short.idx");
  {
    std::ofstream f(truncated, std::ios::binary);
    const char header[] = {0, 0, 8, 1, 0, 0, 0, 10, 1, 2, 3};
    f.write(header, sizeof(header));
  }
  r = readIdx(truncated);
  ASSERT_FALSE(bool(r));
  msg = llvm::toString(r.takeError());
  EXPECT_NE(msg.find("truncated: the header promises 10 values but the file holds 3"),
            std::string::npos) << msg;

  r = readIdx("/nonexistent/x.gz");
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("/nonexistent/x.gz: cannot open"),
            std::string::npos);
}

TEST(Dataset, ScalesShapesAndLimits) {
  auto d = loadIdxDataset(kData + "t10k-images-idx3-ubyte.gz",
                          kData + "t10k-labels-idx1-ubyte.gz", {1, 28, 28}, 5);
  ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
  EXPECT_EQ(d->inputs.shape, (std::vector<int64_t>{5, 1, 28, 28}));
  EXPECT_EQ(d->labels.shape, (std::vector<int64_t>{5}));
  for (double v : d->inputs.data)
    ASSERT_TRUE(v >= 0 && v <= 1);
  auto wrong = loadIdxDataset(kData + "t10k-images-idx3-ubyte.gz",
                              kData + "t10k-labels-idx1-ubyte.gz", {785}, 5);
  ASSERT_FALSE(bool(wrong));
  EXPECT_NE(llvm::toString(wrong.takeError()).find("samples have 784 values"),
            std::string::npos);
  Tensor rows = takeRows(d->labels, {4, 0});
  EXPECT_EQ(rows.data, (std::vector<double>{d->labels.data[4], d->labels.data[0]}));
}

TEST(Batcher, ReproducibleShufflesCoveringEverySample) {
  Batcher a(10, 3, 42, true, true), b(10, 3, 42, true, true);
  EXPECT_EQ(a.epoch(1), b.epoch(1));
  EXPECT_NE(a.epoch(0), a.epoch(1));
  auto batches = a.epoch(2);
  EXPECT_EQ(batches.size(), 3u); // the partial batch is dropped
  Batcher all(10, 3, 42, true, false);
  std::multiset<int64_t> seen;
  for (const auto &batch : all.epoch(3))
    seen.insert(batch.begin(), batch.end());
  EXPECT_EQ(seen, (std::multiset<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Trainer, DrivesStepsEvaluatesAndLogs) {
  Dataset data{Tensor(DType::F32, {10, 2}), Tensor(DType::I32, {10})};
  for (int i = 0; i < 10; ++i)
    data.labels.data[i] = i;
  std::vector<int64_t> steps;
  StepFn step = [&](const Tensor &x, const Tensor &, int64_t global) {
    EXPECT_EQ(x.shape, (std::vector<int64_t>{4, 2}));
    steps.push_back(global);
    return llvm::Expected<double>(1.0 / (global + 1));
  };
  // The mean label, weighted by batch size: (0 + ... + 9) / 10 = 4.5.
  EvalFn meanLabel = [](const Tensor &, const Tensor &t) {
    double s = 0;
    for (double v : t.data)
      s += v;
    return llvm::Expected<double>(s / t.data.size());
  };
  TrainOptions options;
  options.epochs = 3;
  options.batch = 4;
  options.metricsPath = tempPath("metrics.jsonl");
  std::string progress;
  llvm::raw_string_ostream os(progress);
  auto results = train(options, data, &data, step, meanLabel, nullptr, os);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(steps, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  ASSERT_EQ(results->size(), 3u);
  EXPECT_DOUBLE_EQ(*(*results)[0].evalLoss, 4.5);
  EXPECT_DOUBLE_EQ((*results)[2].trainLoss, (1.0 / 5 + 1.0 / 6) / 2);
  EXPECT_NE(os.str().find("epoch 3/3: train loss"), std::string::npos);

  auto log = llvm::MemoryBuffer::getFile(options.metricsPath);
  ASSERT_TRUE(bool(log));
  llvm::SmallVector<llvm::StringRef> lines;
  (*log)->getBuffer().trim().split(lines, '\n');
  ASSERT_EQ(lines.size(), 9u); // 6 steps + 3 epochs
  auto last = llvm::json::parse(lines.back());
  ASSERT_TRUE(bool(last));
  EXPECT_EQ(*last->getAsObject()->getString("kind"), "epoch");
  EXPECT_EQ(*last->getAsObject()->getInteger("epoch"), 3);
}

TEST(Trainer, StepErrorsStopTraining) {
  Dataset data{Tensor(DType::F32, {4, 1}), Tensor(DType::I32, {4})};
  StepFn failing = [](const Tensor &, const Tensor &, int64_t) -> llvm::Expected<double> {
    return llvm::createStringError("step exploded");
  };
  TrainOptions options;
  options.batch = 2;
  std::string progress;
  llvm::raw_string_ostream os(progress);
  auto r = train(options, data, nullptr, failing, nullptr, nullptr, os);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), "step exploded");
}

/// The MLP example learns: a short run on a fixed Fashion-MNIST subset must
/// beat chance (10%, loss ln 10 = 2.30) by a wide margin.
TEST(Training, MlpLearnsFashionMnistSubset) {
  std::string metrics = tempPath("mlp.jsonl");
  std::string cmd = std::string(AXONC_PATH) + " train " + AXON_SOURCE_DIR +
                    "/examples/mlp/mlp.axon --limit 1024 --eval-limit 500 "
                    "--epochs 2 --batch 64 --metrics " + metrics +
                    " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto log = llvm::MemoryBuffer::getFile(metrics);
  ASSERT_TRUE(bool(log));
  llvm::SmallVector<llvm::StringRef> lines;
  (*log)->getBuffer().trim().split(lines, '\n');
  auto last = llvm::json::parse(lines.back());
  ASSERT_TRUE(bool(last));
  const llvm::json::Object &epoch = *last->getAsObject();
  EXPECT_LT(*epoch.getNumber("eval_loss"), 1.0);
  EXPECT_GT(*epoch.getNumber("eval_metric"), 0.65);
}

} // namespace
