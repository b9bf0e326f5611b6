// From fused, memory-planned IR to a runtime Plan and KernelSpecs.
#include "ir/SourceLocation.h"
#include "backends/halide/PlanBuilder.h"

#include "ir/AxonDialect.h"
#include "ir/ElementTypes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>

using namespace mlir;
using namespace axon;

namespace {

/// The carried values of `loop` whose initial value is never read
/// (axon-plan-memory's axon.overwritten: every step writes a row, every row
/// once): no copy in.
bool initNeverRead(LoopOp loop, unsigned i) {
  auto whole = loop->getAttrOfType<DenseBoolArrayAttr>("axon.overwritten");
  return whole && i < whole.size() && whole[i];
}

/// Whether `k` only fills (reads nothing) and each of its results is only
/// the initial value of loop-carried values never read: then it need not
/// run (autodiff's zero stacks of the forward steps, [T, N, H] each).
bool fillsOnlyUnreadInits(KernelOp k) {
  if (!k.getInputs().empty() ||
      !llvm::all_of(k.getBody().front().without_terminator(),
                    [](Operation &op) { return isa<FillOp>(op); }))
    return false;
  for (Value result : k.getResults())
    for (OpOperand &use : result.getUses()) {
      auto loop = dyn_cast<LoopOp>(use.getOwner());
      if (!loop)
        return false;
      unsigned first = loop.getInits().getBeginOperandIndex();
      if (use.getOperandNumber() < first ||
          !initNeverRead(loop, use.getOperandNumber() - first))
        return false;
    }
  return true;
}

FailureOr<kernel::TensorDesc> describe(Value v, Operation *where) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return where->emitError("the compiled backend needs static tensor shapes, "
                            "got ")
           << v.getType();
  std::optional<DType> dtype = dtypeOf(type.getElementType());
  if (!dtype)
    return where->emitError("the compiled backend has no element type ")
           << type.getElementType();
  return kernel::TensorDesc{*dtype, std::vector<int64_t>(
                                        type.getShape().begin(),
                                        type.getShape().end())};
}

/// The values of a dense constant, row-major (one value for a splat).
std::vector<double> constantValues(DenseElementsAttr attr) {
  std::vector<double> out;
  if (attr.isSplat()) {
    if (isa<FloatType>(attr.getElementType()))
      out.push_back(attr.getSplatValue<APFloat>().convertToDouble());
    else
      out.push_back(double(attr.getSplatValue<APInt>().getSExtValue()));
    return out;
  }
  if (isa<FloatType>(attr.getElementType()))
    for (const APFloat &f : attr.getValues<APFloat>())
      out.push_back(f.convertToDouble());
  else
    for (const APInt &i : attr.getValues<APInt>())
      out.push_back(attr.getElementType().isSignlessInteger(1)
                        ? double(i.getZExtValue())
                        : double(i.getSExtValue()));
  return out;
}

// KernelSpec's plain copies of the ODS enums carry the same values.
static_assert(int(kernel::KernelKind::Injective) == int(KernelKind::injective) &&
              int(kernel::KernelKind::Reduction) == int(KernelKind::reduction) &&
              int(kernel::KernelKind::Contraction) == int(KernelKind::contraction) &&
              int(kernel::KernelKind::Window) == int(KernelKind::window) &&
              int(kernel::KernelKind::Single) == int(KernelKind::single) &&
              getMaxEnumValForKernelKind() == 4);
static_assert(int(kernel::CmpPredicate::Eq) == int(CmpPredicate::eq) &&
              int(kernel::CmpPredicate::Ne) == int(CmpPredicate::ne) &&
              int(kernel::CmpPredicate::Lt) == int(CmpPredicate::lt) &&
              int(kernel::CmpPredicate::Le) == int(CmpPredicate::le) &&
              int(kernel::CmpPredicate::Gt) == int(CmpPredicate::gt) &&
              int(kernel::CmpPredicate::Ge) == int(CmpPredicate::ge) &&
              getMaxEnumValForCmpPredicate() == 5);

} // namespace

