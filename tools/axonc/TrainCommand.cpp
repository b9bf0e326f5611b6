// `axonc train`: a train block's data, step function and loop, run on
// JIT-compiled kernels or the reference evaluator.
#include "tools/axonc/TrainCommand.h"

#include "ir/AxonDialect.h"
#include "runtime/Dataset.h"
#include "runtime/Trainer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace axon;

namespace {

int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "axonc") << msg << "\n";
  return 1;
}

int64_t intSetting(DictionaryAttr config, StringRef name, int64_t def) {
  auto a = config.getAs<IntegerAttr>(name);
  return a ? a.getInt() : def;
}

/// Loads `data = idx("images", "labels")`, shaped for the loss's first
/// argument (its dims after the batch dim).
llvm::Expected<Dataset> loadData(DictionaryAttr spec, func::FuncOp loss,
                                 int64_t limit) {
  auto kind = spec.getAs<StringAttr>("kind");
  auto args = spec.getAs<ArrayAttr>("args");
  if (!kind || kind.getValue() != "idx" || !args || args.size() != 2)
    return llvm::createStringError(
        "only data = idx(\"images.gz\", \"labels.gz\") can be trained on so far");
  auto x = cast<RankedTensorType>(loss.getArgumentTypes()[0]);
  std::vector<int64_t> sample(x.getShape().begin() + 1, x.getShape().end());
  for (int64_t d : sample)
    if (ShapedType::isDynamic(d))
      return llvm::createStringError(
          "the loss's input must have static dims after the batch dim");
  return loadIdxDataset(cast<StringAttr>(args[0]).getValue(),
                        cast<StringAttr>(args[1]).getValue(), sample, limit);
}

/// Calls a scalar-valued function.
llvm::Expected<double> scalarCall(Runner &runner, const std::string &fn,
                                  std::vector<Tensor> args) {
  auto out = runner.call(fn, args);
  if (!out)
    return out.takeError();
  return out->front().data.front();
}

} // namespace

int axon::runTraining(ModuleOp module, const TrainFlags &flags) {
  TrainOp train;
  for (TrainOp t : module.getOps<TrainOp>())
    if (flags.loss.empty() || t.getLoss() == flags.loss) {
      if (train)
        return fail("several train blocks; pick one with --loss NAME");
      train = t;
    }
  if (!train)
    return fail(flags.loss.empty() ? "the model has no train block"
                                   : "no train block for '" + flags.loss + "'");
  DictionaryAttr config = train.getConfig();
  auto stepFn = train->getAttrOfType<FlatSymbolRefAttr>("step_fn");
  auto loss = module.lookupSymbol<func::FuncOp>(train.getLoss());
  if (!stepFn || !loss)
    return fail("the train block was not lowered to a train step");
  if (loss.getNumArguments() != 2)
    return fail("training needs a loss of (inputs, labels); '" +
                train.getLoss() + "' takes " +
                std::to_string(loss.getNumArguments()) + " arguments");
  auto data = config.getAs<DictionaryAttr>("data");
  if (!data)
    return fail("the train block has no 'data' setting");
  auto trainSet = loadData(data, loss, flags.limit);
  if (!trainSet)
    return fail(llvm::toString(trainSet.takeError()));
  std::optional<Dataset> evalSet;
  if (auto evalData = config.getAs<DictionaryAttr>("eval_data")) {
    auto loaded = loadData(evalData, loss, flags.evalLimit);
    if (!loaded)
      return fail(llvm::toString(loaded.takeError()));
    evalSet = std::move(*loaded);
  }

  TrainOptions options;
  options.epochs = flags.epochs ? flags.epochs : intSetting(config, "epochs", 1);
  options.batch = flags.batch ? flags.batch : intSetting(config, "batch", 32);
  options.seed = intSetting(config, "seed", 0);
  options.shuffle = intSetting(config, "shuffle", 1) != 0;
  options.metricsPath = flags.metrics;
  if (options.metricsPath.empty()) {
    if (auto log = config.getAs<StringAttr>("log"))
      options.metricsPath = log.str();
    else
      options.metricsPath =
          (llvm::sys::path::stem(flags.modelPath) + ".metrics.jsonl").str();
  }

  std::string stepName = stepFn.getValue().str();
  std::string lossName = train.getLoss().str();
  std::string metricName;
  if (auto metric = config.getAs<StringAttr>("eval_fn")) {
    metricName = metric.str();
    if (!module.lookupSymbol<func::FuncOp>(metricName))
      return fail("eval_fn names unknown function '" + metricName + "'");
  }

  // The compiled backend specialises each function to the shapes it will
  // see: full batches, and the eval set's last partial batch.
  auto batchShapes = [&](const Dataset &d, int64_t rows) {
    std::vector<int64_t> x = d.inputs.shape, t = d.labels.shape;
    x[0] = rows;
    t[0] = rows;
    return std::vector<std::vector<int64_t>>{x, t};
  };
  std::vector<FunctionRequest> requests;
  auto stepShapes = batchShapes(*trainSet, options.batch);
  stepShapes.push_back({});
  requests.push_back({stepName, stepShapes});
  if (evalSet) {
    std::vector<int64_t> sizes{std::min(options.batch, evalSet->size())};
    if (evalSet->size() > options.batch && evalSet->size() % options.batch)
      sizes.push_back(evalSet->size() % options.batch);
    for (int64_t rows : sizes) {
      requests.push_back({lossName, batchShapes(*evalSet, rows)});
      if (!metricName.empty())
        requests.push_back({metricName, batchShapes(*evalSet, rows)});
    }
  }
  if (flags.runner.backend == "halide")
    llvm::outs() << "compiling " << requests.size()
                 << " functions to Halide kernels...\n";
  auto runner = makeRunner(module, flags.runner, requests);
  if (!runner)
    return fail(llvm::toString(runner.takeError()));
  Runner &ev = **runner;
  StepFn step = [&](const Tensor &x, const Tensor &t, int64_t globalStep) {
    Tensor counter(DType::I64, {}, {static_cast<double>(globalStep)});
    return scalarCall(ev, stepName, {x, t, counter});
  };
  EvalFn evalLoss = [&](const Tensor &x, const Tensor &t) {
    return scalarCall(ev, lossName, {x, t});
  };
  EvalFn evalMetric;
  if (!metricName.empty())
    evalMetric = [&](const Tensor &x, const Tensor &t) {
      return scalarCall(ev, metricName, {x, t});
    };

  llvm::outs() << llvm::formatv(
      "training '{0}' on {1} samples ({2} epochs, batch {3}), metrics in {4}\n",
      lossName, trainSet->size(), options.epochs, options.batch,
      options.metricsPath);
  auto results = axon::train(options, *trainSet, evalSet ? &*evalSet : nullptr,
                             step, evalLoss, evalMetric, llvm::errs());
  if (!results)
    return fail(llvm::toString(results.takeError()));
  if (auto err = ev.finish())
    return fail(llvm::toString(std::move(err)));
  const EpochResult &last = results->back();
  llvm::outs() << llvm::formatv("final train loss {0:F4}", last.trainLoss);
  if (last.evalLoss)
    llvm::outs() << llvm::formatv(", eval loss {0:F4}", *last.evalLoss);
  if (last.evalMetric)
    llvm::outs() << llvm::formatv(", eval {0} {1:F4}", metricName,
                                  *last.evalMetric);
  llvm::outs() << "\n";
  return 0;
}
