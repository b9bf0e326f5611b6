// axon-autodiff: reverse-mode automatic differentiation over the axon dialect.
//
// A gradient function is declared (by the frontend, for `grad(...)` and for
// `train` blocks) as a bodiless func.func with
//   axon.grad_of = @f           the scalar function to differentiate
//   axon.wrt     = ["W1", "x"]  parameters (symbols) or f's argument names
// and type (f's inputs) -> (f's result, one gradient per wrt name). This
// pass gives it a body: f's computation (calls inlined, loops with constant
// trip counts unrolled, so the forward values the backward sweep needs are
// plain SSA values and random draws are the very same draws), then one
// reverse sweep in which each op's GradientOpInterface rule turns result
// gradients into operand gradients, summing where a value fans out.
// The result is ordinary axon IR for canonicalize, CSE and fusion.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace axon {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

/// Sums gradient contributions per value (and per parameter).
class GradientMap {
public:
  explicit GradientMap(OpBuilder &b) : b(b) {}

  void add(Value key, Value grad, Location loc) {
    grad = castTo(grad, key.getType(), loc);
    auto it = grads.find(key);
    if (it == grads.end()) {
      grads[key] = grad;
      return;
    }
    it->second = b.create<AddOp>(loc, key.getType(), it->second, grad);
  }
  Value lookup(Value key) const { return grads.lookup(key); }

  Value castTo(Value v, Type type, Location loc) {
    return v.getType() == type ? v : b.create<CastOp>(loc, type, v);
  }

private:
  OpBuilder &b;
  DenseMap<Value, Value> grads;
};

