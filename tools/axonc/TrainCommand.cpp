// `axonc train`: a train block's data, then its training session (runtime/
// TrainSession) on JIT-compiled kernels or the reference evaluator.
#include "tools/axonc/TrainCommand.h"

#include "runtime/train/TrainSession.h"
#include "tools/axonc/Fail.h"
#include "tools/axonc/TrainBlock.h"

#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
using namespace axon;

std::vector<FunctionRequest> axon::trainRequests(const TrainConfig &c,
                                                 const TrainData &data,
                                                 int64_t trainMetricSamples) {
  auto at = [](const Dataset &d, int64_t rows) {
    std::vector<int64_t> x = d.inputs.shape, t = d.labels.shape;
    x[0] = rows;
    t[0] = rows;
    return std::vector<std::vector<int64_t>>{x, t};
  };
  std::vector<FunctionRequest> requests;
  auto stepShapes = at(data.train, c.batch);
  stepShapes.push_back({}); // the step counter
  requests.push_back({c.stepFn, stepShapes});
  // Evaluation runs in full batches and then the remainder (Trainer.h).
  std::set<std::pair<std::string, int64_t>> seen;
  auto evaluated = [&](const std::string &fn, const Dataset &d, int64_t n) {
    for (int64_t rows : {std::min(c.batch, n), n > c.batch ? n % c.batch : 0})
      if (rows > 0 && seen.insert({fn, rows}).second)
        requests.push_back({fn, at(d, rows)});
  };
  if (data.eval) {
    evaluated(c.lossFn, *data.eval, data.eval->size());
    if (!c.evalFn.empty())
      evaluated(c.evalFn, *data.eval, data.eval->size());
  }
  // The train metric, on the first samples of the training set.
  if (!c.evalFn.empty())
    evaluated(c.evalFn, data.train,
              std::min(trainMetricSamples, data.train.size()));
  return requests;
}

int axon::runTraining(ModuleOp module, const TrainFlags &flags) {
  auto train = findTrainBlock(module, flags.loss);
  if (!train)
    return fail(llvm::toString(train.takeError()));
  auto config = trainConfigOf(module, *train, flags.modelPath);
  if (!config)
    return fail(llvm::toString(config.takeError()));
  if (flags.batch)
    config->batch = flags.batch;
  config->allowNonfinite = flags.allowNonfinite;
  auto data = loadTrainData(*config, flags.limit, flags.evalLimit);
  if (!data)
    return fail(llvm::toString(data.takeError()));

  SessionOptions options;
  std::vector<FunctionRequest> requests =
      trainRequests(*config, *data, options.trainMetricSamples);
  if (flags.runner.backend == "halide")
    llvm::outs() << "compiling " << requests.size()
                 << " functions to Halide kernels...\n";
  auto runner = makeRunner(module, flags.runner, requests);
  if (!runner)
    return fail(llvm::toString(runner.takeError()));

  options.epochs = flags.epochs;
  options.metricsPath = flags.metrics;
  options.checkpointPath = flags.checkpoint;
  options.checkpointEvery = flags.checkpointEvery;
  options.resumePath = flags.resume;
  options.continueOnNonfinite = flags.continueOnNonfinite;
  auto results = runTrainSession(**runner, *config, *data, options,
                                 llvm::outs(), llvm::errs());
  if (!results)
    return fail(llvm::toString(results.takeError()));
  if (auto err = (*runner)->finish())
    return fail(llvm::toString(std::move(err)));
  return 0;
}
