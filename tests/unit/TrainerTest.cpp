// Tests of the training loop (runtime/train/Trainer.h) with fake step and eval
// functions: step counts, global steps, batch contents, weighted evaluation,
// the metrics log, and errors.
#include "runtime/train/Trainer.h"
#include "runtime/train/ProgressBar.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace axon;

namespace {

/// `n` samples of shape [2]: sample i is (i, -i) with label i.
TensorSource makeData(int64_t n) {
  Dataset d{Tensor(DType::F32, {n, 2}), Tensor(DType::I32, {n})};
  for (int64_t i = 0; i < n; ++i) {
    d.inputs.data[2 * i] = static_cast<double>(i);
    d.inputs.data[2 * i + 1] = -static_cast<double>(i);
    d.labels.data[i] = static_cast<double>(i);
  }
  return TensorSource(std::move(d));
}

/// A source of one array, "epoch", that holds the epoch each row was
/// gathered for: sources that draw (negative samples) draw per epoch.
class EpochSource : public SampleSource {
public:
  explicit EpochSource(int64_t n) : n(n) {}
  int64_t size() const override { return n; }
  std::vector<ArraySpec> specs() const override {
    return {{"epoch", DType::I32, {}}};
  }
  NamedArrays gather(llvm::ArrayRef<int64_t> rows,
                     int64_t epoch) const override {
    return {{{"epoch", Tensor(DType::I32, {int64_t(rows.size())},
                              double(epoch))}}};
  }

private:
  int64_t n;
};

/// What a fake step saw.
struct Call {
  int64_t globalStep;
  std::vector<double> labels;
};

class TrainerTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("axon-trainer-test", dir));
    llvm::sys::path::append(metrics, dir, "metrics.jsonl");
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  /// A step that records its calls and checks the batch is consistent;
  /// returns loss 1 / (globalStep + 1).
  StepFn recorder(std::vector<Call> &calls, int64_t batch) {
    return [&calls, batch](llvm::ArrayRef<Tensor> b,
                           int64_t globalStep) -> llvm::Expected<double> {
      EXPECT_EQ(b.size(), 2u);
      const Tensor &x = b[0], &t = b[1];
      EXPECT_EQ(x.shape, (std::vector<int64_t>{batch, 2}));
      EXPECT_EQ(x.dtype, DType::F32);
      EXPECT_EQ(t.shape, (std::vector<int64_t>{batch}));
      EXPECT_EQ(t.dtype, DType::I32);
      for (int64_t r = 0; r < batch; ++r) // inputs and labels stay paired
        EXPECT_EQ(x.data[2 * r], t.data[r]);
      calls.push_back({globalStep, t.data});
      return 1.0 / static_cast<double>(globalStep + 1);
    };
  }
  std::vector<llvm::json::Object> records() {
    std::vector<llvm::json::Object> out;
    auto buffer = llvm::MemoryBuffer::getFile(metrics);
    EXPECT_TRUE(bool(buffer));
    if (!buffer)
      return out;
    llvm::SmallVector<llvm::StringRef> lines;
    (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef line : lines) {
      auto v = llvm::json::parse(line);
      EXPECT_TRUE(bool(v)) << line.str();
      if (v && v->getAsObject())
        out.push_back(std::move(*v->getAsObject()));
      else if (!v)
        llvm::consumeError(v.takeError());
    }
    return out;
  }

  llvm::SmallString<128> dir, metrics;
  std::string progressText;
  llvm::raw_string_ostream progress{progressText};
};

/// The label mean of a batch: weighted by batch size over an eval set it is
/// the set's label mean; an unweighted mean of batch means is not.
const EvalFn kMeanLabel = [](llvm::ArrayRef<Tensor> b) {
  const Tensor &t = b[1];
  double s = std::accumulate(t.data.begin(), t.data.end(), 0.0);
  return llvm::Expected<double>(s / static_cast<double>(t.data.size()));
};