struct AutodiffPass : public axon::impl::AutodiffBase<AutodiffPass> {
  // The forward copy is flattened (axon-flatten's `flatten`).
  void getDependentDialects(DialectRegistry &registry) const override {
    addInlinerDependencies(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> targets;
    module.walk([&](func::FuncOp fn) {
      if (fn->hasAttr("axon.grad_of") && fn.isExternal())
        targets.push_back(fn);
    });
    for (func::FuncOp fn : targets)
      if (failed(buildGradient(fn, module)))
        return signalPassFailure();
  }

  LogicalResult buildGradient(func::FuncOp gradFn, ModuleOp module) {
    auto ofAttr = gradFn->getAttrOfType<FlatSymbolRefAttr>("axon.grad_of");
    auto wrtAttr = gradFn->getAttrOfType<ArrayAttr>("axon.wrt");
    auto source = ofAttr ? module.lookupSymbol<func::FuncOp>(ofAttr) : nullptr;
    if (!source || source.isExternal() || !wrtAttr)
      return gradFn.emitOpError("axon.grad_of must name a function with a "
                                "body, and axon.wrt list what to differentiate for");
    FunctionType srcType = source.getFunctionType();
    if (srcType.getNumResults() != 1 ||
        cast<RankedTensorType>(srcType.getResult(0)).getRank() != 0 ||
        !isa<FloatType>(cast<RankedTensorType>(srcType.getResult(0)).getElementType()))
      return gradFn.emitOpError("can only differentiate a function returning "
                                "one floating-point scalar; '")
             << source.getName() << "' does not";

    // Resolve wrt names: argument names of the source first, then params.
    auto argNames = source->getAttrOfType<ArrayAttr>("axon.arg_names");
    SmallVector<Type> results = {srcType.getResult(0)};
    SmallVector<std::pair<int, std::string>> wrt; // arg index or -1 + param name
    for (Attribute a : wrtAttr) {
      std::string name = cast<StringAttr>(a).str();
      int arg = -1;
      for (unsigned i = 0; argNames && i < argNames.size(); ++i)
        if (cast<StringAttr>(argNames[i]).getValue() == name)
          arg = i;
      if (arg >= 0) {
        results.push_back(srcType.getInput(arg));
      } else if (auto param = module.lookupSymbol<ParamOp>(name)) {
        results.push_back(param.getType());
      } else {
        return gradFn.emitOpError("'") << name << "' is neither an argument of '"
                                       << source.getName() << "' nor a parameter";
      }
      wrt.push_back({arg, name});
    }
    auto expected = FunctionType::get(&getContext(), srcType.getInputs(), results);
    if (gradFn.getFunctionType() != expected)
      return gradFn.emitOpError("type must be ") << expected;

    // Forward: the source's body, flattened.
    Block *entry = gradFn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    IRMapping map;
    map.map(source.getArguments(), entry->getArguments());
    for (Operation &op : source.front())
      b.clone(op, map);
    if (failed(flatten(*entry, module, "differentiate through")))
      return failure();
    // Read the loss only now: unrolling may have replaced the value returned.
    Operation *ret = entry->getTerminator();
    Value loss = ret->getOperand(0);
    ret->erase();

    // Activity: values that depend on something we differentiate for.
    DenseSet<Value> active;
    llvm::StringSet<> wrtParams;
    for (auto &[arg, name] : wrt) {
      if (arg >= 0)
        active.insert(entry->getArgument(arg));
      else
        wrtParams.insert(name);
    }
    for (Operation &op : *entry) {
      if (auto ref = dyn_cast<ParamRefOp>(op)) {
        if (wrtParams.contains(ref.getParam()))
          active.insert(ref.getResult());
        continue;
      }
      if (op.hasTrait<axon::OpTrait::NoGradient>())
        continue;
      if (llvm::any_of(op.getOperands(), [&](Value v) { return active.count(v); }))
        for (Value r : op.getResults())
          active.insert(r);
    }

    // Reverse sweep.
    b.setInsertionPointToEnd(entry);
    GradientMap grads(b);
    Location lossLoc = loss.getLoc();
    auto lossType = cast<RankedTensorType>(loss.getType());
    grads.add(loss,
              b.create<ConstantOp>(lossLoc, lossType,
                                   cast<ElementsAttr>(DenseElementsAttr::get(
                                       lossType, FloatAttr::get(lossType.getElementType(), 1.0)
                                                     .getValue()))),
              lossLoc);
    llvm::StringMap<Value> paramGrads;
    SmallVector<Operation *> forward;
    for (Operation &op : *entry)
      forward.push_back(&op);
    for (Operation *op : llvm::reverse(forward)) {
      if (!llvm::any_of(op->getResults(), [&](Value r) { return active.count(r); }))
        continue;
      SmallVector<Value> resultGrads;
      for (Value r : op->getResults())
        resultGrads.push_back(grads.lookup(r));
      if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
        continue;
      if (auto ref = dyn_cast<ParamRefOp>(op)) {
        Value &slot = paramGrads[ref.getParam()];
        slot = slot ? b.create<AddOp>(op->getLoc(), slot.getType(), slot,
                                      resultGrads[0])
                    : resultGrads[0];
        continue;
      }
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule) {
        InFlightDiagnostic diag = op->emitError()
                                  << "cannot differentiate through '"
                                  << op->getName() << "'";
        diag.attachNote(source.getLoc())
            << "while differentiating '" << source.getName() << "'";
        return failure();
      }
      SmallVector<Value> operandGrads;
      if (failed(rule.buildVJP(b, resultGrads, operandGrads)))
        return failure();
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
        if (g && active.count(operand))
          grads.add(operand, g, op->getLoc());
    }

    // Results: the loss, then each gradient (zeros where none flowed).
    SmallVector<Value> outs = {loss};
    for (auto [i, w] : llvm::enumerate(wrt)) {
      Type type = results[i + 1];
      Value g = w.first >= 0 ? grads.lookup(entry->getArgument(w.first))
                             : paramGrads.lookup(w.second);
      if (!g) {
        auto t = cast<RankedTensorType>(type);
        SmallVector<Value> dims;
        for (int64_t d = 0; d < t.getRank(); ++d)
          if (t.isDynamicDim(d))
            dims.push_back(b.create<DimOp>(gradFn.getLoc(),
                                           entry->getArgument(w.first), d));
        g = b.create<FillOp>(gradFn.getLoc(), t, b.getF64FloatAttr(0.0), dims);
      }
      outs.push_back(grads.castTo(g, type, gradFn.getLoc()));
    }
    b.create<func::ReturnOp>(gradFn.getLoc(), outs);
    gradFn.setPublic();
    gradFn->setAttr("axon.arg_names", source->getAttr("axon.arg_names"));
    return success();
  }
};

} // namespace
