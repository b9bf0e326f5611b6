// axon-lower-train: a train block becomes one train-step function.
//
// For `axon.train @loss <optimizer = ...> {grad_fn = @loss_grad}` this pass
// emits
//   func.func @loss_train_step(<loss's arguments>, %step: tensor<i64>) -> loss
// which calls the gradient function, optionally clips the gradients by their
// global norm and adds weight decay, then applies the optimizer's update as
// axon ops at the learning rate its schedule gives for %step and writes parameters and optimizer state with axon.param_store.
// The optimizer's state (momentum velocity, Adam's moments) is new
// axon.param symbols marked `optimizer_state`. Run it before axon-autodiff,
// which fills in the gradient function the step calls.
#include "ir/TensorBuilder.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"

namespace axon {
#define GEN_PASS_DEF_LOWERTRAIN
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

/// The learning rate at `step` (rank-0 i64) that `schedule` gives, as a
/// rank-0 tensor of `elem`: LrScheduleAttr::at's formula as IR, so the
/// rate follows the step counter (and a resumed run's checkpointed one).
Value learningRate(OpBuilder &b, Location loc, LrScheduleAttr schedule,
                   Value step, Type elem) {
  TensorBuilder tb(b, loc);
  auto num = [&](double v) { return tb.scalar(v, elem); };
  double lr = schedule.getLr().convertToDouble();
  int64_t warmup = schedule.getWarmup();
  if (schedule.getKind() == ScheduleKind::constant && warmup == 0)
    return num(lr);
  auto scalarOf = [](Type t) { return RankedTensorType::get({}, t); };
  Value t; // The step as `elem`, made when first needed.
  auto stepAsElem = [&] {
    if (!t)
      t = b.create<CastOp>(loc, scalarOf(elem), step);
    return t;
  };
  Value rate;
  switch (schedule.getKind()) {
  case ScheduleKind::constant:
    rate = num(lr);
    break;
  case ScheduleKind::cosine:
  case ScheduleKind::linear: {
    // p = clamp((t - warmup) / (steps - warmup), 0, 1)
    double min = schedule.getMin().convertToDouble();
    Value since = stepAsElem();
    since = tb.sub(since, num(double(warmup)));
    Value p = tb.div(since, num(double(schedule.getSteps() - warmup)));
    Value zero = num(0.0), one = num(1.0);
    p = tb.binary<MinOp>(one, tb.binary<MaxOp>(zero, p));
    // cosine: (1 + cos(pi p)) / 2; linear: 1 - p
    Value shape;
    if (schedule.getKind() == ScheduleKind::cosine) {
      Value cos = tb.unary<CosOp>(tb.mul(num(llvm::numbers::pi), p));
      shape = tb.mul(num(0.5), tb.add(one, cos));
    } else {
      shape = tb.sub(one, p);
    }
    Value span = tb.mul(num(lr - min), shape);
    rate = tb.add(num(min), span);
    break;
  }
  case ScheduleKind::step_decay: {
    // lr * factor ^ floor(max(t - warmup, 0) / every), the floor as i64
    // division.
    auto i64 = [&](int64_t v) -> Value {
      auto type = scalarOf(b.getI64Type());
      return b.create<ConstantOp>(
          loc, type,
          cast<ElementsAttr>(DenseElementsAttr::get(type, APInt(64, v))));
    };
    Value since = tb.sub(step, i64(warmup));
    since = tb.binary<MaxOp>(since, i64(0));
    Value count = tb.div(since, i64(schedule.getEvery()));
    Value decays = b.create<CastOp>(loc, scalarOf(elem), count);
    Value factor = num(schedule.getFactor().convertToDouble());
    rate = tb.mul(num(lr), tb.binary<PowOp>(factor, decays));
    break;
  }
  }
  // Warm-up: rate * min(1, (t + 1) / warmup).
  if (warmup > 0) {
    Value ramp = stepAsElem();
    ramp = tb.add(ramp, num(1.0));
    ramp = tb.div(ramp, num(double(warmup)));
    rate = tb.mul(rate, tb.binary<MinOp>(num(1.0), ramp));
  }
  return rate;
}

struct LowerTrainPass : public axon::impl::LowerTrainBase<LowerTrainPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<TrainOp> trains(module.getOps<TrainOp>());
    for (TrainOp train : trains)
      if (!train.getStepFn() && failed(lower(train, module)))
        return signalPassFailure();
  }

  LogicalResult lower(TrainOp train, ModuleOp module) {
    FlatSymbolRefAttr gradName = train.getGradFnAttr();
    OptimizerAttr optimizer = train.getConfig().getOptimizer();
    if (!gradName || !optimizer)
      return train.emitOpError("needs an 'optimizer' setting and a grad_fn");
    auto gradFn = module.lookupSymbol<func::FuncOp>(gradName.getAttr());
    auto loss = module.lookupSymbol<func::FuncOp>(train.getLoss());
    if (!gradFn || !loss)
      return train.emitOpError("gradient or loss function not found");
    auto wrt = gradFn->getAttrOfType<ArrayAttr>("axon.wrt");
    OptimizerKind kind = optimizer.getKind();

    // The step function: the loss's arguments, then the step counter.
    SymbolTable symbols(module);
    OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
    Location loc = train.getLoc();
    SmallVector<Type> inputs(loss.getFunctionType().getInputs());
    auto i64Scalar = RankedTensorType::get({}, mb.getI64Type());
    inputs.push_back(i64Scalar);
    Type lossType = loss.getFunctionType().getResult(0);
    auto step = mb.create<func::FuncOp>(
        loc, (train.getLoss() + "_train_step").str(),
        mb.getFunctionType(inputs, {lossType}));
    symbols.insert(step);
    SmallVector<Attribute> names;
    if (auto argNames = loss->getAttrOfType<ArrayAttr>("axon.arg_names"))
      names.append(argNames.begin(), argNames.end());
    names.push_back(mb.getStringAttr("step"));
    step->setAttr("axon.arg_names", mb.getArrayAttr(names));

    Block *entry = step.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    TensorBuilder tb(b, loc);
    auto call = b.create<func::CallOp>(loc, gradFn, entry->getArguments().drop_back());
    Type elem = cast<RankedTensorType>(lossType).getElementType();
    auto num = [&](double v) { return tb.scalar(v, elem); };

    SmallVector<Value> params, grads;
    SmallVector<ParamOp> decls;
    for (auto [i, name] : llvm::enumerate(wrt)) {
      auto decl = module.lookupSymbol<ParamOp>(cast<StringAttr>(name).getValue());
      decls.push_back(decl);
      params.push_back(b.create<ParamRefOp>(loc, decl.getType(), decl.getSymName()));
      grads.push_back(call.getResult(i + 1));
    }

    // Clip by global norm: g <- g * min(1, c / ||g||).
    if (double clip = optimizer.getClipNorm().convertToDouble(); clip > 0) {
      Value total;
      for (Value g : grads) {
        Value sq = tb.sum(tb.mul(g, g), {}, /*keepdims=*/false);
        total = total ? tb.add(total, sq) : sq;
      }
      Value norm = b.create<SqrtOp>(loc, total);
      Value scale = tb.binary<MinOp>(
          num(1.0), tb.div(num(clip), tb.binary<MaxOp>(norm, num(1e-12))));
      for (Value &g : grads)
        g = tb.mul(g, scale);
    }
    // Weight decay as an L2 term: g <- g + wd * W.
    if (double wd = optimizer.getWeightDecay().convertToDouble(); wd > 0)
      for (auto [g, w] : llvm::zip(grads, params))
        g = tb.add(g, tb.mul(num(wd), w));

    Value lr = learningRate(b, loc, optimizer.getLr(),
                            entry->getArguments().back(), elem);
    // Optimizer state: one zero-initialised buffer per parameter.
    auto stateFor = [&](ParamOp p, StringRef suffix) {
      OpBuilder sb(p);
      sb.setInsertionPointAfter(p);
      std::string base = (p.getSymName() + "." + train.getLoss() + "." + suffix).str();
      std::string name = base;
      for (int k = 2; module.lookupSymbol(name); ++k)
        name = base + "." + std::to_string(k);
      auto state = sb.create<ParamOp>(p.getLoc(), name, p.getType(),
                                      InitKind::zeros, APFloat(0.0), APFloat(0.0),
                                      0);
      state.setOptimizerState(true);
      return state;
    };
    auto store = [&](StringRef param, Value v) {
      b.create<ParamStoreOp>(loc, param, v);
    };

    switch (kind) {
    case OptimizerKind::sgd:
      for (auto [p, w, g] : llvm::zip(decls, params, grads))
        store(p.getSymName(), tb.sub(w, tb.mul(lr, g)));
      break;
    case OptimizerKind::momentum: {
      // v <- beta v + g;  W <- W - lr v
      double beta = optimizer.getBeta().convertToDouble();
      for (auto [p, w, g] : llvm::zip(decls, params, grads)) {
        ParamOp vs = stateFor(p, "velocity");
        Value v = b.create<ParamRefOp>(loc, vs.getType(), vs.getSymName());
        Value v2 = tb.add(tb.mul(num(beta), v), g);
        store(vs.getSymName(), v2);
        store(p.getSymName(), tb.sub(w, tb.mul(lr, v2)));
      }
      break;
    }
    case OptimizerKind::adam: {
      // m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
      // W <- W - lr m^ / (sqrt(v^) + eps), with m^ = m / (1 - b1^t),
      // v^ = v / (1 - b2^t) and t = step + 1.
      double b1 = optimizer.getBeta1().convertToDouble();
      double b2 = optimizer.getBeta2().convertToDouble();
      double eps = optimizer.getEps().convertToDouble();
      Value t = b.create<CastOp>(loc, RankedTensorType::get({}, elem),
                                 entry->getArguments().back());
      t = tb.add(t, num(1.0));
      Value c1 = tb.sub(num(1.0), tb.binary<PowOp>(num(b1), t));
      Value c2 = tb.sub(num(1.0), tb.binary<PowOp>(num(b2), t));
      for (auto [p, w, g] : llvm::zip(decls, params, grads)) {
        ParamOp vs = stateFor(p, "v");
        ParamOp ms = stateFor(p, "m"); // inserted before v: declared m, v
        Value m = b.create<ParamRefOp>(loc, ms.getType(), ms.getSymName());
        Value v = b.create<ParamRefOp>(loc, vs.getType(), vs.getSymName());
        Value m2 = tb.add(tb.mul(num(b1), m), tb.mul(num(1 - b1), g));
        Value v2 = tb.add(tb.mul(num(b2), v), tb.mul(num(1 - b2), tb.mul(g, g)));
        Value mhat = tb.div(m2, c1), vhat = tb.div(v2, c2);
        Value update = tb.div(mhat, tb.add(b.create<SqrtOp>(loc, vhat), num(eps)));
        store(ms.getSymName(), m2);
        store(vs.getSymName(), v2);
        store(p.getSymName(), tb.sub(w, tb.mul(lr, update)));
      }
      break;
    }
    }
    b.create<func::ReturnOp>(loc, call.getResult(0));
    train.setStepFnAttr(FlatSymbolRefAttr::get(step));
    return success();
  }
};

} // namespace
