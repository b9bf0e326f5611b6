// `axonc train`: a train block's data, then its training session (runtime/
// train/TrainSession) on JIT-compiled kernels or the reference evaluator.
#include "tools/axonc/TrainCommand.h"

#include "runtime/train/TrainSession.h"
#include "tools/axonc/CompilePolicy.h"
#include "tools/axonc/Fail.h"
#include "tools/axonc/TrainBlock.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace axon;

std::vector<FunctionRequest> axon::trainRequests(const TrainConfig &c,
                                                 const TrainSources &data,
                                                 int64_t trainMetricSamples) {
  EvaluatedSizes sizes;
  if (data.eval)
    sizes.eval = data.eval->size();
  if (data.validation)
    sizes.validation = data.validation->size();
  sizes.trainMetric = std::min(trainMetricSamples, data.train->size());
  std::vector<FunctionRequest> requests;
  for (const CompiledRows &f : rowsToCompile(c, c.batch, sizes, {}))
    for (int64_t rows : f.rows)
      requests.push_back(
          {f.function, lossArgumentShapes(c, f.function, rows)});
  return requests;
}

int axon::runTraining(ModuleOp module, const std::string &modelPath,
                      const std::string &loss, int64_t batch,
                      const TrainFlags &flags, const RunnerOptions &runnerOptions) {
  auto train = findTrainBlock(module, loss);
  if (!train)
    return fail(llvm::toString(train.takeError()));
  auto config = trainConfigOf(module, *train, modelPath);
  if (!config)
    return fail(llvm::toString(config.takeError()));
  if (batch)
    config->batch = batch;
  addEvalStep(module, *config);
  config->allowNonfinite = flags.allowNonfiniteInputs;
  auto data = loadTrainSources(*config, flags.limit, flags.evalLimit);
  if (!data)
    return fail(llvm::toString(data.takeError()));

  SessionOptions options = flags.sessionOptions();
  std::vector<FunctionRequest> requests =
      trainRequests(*config, *data, options.trainMetricSamples);
  if (runnerOptions.backend == "halide")
    llvm::outs() << "compiling " << requests.size()
                 << " functions to Halide kernels...\n";
  auto runner = makeRunner(module, runnerOptions, requests);
  if (!runner)
    return fail(llvm::toString(runner.takeError()));
  auto results = runTrainSession(**runner, *config, *data, options,
                                 llvm::outs(), llvm::errs());
  if (!results)
    return fail(llvm::toString(results.takeError()));
  if (auto err = (*runner)->finish())
    return fail(llvm::toString(std::move(err)));
  return 0;
}
