// Reading a train block's settings (see TrainBlock.h).
#include "tools/axonc/TrainBlock.h"

#include "ir/ElementTypes.h"
#include "runtime/data/TrainSources.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace axon;

namespace {

/// The dims after the batch dim of a loss argument, which must be static.
llvm::Error perSample(Type type, llvm::StringRef what,
                      std::vector<int64_t> &shape, DType &dtype) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || t.getRank() < 1)
    return llvm::createStringError("the loss's " + what +
                                   " must have a batch dimension");
  for (int64_t d : t.getShape().drop_front())
    if (ShapedType::isDynamic(d))
      return llvm::createStringError("the loss's " + what +
                                     " must have static dims after the batch "
                                     "dim");
  shape.assign(t.getShape().begin() + 1, t.getShape().end());
  auto d = dtypeOf(t.getElementType());
  if (!d)
    return llvm::createStringError("the loss's " + what +
                                   " has an unsupported element type");
  dtype = *d;
  return llvm::Error::success();
}

DataSource sourceOf(DataSourceAttr spec) {
  DataSource s;
  if (!spec)
    return s;
  s.format = spec.getFormat().str();
  for (StringAttr file : spec.getFiles())
    s.files.push_back(file.str());
  s.labelColumn = spec.getIntOption("label", 0);
  if (!s.namedArrays() || !spec.getOptions())
    return s;
  // text's and task's settings as TextSource.h's textSourceSpec and
  // SequenceTask.h's sequenceTaskSpec read them.
  for (NamedAttribute o : spec.getOptions()) {
    llvm::json::Value v = nullptr;
    if (auto i = dyn_cast<IntegerAttr>(o.getValue()))
      v = i.getInt();
    else if (auto f = dyn_cast<FloatAttr>(o.getValue()))
      v = f.getValueAsDouble();
    else if (auto str = dyn_cast<StringAttr>(o.getValue()))
      v = str.getValue().str();
    s.options[o.getName().getValue()] = std::move(v);
  }
  return s;
}

/// The loss's arguments by name (the model file's), each with its dims
/// after the batch dim, -1 where symbolic.
llvm::Expected<std::vector<LossArgument>> lossArguments(func::FuncOp loss) {
  auto names = loss->getAttrOfType<ArrayAttr>("axon.arg_names");
  std::vector<LossArgument> args;
  for (auto [i, type] : llvm::enumerate(loss.getArgumentTypes())) {
    LossArgument a;
    a.name = names && i < names.size()
                 ? cast<StringAttr>(names[i]).getValue().str()
                 : "arg" + std::to_string(i);
    auto t = dyn_cast<RankedTensorType>(type);
    if (!t || t.getRank() < 1)
      return llvm::createStringError("the loss's argument '" + a.name +
                                     "' must have a batch dimension");
    for (int64_t d : t.getShape().drop_front())
      a.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    auto d = dtypeOf(t.getElementType());
    if (!d)
      return llvm::createStringError("the loss's argument '" + a.name +
                                     "' has an unsupported element type");
    a.dtype = *d;
    args.push_back(std::move(a));
  }
  return args;
}

Normalization::Kind normalizationOf(NormalizeKind kind) {
  switch (kind) {
  case NormalizeKind::none:
    return Normalization::Kind::None;
  case NormalizeKind::scale:
    return Normalization::Kind::Scale;
  case NormalizeKind::standard:
    return Normalization::Kind::Standard;
  case NormalizeKind::fixed:
    return Normalization::Kind::Fixed;
  }
  llvm_unreachable("a NormalizeKind");
}

/// The classes integer labels `v` index: the depth of a one_hot they reach
/// (through casts, reshapes and calls; cross_entropy and nll one-hot their
/// labels), the smallest if several; 0 if none.
int64_t classesOf(Value v, ModuleOp module, int depth = 0) {
  if (depth > 32)
    return 0;
  int64_t best = 0;
  auto take = [&](int64_t c) {
    if (c > 0 && (best == 0 || c < best))
      best = c;
  };
  for (OpOperand &use : v.getUses()) {
    Operation *op = use.getOwner();
    if (auto hot = dyn_cast<OneHotOp>(op))
      take(hot.getDepth());
    else if (isa<CastOp, ReshapeOp>(op))
      take(classesOf(op->getResult(0), module, depth + 1));
    else if (auto call = dyn_cast<func::CallOp>(op))
      if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
        if (!callee.isExternal() &&
            use.getOperandNumber() < callee.getNumArguments())
          take(classesOf(callee.getArgument(use.getOperandNumber()), module,
                         depth + 1));
  }
  return best;
}

} // namespace

llvm::Expected<TrainOp> axon::findTrainBlock(ModuleOp module,
                                             llvm::StringRef loss) {
  TrainOp train;
  for (TrainOp t : module.getOps<TrainOp>())
    if (loss.empty() || t.getLoss() == loss) {
      if (train)
        return llvm::createStringError(
            "several train blocks; pick one with --loss NAME");
      train = t;
    }
  if (!train)
    return llvm::createStringError(
        loss.empty() ? "the model has no train block"
                     : "no train block for '" + loss + "'");
  return train;
}

std::optional<int64_t> axon::trainBlockBatch(ModuleOp module) {
  std::optional<int64_t> batch;
  for (TrainOp t : module.getOps<TrainOp>())
    if (auto b = t.getConfig().getBatch())
      batch = *b;
  return batch;
}

