// The training loop (see Trainer.h).
#include "runtime/train/Trainer.h"

#include "runtime/train/MetricsLog.h"
#include "runtime/train/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <chrono>
#include <cmath>

using namespace axon;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

std::vector<Tensor> axon::tensorsOf(NamedArrays batch) {
  std::vector<Tensor> out;
  out.reserve(batch.arrays.size());
  for (auto &[name, t] : batch.arrays)
    out.push_back(std::move(t));
  return out;
}

llvm::Expected<std::vector<double>>
axon::evaluateEach(const SampleSource &data, int64_t batch,
                   const EvalEachFn &fn, int64_t first) {
  int64_t n = first > 0 ? std::min(first, data.size()) : data.size();
  Batcher batcher(n, batch, 0, /*shuffle=*/false, /*dropLast=*/false);
  std::vector<double> totals;
  int64_t count = 0;
  std::vector<Tensor> tensors; // every batch gathered into the same storage
  for (const auto &rows : batcher.epoch(0)) {
    data.gatherInto(rows, /*epoch=*/0, tensors);
    auto v = fn(tensors);
    if (!v)
      return v.takeError();
    if (totals.empty())
      totals.assign(v->size(), 0.0);
    if (v->size() != totals.size())
      return llvm::createStringError(
          "an evaluation gave " + llvm::Twine(v->size()) + " values, the " +
          "first gave " + llvm::Twine(totals.size()));
    for (size_t i = 0; i < totals.size(); ++i)
      totals[i] += (*v)[i] * static_cast<double>(rows.size());
    count += static_cast<int64_t>(rows.size());
  }
  if (count == 0)
    return llvm::createStringError("the evaluation set is empty");
  for (double &t : totals)
    t /= static_cast<double>(count);
  return totals;
}

llvm::Expected<double> axon::evaluate(const SampleSource &data, int64_t batch,
                                      const EvalFn &fn, int64_t first) {
  auto means = evaluateEach(
      data, batch,
      [&](llvm::ArrayRef<Tensor> b) -> llvm::Expected<std::vector<double>> {
        auto v = fn(b);
        if (!v)
          return v.takeError();
        return std::vector<double>{*v};
      },
      first);
  if (!means)
    return means.takeError();
  return means->front();
}

