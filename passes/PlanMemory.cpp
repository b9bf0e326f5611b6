// axon-plan-memory: live ranges of kernel results, in-place parameter
// updates, and greedy-by-size offsets in one arena (see Passes.td).
#include "passes/Passes.h"
#include "passes/StepIndex.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <array>
#include <functional>
#include <limits>
#include <optional>
#include <string>

namespace axon {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

constexpr int64_t kAlignment = 64;
constexpr StringLiteral kOffsetsAttr = "axon.offsets";
constexpr StringLiteral kInPlaceAttr = "axon.inplace";
constexpr StringLiteral kArenaSizeAttr = "axon.arena_size";
constexpr StringLiteral kBufferBytesAttr = "axon.buffer_bytes";

constexpr StringLiteral kStagingAttr = "axon.staging";
constexpr StringLiteral kOverwrittenAttr = "axon.overwritten";

/// The kernels and loops of a single-block function in schedule order,
/// numbered as events: a kernel is one event; a loop is two, its start
/// (before the events of its body) and its end (after them). Live ranges
/// are intervals of events; a function without loops has one event per
/// kernel. Buffers that live across a loop's steps (its step, its carried
/// values, values from outside that its body reads) span the loop's whole
/// interval, so the body's own buffers, whose ranges lie within one pass
/// over the body, never share memory with them and may be reused by the
/// next step.
struct Schedule {
  struct Event {
    Operation *op; ///< A kernel, or a loop at its start or end.
    bool loopEnd;
    int depth; ///< Loops around it.
  };
  Block *block = nullptr;
  SmallVector<Event> events;
  SmallVector<KernelOp> kernels;
  SmallVector<LoopOp> loops;
  DenseMap<Operation *, int> index;   ///< Kernel: its event; loop: its end.
  DenseMap<Operation *, int> startOf; ///< Loop: its start.

  explicit Schedule(Block &b) : block(&b) { add(b, 0); }

  void add(Block &b, int depth) {
    for (Operation &op : b) {
      if (auto kernel = dyn_cast<KernelOp>(op)) {
        index[kernel] = events.size();
        kernels.push_back(kernel);
        events.push_back({kernel, false, depth});
      } else if (auto loop = dyn_cast<LoopOp>(op)) {
        startOf[loop] = events.size();
        loops.push_back(loop);
        events.push_back({loop, false, depth});
        add(loop.getBody().front(), depth + 1);
        index[loop] = events.size();
        events.push_back({loop, true, depth});
      }
    }
  }

  /// The event meaning "until the function returns", after every other.
  int end() const { return events.size(); }

  /// The event of the last reader of `v`, produced at event `first`: a
  /// kernel's; a loop's start for its initial values, its end for values
  /// its body reads; the end of the loop whose body yields `v`; end() for
  /// func.return, param_store and any other reader.
  int lastUse(Value v, int first) const {
    int last = first;
    Block *home = v.getParentBlock();
    for (OpOperand &use : v.getUses()) {
      Operation *owner = use.getOwner();
      Operation *top = home->findAncestorOpInBlock(*owner);
      int at = end();
      if (top == owner && isa<LoopOp>(owner))
        at = startOf.lookup(owner);
      else if (auto it = top ? index.find(top) : index.end(); it != index.end())
        at = it->second;
      else if (top && isa<YieldOp>(top))
        at = index.lookup(top->getParentOp());
      last = std::max(last, at);
    }
    return last;
  }
};

/// Bytes of one element; i1 takes a whole byte.
std::optional<int64_t> elementBytes(Type type) {
  unsigned bits = 0;
  if (auto i = dyn_cast<IntegerType>(type))
    bits = i.getWidth();
  else if (auto f = dyn_cast<FloatType>(type))
    bits = f.getWidth();
  else if (isa<IndexType>(type))
    bits = 64;
  else
    return std::nullopt;
  return std::max<int64_t>(1, (bits + 7) / 8);
}

/// Bytes of a buffer holding a static tensor, rounded up to kAlignment;
/// nullopt for an unknown element type or on overflow.
std::optional<int64_t> bufferBytes(RankedTensorType type) {
  std::optional<int64_t> bytes = elementBytes(type.getElementType());
  if (!bytes)
    return std::nullopt;
  int64_t size = *bytes;
  for (int64_t dim : type.getShape())
    if (llvm::MulOverflow(size, dim, size))
      return std::nullopt;
  if (size > std::numeric_limits<int64_t>::max() - kAlignment)
    return std::nullopt;
  return llvm::alignTo(size, kAlignment);
}

/// One buffer: a kernel result, or a loop's step, carried value or staging
/// copy (slot 0 the step, 1..n the carried values, n+1..2n their staging).
struct Buffer {
  Operation *owner = nullptr; ///< A KernelOp or a LoopOp.
  unsigned slot = 0;          ///< Kernel: the result.
  int64_t bytes = 0;
  int first = 0, last = 0;
  StringAttr param; ///< Set when written in place into this parameter.
  int carried = -1; ///< Written into this (loop carried) buffer's memory.
  int64_t offset = -1;