llvm::Expected<TrainConfig> axon::trainConfigOf(ModuleOp module, TrainOp train,
                                                llvm::StringRef modelPath) {
  TrainConfig c;
  c.model = modelPath.str();
  TrainConfigAttr config = train.getConfig();
  FlatSymbolRefAttr stepFn = train.getStepFnAttr();
  auto loss = module.lookupSymbol<func::FuncOp>(train.getLoss());
  if (!stepFn || !loss)
    return llvm::createStringError(
        "the train block was not lowered to a train step");
  c.stepFn = stepFn.getValue().str();
  c.lossFn = train.getLoss().str();
  if (FlatSymbolRefAttr metric = config.getEvalFn()) {
    c.evalFn = metric.getValue().str();
    if (!module.lookupSymbol<func::FuncOp>(c.evalFn))
      return llvm::createStringError("eval_fn names unknown function '" +
                                     c.evalFn + "'");
  }
  // The block's parameter group: `params = [...]`, else every parameter
  // (the optimizer's state excluded), as the frontend differentiates.
  for (FlatSymbolRefAttr p : config.getParams())
    c.params.push_back(p.getValue().str());
  if (c.params.empty())
    for (ParamOp p : module.getOps<ParamOp>())
      if (!p.getOptimizerState())
        c.params.push_back(p.getSymName().str());
  if (OptimizerAttr optimizer = config.getOptimizer())
    c.optimizer = stringifyOptimizerKind(optimizer.getKind()).str();
  c.train = sourceOf(config.getData());
  c.eval = sourceOf(config.getEvalData());
  if (std::optional<llvm::APFloat> v = config.getValidation())
    c.validation = v->convertToDouble();
  c.epochs = config.getEpochs();
  if (auto batch = config.getBatch())
    c.batch = *batch;
  c.seed = uint64_t(config.getSeed());
  c.shuffle = config.getShuffle();
  c.log = config.getLog().str();
  auto args = lossArguments(loss);
  if (!args)
    return args.takeError();
  c.lossArgs = std::move(*args);

  if (c.train.namedArrays()) {
    // Named arrays bind to the loss's arguments by name, their shapes
    // binding its symbolic dims; inputs are not rescaled.
    if (config.getOneHot())
      return llvm::createStringError(
          "one_hot applies to the labels of inputs-and-labels data, not to " +
          c.train.describe());
    auto binding = bindLoss(c);
    if (!binding)
      return binding.takeError();
    c.lossArgs = std::move(binding->bound);
    return c;
  }

  if (loss.getNumArguments() != 2)
    return llvm::createStringError(
        "training needs a loss of (inputs, labels); '" + c.lossFn +
        "' takes " + std::to_string(loss.getNumArguments()) + " arguments");
  if (auto e = perSample(loss.getArgumentTypes()[0], "input", c.inputShape,
                         c.inputType))
    return std::move(e);
  if (auto e = perSample(loss.getArgumentTypes()[1], "labels", c.labelShape,
                         c.labelType))
    return std::move(e);
  NormalizeAttr normalize = config.getNormalizeOrDefault();
  c.normalize.kind = normalizationOf(normalize.getKind());
  c.normalize.mean = normalize.getMean().convertToDouble();
  c.normalize.std = normalize.getStd().convertToDouble();

  if (int64_t oneHot = config.getOneHot()) {
    c.oneHot = oneHot;
    if (c.labelShape != std::vector<int64_t>{c.oneHot} ||
        !isFloat(c.labelType))
      return llvm::createStringError(
          "one_hot = " + std::to_string(c.oneHot) + " makes labels f32[N, " +
          std::to_string(c.oneHot) + "], but the loss '" + c.lossFn +
          "' takes labels of another type");
  }
  if (!c.oneHot && !isFloat(c.labelType) && !loss.isExternal())
    c.numClasses = classesOf(loss.getArgument(1), module);
  return c;
}

void axon::addEvalStep(ModuleOp module, TrainConfig &c) {
  if (c.evalFn.empty())
    return;
  auto loss = module.lookupSymbol<func::FuncOp>(c.lossFn);
  auto metric = module.lookupSymbol<func::FuncOp>(c.evalFn);
  if (!loss || !metric || loss.isExternal() || metric.isExternal() ||
      loss.getFunctionType().getInputs() !=
          metric.getFunctionType().getInputs() ||
      loss.getNumResults() != 1 || metric.getNumResults() != 1)
    return;
  // Already added (a second call on the same module).
  for (func::FuncOp f : module.getOps<func::FuncOp>())
    if (auto of = f->getAttrOfType<StringAttr>("axon.eval_step_of"))
      if (of.getValue() == c.lossFn) {
        c.evalStepFn = f.getName().str();
        return;
      }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = loss.getLoc();
  auto fn = b.create<func::FuncOp>(
      loc, c.lossFn + "_eval_step",
      b.getFunctionType(loss.getFunctionType().getInputs(),
                        {loss.getResultTypes()[0], metric.getResultTypes()[0]}));
  SymbolTable(module).insert(fn); // renamed if the model has the name
  if (auto names = loss->getAttrOfType<ArrayAttr>("axon.arg_names"))
    fn->setAttr("axon.arg_names", names);
  fn->setAttr("axon.eval_step_of", b.getStringAttr(c.lossFn));
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  auto l = b.create<func::CallOp>(loc, loss, entry->getArguments());
  auto m = b.create<func::CallOp>(loc, metric, entry->getArguments());
  b.create<func::ReturnOp>(loc,
                           ValueRange{l.getResult(0), m.getResult(0)});
  c.evalStepFn = fn.getName().str();
}