TEST_F(TrainerTest, StepsPerEpochDropTheLastPartialBatch) {
  TensorSource data = makeData(10);
  std::vector<Call> calls;
  TrainOptions options;
  options.epochs = 3;
  options.batch = 3;
  options.seed = 7;
  auto results = train(options, data, nullptr, recorder(calls, 3), nullptr,
                       nullptr, progress);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  ASSERT_EQ(results->size(), 3u);
  ASSERT_EQ(calls.size(), 9u); // 3 epochs * floor(10 / 3)
  for (size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(calls[i].globalStep, static_cast<int64_t>(i));
  // Within an epoch no sample repeats; the order is Batcher's.
  Batcher batcher(10, 3, 7, true, true);
  for (int64_t e = 0; e < 3; ++e) {
    auto batches = batcher.epoch(e);
    std::vector<double> seen;
    for (int64_t b = 0; b < 3; ++b) {
      const Call &c = calls[e * 3 + b];
      EXPECT_EQ(c.labels,
                std::vector<double>(batches[b].begin(), batches[b].end()));
      seen.insert(seen.end(), c.labels.begin(), c.labels.end());
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  }
  // The train loss is the mean of the epoch's batch losses.
  EXPECT_DOUBLE_EQ((*results)[0].trainLoss, (1.0 + 1.0 / 2 + 1.0 / 3) / 3);
  EXPECT_DOUBLE_EQ((*results)[2].trainLoss, (1.0 / 7 + 1.0 / 8 + 1.0 / 9) / 3);
  EXPECT_FALSE((*results)[0].evalLoss);
  EXPECT_FALSE((*results)[0].evalMetric);
}

TEST_F(TrainerTest, SameSeedSameBatches) {
  TensorSource data = makeData(20);
  std::vector<Call> a, b, c;
  TrainOptions options;
  options.epochs = 2;
  options.batch = 4;
  options.seed = 3;
  ASSERT_TRUE(bool(train(options, data, nullptr, recorder(a, 4), nullptr,
                         nullptr, progress)));
  ASSERT_TRUE(bool(train(options, data, nullptr, recorder(b, 4), nullptr,
                         nullptr, progress)));
  options.seed = 4;
  ASSERT_TRUE(bool(train(options, data, nullptr, recorder(c, 4), nullptr,
                         nullptr, progress)));
  ASSERT_EQ(a.size(), b.size());
  bool sameAsC = true;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].labels, b[i].labels);
    sameAsC &= a[i].labels == c[i].labels;
  }
  EXPECT_FALSE(sameAsC);
}

TEST_F(TrainerTest, EvaluationIsWeightedByBatchSize) {
  TensorSource data = makeData(8);
  TensorSource eval = makeData(10); // batches of 4, 4, 2: means 1.5, 5.5, 8.5
  std::vector<Call> calls;
  int evalCalls = 0;
  EvalFn countingMean = [&](llvm::ArrayRef<Tensor> b) {
    ++evalCalls;
    return kMeanLabel(b);
  };
  EvalFn batchSize = [](llvm::ArrayRef<Tensor> b) {
    return llvm::Expected<double>(static_cast<double>(b[0].shape[0]));
  };
  TrainOptions options;
  options.epochs = 2;
  options.batch = 4;
  auto results = train(options, data, &eval, recorder(calls, 4), countingMean,
                       batchSize, progress);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  EXPECT_EQ(evalCalls, 6); // all 10 samples, 3 batches, each epoch
  for (const EpochResult &r : *results) {
    ASSERT_TRUE(r.evalLoss);
    EXPECT_DOUBLE_EQ(*r.evalLoss, 4.5); // unweighted would be 31 / 6
    ASSERT_TRUE(r.evalMetric);
    EXPECT_DOUBLE_EQ(*r.evalMetric, (4.0 * 4 + 4 * 4 + 2 * 2) / 10);
  }
  auto direct = evaluate(eval, 4, kMeanLabel);
  ASSERT_TRUE(bool(direct));
  EXPECT_DOUBLE_EQ(*direct, 4.5);

  // Only the functions given are evaluated.
  results = train(options, data, &eval, recorder(calls, 4), nullptr, batchSize,
                  progress);
  ASSERT_TRUE(bool(results));
  EXPECT_FALSE(results->back().evalLoss);
  EXPECT_TRUE(results->back().evalMetric);
}