  bool livesWith(const Buffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

/// For each carried value of `loop`: whether the yield gives it another
/// carried value of the same loop (`h, c = c, h`). The end-of-step copies
/// would overwrite that one before reading it, so it is first copied to a
/// staging buffer.
SmallVector<bool> needsStaging(LoopOp loop) {
  Block &body = loop.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  SmallVector<bool> staged;
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto arg = dyn_cast<BlockArgument>(v);
    staged.push_back(arg && arg.getOwner() == &body && arg.getArgNumber() > 0 &&
                     arg.getArgNumber() != i + 1);
  }
  return staged;
}

/// Ops that read operand element i only to compute result element i when
/// operand and result have the same shape (numpy broadcasting only
/// stretches the other operands).
bool isPointwise(Operation *op) {
  return op->hasTrait<mlir::OpTrait::Elementwise>() ||
         isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, CmpOp, SelectOp>(op);
}

/// Whether `kernel` is a lone row write (dynamic_update_row) of a kernel
/// input it yields: compiled, it reads neither the target nor the rest of
/// its output buffer and writes one row there (kernel::writesRowInPlace),
/// so its result may take the target's buffer whenever nothing reads the
/// target after it.
bool writesRowInPlace(KernelOp kernel) {
  Block &body = kernel.getBody().front();
  if (!llvm::hasSingleElement(body.without_terminator()))
    return false;
  auto write = dyn_cast<DynamicUpdateRowOp>(body.front());
  auto yield = cast<KernelYieldOp>(body.getTerminator());
  return write && isa<BlockArgument>(write.getTarget()) &&
         write.getUpdate() != write.getTarget() && yield.getNumOperands() == 1 &&
         yield.getOperand(0) == write.getResult();
}

/// The kernel input (its block argument) that `kernel` row-writes in place.
BlockArgument rowWriteTarget(KernelOp kernel) {
  return cast<BlockArgument>(
      cast<DynamicUpdateRowOp>(kernel.getBody().front().front()).getTarget());
}

/// For each carried value of `loop`: whether every step writes one row of
/// it in place (a lone row write, at an index taking every row once over
/// the steps) and nothing else in the body reads it or the written stack.
/// Its initial value is then never read: the plan copies none in, and a
/// fill read only there need not run (autodiff's stacks of the forward
/// steps, axon-hoist-loop-sums' stacks of the reverse steps).
SmallVector<bool> overwrittenWhole(LoopOp loop) {
  SmallVector<bool> whole(loop.getNumResults(), false);
  std::optional<std::pair<int64_t, int64_t>> bounds = constantBounds(loop);
  if (!bounds || bounds->second <= bounds->first)
    return whole;
  Block &body = loop.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  for (unsigned i = 0; i < whole.size(); ++i) {
    BlockArgument arg = body.getArgument(1 + i);
    auto type = cast<RankedTensorType>(arg.getType());
    if (!arg.hasOneUse() || type.getRank() == 0 ||
        type.getDimSize(0) != bounds->second - bounds->first)
      continue;
    auto kernel = dyn_cast<KernelOp>(arg.use_begin()->getOwner());
    if (!kernel || kernel->getBlock() != &body || !writesRowInPlace(kernel) ||
        kernel.getInputs()[rowWriteTarget(kernel).getArgNumber()] != arg ||
        !kernel.getResult(0).hasOneUse() ||
        yield.getValues()[i] != kernel.getResult(0))
      continue;
    auto write = cast<DynamicUpdateRowOp>(kernel.getBody().front().front());
    std::optional<StepIndex> index =
        stepIndexOf(write.getIndex(), body.getArgument(0));
    whole[i] = index && index->coversRows(bounds->first, bounds->second);
  }
  return whole;
}

/// Whether everything the kernel body computes from `arg` reads it only
/// element for element: every value derived from it is the result of a
/// pointwise op of the same shape, up to the kernel_yield.
bool readsOnlyPointwise(BlockArgument arg) {
  auto shape = cast<RankedTensorType>(arg.getType()).getShape();
  SmallVector<Value> work{arg};
  DenseSet<Value> seen{arg};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isa<KernelYieldOp>(user))
        continue;
      if (!isPointwise(user))
        return false;
      for (Value r : user->getResults()) {
        auto type = dyn_cast<RankedTensorType>(r.getType());
        if (!type || type.getShape() != shape)
          return false;
        if (seen.insert(r).second)
          work.push_back(r);
      }
    }
  }
  return true;
}

