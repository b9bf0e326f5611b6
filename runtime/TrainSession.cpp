// A train block run end to end (see TrainSession.h).
#include "runtime/TrainSession.h"

#include "runtime/Plot.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <cstdlib>

using namespace axon;

namespace {

constexpr const char *kFormat = "axon-checkpoint-1";

std::string modelStem(const TrainConfig &config) {
  return llvm::sys::path::stem(config.model.empty() ? "model" : config.model)
      .str();
}

/// Exact decimal-free text of a double ("%a"), so a resumed epoch's loss sum
/// is the uninterrupted run's to the last bit.
std::string exactDouble(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%a", v);
  return text;
}

llvm::Expected<int64_t> intField(const Checkpoint &c, llvm::StringRef key,
                                 llvm::StringRef path) {
  auto it = c.metadata.find(key.str());
  int64_t v;
  if (it == c.metadata.end() || llvm::StringRef(it->second).getAsInteger(10, v))
    return llvm::createStringError(path + ": not an Axon training checkpoint "
                                          "(metadata '" + key +
                                   "' missing or not an integer)");
  return v;
}

} // namespace

std::string axon::metricsPathOf(const TrainConfig &config,
                                const SessionOptions &o) {
  if (!o.metricsPath.empty())
    return o.metricsPath;
  if (!config.log.empty())
    return config.log;
  return modelStem(config) + ".metrics.jsonl";
}

std::string axon::checkpointPathOf(const TrainConfig &config,
                                   const SessionOptions &o) {
  if (!o.checkpointPath.empty())
    return o.checkpointPath;
  return modelStem(config) + ".ckpt.safetensors";
}

llvm::Expected<Checkpoint> axon::makeCheckpoint(const Model &model,
                                                const TrainConfig &config,
                                                const TrainOptions &options,
                                                int64_t trainSamples,
                                                const TrainPosition &at) {
  auto c = checkpointOf(model);
  if (!c)
    return c.takeError();
  c->metadata = {{"format", kFormat},
                 {"model", config.model},
                 {"epoch", std::to_string(at.epoch)},
                 {"step", std::to_string(at.step)},
                 {"global_step", std::to_string(at.globalStep)},
                 {"loss_sum", exactDouble(at.lossSum)},
                 {"batch", std::to_string(options.batch)},
                 {"seed", std::to_string(options.seed)},
                 {"shuffle", options.shuffle ? "1" : "0"},
                 {"train_samples", std::to_string(trainSamples)}};
  return c;
}

llvm::Expected<TrainPosition> axon::resumeFrom(Model &model,
                                               llvm::StringRef path,
                                               const TrainOptions &options,
                                               int64_t trainSamples) {
  auto c = readCheckpoint(path);
  if (!c)
    return c.takeError();
  if (c->metadata["format"] != kFormat)
    return llvm::createStringError(path + ": not an Axon training checkpoint "
                                          "(no " + kFormat + " metadata); "
                                          "it can still be loaded as weights");
  TrainPosition at;
  int64_t fields[7];
  const char *keys[7] = {"epoch", "step", "global_step", "batch", "seed",
                         "shuffle", "train_samples"};
  for (int i = 0; i < 7; ++i) {
    auto v = intField(*c, keys[i], path);
    if (!v)
      return v.takeError();
    fields[i] = *v;
  }
  at.epoch = fields[0];
  at.step = fields[1];
  at.globalStep = fields[2];
  at.lossSum = std::strtod(c->metadata["loss_sum"].c_str(), nullptr);
  // The batch order is a function of these; another value would not
  // continue the checkpointed run.
  std::vector<std::string> differ;
  auto same = [&](const char *what, int64_t saved, int64_t now) {
    if (saved != now)
      differ.push_back(llvm::formatv("{0} {1} (this run: {2})", what, saved, now));
  };
  same("batch", fields[3], options.batch);
  same("seed", fields[4], int64_t(options.seed));
  same("shuffle", fields[5], options.shuffle);
  same("training samples", fields[6], trainSamples);
  if (!differ.empty()) {
    std::string msg = path.str() + ": cannot resume, the checkpoint was made with";
    for (size_t i = 0; i < differ.size(); ++i)
      msg += (i ? ", " : " ") + differ[i];
    return llvm::createStringError(msg);
  }
  if (llvm::Error e = restoreParams(model, *c, path))
    return std::move(e);
  return at;
}

