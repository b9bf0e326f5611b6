// The training loop (see Trainer.h).
#include "runtime/Trainer.h"

#include "runtime/MetricsLog.h"
#include "runtime/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"

#include <chrono>

using namespace axon;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

llvm::Error checkDataset(const Dataset &d, llvm::StringRef what) {
  if (d.inputs.rank() < 1 || d.labels.rank() < 1)
    return llvm::createStringError(what + " set: inputs and labels need a "
                                          "sample dimension");
  if (d.inputs.shape[0] != d.labels.shape[0])
    return llvm::createStringError(
        what + " set: " + llvm::Twine(d.inputs.shape[0]) + " inputs but " +
        llvm::Twine(d.labels.shape[0]) + " labels");
  return llvm::Error::success();
}

} // namespace

llvm::Expected<double> axon::evaluate(const Dataset &data, int64_t batch,
                                      const EvalFn &fn) {
  Batcher batcher(data.size(), batch, 0, /*shuffle=*/false, /*dropLast=*/false);
  double total = 0;
  int64_t count = 0;
  for (const auto &rows : batcher.epoch(0)) {
    auto v = fn(takeRows(data.inputs, rows), takeRows(data.labels, rows));
    if (!v)
      return v.takeError();
    total += *v * static_cast<double>(rows.size());
    count += static_cast<int64_t>(rows.size());
  }
  if (count == 0)
    return llvm::createStringError("the evaluation set is empty");
  return total / static_cast<double>(count);
}

llvm::Expected<std::vector<EpochResult>>
axon::train(const TrainOptions &options, const Dataset &trainSet,
            const Dataset *eval, const StepFn &step, const EvalFn &evalLoss,
            const EvalFn &evalMetric, llvm::raw_ostream &progress) {
  if (options.epochs < 1)
    return llvm::createStringError("epochs must be at least 1, got " +
                                   llvm::Twine(options.epochs));
  if (options.batch < 1)
    return llvm::createStringError("the batch size must be at least 1, got " +
                                   llvm::Twine(options.batch));
  if (auto err = checkDataset(trainSet, "training"))
    return std::move(err);
  bool evaluating = eval && (evalLoss || evalMetric);
  if (evaluating) {
    if (auto err = checkDataset(*eval, "evaluation"))
      return std::move(err);
    if (eval->size() == 0)
      return llvm::createStringError("the evaluation set is empty");
  }
  Batcher batcher(trainSet.size(), options.batch, options.seed, options.shuffle,
                  /*dropLast=*/true);
  if (batcher.batchesPerEpoch() == 0)
    return llvm::createStringError("the training set (" +
                                   llvm::Twine(trainSet.size()) +
                                   " samples) is smaller than one batch (" +
                                   llvm::Twine(options.batch) + ")");
  std::optional<MetricsLog> log;
  if (!options.metricsPath.empty()) {
    auto opened = MetricsLog::open(options.metricsPath);
    if (!opened)
      return opened.takeError();
    log.emplace(std::move(*opened));
  }

  ProgressBar bar(progress, options.epochs, batcher.batchesPerEpoch());
  // Every exit from here on error leaves the terminal on a fresh line.
  auto stop = [&](llvm::Error err) {
    bar.interrupt();
    return err;
  };
  std::vector<EpochResult> results;
  int64_t globalStep = 0;
  for (int64_t e = 0; e < options.epochs; ++e) {
    auto epochStart = Clock::now();
    double lossSum = 0;
    int64_t steps = 0, samples = 0;
    for (const auto &rows : batcher.epoch(e)) {
      Tensor x = takeRows(trainSet.inputs, rows);
      Tensor t = takeRows(trainSet.labels, rows);
      auto stepStart = Clock::now();
      auto loss = step(x, t, globalStep);
      if (!loss)
        return stop(loss.takeError());
      double stepSeconds = secondsSince(stepStart);
      lossSum += *loss;
      ++steps;
      samples += static_cast<int64_t>(rows.size());
      // The log keeps each step's own rate; the bar shows the epoch's rate
      // so far (batch gathering included), which does not flicker.
      double stepRate = stepSeconds > 0 ? rows.size() / stepSeconds : 0;
      double epochSeconds = secondsSince(epochStart);
      double epochRate = epochSeconds > 0 ? samples / epochSeconds : 0;
      bar.update(e + 1, steps, *loss, epochRate);
      if (log)
        log->logStep(e + 1, steps, globalStep, *loss, stepRate);
      ++globalStep;
    }
    EpochResult r;
    r.trainLoss = lossSum / static_cast<double>(steps);
    if (evaluating && evalLoss) {
      auto v = evaluate(*eval, options.batch, evalLoss);
      if (!v)
        return stop(v.takeError());
      r.evalLoss = *v;
    }
    if (evaluating && evalMetric) {
      auto v = evaluate(*eval, options.batch, evalMetric);
      if (!v)
        return stop(v.takeError());
      r.evalMetric = *v;
    }
    double seconds = secondsSince(epochStart);
    std::string summary = llvm::formatv("train loss {0:F4}", r.trainLoss).str();
    if (r.evalLoss)
      summary += llvm::formatv(", eval loss {0:F4}", *r.evalLoss).str();
    if (r.evalMetric)
      summary += llvm::formatv(", eval metric {0:F4}", *r.evalMetric).str();
    summary += llvm::formatv(" ({0:F1} s)", seconds).str();
    bar.finishEpoch(e + 1, summary);
    if (log)
      if (auto err = log->logEpoch(e + 1, r.trainLoss, r.evalLoss, r.evalMetric,
                                   seconds))
        return std::move(err);
    results.push_back(r);
  }
  return results;
}