// A loss-and-metric function reads each eval batch once and gives the same
// means as the two functions it stands for, called one set at a time; the
// training samples' metric still runs the metric function.
TEST_F(TrainerTest, LossAndMetricTogetherReadEachEvalBatchOnce) {
  TensorSource data = makeData(8);
  TensorSource eval = makeData(7); // batches of 4 and 3
  std::vector<Call> calls;
  int lossCalls = 0, metricCalls = 0, bothCalls = 0;
  EvalFn loss = [&](llvm::ArrayRef<Tensor> b) {
    ++lossCalls;
    return kMeanLabel(b);
  };
  EvalFn metric = [&](llvm::ArrayRef<Tensor> b) {
    ++metricCalls;
    return llvm::Expected<double>(1.0 / static_cast<double>(b[0].shape[0]));
  };
  TrainOptions options;
  options.epochs = 1;
  options.batch = 4;
  options.trainMetricSamples = 8;
  auto separate = train(options, data, &eval, recorder(calls, 4), loss,
                        metric, progress);
  ASSERT_TRUE(bool(separate)) << llvm::toString(separate.takeError());
  EXPECT_EQ(lossCalls, 2);
  EXPECT_EQ(metricCalls, 4); // the eval set's 2 batches, the training 2
  options.evalLossAndMetric = [&](llvm::ArrayRef<Tensor> b)
      -> llvm::Expected<std::vector<double>> {
    ++bothCalls;
    auto l = kMeanLabel(b);
    if (!l)
      return l.takeError();
    return std::vector<double>{*l, 1.0 / static_cast<double>(b[0].shape[0])};
  };
  lossCalls = metricCalls = 0;
  auto together = train(options, data, &eval, recorder(calls, 4), loss,
                        metric, progress);
  ASSERT_TRUE(bool(together)) << llvm::toString(together.takeError());
  EXPECT_EQ(bothCalls, 2);
  EXPECT_EQ(lossCalls, 0);
  EXPECT_EQ(metricCalls, 2); // the training samples only
  const EpochResult &a = separate->back(), &b = together->back();
  ASSERT_TRUE(a.evalLoss && b.evalLoss && a.evalMetric && b.evalMetric);
  EXPECT_EQ(*a.evalLoss, *b.evalLoss);
  EXPECT_EQ(*a.evalMetric, *b.evalMetric);
  EXPECT_EQ(*a.trainMetric, *b.trainMetric);

  // Values of another count are an error, not a guess.
  options.evalLossAndMetric = [](llvm::ArrayRef<Tensor>)
      -> llvm::Expected<std::vector<double>> { return std::vector<double>{1}; };
  auto wrong = train(options, data, &eval, recorder(calls, 4), loss, metric,
                     progress);
  ASSERT_FALSE(bool(wrong));
  EXPECT_NE(llvm::toString(wrong.takeError()).find("1 values, not 2"),
            std::string::npos);
}

TEST_F(TrainerTest, WritesStepAndEpochRecords) {
  TensorSource data = makeData(10);
  std::vector<Call> calls;
  TrainOptions options;
  options.epochs = 2;
  options.batch = 4;
  options.metricsPath = std::string(metrics);
  auto results = train(options, data, &data, recorder(calls, 4), kMeanLabel,
                       nullptr, progress);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  auto r = records();
  ASSERT_EQ(r.size(), 6u); // epoch 1: 2 steps + 1 epoch; epoch 2 the same
  const char *kinds[] = {"step", "step", "epoch", "step", "step", "epoch"};
  int64_t global = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].getString("kind"), kinds[i]) << i;
    if (r[i].getString("kind") != "step")
      continue;
    EXPECT_EQ(r[i].getInteger("global_step"), global);
    EXPECT_EQ(r[i].getInteger("epoch"), global / 2 + 1);
    EXPECT_EQ(r[i].getInteger("step"), global % 2 + 1);
    EXPECT_EQ(r[i].getNumber("loss"), 1.0 / static_cast<double>(global + 1));
    EXPECT_GE(*r[i].getNumber("samples_per_s"), 0);
    ++global;
  }
  EXPECT_EQ(r[5].getInteger("epoch"), 2);
  EXPECT_EQ(r[5].getNumber("train_loss"), (*results)[1].trainLoss);
  EXPECT_EQ(r[5].getNumber("eval_loss"), 4.5);
  EXPECT_EQ(r[5].get("eval_metric"), nullptr);
  EXPECT_GE(*r[5].getNumber("seconds"), 0);
  EXPECT_NE(progressText.find("epoch 2/2: train loss "), std::string::npos)
      << progressText;
}