llvm::Expected<std::vector<EpochResult>>
axon::runTrainSession(Model &model, const TrainConfig &config,
                      const TrainData &data, const SessionOptions &o,
                      llvm::raw_ostream &out, llvm::raw_ostream &progress) {
  if (config.stepFn.empty())
    return llvm::createStringError("the model has no train block");
  TrainOptions options;
  options.epochs = o.epochs ? o.epochs : config.epochs;
  options.batch = config.batch;
  options.seed = config.seed;
  options.shuffle = config.shuffle;
  options.metricsPath = metricsPathOf(config, o);
  options.trainMetricSamples = o.trainMetricSamples;
  int64_t samples = data.train.size();
  if (!o.resumePath.empty()) {
    auto at = resumeFrom(model, o.resumePath, options, samples);
    if (!at)
      return at.takeError();
    options.start = *at;
    out << llvm::formatv("resuming from {0} at epoch {1}, step {2}\n",
                         o.resumePath, at->epoch + 1, at->step);
  }
  std::string checkpointPath = checkpointPathOf(config, o);
  if (checkpointPath != "none") {
    options.checkpointEvery = o.checkpointEvery;
    options.checkpoint = [&](const TrainPosition &at) -> llvm::Error {
      auto c = makeCheckpoint(model, config, options, samples, at);
      if (!c)
        return c.takeError();
      return writeCheckpoint(checkpointPath, *c);
    };
  }
  std::string plotPath = plotPathFor(options.metricsPath);
  options.afterEpoch = [&] {
    return writeTrainingPlot(options.metricsPath, plotPath, config.evalFn);
  };

  auto call = [&model](const std::string &fn,
                       std::vector<Tensor> args) -> llvm::Expected<double> {
    auto r = model.call(fn, args);
    if (!r)
      return r.takeError();
    return r->front().data.front();
  };
  StepFn step = [&](const Tensor &x, const Tensor &t, int64_t globalStep) {
    return call(config.stepFn,
                {x, t, Tensor(DType::I64, {}, {double(globalStep)})});
  };
  EvalFn evalLoss = [&](const Tensor &x, const Tensor &t) {
    return call(config.lossFn, {x, t});
  };
  EvalFn evalMetric;
  if (!config.evalFn.empty())
    evalMetric = [&](const Tensor &x, const Tensor &t) {
      return call(config.evalFn, {x, t});
    };

  out << llvm::formatv("training '{0}' on {1} samples ({2} epochs, batch {3})"
                       "\n",
                       config.lossFn, samples, options.epochs, options.batch);
  out.flush();
  auto results = train(options, data.train, data.eval ? &*data.eval : nullptr,
                       step, evalLoss, evalMetric, progress);
  if (!results)
    return results.takeError();
  out << "metrics: " << options.metricsPath << ", plot: " << plotPath;
  if (checkpointPath != "none")
    out << ", checkpoint: " << checkpointPath;
  out << "\n";
  if (!results->empty()) {
    const EpochResult &last = results->back();
    out << llvm::formatv("final train loss {0:F4}", last.trainLoss);
    if (last.evalLoss)
      out << llvm::formatv(", test loss {0:F4}", *last.evalLoss);
    if (last.evalMetric)
      out << llvm::formatv(", test {0} {1:F4}", config.evalFn,
                           *last.evalMetric);
    out << "\n";
  }
  return results;
}