FailureOr<kernel::KernelSpec> axon::extractKernel(KernelOp op) {
  kernel::KernelSpec spec;
  spec.name = op.getSymName().str();
  spec.kind = kernel::KernelKind(op.getKind());
  DenseMap<Value, int> ids;
  Block &body = op.getBody().front();
  for (BlockArgument arg : body.getArguments()) {
    FailureOr<kernel::TensorDesc> d = describe(arg, op);
    if (failed(d))
      return failure();
    ids[arg] = int(spec.inputs.size());
    spec.inputs.push_back(*d);
  }
  for (Operation &inner : body.without_terminator()) {
    if (inner.getNumResults() != 1)
      return inner.emitError("the compiled backend takes ops with one result");
    kernel::OpSpec o;
    o.name = inner.getName().stripDialect().str();
    std::optional<OpFamily> family = familyOf(&inner);
    if (!family)
      return inner.emitError("the compiled backend takes only axon ops");
    o.family = *family;
    for (Value v : inner.getOperands()) {
      auto it = ids.find(v);
      if (it == ids.end())
        return inner.emitError("operand not defined inside the kernel");
      o.operands.push_back(it->second);
    }
    FailureOr<kernel::TensorDesc> d = describe(inner.getResult(0), &inner);
    if (failed(d))
      return failure();
    o.result = *d;
    o.location = sourceLocation(inner.getLoc());
    for (NamedAttribute a : inner.getAttrs()) {
      std::string key = a.getName().str();
      Attribute v = a.getValue();
      if (auto i = dyn_cast<IntegerAttr>(v))
        o.ints[key] = {i.getType().isSignlessInteger(1) ? int64_t(i.getValue().getZExtValue())
                                                       : i.getValue().getSExtValue()};
      else if (auto b = dyn_cast<BoolAttr>(v))
        o.ints[key] = {b.getValue() ? 1 : 0};
      else if (isa<UnitAttr>(v))
        o.ints[key] = {1};
      else if (auto arr = dyn_cast<DenseI64ArrayAttr>(v))
        o.ints[key] = std::vector<int64_t>(arr.asArrayRef().begin(),
                                           arr.asArrayRef().end());
      else if (auto f = dyn_cast<FloatAttr>(v))
        o.floats[key] = f.getValueAsDouble();
      else if (auto dense = dyn_cast<DenseElementsAttr>(v))
        o.values = constantValues(dense);
    }
    ids[inner.getResult(0)] = spec.numValues();
    spec.ops.push_back(std::move(o));
  }
  for (Value v : body.getTerminator()->getOperands())
    spec.outputs.push_back(ids.lookup(v));
  return spec;
}

void axon::addParams(ModuleOp module, Plan &plan) {
  for (auto p : module.getOps<ParamOp>()) {
    auto type = cast<RankedTensorType>(p.getType());
    PlanParam param;
    param.name = p.getSymName().str();
    param.dtype = dtypeOf(type.getElementType()).value_or(DType::F32);
    param.shape.assign(type.getShape().begin(), type.getShape().end());
    param.init = stringifyInitKind(p.getInit()).str();
    param.a = p.getA().convertToDouble();
    param.b = p.getB().convertToDouble();
    param.seed = uint64_t(p.getSeed());
    param.optimizerState = p.getOptimizerState();
    plan.params.push_back(std::move(param));
  }
}