/// The parameter `v` (a result of `kernel`, at schedule index `k`) can be
/// written into directly, or null (see Passes.td for the conditions).
StringAttr inPlaceParam(Value v, KernelOp kernel, int k, const Schedule &schedule,
                        const DenseMap<StringAttr, SmallVector<Value>> &refs,
                        const DenseMap<StringAttr, int> &storeCount) {
  ParamStoreOp store;
  for (Operation *user : v.getUsers()) {
    if (isa<func::ReturnOp>(user))
      return {};
    if (auto s = dyn_cast<ParamStoreOp>(user)) {
      if (store)
        return {}; // Stored twice.
      store = s;
    }
  }
  if (!store || store->getBlock() != schedule.block ||
      kernel->getBlock() != schedule.block)
    return {};
  StringAttr param = store.getParamAttr().getAttr();
  if (storeCount.lookup(param) != 1)
    return {};

  bool readByOwnKernel = false;
  if (auto it = refs.find(param); it != refs.end())
    for (Value ref : it->second)
      for (OpOperand &use : ref.getUses()) {
        Operation *top = schedule.block->findAncestorOpInBlock(*use.getOwner());
        auto at = top ? schedule.index.find(top) : schedule.index.end();
        if (at == schedule.index.end() || at->second > k)
          return {}; // Read later: by a kernel, a loop, func.return or param_store.
        if (at->second < k)
          continue;
        // v's own kernel reads the old value: only safe element for element.
        if (use.getOwner() != kernel.getOperation())
          return {};
        readByOwnKernel = true;
        if (!readsOnlyPointwise(kernel.getBody().front().getArgument(
                use.getOperandNumber())))
          return {};
      }
  if (readByOwnKernel) {
    if (kernel.getKind() != KernelKind::injective)
      return {};
    auto shapeOf = [](Value r) { return cast<RankedTensorType>(r.getType()).getShape(); };
    for (Value r : kernel.getResults())
      if (shapeOf(r) != shapeOf(kernel.getResult(0)))
        return {};
  }
  return param;
}

/// Whether `v`, which the body of `loop` yields as carried value `i`, can
/// be computed straight into that carried value's buffer, saving the copy
/// at the end of each step: `v` is a result of a kernel in the body,
/// yielded once; nothing after its kernel reads the old carried value (no
/// later kernel or loop in the body, not the yield), and if its own kernel
/// reads it, it does so element for element in one loop nest (the
/// conditions of an in-place parameter update).
bool writesIntoCarried(Value v, LoopOp loop, unsigned i, const Schedule &schedule) {
  Block &body = loop.getBody().front();
  auto kernel = v.getDefiningOp<KernelOp>();
  if (!kernel || kernel->getBlock() != &body)
    return false;
  auto yield = cast<YieldOp>(body.getTerminator());
  if (llvm::count(yield.getValues(), v) != 1 || yield.getValues()[i] != v)
    return false;
  int k = schedule.index.lookup(kernel);
  bool readByOwnKernel = false;
  bool rowWrite = writesRowInPlace(kernel);
  for (OpOperand &use : body.getArgument(1 + i).getUses()) {
    Operation *top = body.findAncestorOpInBlock(*use.getOwner());
    if (top == kernel.getOperation()) {
      // A row write into the carried stack it was handed: one row per step.
      if (rowWrite && use.getOwner() == kernel.getOperation() &&
          rowWriteTarget(kernel).getArgNumber() == use.getOperandNumber() &&
          llvm::count(kernel.getInputs(), use.get()) == 1)
        continue;
      if (use.getOwner() != kernel.getOperation() ||
          !readsOnlyPointwise(
              kernel.getBody().front().getArgument(use.getOperandNumber())))
        return false;
      readByOwnKernel = true;
      continue;
    }
    auto at = top ? schedule.index.find(top) : schedule.index.end();
    if (at == schedule.index.end() || at->second > k)
      return false; // Read later: by a kernel, a loop or the yield.
  }
  if (readByOwnKernel) {
    if (kernel.getKind() != KernelKind::injective)
      return false;
    auto shapeOf = [](Value r) { return cast<RankedTensorType>(r.getType()).getShape(); };
    for (Value r : kernel.getResults())
      if (shapeOf(r) != shapeOf(kernel.getResult(0)))
        return false;
  }
  return true;
}

