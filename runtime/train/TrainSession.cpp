// A train block run end to end (see TrainSession.h).
#include "runtime/train/TrainSession.h"
#include "runtime/io/AtomicFile.h"

#include "runtime/train/Plot.h"
#include "runtime/train/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

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

/// The model file's name: a checkpoint resumes in another directory, or in
/// a binary built from the file.
std::string modelFile(llvm::StringRef model) {
  return llvm::sys::path::filename(model).str();
}

std::string joined(const std::vector<std::string> &names,
                   llvm::StringRef separator) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? separator.str() : "") + names[i];
  return s;
}

/// "'loss' of mlp.axon (params W1, b1; optimizer adam)".
std::string blockOf(llvm::StringRef loss, llvm::StringRef model,
                    llvm::StringRef params, llvm::StringRef optimizer) {
  return llvm::formatv("'{0}' of {1} (params {2}; optimizer {3})",
                       loss, model.empty() ? "?" : model,
                       params.empty() ? "?" : params,
                       optimizer.empty() ? "?" : optimizer);
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

std::string axon::firstNonfinite(const Checkpoint &c) {
  for (const auto &[name, t] : c.tensors)
    for (size_t i = 0; i < t.data.size(); ++i)
      if (!std::isfinite(t.data[i]))
        return llvm::formatv("parameter '{0}' holds {1} (element {2})", name,
                             std::isnan(t.data[i]) ? "NaN"
                             : t.data[i] > 0       ? "+inf"
                                                   : "-inf",
                             i)
            .str();
  return "";
}

llvm::Expected<Checkpoint>
axon::makeCheckpoint(const Model &model, const TrainConfig &config,
                     const TrainOptions &options, int64_t trainSamples,
                     const TrainPosition &at, const Vocabulary *vocabulary) {
  auto c = checkpointOf(model);
  if (!c)
    return c.takeError();
  c->metadata = {{"format", kFormat},
                 {"model", config.model},
                 {"train_loss", config.lossFn},
                 {"train_params", joined(config.params, ",")},
                 {"optimizer", config.optimizer},
                 {"epoch", std::to_string(at.epoch)},
                 {"step", std::to_string(at.step)},
                 {"global_step", std::to_string(at.globalStep)},
                 {"loss_sum", exactDouble(at.lossSum)},
                 {"batch", std::to_string(options.batch)},
                 {"seed", std::to_string(options.seed)},
                 {"shuffle", options.shuffle ? "1" : "0"},
                 {"train_samples", std::to_string(trainSamples)}};
  if (vocabulary)
    storeVocabulary(*c, *vocabulary);
  return c;
}

llvm::Expected<TrainPosition>
axon::resumeFrom(Model &model, llvm::StringRef path, const TrainConfig &config,
                 const TrainOptions &options, int64_t trainSamples,
                 std::string *note) {
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

  // Which train block of which model wrote it: a GAN's two blocks share
  // every parameter name, so only this record tells their checkpoints
  // apart. Checkpoints from before it was kept have none.
  std::vector<std::string> block;
  auto differ = [](std::vector<std::string> &list, const llvm::Twine &what,
                   const std::string &saved, const std::string &now) {
    if (saved != now)
      list.push_back(
          llvm::formatv("{0} {1} (this run: {2})", what, saved, now));
  };
  bool recorded = c->metadata.count("train_loss");
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(c->metadata["train_params"]).split(names, ',', -1, false);
  std::string savedModel = modelFile(c->metadata["model"]),
              savedParams = joined(std::vector<std::string>(names.begin(), names.end()), ", "),
              params = joined(config.params, ", ");
  if (recorded) {
    differ(block, "model", savedModel, modelFile(config.model));
    differ(block, "train block", "'" + c->metadata["train_loss"] + "'",
           "'" + config.lossFn + "'");
    differ(block, "params", savedParams, params);
    differ(block, "optimizer", c->metadata["optimizer"], config.optimizer);
  } else if (note) {
    *note = (path + ": no record of the train block that wrote it (an older "
                    "checkpoint); resuming on its parameters and run settings "
                    "alone").str();
  }
  // The batch order is a function of these; another value would not
  // continue the checkpointed run.
  std::vector<std::string> settings;
  auto same = [&](const char *what, int64_t saved, int64_t now) {
    differ(settings, what, std::to_string(saved), std::to_string(now));
  };
  same("batch", fields[3], options.batch);
  same("seed", fields[4], int64_t(options.seed));
  same("shuffle", fields[5], options.shuffle);
  same("training samples", fields[6], trainSamples);

  if (!block.empty()) {
    // Everything that differs, the parameters' names, shapes and dtypes too.
    std::vector<std::string> all = block;
    all.insert(all.end(), settings.begin(), settings.end());
    auto mismatches = paramMismatches(model, *c);
    if (!mismatches)
      return mismatches.takeError();
    all.insert(all.end(), mismatches->begin(), mismatches->end());
    std::string msg =
        path.str() + ": cannot resume, the checkpoint was written by train block " +
        blockOf(c->metadata["train_loss"], savedModel, savedParams,
                c->metadata["optimizer"]) +
        "; this run trains " +
        blockOf(config.lossFn, modelFile(config.model), params,
                config.optimizer) +
        ". " + std::to_string(all.size()) + " difference" +
        (all.size() == 1 ? "" : "s") + ":";
    for (const std::string &d : all)
      msg += "\n  " + d;
    return llvm::createStringError(msg);
  }
  if (!settings.empty()) {
    std::string msg = path.str() + ": cannot resume, the checkpoint was made with";
    for (size_t i = 0; i < settings.size(); ++i)
      msg += (i ? ", " : " ") + settings[i];
    return llvm::createStringError(msg);
  }
  if (llvm::Error e = restoreParams(model, *c, path))
    return std::move(e);
  return at;
}

llvm::Expected<std::vector<EpochResult>>
axon::runTrainSession(Model &model, const TrainConfig &config,
                      const TrainSources &data, const SessionOptions &o,
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
  options.continueOnNonfinite = o.continueOnNonfinite;
  int64_t samples = data.train->size();
  options.validation = data.validation.get();
  if (!o.resumePath.empty()) {
    std::string note;
    auto at = resumeFrom(model, o.resumePath, config, options, samples, &note);
    if (!at)
      return at.takeError();
    if (!note.empty())
      out << "note: " << note << "\n";
    options.start = *at;
    out << llvm::formatv("resuming from {0} at epoch {1}, step {2}\n",
                         o.resumePath, at->epoch + 1, at->step);
  }
  std::string checkpointPath = checkpointPathOf(config, o);
  if (checkpointPath != "none") {
    // Temporaries a killed run left behind go at the start, not at the
    // first write.
    for (const std::string &stale : removeStaleTemporaries(checkpointPath))
      out << "removed " << stale << ", left by a run killed mid-write\n";
    options.checkpointEvery = o.checkpointEvery;
    options.checkpoint = [&, warned = false](
                             const TrainPosition &at) mutable -> llvm::Error {
      auto c = makeCheckpoint(model, config, options, samples, at,
                              data.vocabulary ? &*data.vocabulary : nullptr);
      if (!c)
        return c.takeError();
      // A diverged model never replaces a good checkpoint.
      std::string bad = firstNonfinite(*c);
      if (bad.empty())
        return writeCheckpoint(checkpointPath, *c);
      std::string msg = llvm::formatv(
          "not writing checkpoint {0} at epoch {1}, step {2} (global step "
          "{3}): {4}; the previous checkpoint is kept",
          checkpointPath, at.epoch + 1, at.step, at.globalStep, bad);
      if (!options.continueOnNonfinite)
        return llvm::createStringError(msg);
      if (!warned)
        out << "warning: " << msg << " (and later non-finite ones are not "
                                     "written either)\n";
      warned = true;
      return llvm::Error::success();
    };
  }
  std::string plotPath = plotPathFor(options.metricsPath);
  options.afterEpoch = [&] {
    return writeTrainingPlot(options.metricsPath, plotPath, config.evalFn);
  };

  // The arguments of every call, copied into the same vectors each time:
  // a batch's tensors are reassigned in place, never reallocated (a fresh
  // 800 KB vector a step faulted its pages in anew).
  std::vector<Tensor> args;
  // Each result's first element (a scalar: the loss, the metric).
  auto callEach = [&](const std::string &fn, llvm::ArrayRef<Tensor> batch,
                      std::optional<int64_t> globalStep)
      -> llvm::Expected<std::vector<double>> {
    args.resize(batch.size() + (globalStep ? 1 : 0));
    for (size_t i = 0; i < batch.size(); ++i) {
      args[i].dtype = batch[i].dtype;
      args[i].shape = batch[i].shape;
      args[i].data.assign(batch[i].data.begin(), batch[i].data.end());
    }
    if (globalStep)
      args.back() = Tensor(DType::I64, {}, {double(*globalStep)});
    auto r = model.call(fn, args);
    if (!r)
      return r.takeError();
    std::vector<double> firsts;
    for (const Tensor &t : *r)
      firsts.push_back(t.data.front());
    return firsts;
  };
  auto call = [&](const std::string &fn, llvm::ArrayRef<Tensor> batch,
                  std::optional<int64_t> globalStep) -> llvm::Expected<double> {
    auto r = callEach(fn, batch, globalStep);
    if (!r)
      return r.takeError();
    return r->front();
  };
  // The step takes the loss's arguments and the step counter.
  StepFn step = [&](llvm::ArrayRef<Tensor> batch, int64_t globalStep) {
    return call(config.stepFn, batch, globalStep);
  };
  EvalFn evalLoss = [&](llvm::ArrayRef<Tensor> batch) {
    return call(config.lossFn, batch, std::nullopt);
  };
  EvalFn evalMetric;
  if (!config.evalFn.empty())
    evalMetric = [&](llvm::ArrayRef<Tensor> batch) {
      return call(config.evalFn, batch, std::nullopt);
    };
  if (!config.evalStepFn.empty())
    options.evalLossAndMetric = [&](llvm::ArrayRef<Tensor> batch) {
      return callEach(config.evalStepFn, batch, std::nullopt);
    };

  out << llvm::formatv("training '{0}' on {1} samples", config.lossFn,
                       samples);
  if (data.validation)
    out << llvm::formatv(", {0} held out for validation",
                         data.validation->size());
  out << llvm::formatv(" ({0} epochs, batch {1})\n", options.epochs,
                       options.batch);
  out.flush();
  auto results = train(options, *data.train, data.eval.get(), step, evalLoss,
                       evalMetric, progress);
  if (!results)
    return results.takeError();
  out << "metrics: " << options.metricsPath << ", plot: " << plotPath;
  if (checkpointPath != "none")
    out << ", checkpoint: " << checkpointPath;
  out << "\n";
  if (!results->empty()) {
    const EpochResult &last = results->back();
    out << "final train loss " << formatLoss(last.trainLoss);
    if (last.validationLoss)
      out << ", validation loss " << formatLoss(*last.validationLoss);
    if (last.evalLoss)
      out << ", test loss " << formatLoss(*last.evalLoss);
    if (last.evalMetric)
      out << llvm::formatv(", test {0} {1:F4}", config.evalFn,
                           *last.evalMetric);
    out << "\n";
  }
  return results;
}