TEST_F(TrainerTest, StepErrorStopsTraining) {
  TensorSource data = makeData(12);
  int calls = 0;
  StepFn failing = [&](llvm::ArrayRef<Tensor>,
                       int64_t globalStep) -> llvm::Expected<double> {
    ++calls;
    if (globalStep == 4)
      return llvm::createStringError("step exploded");
    return 1.0;
  };
  TrainOptions options;
  options.epochs = 3;
  options.batch = 3; // 4 steps per epoch: fails at epoch 2's first step
  options.metricsPath = std::string(metrics);
  auto r = train(options, data, &data, failing, kMeanLabel, nullptr, progress);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), "step exploded");
  EXPECT_EQ(calls, 5);
  auto log = records(); // what was logged before the error is kept
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log.back().getString("kind"), "epoch");
}

TEST_F(TrainerTest, EvalErrorStopsTraining) {
  TensorSource data = makeData(4);
  std::vector<Call> calls;
  EvalFn failing = [](llvm::ArrayRef<Tensor>) -> llvm::Expected<double> {
    return llvm::createStringError("eval exploded");
  };
  TrainOptions options;
  options.epochs = 2;
  options.batch = 2;
  auto r = train(options, data, &data, recorder(calls, 2), nullptr, failing,
                 progress);
  ASSERT_FALSE(bool(r));
  EXPECT_EQ(llvm::toString(r.takeError()), "eval exploded");
  EXPECT_EQ(calls.size(), 2u);
}

TEST_F(TrainerTest, InvalidSetupsAreErrors) {
  TensorSource data = makeData(5);
  std::vector<Call> calls;
  auto errorOf = [&](const TrainOptions &options, const SampleSource *eval) {
    auto r = train(options, data, eval, recorder(calls, options.batch),
                   kMeanLabel, nullptr, progress);
    return r ? std::string("no error") : llvm::toString(r.takeError());
  };
  TrainOptions options;
  options.batch = 8;
  EXPECT_EQ(errorOf(options, nullptr),
            "the training set (5 samples) is smaller than one batch (8)");
  options.batch = 0;
  EXPECT_EQ(errorOf(options, nullptr),
            "the batch size must be at least 1, got 0");
  options.batch = 2;
  options.epochs = 0;
  EXPECT_EQ(errorOf(options, nullptr), "epochs must be at least 1, got 0");
  options.epochs = 1;
  TensorSource empty = makeData(0);
  EXPECT_EQ(errorOf(options, &empty), "the evaluation set is empty");
  TrainOptions withValidation = options;
  withValidation.validation = &empty;
  EXPECT_EQ(errorOf(withValidation, nullptr), "the validation split is empty");
  options.metricsPath = std::string(dir) + "/no-such-dir/m.jsonl";
  EXPECT_EQ(errorOf(options, nullptr).rfind(options.metricsPath + ": ", 0), 0u);
  EXPECT_TRUE(calls.empty());
}

/// Issue 11 item 4: a NaN or infinite loss stops training with an error
/// naming the step, before any checkpoint after it; or, when asked, trains
/// on.
TEST_F(TrainerTest, NonfiniteLossStopsTrainingNamingTheStep) {
  TensorSource data = makeData(12);
  for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    int calls = 0;
    StepFn diverging = [&](llvm::ArrayRef<Tensor>,
                           int64_t globalStep) -> llvm::Expected<double> {
      ++calls;
      return globalStep >= 5 ? bad : 1.0;
    };
    std::vector<int64_t> checkpoints;
    TrainOptions options;
    options.epochs = 3;
    options.batch = 3; // 4 steps per epoch: global step 5 is epoch 2's second
    options.metricsPath = std::string(metrics);
    options.checkpointEvery = 1;
    options.checkpoint = [&](const TrainPosition &at) {
      checkpoints.push_back(at.globalStep);
      return llvm::Error::success();
    };
    auto r = train(options, data, &data, diverging, kMeanLabel, nullptr,
                   progress);
    ASSERT_FALSE(bool(r));
    std::string what = std::isnan(bad) ? "NaN" : bad > 0 ? "+inf" : "-inf";
    EXPECT_EQ(llvm::toString(r.takeError()),
              "epoch 2, step 2 (global step 5): the loss is " + what +
                  "; training stopped, the last checkpoint is kept (a smaller "
                  "learning rate or clipping may help; --on-nonfinite=continue "
                  "trains on)");
    EXPECT_EQ(calls, 6);
    ASSERT_FALSE(checkpoints.empty());
    EXPECT_EQ(checkpoints.back(), 5); // the position before the bad step

    // Asked to continue: every step runs, the epoch's loss is not finite.
    options.continueOnNonfinite = true;
    calls = 0;
    r = train(options, data, &data, diverging, kMeanLabel, nullptr, progress);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    EXPECT_EQ(calls, 12);
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ(r->front().trainLoss, 1.0);
    EXPECT_FALSE(std::isfinite(r->back().trainLoss));
  }
}