LogicalResult axon::addFunctionPlan(func::FuncOp fn, StringRef modelName,
                                    Plan &plan,
                                    std::vector<kernel::KernelSpec> &kernels) {
  FunctionPlan fp;
  fp.name = modelName.str();
  if (auto names = fn->getAttrOfType<ArrayAttr>("axon.arg_names"))
    for (Attribute n : names)
      fp.argNames.push_back(cast<StringAttr>(n).str());
  if (auto a = fn->getAttrOfType<IntegerAttr>("axon.arena_size"))
    fp.arenaBytes = a.getInt();
  else
    return fn.emitError("function has no memory plan; run axon-plan-memory");
  if (auto a = fn->getAttrOfType<IntegerAttr>("axon.buffer_bytes"))
    fp.bufferBytes = a.getInt();

  DenseMap<Value, int> bufferOf;
  std::map<std::string, int> paramBuffer;
  auto addBuffer = [&](PlanBuffer b) {
    fp.buffers.push_back(std::move(b));
    return int(fp.buffers.size() - 1);
  };
  auto bufferForParam = [&](StringRef name) -> FailureOr<int> {
    auto it = paramBuffer.find(name.str());
    if (it != paramBuffer.end())
      return it->second;
    int index = plan.paramIndex(name.str());
    if (index < 0)
      return fn.emitError("unknown parameter '") << name << "'";
    const PlanParam &p = plan.params[index];
    PlanBuffer b;
    b.kind = PlanBuffer::Kind::Param;
    b.dtype = p.dtype;
    b.shape = p.shape;
    b.index = index;
    return paramBuffer[name.str()] = addBuffer(b);
  };
  auto plainBuffer = [&](Value v, PlanBuffer::Kind kind, int index,
                         int64_t offset) -> FailureOr<int> {
    FailureOr<kernel::TensorDesc> d = describe(v, fn);
    if (failed(d))
      return failure();
    PlanBuffer b;
    b.kind = kind;
    b.dtype = d->dtype;
    b.shape = d->shape;
    b.index = index;
    b.offset = offset;
    return addBuffer(b);
  };

  for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
    FailureOr<int> b = plainBuffer(arg, PlanBuffer::Kind::Input, int(i), 0);
    if (failed(b))
      return failure();
    bufferOf[arg] = *b;
    fp.inputs.push_back(*b);
  }
  if (fp.argNames.size() != fp.inputs.size())
    fp.argNames.resize(fp.inputs.size());

  std::vector<PlanStep> copies; // param_store commits, run at return.
  auto copy = [](int src, int dst) {
    PlanStep c;
    c.kind = PlanStep::Kind::Copy;
    c.buffers = {src, dst};
    return c;
  };
  // The ops of `block` (the function's, or a loop body's) as `steps`.
  std::function<LogicalResult(Block &, std::vector<PlanStep> &)> buildBlock =
      [&](Block &block, std::vector<PlanStep> &steps) -> LogicalResult {
    for (Operation &op : block) {
      if (auto ref = dyn_cast<ParamRefOp>(op)) {
        FailureOr<int> b = bufferForParam(ref.getParam());
        if (failed(b))
          return failure();
        bufferOf[ref.getResult()] = *b;
      } else if (auto c = dyn_cast<ConstantOp>(op)) {
        auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
        FailureOr<kernel::TensorDesc> d = describe(c.getResult(), &op);
        if (!dense || failed(d))
          return op.emitError("the compiled backend takes dense constants only");
        Tensor t(d->dtype, d->shape);
        std::vector<double> values = constantValues(dense);
        for (size_t k = 0; k < t.data.size(); ++k)
          t.data[k] = values[values.size() == 1 ? 0 : k];
        plan.constants.push_back(std::move(t));
        FailureOr<int> b = plainBuffer(c.getResult(), PlanBuffer::Kind::Constant,
                                       int(plan.constants.size() - 1), 0);
        if (failed(b))
          return failure();
        bufferOf[c.getResult()] = *b;
      } else if (auto k = dyn_cast<KernelOp>(op)) {
        FailureOr<kernel::KernelSpec> spec = extractKernel(k);
        if (failed(spec))
          return failure();
        auto offsets = k->getAttrOfType<DenseI64ArrayAttr>("axon.offsets");
        auto inplace = k->getAttrOfType<ArrayAttr>("axon.inplace");
        if (!offsets || !inplace ||
            offsets.size() != int64_t(k.getNumResults()) ||
            inplace.size() != k.getNumResults())
          return k.emitError("kernel has no memory plan; run axon-plan-memory");
        PlanStep step;
        step.kind = PlanStep::Kind::Kernel;
        step.kernel = int(plan.kernels.size());
        for (Value in : k.getInputs()) {
          auto it = bufferOf.find(in);
          if (it == bufferOf.end())
            return k.emitError("kernel input has no buffer (is it computed "
                               "outside a kernel?)");
          step.buffers.push_back(it->second);
        }
        for (auto [i, result] : llvm::enumerate(k.getResults())) {
          StringRef param = cast<StringAttr>(inplace[i]).getValue();
          FailureOr<int> b =
              param.empty()
                  ? plainBuffer(result, PlanBuffer::Kind::Arena, 0, offsets[i])
                  : bufferForParam(param);
          if (failed(b))
            return failure();
          bufferOf[result] = *b;
          step.buffers.push_back(*b);
        }
        if (fillsOnlyUnreadInits(k))
          continue;
        // A row write fills in one row of a buffer holding its target: the
        // target's own (axon-plan-memory), else a copy made here.
        if (kernel::writesRowInPlace(*spec)) {
          int target = step.buffers[spec->ops[0].operands[0]];
          int out = step.buffers.back();
          const PlanBuffer &t = fp.buffers[target], &o = fp.buffers[out];
          if (target != out && !(t.kind == PlanBuffer::Kind::Arena &&
                                 o.kind == PlanBuffer::Kind::Arena &&
                                 t.offset == o.offset))
            steps.push_back(copy(target, out));
        }
        steps.push_back(std::move(step));
        PlanKernel pk{spec->name, int(spec->inputs.size()),
                      int(spec->outputs.size()), ""};
        for (const kernel::OpSpec &o : spec->ops)
          if (pk.location.empty() && o.name != "constant" && o.name != "fill")
            pk.location = o.location;
        plan.kernels.push_back(pk);
        kernels.push_back(std::move(*spec));
      } else if (auto loop = dyn_cast<LoopOp>(op)) {
        DenseIntElementsAttr lo, hi;
        if (!matchPattern(loop.getLower(), m_Constant(&lo)) ||
            !matchPattern(loop.getUpper(), m_Constant(&hi)))
          return loop.emitError("the compiled backend needs constant loop "
                                "bounds");
        auto offsets = loop->getAttrOfType<DenseI64ArrayAttr>("axon.offsets");
        auto staging = loop->getAttrOfType<DenseI64ArrayAttr>("axon.staging");
        size_t n = loop.getNumResults();
        if (!offsets || !staging || size_t(offsets.size()) != 1 + n ||
            size_t(staging.size()) != n)
          return loop.emitError("loop has no memory plan; run axon-plan-memory");
        Block &body = loop.getBody().front();
        PlanStep step;
        step.kind = PlanStep::Kind::Loop;
        step.lower = (*lo.begin()).getSExtValue();
        step.upper = (*hi.begin()).getSExtValue();
        FailureOr<int> index = plainBuffer(body.getArgument(0),
                                           PlanBuffer::Kind::Arena, 0, offsets[0]);
        if (failed(index))
          return failure();
        bufferOf[body.getArgument(0)] = *index;
        step.buffers = {*index};
        std::vector<int> carried;
        for (size_t i = 0; i < n; ++i) {
          FailureOr<int> b = plainBuffer(body.getArgument(1 + i),
                                         PlanBuffer::Kind::Arena, 0, offsets[1 + i]);
          if (failed(b))
            return failure();
          auto init = bufferOf.find(loop.getInits()[i]);
          if (init == bufferOf.end())
            return loop.emitError("initial value #") << i << " has no buffer";
          if (!initNeverRead(loop, i))
            steps.push_back(copy(init->second, *b));
          bufferOf[body.getArgument(1 + i)] = *b;
          bufferOf[loop.getResult(i)] = *b;
          carried.push_back(*b);
        }
        if (failed(buildBlock(body, step.body)))
          return failure();
        // The next step's carried values: staged ones first, since the
        // other copies may overwrite their sources.
        auto yield = cast<YieldOp>(body.getTerminator());
        std::vector<PlanStep> staged, commits;
        for (auto [i, v] : llvm::enumerate(yield.getValues())) {
          auto it = bufferOf.find(v);
          if (it == bufferOf.end())
            return yield.emitError("yielded value #") << i << " has no buffer";
          int src = it->second;
          const PlanBuffer &a = fp.buffers[src], &b = fp.buffers[carried[i]];
          if (src == carried[i] || (a.kind == PlanBuffer::Kind::Arena &&
                                    b.kind == PlanBuffer::Kind::Arena &&
                                    a.offset == b.offset))
            continue; // Computed into the carried buffer (axon-plan-memory).
          if (staging[i] >= 0) {
            FailureOr<int> tmp = plainBuffer(v, PlanBuffer::Kind::Arena, 0, staging[i]);
            if (failed(tmp))
              return failure();
            staged.push_back(copy(src, *tmp));
            src = *tmp;
          }
          commits.push_back(copy(src, carried[i]));
        }
        for (PlanStep &c : staged)
          step.body.push_back(std::move(c));
        for (PlanStep &c : commits)
          step.body.push_back(std::move(c));
        steps.push_back(std::move(step));
      } else if (isa<YieldOp>(op)) {
        continue; // Its copies are the loop's business.
      } else if (auto store = dyn_cast<ParamStoreOp>(op)) {
        if (&block != &fn.front())
          return store.emitError("the compiled backend cannot store a "
                                 "parameter inside a loop");
        FailureOr<int> dst = bufferForParam(store.getParam());
        if (failed(dst))
          return failure();
        auto it = bufferOf.find(store.getValue());
        if (it == bufferOf.end())
          return store.emitError("stored value has no buffer");
        if (it->second != *dst)
          copies.push_back(copy(it->second, *dst));
      } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (Value v : ret.getOperands()) {
          auto it = bufferOf.find(v);
          if (it == bufferOf.end())
            return ret.emitError("returned value has no buffer");
          fp.outputs.push_back(it->second);
        }
      } else {
        return op.emitError("the compiled backend cannot run this op outside a "
                            "kernel; run axon-fuse first");
      }
    }
    return success();
  };
  if (failed(buildBlock(fn.front(), fp.steps)))
    return failure();
  for (PlanStep &c : copies)
    fp.steps.push_back(std::move(c));
  plan.functions.push_back(std::move(fp));
  return success();
}