llvm::Expected<std::vector<EpochResult>>
axon::train(const TrainOptions &options, const SampleSource &trainSet,
            const SampleSource *eval, const StepFn &step,
            const EvalFn &evalLoss, const EvalFn &evalMetric,
            llvm::raw_ostream &progress) {
  if (options.epochs < 1)
    return llvm::createStringError("epochs must be at least 1, got " +
                                   llvm::Twine(options.epochs));
  if (options.batch < 1)
    return llvm::createStringError("the batch size must be at least 1, got " +
                                   llvm::Twine(options.batch));
  bool evaluating = eval && (evalLoss || evalMetric);
  if (evaluating && eval->size() == 0)
    return llvm::createStringError("the evaluation set is empty");
  const SampleSource *validation = options.validation;
  if (validation && validation->size() == 0)
    return llvm::createStringError("the validation split is empty");
  Batcher batcher(trainSet.size(), options.batch, options.seed, options.shuffle,
                  /*dropLast=*/true);
  if (batcher.batchesPerEpoch() == 0)
    return llvm::createStringError("the training set (" +
                                   llvm::Twine(trainSet.size()) +
                                   " samples) is smaller than one batch (" +
                                   llvm::Twine(options.batch) + ")");
  const TrainPosition &start = options.start;
  if (start.epoch < 0 || start.step < 0 ||
      start.step > batcher.batchesPerEpoch() || start.epoch >= options.epochs)
    return llvm::createStringError(
        llvm::formatv("nothing to do: the run starts at epoch {0} step {1} "
                      "but trains {2} epochs of {3} steps",
                      start.epoch + 1, start.step, options.epochs,
                      batcher.batchesPerEpoch()));
  std::optional<MetricsLog> log;
  if (!options.metricsPath.empty()) {
    auto opened = start.globalStep > 0
                      ? MetricsLog::reopen(options.metricsPath,
                                           start.globalStep, start.epoch)
                      : MetricsLog::open(options.metricsPath);
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
  TrainPosition at = start;
  for (; at.epoch < options.epochs; ++at.epoch, at.step = 0, at.lossSum = 0) {
    auto epochStart = Clock::now();
    int64_t samples = 0;
    std::vector<std::vector<int64_t>> batches = batcher.epoch(at.epoch);
    std::vector<Tensor> batch; // every step's, in the same storage
    for (; at.step < int64_t(batches.size());) {
      const std::vector<int64_t> &rows = batches[at.step];
      trainSet.gatherInto(rows, at.epoch, batch);
      auto stepStart = Clock::now();
      auto loss = step(batch, at.globalStep);
      if (!loss)
        return stop(loss.takeError());
      if (!std::isfinite(*loss) && !options.continueOnNonfinite)
        return stop(llvm::createStringError(llvm::formatv(
            "epoch {0}, step {1} (global step {2}): the loss is {3}; "
            "training stopped{4} (a smaller learning rate or clipping may "
            "help; --on-nonfinite=continue trains on)",
            at.epoch + 1, at.step + 1, at.globalStep,
            std::isnan(*loss) ? "NaN" : (*loss > 0 ? "+inf" : "-inf"),
            options.checkpoint ? ", the last checkpoint is kept" : "")));
      double stepSeconds = secondsSince(stepStart);
      at.lossSum += *loss;
      ++at.step;
      samples += static_cast<int64_t>(rows.size());
      // The log keeps each step's own rate; the bar shows the epoch's rate
      // so far (batch gathering included), which does not flicker.
      double stepRate = stepSeconds > 0 ? rows.size() / stepSeconds : 0;
      double epochSeconds = secondsSince(epochStart);
      double epochRate = epochSeconds > 0 ? samples / epochSeconds : 0;
      bar.update(at.epoch + 1, at.step, *loss, epochRate);
      if (log)
        log->logStep(at.epoch + 1, at.step, at.globalStep, *loss, stepRate);
      ++at.globalStep;
      if (options.checkpoint && options.checkpointEvery > 0 &&
          at.globalStep % options.checkpointEvery == 0 &&
          at.step < int64_t(batches.size()))
        if (auto err = options.checkpoint(at))
          return stop(std::move(err));
    }
    EpochResult r;
    r.trainLoss = at.lossSum / static_cast<double>(at.step);
    auto evalInto = [&](const SampleSource &d, const EvalFn &fn,
                        std::optional<double> &into,
                        int64_t first = 0) -> llvm::Error {
      auto v = evaluate(d, options.batch, fn, first);
      if (!v)
        return v.takeError();
      into = *v;
      return llvm::Error::success();
    };
    // The loss and the metric of a set from one pass where the model
    // compiled them together, else one pass each.
    auto evalBothInto = [&](const SampleSource &d, std::optional<double> &loss,
                            std::optional<double> &metric) -> llvm::Error {
      auto v = evaluateEach(d, options.batch, options.evalLossAndMetric);
      if (!v)
        return v.takeError();
      if (v->size() != 2)
        return llvm::createStringError(
            "the loss-and-metric evaluation gave " + llvm::Twine(v->size()) +
            " values, not 2");
      loss = (*v)[0];
      metric = (*v)[1];
      return llvm::Error::success();
    };
    auto evalSetInto = [&](const SampleSource &d, std::optional<double> &loss,
                           std::optional<double> &metric) -> llvm::Error {
      if (evalLoss && evalMetric && options.evalLossAndMetric)
        return evalBothInto(d, loss, metric);
      if (evalLoss)
        if (auto err = evalInto(d, evalLoss, loss))
          return err;
      if (evalMetric)
        return evalInto(d, evalMetric, metric);
      return llvm::Error::success();
    };
    if (validation)
      if (auto err =
              evalSetInto(*validation, r.validationLoss, r.validationMetric))
        return stop(std::move(err));
    if (evaluating)
      if (auto err = evalSetInto(*eval, r.evalLoss, r.evalMetric))
        return stop(std::move(err));
    // The metric on the first training samples too.
    if (evalMetric && options.trainMetricSamples > 0)
      if (auto err = evalInto(trainSet, evalMetric, r.trainMetric,
                              options.trainMetricSamples))
        return stop(std::move(err));
    double seconds = secondsSince(epochStart);
    std::string summary = "train loss " + formatLoss(r.trainLoss);
    if (r.trainMetric)
      summary += llvm::formatv(", train metric {0:F4}", *r.trainMetric).str();
    if (r.validationLoss)
      summary += ", validation loss " + formatLoss(*r.validationLoss);
    if (r.validationMetric)
      summary += llvm::formatv(", validation metric {0:F4}",
                               *r.validationMetric)
                     .str();
    if (r.evalLoss)
      summary += ", eval loss " + formatLoss(*r.evalLoss);
    if (r.evalMetric)
      summary += llvm::formatv(", eval metric {0:F4}", *r.evalMetric).str();
    summary += llvm::formatv(" ({0:F1} s)", seconds).str();
    bar.finishEpoch(at.epoch + 1, summary);
    if (log)
      if (auto err = log->logEpoch(at.epoch + 1, r.trainLoss, r.evalLoss,
                                   r.evalMetric, seconds, r.trainMetric,
                                   r.validationLoss, r.validationMetric))
        return std::move(err);
    results.push_back(r);
    if (options.afterEpoch)
      if (auto err = options.afterEpoch())
        return std::move(err);
    if (options.checkpoint) {
      TrainPosition next{at.epoch + 1, 0, at.globalStep, 0};
      if (auto err = options.checkpoint(next))
        return std::move(err);
    }
  }
  return results;
}