/// Greedy by size: largest first, each at the lowest offset clear of the
/// placed buffers whose live ranges overlap its own. Returns the arena size.
int64_t assignOffsets(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    if (!b.param && b.carried < 0)
      order.push_back(&b);
  llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) { return a->bytes > b->bytes; });
  SmallVector<Buffer *> placed;
  int64_t arena = 0;
  for (Buffer *b : order) {
    SmallVector<Buffer *> conflicts;
    for (Buffer *p : placed)
      if (p->livesWith(*b))
        conflicts.push_back(p);
    llvm::sort(conflicts, [](const Buffer *x, const Buffer *y) { return x->offset < y->offset; });
    int64_t offset = 0;
    for (Buffer *c : conflicts) {
      if (c->offset >= offset + b->bytes)
        break; // The gap before c fits.
      offset = std::max(offset, c->offset + c->bytes);
    }
    b->offset = offset;
    arena = std::max(arena, offset + b->bytes);
    placed.push_back(b);
  }
  return arena;
}

struct PlanMemoryPass : public axon::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    if (!fn.getBody().hasOneBlock()) {
      fn.emitOpError("memory planning needs a single-block function");
      return signalPassFailure();
    }
    Block &block = fn.getBody().front();
    Schedule schedule(block);

    // Every computed tensor must come from a kernel or a loop; parameters,
    // their stores and constants are kept in their own storage.
    DenseMap<StringAttr, SmallVector<Value>> refs;
    DenseMap<StringAttr, int> storeCount;
    bool ok = true;
    std::function<void(Block &)> check = [&](Block &b) {
      for (Operation &op : b) {
        if (auto ref = dyn_cast<ParamRefOp>(op)) {
          refs[ref.getParamAttr().getAttr()].push_back(ref.getResult());
          continue;
        }
        if (auto store = dyn_cast<ParamStoreOp>(op)) {
          if (&b != &block) {
            op.emitOpError("memory planning needs parameter stores outside "
                           "loops");
            ok = false;
          }
          ++storeCount[store.getParamAttr().getAttr()];
          continue;
        }
        if (auto loop = dyn_cast<LoopOp>(op)) {
          check(loop.getBody().front());
          continue;
        }
        if (isa<KernelOp, ConstantOp>(op))
          continue;
        if (llvm::any_of(op.getResultTypes(), [](Type t) { return isa<TensorType>(t); })) {
          op.emitOpError("memory planning needs every computed value in an "
                         "axon.kernel; run axon-fuse first");
          ok = false;
        }
      }
    };
    check(block);

    SmallVector<Buffer> buffers;
    auto sized = [&](Operation *owner, Value v, StringRef what) -> std::optional<int64_t> {
      auto type = cast<RankedTensorType>(v.getType());
      if (!type.hasStaticShape()) {
        owner->emitOpError() << what << " has dynamic shape " << type
                             << "; memory planning needs static shapes "
                             << "(run axon-infer-shapes)";
        ok = false;
        return std::nullopt;
      }
      std::optional<int64_t> bytes = bufferBytes(type);
      if (!bytes) {
        owner->emitOpError() << what << " of type " << type
                             << " has no size memory planning can use";
        ok = false;
      }
      return bytes;
    };
    for (KernelOp kernel : schedule.kernels) {
      int k = schedule.index.lookup(kernel);
      for (OpResult r : kernel->getResults()) {
        std::optional<int64_t> bytes =
            sized(kernel, r, ("result #" + Twine(r.getResultNumber())).str());
        if (!bytes)
          continue;
        Buffer b;
        b.owner = kernel;
        b.slot = r.getResultNumber();
        b.bytes = *bytes;
        b.first = k;
        b.last = schedule.lastUse(r, k);
        b.param = inPlaceParam(r, kernel, k, schedule, refs, storeCount);
        buffers.push_back(b);
      }
    }
    for (LoopOp loop : schedule.loops) {
      int start = schedule.startOf.lookup(loop), stop = schedule.index.lookup(loop);
      Block &body = loop.getBody().front();
      unsigned n = loop.getNumResults();
      auto add = [&](unsigned slot, Value v, StringRef what, int first, int last) {
        if (std::optional<int64_t> bytes = sized(loop, v, what)) {
          Buffer b;
          b.owner = loop;
          b.slot = slot;
          b.bytes = *bytes;
          b.first = first;
          b.last = last;
          buffers.push_back(b);
        }
      };
      add(0, body.getArgument(0), "the step", start, stop);
      for (unsigned i = 0; i < n; ++i)
        add(1 + i, body.getArgument(1 + i),
            ("carried value #" + Twine(i)).str(), start,
            schedule.lastUse(loop.getResult(i), stop));
      for (auto [i, staged] : llvm::enumerate(needsStaging(loop)))
        if (staged)
          add(1 + n + i, body.getArgument(1 + i),
              ("staging of carried value #" + Twine(i)).str(), stop, stop);
    }
    if (!ok)
      return signalPassFailure();

    // Body results that become the next step's carried values in place.
    DenseMap<std::pair<Operation *, unsigned>, int> bufferAt;
    for (auto [n, b] : llvm::enumerate(buffers))
      bufferAt[{b.owner, b.slot}] = int(n);
    for (LoopOp loop : schedule.loops) {
      auto yield = cast<YieldOp>(loop.getBody().front().getTerminator());
      for (auto [i, v] : llvm::enumerate(yield.getValues())) {
        auto carried = bufferAt.find({loop.getOperation(), unsigned(1 + i)});
        if (carried == bufferAt.end() || !writesIntoCarried(v, loop, i, schedule))
          continue;
        auto r = cast<OpResult>(v);
        auto it = bufferAt.find({r.getOwner(), r.getResultNumber()});
        if (it != bufferAt.end())
          buffers[it->second].carried = carried->second;
      }
    }

    // Row writes outside that case: the result takes the target's buffer
    // when the target is a kernel result of the same block (an arena
    // buffer) that nothing reads after the write; the target's buffer then
    // lives as long as the result.
    std::function<int(int)> root = [&](int n) {
      return buffers[n].carried < 0 ? n : root(buffers[n].carried);
    };
    for (KernelOp kernel : schedule.kernels) {
      auto it = bufferAt.find({kernel.getOperation(), 0u});
      if (!writesRowInPlace(kernel) || it == bufferAt.end() ||
          buffers[it->second].carried >= 0 || buffers[it->second].param)
        continue;
      Value target = kernel.getInputs()[rowWriteTarget(kernel).getArgNumber()];
      auto r = dyn_cast<OpResult>(target);
      auto from = r && isa<KernelOp>(r.getOwner()) &&
                          r.getOwner()->getBlock() == kernel->getBlock()
                      ? bufferAt.find({r.getOwner(), r.getResultNumber()})
                      : bufferAt.end();
      if (from == bufferAt.end() || buffers[from->second].param ||
          llvm::count(kernel.getInputs(), target) != 1 ||
          schedule.lastUse(target, buffers[from->second].first) !=
              schedule.index.lookup(kernel))
        continue;
      Buffer &result = buffers[it->second];
      Buffer &held = buffers[root(from->second)];
      result.carried = root(from->second);
      held.last = std::max(held.last, result.last);
    }

    int64_t arena = assignOffsets(buffers);
    for (Buffer &b : buffers)
      if (b.carried >= 0)
        b.offset = buffers[b.carried].offset;
    int64_t total = 0;
    for (const Buffer &b : buffers)
      if (!b.param && b.carried < 0)
        total += b.bytes;

    MLIRContext *ctx = fn.getContext();
    Builder builder(ctx);
    DenseMap<Operation *, std::pair<SmallVector<int64_t>, SmallVector<Attribute>>> perKernel;
    for (KernelOp kernel : schedule.kernels) {
      auto &[offsets, inplace] = perKernel[kernel];
      offsets.assign(kernel->getNumResults(), -1);
      inplace.assign(kernel->getNumResults(), builder.getStringAttr(""));
    }
    for (LoopOp loop : schedule.loops)
      perKernel[loop].first.assign(1 + 2 * loop.getNumResults(), -1);
    for (const Buffer &b : buffers) {
      auto &[offsets, inplace] = perKernel[b.owner];
      offsets[b.slot] = b.param ? -1 : b.offset;
      if (b.param)
        inplace[b.slot] = b.param;
    }
    for (KernelOp kernel : schedule.kernels) {
      auto &[offsets, inplace] = perKernel[kernel];
      kernel->setAttr(kOffsetsAttr, builder.getDenseI64ArrayAttr(offsets));
      kernel->setAttr(kInPlaceAttr, builder.getArrayAttr(inplace));
    }
    for (LoopOp loop : schedule.loops) {
      ArrayRef<int64_t> all = perKernel[loop].first;
      size_t n = loop.getNumResults();
      loop->setAttr(kOffsetsAttr, builder.getDenseI64ArrayAttr(all.take_front(1 + n)));
      loop->setAttr(kStagingAttr, builder.getDenseI64ArrayAttr(all.drop_front(1 + n)));
      SmallVector<bool> whole = overwrittenWhole(loop);
      if (llvm::is_contained(whole, true))
        loop->setAttr(kOverwrittenAttr, builder.getDenseBoolArrayAttr(whole));
      else
        loop->removeAttr(kOverwrittenAttr);
    }
    fn->setAttr(kArenaSizeAttr, builder.getI64IntegerAttr(arena));
    fn->setAttr(kBufferBytesAttr, builder.getI64IntegerAttr(total));
  }
};

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

} // namespace