/// The validation split is evaluated with the loss and the metric after
/// each epoch, logged as validation_loss and validation_metric and printed
/// in the epoch's summary; the eval set is evaluated as well.
TEST_F(TrainerTest, ValidationSplitIsEvaluatedEachEpoch) {
  TensorSource data = makeData(8), eval = makeData(10),
               validation = makeData(6); // batches of 4, 2: labels 0..5
  std::vector<Call> calls;
  EvalFn batchSize = [](llvm::ArrayRef<Tensor> b) {
    return llvm::Expected<double>(static_cast<double>(b[0].shape[0]));
  };
  TrainOptions options;
  options.epochs = 2;
  options.batch = 4;
  options.validation = &validation;
  options.metricsPath = std::string(metrics);
  auto results = train(options, data, &eval, recorder(calls, 4), kMeanLabel,
                       batchSize, progress);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  for (const EpochResult &r : *results) {
    ASSERT_TRUE(r.validationLoss);
    EXPECT_DOUBLE_EQ(*r.validationLoss, 2.5);
    ASSERT_TRUE(r.validationMetric);
    EXPECT_DOUBLE_EQ(*r.validationMetric, (4.0 * 4 + 2 * 2) / 6);
    EXPECT_DOUBLE_EQ(*r.evalLoss, 4.5);
  }
  auto r = records();
  ASSERT_EQ(r.back().getString("kind"), "epoch");
  EXPECT_EQ(r.back().getNumber("validation_loss"), 2.5);
  EXPECT_EQ(r.back().getNumber("eval_loss"), 4.5);
  EXPECT_NE(progressText.find("validation loss 2.5000"), std::string::npos)
      << progressText;
}

/// Batches are gathered with their epoch (a source that draws negatives
/// draws anew each epoch); evaluation gathers as epoch 0, the same every
/// epoch.
TEST_F(TrainerTest, BatchesAreGatheredWithTheirEpoch) {
  EpochSource data(6);
  std::vector<double> seen, evaluated;
  StepFn step = [&](llvm::ArrayRef<Tensor> b,
                    int64_t) -> llvm::Expected<double> {
    EXPECT_EQ(b.size(), 1u);
    seen.insert(seen.end(), b[0].data.begin(), b[0].data.end());
    return 1.0;
  };
  EvalFn eval = [&](llvm::ArrayRef<Tensor> b) -> llvm::Expected<double> {
    evaluated.insert(evaluated.end(), b[0].data.begin(), b[0].data.end());
    return 0.0;
  };
  TrainOptions options;
  options.epochs = 3;
  options.batch = 3;
  options.validation = &data;
  ASSERT_TRUE(bool(train(options, data, nullptr, step, eval, nullptr,
                         progress)));
  EXPECT_EQ(seen, (std::vector<double>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2,
                                       2, 2, 2, 2, 2}));
  EXPECT_EQ(evaluated, std::vector<double>(18, 0.0));
}

/// Losses as the progress bar and epoch summaries print them: a diverging
/// run's 1e30 is not 31 digits, NaN and inf are named.
TEST(FormatLoss, ReadableAtEveryScale) {
  EXPECT_EQ(formatLoss(0.25), "0.2500");
  EXPECT_EQ(formatLoss(-3), "-3.0000");
  EXPECT_EQ(formatLoss(0), "0.0000");
  EXPECT_EQ(formatLoss(123456.5), "123456.5000");
  EXPECT_EQ(formatLoss(1.6006649e30), "1.601e+30");
  EXPECT_EQ(formatLoss(2.5e-7), "2.5e-07");
  EXPECT_EQ(formatLoss(std::nan("")), "NaN");
  EXPECT_EQ(formatLoss(HUGE_VAL), "+inf");
  EXPECT_EQ(formatLoss(-HUGE_VAL), "-inf");
}

} // namespace
