// The training loop (see Trainer.h).
#include "runtime/Trainer.h"

#include "runtime/MetricsLog.h"
#include "runtime/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"

#include <chrono>

using namespace axon;

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
  return count ? total / static_cast<double>(count) : 0.0;
}

llvm::Expected<std::vector<EpochResult>>
axon::train(const TrainOptions &options, const Dataset &trainSet,
            const Dataset *eval, const StepFn &step, const EvalFn &evalLoss,
            const EvalFn &evalMetric, llvm::raw_ostream &progress) {
  Batcher batcher(trainSet.size(), options.batch, options.seed, options.shuffle,
                  /*dropLast=*/true);
  if (batcher.batchesPerEpoch() == 0)
    return llvm::createStringError(
        "the training set (" + llvm::Twine(trainSet.size()) +
        " samples) is smaller than one batch (" + llvm::Twine(options.batch) + ")");
  std::optional<MetricsLog> log;
  if (!options.metricsPath.empty()) {
    auto opened = MetricsLog::open(options.metricsPath);
    if (!opened)
      return opened.takeError();
    log.emplace(std::move(*opened));
  }
  ProgressBar bar(progress, options.epochs, batcher.batchesPerEpoch());
  std::vector<EpochResult> results;
  int64_t globalStep = 0;
  using Clock = std::chrono::steady_clock;
  for (int64_t e = 0; e < options.epochs; ++e) {
    auto epochStart = Clock::now();
    double lossSum = 0;
    int64_t s = 0;
    for (const auto &rows : batcher.epoch(e)) {
      auto stepStart = Clock::now();
      auto loss = step(takeRows(trainSet.inputs, rows),
                       takeRows(trainSet.labels, rows), globalStep);
      if (!loss)
        return loss.takeError();
      double seconds =
          std::chrono::duration<double>(Clock::now() - stepStart).count();
      double rate = seconds > 0 ? rows.size() / seconds : 0;
      lossSum += *loss;
      ++s;
      bar.update(e + 1, s, *loss, rate);
      if (log)
        log->logStep(e + 1, s, globalStep, *loss, rate);
      ++globalStep;
    }
    EpochResult r;
    r.trainLoss = lossSum / static_cast<double>(s);
    if (eval && evalLoss) {
      auto v = evaluate(*eval, options.batch, evalLoss);
      if (!v)
        return v.takeError();
      r.evalLoss = *v;
    }
    if (eval && evalMetric) {
      auto v = evaluate(*eval, options.batch, evalMetric);
      if (!v)
        return v.takeError();
      r.evalMetric = *v;
    }
    double seconds =
        std::chrono::duration<double>(Clock::now() - epochStart).count();
    std::string summary = llvm::formatv("train loss {0:F4}", r.trainLoss).str();
    if (r.evalLoss)
      summary += llvm::formatv(", eval loss {0:F4}", *r.evalLoss).str();
    if (r.evalMetric)
      summary += llvm::formatv(", eval metric {0:F4}", *r.evalMetric).str();
    summary += llvm::formatv(" ({0:F1} s)", seconds).str();
    bar.finishEpoch(e + 1, summary);
    if (log)
      log->logEpoch(e + 1, r.trainLoss, r.evalLoss, r.evalMetric, seconds);
    results.push_back(r);
  }
  return results;
}