void axon::printMemoryPlan(func::FuncOp fn, llvm::raw_ostream &os) {
  os << "memory plan of @" << fn.getSymName() << "\n";
  auto arenaAttr = fn->getAttrOfType<IntegerAttr>(kArenaSizeAttr);
  auto totalAttr = fn->getAttrOfType<IntegerAttr>(kBufferBytesAttr);
  if (fn.isExternal() || !fn.getBody().hasOneBlock() || !arenaAttr || !totalAttr) {
    os << "  not planned (run axon-plan-memory)\n";
    return;
  }
  int64_t arena = arenaAttr.getInt(), total = totalAttr.getInt();
  Schedule schedule(fn.getBody().front());

  // One row per kernel result; a loop's start has a row for its step and
  // each carried value, its end one for each staging buffer (or a bare
  // row). Ops inside a loop are indented.
  using Row = std::array<std::string, 7>;
  SmallVector<Row> rows{{"#", "kernel", "result", "type", "bytes", "offset", "live"}};
  int arenaBuffers = 0, inPlace = 0;
  auto liveRange = [&](int first, int last) -> std::string {
    return llvm::formatv("[{0}, {1}]", first,
                         last == schedule.end() ? std::string("end")
                                                : std::to_string(last));
  };
  auto sizeOf = [](Type t) {
    auto type = cast<RankedTensorType>(t);
    std::optional<int64_t> bytes =
        type.hasStaticShape() ? bufferBytes(type) : std::nullopt;
    return bytes ? std::to_string(*bytes) : std::string("?");
  };
  auto offsetAt = [&](DenseI64ArrayAttr offsets, size_t i) -> std::string {
    if (!offsets || i >= size_t(offsets.size()))
      return "?";
    ++arenaBuffers;
    return std::to_string(offsets[i]);
  };
  auto boundText = [](Value v) -> std::string {
    DenseIntElementsAttr c;
    if (auto op = v.getDefiningOp<ConstantOp>())
      if ((c = dyn_cast<DenseIntElementsAttr>(op.getValue())))
        return std::to_string((*c.begin()).getSExtValue());
    return "?";
  };
  for (auto [e, event] : llvm::enumerate(schedule.events)) {
    std::string indent(2 * event.depth, ' ');
    int k = int(e);
    if (auto loop = dyn_cast<LoopOp>(event.op)) {
      std::string name = indent + (event.loopEnd ? "end loop " : "loop ") +
                         boundText(loop.getLower()) + ".." +
                         boundText(loop.getUpper());
      auto offsets = loop->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
      auto staging = loop->getAttrOfType<DenseI64ArrayAttr>(kStagingAttr);
      Block &body = loop.getBody().front();
      int stop = schedule.index.lookup(loop);
      if (!event.loopEnd) {
        rows.push_back({std::to_string(k), name, "t",
                        typeString(body.getArgument(0).getType()),
                        sizeOf(body.getArgument(0).getType()),
                        offsetAt(offsets, 0), liveRange(k, stop)});
        for (unsigned i = 0; i < loop.getNumResults(); ++i)
          rows.push_back({std::to_string(k), name, "carry " + std::to_string(i),
                          typeString(loop.getResult(i).getType()),
                          sizeOf(loop.getResult(i).getType()),
                          offsetAt(offsets, 1 + i),
                          liveRange(k, schedule.lastUse(loop.getResult(i), stop))});
        continue;
      }
      bool any = false;
      for (unsigned i = 0; staging && i < staging.size(); ++i)
        if (staging[i] >= 0) {
          any = true;
          rows.push_back({std::to_string(k), name, "staging " + std::to_string(i),
                          typeString(loop.getResult(i).getType()),
                          sizeOf(loop.getResult(i).getType()),
                          offsetAt(staging, i), liveRange(k, k)});
        }
      if (!any)
        rows.push_back({std::to_string(k), name, "", "", "", "", ""});
      continue;
    }
    auto kernel = cast<KernelOp>(event.op);
    auto offsets = kernel->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
    auto inplace = kernel->getAttrOfType<ArrayAttr>(kInPlaceAttr);
    for (OpResult r : kernel->getResults()) {
      unsigned i = r.getResultNumber();
      StringAttr param;
      if (inplace && i < inplace.size())
        if (auto s = dyn_cast<StringAttr>(inplace[i]); s && !s.empty())
          param = s;
      // A result yielded into its carried value's buffer.
      std::optional<unsigned> carry;
      if (auto loop = dyn_cast<LoopOp>(kernel->getParentOp()))
        if (auto loopOffsets = loop->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr))
          for (auto [c, v] : llvm::enumerate(
                   loop.getBody().front().getTerminator()->getOperands()))
            if (v == r && offsets && i < size_t(offsets.size()) &&
                1 + c < size_t(loopOffsets.size()) &&
                loopOffsets[1 + c] == offsets[i])
              carry = c;
      std::string offset;
      if (param) {
        offset = ("in place -> @" + param.getValue()).str();
        ++inPlace;
      } else if (carry) {
        offset = std::to_string(offsets[i]) + " = carry " + std::to_string(*carry);
        ++inPlace;
      } else {
        offset = offsetAt(offsets, i);
      }
      rows.push_back({std::to_string(k), indent + kernel.getSymName().str(),
                      std::to_string(i), typeString(r.getType()),
                      sizeOf(r.getType()), offset,
                      liveRange(k, schedule.lastUse(r, k))});
    }
  }

  os << "  arena:   " << arena << " bytes (" << llvm::format("%.2f", arena / 1024.0)
     << " KiB)\n";
  os << "  buffers: " << total << " bytes in " << arenaBuffers << " arena buffer"
     << (arenaBuffers == 1 ? "" : "s") << ", " << inPlace
     << " written in place (into a parameter or a loop's carried value)\n";
  os << "  reuse:   ";
  if (arena > 0)
    os << llvm::format("%.2f", double(total) / double(arena)) << "x (buffers / arena)\n";
  else
    os << "-\n";

  std::array<size_t, 7> width{};
  for (const Row &row : rows)
    for (size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  // Numbers right-aligned, text left-aligned.
  constexpr std::array<bool, 7> numeric{true, false, true, false, true, true, false};
  for (const Row &row : rows) {
    os << " ";
    for (size_t c = 0; c < row.size(); ++c) {
      os << " ";
      if (c + 1 == row.size())
        os << row[c];
      else if (numeric[c])
        os << llvm::right_justify(row[c], width[c]);
      else
        os << llvm::left_justify(row[c], width[c]);
    }
    os << "\n";
  }
}