namespace {

/// Everything that decides a kernel's code: all of the spec but its name.
/// Doubles are printed exactly (%a).
std::string signatureOf(const kernel::KernelSpec &k) {
  std::string out;
  llvm::raw_string_ostream os(out);
  auto desc = [&](const kernel::TensorDesc &d) {
    os << dtypeName(d.dtype) << "[";
    for (int64_t e : d.shape)
      os << e << ",";
    os << "]";
  };
  os << stringifyKernelKind(KernelKind(k.kind)) << "(";
  for (const kernel::TensorDesc &in : k.inputs)
    desc(in);
  os << ")";
  for (const kernel::OpSpec &op : k.ops) {
    os << ";" << op.name << "(";
    for (int v : op.operands)
      os << v << ",";
    os << ")";
    desc(op.result);
    for (const auto &[key, ints] : op.ints) {
      os << key << "=";
      for (int64_t i : ints)
        os << i << ",";
    }
    for (const auto &[key, f] : op.floats)
      os << key << "=" << llvm::format("%a", f) << ",";
    for (double v : op.values)
      os << llvm::format("%a", v) << ",";
  }
  os << "->";
  for (int v : k.outputs)
    os << v << ",";
  return out;
}

} // namespace

void axon::dedupeKernels(Plan &plan, std::vector<kernel::KernelSpec> &kernels) {
  std::map<std::string, int> first; // signature -> new index
  std::vector<int> newIndex(kernels.size());
  std::vector<kernel::KernelSpec> kept;
  std::vector<PlanKernel> keptPlan;
  for (size_t i = 0; i < kernels.size(); ++i) {
    auto [it, inserted] =
        first.insert({signatureOf(kernels[i]), int(kept.size())});
    newIndex[i] = it->second;
    if (inserted) {
      kept.push_back(std::move(kernels[i]));
      keptPlan.push_back(plan.kernels[i]);
    }
  }
  for (FunctionPlan &f : plan.functions)
    forEachStep(f.steps, [&](PlanStep &s) {
      if (s.kind == PlanStep::Kind::Kernel)
        s.kernel = newIndex[s.kernel];
    });
  kernels = std::move(kept);
  plan.kernels = std::move(keptPlan);
}
