#include "tools/axonc/CompilePolicy.h"

#include "llvm/ADT/STLExtras.h"

using namespace axon;

std::vector<CompiledRows>
axon::rowsToCompile(const TrainConfig &train, int64_t batch,
                    const EvaluatedSizes &sizes,
                    llvm::ArrayRef<std::string> anyRows,
                    llvm::ArrayRef<std::string> scalarResults) {
  std::vector<CompiledRows> out;
  auto add = [&](const std::string &fn, int64_t rows) {
    if (fn.empty() || rows <= 0)
      return;
    auto it = llvm::find_if(out, [&](const CompiledRows &c) {
      return c.function == fn;
    });
    if (it == out.end()) {
      out.push_back({fn, {rows}});
      return;
    }
    if (!llvm::is_contained(it->rows, rows))
      it->rows.push_back(rows);
  };
  // n samples are evaluated in batches: min(batch, n) rows, then the
  // leftover n % batch.
  auto evaluated = [&](const std::string &fn, std::optional<int64_t> n) {
    if (!n)
      return;
    add(fn, std::min(batch, *n));
    if (*n > batch)
      add(fn, *n % batch);
  };
  if (!train.stepFn.empty()) {
    add(train.stepFn, batch);
    // The eval and validation sets: the loss and the metric in one call
    // where the two were compiled together (addEvalStep).
    for (std::optional<int64_t> n : {sizes.eval, sizes.validation})
      if (!train.evalStepFn.empty()) {
        evaluated(train.evalStepFn, n);
      } else {
        evaluated(train.lossFn, n);
        evaluated(train.evalFn, n);
      }
    evaluated(train.evalFn, sizes.trainMetric);
  }
  for (const std::string &fn : anyRows) {
    add(fn, batch);
    bool inPieces = !llvm::is_contained(scalarResults, fn) ||
                    takesLossArguments(train, fn);
    if (fn != train.stepFn && inPieces)
      add(fn, 1);
  }
  return out;
}

bool axon::takesLossArguments(const TrainConfig &train,
                              llvm::StringRef function) {
  return !train.stepFn.empty() && !function.empty() &&
         (function == train.stepFn || function == train.lossFn ||
          function == train.evalFn || function == train.evalStepFn);
}

std::vector<std::vector<int64_t>>
axon::lossArgumentShapes(const TrainConfig &train, llvm::StringRef function,
                         int64_t rows) {
  std::vector<std::vector<int64_t>> shapes;
  auto add = [&](const std::vector<int64_t> &perSample) {
    std::vector<int64_t> shape = {rows};
    shape.insert(shape.end(), perSample.begin(), perSample.end());
    shapes.push_back(std::move(shape));
  };
  if (train.lossArgs.empty()) { // a configuration from before they were kept
    add(train.inputShape);
    add(train.labelShape);
  }
  for (const LossArgument &a : train.lossArgs)
    add(a.shape);
  if (function == train.stepFn)
    shapes.push_back({});
  return shapes;
}
