// axon-plan-memory: live ranges of kernel results, in-place parameter
// updates, and greedy-by-size offsets in one arena (see Passes.td).
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <array>
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

/// The kernels of a single-block function in schedule (block) order, and
/// the live ranges of their results.
struct Schedule {
  Block *block = nullptr;
  SmallVector<KernelOp> kernels;
  DenseMap<Operation *, int> index;

  explicit Schedule(Block &b) : block(&b) {
    for (Operation &op : b)
      if (auto kernel = dyn_cast<KernelOp>(op)) {
        index[kernel] = kernels.size();
        kernels.push_back(kernel);
      }
  }

  /// The index meaning "until the function returns", after every kernel.
  int end() const { return kernels.size(); }

  /// The schedule index of the last reader of `v`, a result of the kernel
  /// at `first`: a kernel's index, or end() for func.return, param_store and
  /// any other reader.
  int lastUse(Value v, int first) const {
    int last = first;
    for (Operation *user : v.getUsers()) {
      Operation *top = block->findAncestorOpInBlock(*user);
      auto it = top ? index.find(top) : index.end();
      last = std::max(last, it != index.end() ? it->second : end());
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

/// One kernel result.
struct Buffer {
  KernelOp kernel;
  unsigned result = 0;
  int64_t bytes = 0;
  int first = 0, last = 0;
  StringAttr param; ///< Set when written in place into this parameter.
  int64_t offset = -1;

  bool livesWith(const Buffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

/// Ops that read operand element i only to compute result element i when
/// operand and result have the same shape (numpy broadcasting only
/// stretches the other operands).
bool isPointwise(Operation *op) {
  return op->hasTrait<mlir::OpTrait::Elementwise>() ||
         isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, CmpOp, SelectOp>(op);
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
  if (!store || store->getBlock() != schedule.block)
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
          return {}; // Read later: by a kernel, func.return or param_store.
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
    if (kernel.getKind() != "injective" && kernel.getKind() != "elementwise")
      return {};
    auto shapeOf = [](Value r) { return cast<RankedTensorType>(r.getType()).getShape(); };
    for (Value r : kernel.getResults())
      if (shapeOf(r) != shapeOf(kernel.getResult(0)))
        return {};
  }
  return param;
}

/// Greedy by size: largest first, each at the lowest offset clear of the
/// placed buffers whose live ranges overlap its own. Returns the arena size.
int64_t assignOffsets(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    if (!b.param)
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

    // Every computed tensor must come from a kernel; parameters, their
    // stores and constants are kept in their own storage.
    DenseMap<StringAttr, SmallVector<Value>> refs;
    DenseMap<StringAttr, int> storeCount;
    bool ok = true;
    for (Operation &op : block) {
      if (auto ref = dyn_cast<ParamRefOp>(op)) {
        refs[ref.getParamAttr().getAttr()].push_back(ref.getResult());
        continue;
      }
      if (auto store = dyn_cast<ParamStoreOp>(op)) {
        ++storeCount[store.getParamAttr().getAttr()];
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

    SmallVector<Buffer> buffers;
    for (auto [k, kernel] : llvm::enumerate(schedule.kernels)) {
      for (OpResult r : kernel->getResults()) {
        auto type = cast<RankedTensorType>(r.getType());
        if (!type.hasStaticShape()) {
          kernel.emitOpError() << "result #" << r.getResultNumber() << " has dynamic shape "
                               << type << "; memory planning needs static shapes "
                               << "(run axon-infer-shapes)";
          ok = false;
          continue;
        }
        std::optional<int64_t> bytes = bufferBytes(type);
        if (!bytes) {
          kernel.emitOpError() << "result #" << r.getResultNumber() << " of type " << type
                               << " has no size memory planning can use";
          ok = false;
          continue;
        }
        Buffer b;
        b.kernel = kernel;
        b.result = r.getResultNumber();
        b.bytes = *bytes;
        b.first = k;
        b.last = schedule.lastUse(r, k);
        b.param = inPlaceParam(r, kernel, k, schedule, refs, storeCount);
        buffers.push_back(b);
      }
    }
    if (!ok)
      return signalPassFailure();

    int64_t arena = assignOffsets(buffers);
    int64_t total = 0;
    for (const Buffer &b : buffers)
      if (!b.param)
        total += b.bytes;

    MLIRContext *ctx = fn.getContext();
    Builder builder(ctx);
    DenseMap<Operation *, std::pair<SmallVector<int64_t>, SmallVector<Attribute>>> perKernel;
    for (KernelOp kernel : schedule.kernels) {
      auto &[offsets, inplace] = perKernel[kernel];
      offsets.assign(kernel->getNumResults(), -1);
      inplace.assign(kernel->getNumResults(), builder.getStringAttr(""));
    }
    for (const Buffer &b : buffers) {
      auto &[offsets, inplace] = perKernel[b.kernel];
      offsets[b.result] = b.param ? -1 : b.offset;
      if (b.param)
        inplace[b.result] = b.param;
    }
    for (KernelOp kernel : schedule.kernels) {
      auto &[offsets, inplace] = perKernel[kernel];
      kernel->setAttr(kOffsetsAttr, builder.getDenseI64ArrayAttr(offsets));
      kernel->setAttr(kInPlaceAttr, builder.getArrayAttr(inplace));
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

  // One row per kernel result.
  using Row = std::array<std::string, 7>;
  SmallVector<Row> rows{{"#", "kernel", "result", "type", "bytes", "offset", "live"}};
  int arenaBuffers = 0, inPlace = 0;
  for (auto [k, kernel] : llvm::enumerate(schedule.kernels)) {
    auto offsets = kernel->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
    auto inplace = kernel->getAttrOfType<ArrayAttr>(kInPlaceAttr);
    for (OpResult r : kernel->getResults()) {
      unsigned i = r.getResultNumber();
      auto type = cast<RankedTensorType>(r.getType());
      std::optional<int64_t> bytes =
          type.hasStaticShape() ? bufferBytes(type) : std::nullopt;
      StringAttr param;
      if (inplace && i < inplace.size())
        if (auto s = dyn_cast<StringAttr>(inplace[i]); s && !s.empty())
          param = s;
      std::string offset;
      if (param) {
        offset = ("in place -> @" + param.getValue()).str();
        ++inPlace;
      } else if (offsets && i < offsets.size()) {
        offset = std::to_string(offsets[i]);
        ++arenaBuffers;
      } else {
        offset = "?";
      }
      int last = schedule.lastUse(r, k);
      std::string live = llvm::formatv("[{0}, {1}]", k,
                                       last == schedule.end() ? std::string("end")
                                                              : std::to_string(last));
      rows.push_back({std::to_string(k), kernel.getSymName().str(), std::to_string(i),
                      typeString(type), bytes ? std::to_string(*bytes) : "?", offset, live});
    }
  }

  os << "  arena:   " << arena << " bytes (" << llvm::format("%.2f", arena / 1024.0)
     << " KiB)\n";
  os << "  buffers: " << total << " bytes in " << arenaBuffers << " arena buffer"
     << (arenaBuffers == 1 ? "" : "s") << ", " << inPlace << " written in place\n";
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
