// axon-fuse: group the tensor ops of each function into axon.kernel ops.
//
// The pass walks each block of a function in order and gives every fusible
// op a group, following the rules below (one function per rule, each
// returning a Verdict: whether to fuse and why). Then each group is outlined
// into one `axon.kernel`, which the Halide backend compiles into one
// pipeline:
//
//   R1 ruleInjectiveJoin: an injective op joins the group of an operand's
//      producer when that group is injective (no anchor), or as an
//      elementwise epilogue when its result has the shape of the group's
//      anchor and it reads its operands at its own coordinates (no
//      transpose, reshape, slice, ...). Operands the op broadcasts are only
//      read.
//      ruleSiblingMerge: once joined, the op's other operand groups that are
//      injective merge in too when the result is still a valid kernel (so
//      `m * b1 + g * (1 - b1)` is one kernel, not two).
//   R2 ruleReductionPrologue: a reduction becomes the anchor of its operand's
//      injective group; otherwise it starts a reduction group.
//   R3 ruleContractionPrologue: a contraction starts a group, except that it
//      takes an operand's group when that is pure data movement read by
//      nothing else (the transpose feeding a gradient matmul), unless that
//      group reshapes an operand the matmul broadcasts over its batch (a
//      weight [H*E, D] merged from [H, E, D] under a batch of inputs: the
//      backend would compute the merge once per matrix; as a kernel of its
//      own it is copied once and read as a plain input). Window ops start a
//      group, without prologue.
//   R4 (in each rule above): a group never gets two anchors; values used
//      outside a group become extra kernel results.
//   R5 ruleAcyclic: no fusion that would make kernels depend on each other in
//      a cycle (checked by a DFS over producers, at group granularity).
//
// Outlining: inputs are the values a group reads from outside, in first-use
// order, except splat constants, which are cloned into the body; results are
// the group's values read outside it (func.return, param_store, other
// kernels), in op order. Parameters, non-splat constants, calls, loops and
// axon.dim stay in the function. `explain` emits one remark per fused op.
//
// Loops: the body of each axon.loop is fused the same way, as a block of
// its own, after the block around it (kernels inside read the step `t` and
// the carried values as inputs, like any value from outside). Splat
// constants a body reads from outside are first cloned into it.
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

#include <string>

namespace axon {
#define GEN_PASS_DEF_FUSE
#include "passes/Passes.h.inc"
} // namespace axon

using namespace mlir;
using namespace axon;

namespace {

//===----------------------------------------------------------------------===//
// Op classes
//===----------------------------------------------------------------------===//

enum class OpClass {
  /// Elementwise, data movement and creation ops: each output element needs
  /// O(1) input elements, so they inline into any consumer.
  Injective,
  /// Injective too, but cloned into every kernel that reads it instead of
  /// being a member or an input.
  SplatConstant,
  /// Reductions and normalisations over axes: a group's anchor.
  Reduction,
  /// Matmul and convolutions: a group's anchor.
  Contraction,
  /// Pooling and its gradients: a group's anchor, without prologue.
  Window,
  /// Always alone in a kernel of kind `single`.
  Opaque,
  /// Never in a kernel: parameters, stores, calls, loops (and everything in
  /// their bodies), axon.dim, axon.train, non-splat constants, ops without
  /// tensor results and anything unknown.
  Outside,
};

bool isSplatConstant(Operation *op) {
  auto constant = dyn_cast<ConstantOp>(op);
  if (!constant)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  return dense && dense.isSplat();
}

/// The one place that says which ops fuse how: by the op's family (ODS).
OpClass classify(Operation *op) {
  // Only ops whose results are all tensors; nothing with regions.
  if (op->getNumResults() == 0 || op->getNumRegions() != 0 ||
      !llvm::all_of(op->getResultTypes(),
                    [](Type t) { return isa<RankedTensorType>(t); }))
    return OpClass::Outside;
  if (isa<ConstantOp>(op))
    return isSplatConstant(op) ? OpClass::SplatConstant : OpClass::Outside;
  std::optional<OpFamily> family = familyOf(op);
  if (!family)
    return OpClass::Outside; // func.call, ...
  switch (*family) {
  case OpFamily::ElementwiseUnary:
  case OpFamily::ElementwiseBinary:
  case OpFamily::Selection:
  case OpFamily::Conversion:
  case OpFamily::DataMovement:
  case OpFamily::Constant: // fill (constant is handled above)
  case OpFamily::Random:
    return OpClass::Injective;
  case OpFamily::Reduction:
    return OpClass::Reduction;
  case OpFamily::Contraction:
    return OpClass::Contraction;
  case OpFamily::Window:
    return OpClass::Window;
  case OpFamily::Scatter:
  case OpFamily::Scan: // its block passes are stages of its own kernel
    return OpClass::Opaque;
  case OpFamily::ShapeQuery: // read by the host
  case OpFamily::State:
  case OpFamily::Control:
    return OpClass::Outside;
  }
  return OpClass::Outside;
}

/// Injective ops that only move or convert elements: the prologues worth
/// fusing into a contraction (R3).
bool isDataMovement(Operation *op) {
  return op->hasTrait<axon::OpTrait::View>() || familyOf(op) == OpFamily::Conversion;
}

/// Injective ops whose result element at i is not computed from their
/// operands' elements at i.
bool moves(Operation *op) { return familyOf(op) == OpFamily::DataMovement; }

/// How an injective op reads operand `i`.
enum class OperandRole {
  Data,      // read elementwise or moved: a fusion candidate
  Broadcast, // stretched by the op's broadcasting: only read
  Control,   // a dynamic extent or RNG counter: only read
};

ArrayRef<int64_t> dims(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

OperandRole operandRole(Operation *op, unsigned i) {
  if (op->hasTrait<axon::OpTrait::Broadcasting>())
    return dims(op->getOperand(i)) == dims(op->getResult(0)) ? OperandRole::Data
                                                              : OperandRole::Broadcast;
  // Ops that make values from attributes read only extents and counters.
  std::optional<OpFamily> family = familyOf(op);
  if (family == OpFamily::Constant || family == OpFamily::Random)
    return OperandRole::Control;
  if (auto dynamic = dyn_cast<DynamicDimsOpInterface>(op)) {
    OperandRange extents = dynamic.getDynamicDims();
    if (!extents.empty() && i >= extents.getBeginOperandIndex())
      return OperandRole::Control;
  }
  return OperandRole::Data;
}

std::string opName(Operation *op) { return op->getName().getStringRef().str(); }

std::string shapeStr(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += "x";
    s += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Groups and rules
//===----------------------------------------------------------------------===//

/// Whether matmul operand `v` has fewer batch elements than the product
/// `result` (numpy broadcasting: missing axes and extents of 1 stretch).
bool broadcastOverBatch(Value v, Value result) {
  auto batch = [](ArrayRef<int64_t> shape) {
    int64_t n = 1;
    for (size_t i = 0; i + 2 < shape.size(); ++i)
      n = ShapedType::isDynamic(shape[i]) ? -1 : n * shape[i];
    return n;
  };
  return batch(dims(v)) < batch(dims(result));
}

/// Whether `reshape` merges or splits extents (not only adds or drops 1s):
/// the backend then reads its input through divisions, not a plain load.
bool movesExtents(ReshapeOp reshape) {
  auto nonUnit = [](ArrayRef<int64_t> shape) {
    SmallVector<int64_t> kept;
    for (int64_t e : shape)
      if (e != 1)
        kept.push_back(e);
    return kept;
  };
  return nonUnit(dims(reshape.getInput())) != nonUnit(dims(reshape.getResult()));
}

/// A rule's answer: fuse or not, and a short reason for `explain`.
struct Verdict {
  bool fuse;
  std::string why;
  static Verdict yes(std::string why) { return {true, std::move(why)}; }
  static Verdict no(std::string why) { return {false, std::move(why)}; }
};

struct Group {
  unsigned id;                     // creation order
  SmallVector<Operation *> ops;    // members, unordered until outlining
  Operation *anchor = nullptr;     // the reduction/contraction/window op
  bool single = false;             // an opaque op alone
  int mergedInto = -1;             // forwarding once merged into another

  bool alive() const { return mergedInto < 0; }
  bool injective() const { return !anchor && !single; }
  KernelKind kind() const {
    if (single)
      return KernelKind::single;
    if (!anchor)
      return KernelKind::injective;
    switch (classify(anchor)) {
    case OpClass::Reduction:
      return KernelKind::reduction;
    case OpClass::Contraction:
      return KernelKind::contraction;
    default:
      return KernelKind::window;
    }
  }
};

/// What happened to one op, for `explain`.
struct Explanation {
  enum Action { Starts, Joins, Anchors };
  Operation *op;
  Action action;
  unsigned group;
  std::string why;
};

class Fuser {
public:
  /// Kernels are numbered from `nextKernel` on, which is advanced.
  Fuser(Block &block, StringRef funcName, unsigned &nextKernel)
      : block(block), funcName(funcName), nextKernel(nextKernel) {}

  void formGroups();
  void explain();
  LogicalResult outline();

private:
  // --- rules -------------------------------------------------------------
  Verdict ruleInjectiveJoin(Operation *x, Value operand, const Group &g);
  Verdict ruleSiblingMerge(Operation *x, unsigned operandIdx, const Group &target,
                           const Group &sibling);
  Verdict ruleReductionPrologue(const Group &g);
  Verdict ruleContractionPrologue(Operation *c, Value operand, const Group &g);
  Verdict ruleAcyclic(ArrayRef<unsigned> groupIds, Operation *x);

  // --- decisions per op class ---------------------------------------------
  void fuseInjective(Operation *x);
  void fuseReduction(Operation *r);
  void fuseContraction(Operation *c);
  void fuseSplatConstant(Operation *c);

  // --- helpers -------------------------------------------------------------
  Operation *topLevel(Operation *op) { return block.findAncestorOpInBlock(*op); }
  Operation *producer(Value v) {
    Operation *def = v.getDefiningOp();
    return def ? topLevel(def) : nullptr;
  }
  int groupIdOf(Operation *op) {
    auto it = groupOf.find(op);
    return it == groupOf.end() ? -1 : static_cast<int>(it->second);
  }
  unsigned newGroup(Operation *op);
  void addTo(unsigned g, Operation *op);
  void merge(unsigned into, unsigned from);
  unsigned resolve(unsigned g) const {
    while (groups[g].mergedInto >= 0)
      g = groups[g].mergedInto;
    return g;
  }
  ArrayRef<Operation *> predecessors(Operation *op);
  std::string kernelName(unsigned g) const {
    return (funcName + "_k" + Twine(names.lookup(resolve(g)))).str();
  }
  LogicalResult restoreOrder();
  void note(Operation *op, Explanation::Action action, unsigned g, std::string why) {
    explanations.push_back({op, action, g, std::move(why)});
  }

  Block &block;
  StringRef funcName;
  unsigned &nextKernel;
  std::vector<Group> groups;
  DenseMap<Operation *, unsigned> groupOf;
  DenseMap<Operation *, SmallVector<Operation *, 4>> predCache;
  DenseMap<unsigned, unsigned> names; // alive group -> kernel index
  std::vector<Explanation> explanations;
};

unsigned Fuser::newGroup(Operation *op) {
  unsigned id = groups.size();
  groups.push_back(Group{id, {}, nullptr, false, -1});
  addTo(id, op);
  return id;
}

void Fuser::addTo(unsigned g, Operation *op) {
  groups[g].ops.push_back(op);
  groupOf[op] = g;
}

void Fuser::merge(unsigned into, unsigned from) {
  Group &src = groups[from];
  for (Operation *op : src.ops)
    addTo(into, op);
  if (src.anchor)
    groups[into].anchor = src.anchor;
  src.ops.clear();
  src.mergedInto = into;
}

/// The ops of the block that produce what `op` reads, including values its
/// regions capture.
ArrayRef<Operation *> Fuser::predecessors(Operation *op) {
  auto it = predCache.find(op);
  if (it != predCache.end())
    return it->second;
  llvm::SetVector<Value> used(op->getOperands().begin(), op->getOperands().end());
  for (Region &region : op->getRegions())
    getUsedValuesDefinedAbove(region, used);
  llvm::SetVector<Operation *> preds;
  for (Value v : used)
    if (Operation *p = producer(v))
      preds.insert(p);
  return predCache[op] = SmallVector<Operation *, 4>(preds.begin(), preds.end());
}

/// R1: may injective `x` join group `g`, which produces `operand`?
Verdict Fuser::ruleInjectiveJoin(Operation *x, Value operand, const Group &g) {
  Operation *p = producer(operand);
  if (g.single)
    return Verdict::no("the producer (" + opName(p) + ") stays alone in its kernel");
  if (g.injective())
    return Verdict::yes("injective, like the producer (" + opName(p) + ")");
  // R4: an anchored group takes only elementwise epilogues of its anchor:
  // ops that read it at their own coordinates. A transpose of a square
  // result has its shape but reads it elsewhere; the backend computes a
  // contraction tile by tile where its epilogue is, so such an op must not
  // join.
  ArrayRef<int64_t> anchorShape = dims(g.anchor->getResult(0));
  if (moves(x))
    return Verdict::no("not an epilogue of " + opName(g.anchor) + ": " +
                       opName(x) + " reads elements at other coordinates");
  if (dims(x->getResult(0)) == anchorShape)
    return Verdict::yes("elementwise epilogue of " + opName(g.anchor));
  return Verdict::no("not an epilogue of " + opName(g.anchor) + " (shape " +
                     shapeStr(dims(x->getResult(0))) + ", anchor " +
                     shapeStr(anchorShape) + ")");
}

/// After `x` joined `target`, may the group of another operand of `x` merge
/// in as well? Both must fit in one kernel: at most one anchor (R4), and ops
/// beside an anchor must be same-shape elementwise work that does not feed
/// it (a prologue of a contraction is R3's business).
Verdict Fuser::ruleSiblingMerge(Operation *x, unsigned operandIdx,
                                const Group &target, const Group &sibling) {
  std::string which = "operand " + std::to_string(operandIdx) + "'s kernel";
  if (sibling.single)
    return Verdict::no(which + " stays alone");
  if (target.anchor && sibling.anchor)
    return Verdict::no(which + " has its own anchor (" + opName(sibling.anchor) +
                       "): a kernel has at most one");
  const Group &anchored = target.anchor ? target : sibling;
  const Group &plain = target.anchor ? sibling : target;
  if (!anchored.anchor)
    return Verdict::yes("also takes " + which + " (injective)");
  ArrayRef<int64_t> anchorShape = dims(anchored.anchor->getResult(0));
  for (Operation *op : plain.ops) {
    if (dims(op->getResult(0)) != anchorShape)
      return Verdict::no(which + " has ops of another shape than " +
                         opName(anchored.anchor) + "'s result");
    for (Operation *user : op->getUsers()) {
      Operation *top = topLevel(user);
      if (top != x && groupIdOf(top) == static_cast<int>(anchored.id))
        return Verdict::no(which + " also feeds " + opName(anchored.anchor));
    }
  }
  return Verdict::yes("also takes " + which + " (same-shape injective ops)");
}

/// R2: may a reduction become the anchor of its operand's group `g`?
Verdict Fuser::ruleReductionPrologue(const Group &g) {
  if (g.single)
    return Verdict::no("its operand's producer stays alone in its kernel");
  if (g.anchor)
    return Verdict::no("its operand's kernel already has an anchor (" +
                       opName(g.anchor) + ")");
  return Verdict::yes("its operand's injective ops are the prologue");
}

/// R3: may contraction `c` take group `g`, which produces one of its operands,
/// as prologue? Only pure data movement that nothing else reads: then the
/// contraction reads the moved elements directly and no copy is written.
/// Not a reshape of a matmul operand broadcast over the batch (see R3).
Verdict Fuser::ruleContractionPrologue(Operation *c, Value operand,
                                       const Group &g) {
  if (isa<MatmulOp>(c) && broadcastOverBatch(operand, c->getResult(0)))
    for (Operation *op : g.ops)
      if (auto reshape = dyn_cast<ReshapeOp>(op); reshape && movesExtents(reshape))
        return Verdict::no("a reshape of an operand broadcast over the batch "
                           "(copied once, not once per matrix)");
  if (g.single)
    return Verdict::no("the producer stays alone in its kernel");
  if (g.anchor)
    return Verdict::no("the producer's kernel already has an anchor (" +
                       opName(g.anchor) + ")");
  for (Operation *op : g.ops) {
    if (!isDataMovement(op))
      return Verdict::no("the producer's kernel does more than move data (" +
                         opName(op) + ")");
    for (Operation *user : op->getUsers()) {
      Operation *top = topLevel(user);
      if (top != c && groupIdOf(top) != static_cast<int>(g.id))
        return Verdict::no("the producer's kernel is also read by " + opName(top));
    }
  }
  return Verdict::yes("data-movement prologue (" + opName(g.ops.front()) + ")");
}

/// R5: would making one kernel of the groups `groupIds` plus op `x` create
/// a cycle between kernels? That is the case when some op or group outside
/// the set depends on the set and the set depends on it. A backward DFS from
/// the set's outside producers, at group granularity (a kernel runs as a
/// whole), looks for the set again.
Verdict Fuser::ruleAcyclic(ArrayRef<unsigned> groupIds, Operation *x) {
  auto inSet = [&](Operation *op) {
    if (op == x)
      return true;
    int g = groupIdOf(op);
    return g >= 0 && llvm::is_contained(groupIds, static_cast<unsigned>(g));
  };
  SmallVector<Operation *> work;
  DenseSet<Operation *> seenOps;
  DenseSet<unsigned> seenGroups;
  auto push = [&](Operation *op) {
    int g = groupIdOf(op);
    if (g < 0) {
      if (seenOps.insert(op).second)
        work.push_back(op);
    } else if (seenGroups.insert(g).second) {
      llvm::append_range(work, groups[g].ops);
    }
  };
  SmallVector<Operation *> members{x};
  for (unsigned g : groupIds)
    llvm::append_range(members, groups[g].ops);
  for (Operation *m : members)
    for (Operation *p : predecessors(m))
      if (!inSet(p))
        push(p);
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    for (Operation *p : predecessors(op)) {
      if (inSet(p))
        return Verdict::no("would create a cycle between kernels");
      push(p);
    }
  }
  return Verdict::yes("acyclic");
}

//===----------------------------------------------------------------------===//
// Decisions
//===----------------------------------------------------------------------===//

void Fuser::fuseInjective(Operation *x) {
  struct Candidate {
    unsigned operand;
    unsigned group;
    std::string why;
  };
  SmallVector<Candidate> anchored, plain;
  SmallVector<std::string> notes; // reasons against, for explain
  DenseSet<unsigned> seen;
  for (auto [i, operand] : llvm::enumerate(x->getOperands())) {
    Operation *p = producer(operand);
    if (!p || isSplatConstant(p))
      continue;
    int g = groupIdOf(p);
    if (g < 0)
      continue; // not in a kernel: read as an input
    std::string which = "operand " + std::to_string(i);
    switch (operandRole(x, i)) {
    case OperandRole::Control:
      notes.push_back(which + " is an extent or counter, read as an input");
      continue;
    case OperandRole::Broadcast:
      notes.push_back(which + " is broadcast, read as an input");
      continue;
    case OperandRole::Data:
      break;
    }
    if (!seen.insert(g).second)
      continue;
    Verdict v = ruleInjectiveJoin(x, operand, groups[g]);
    if (!v.fuse) {
      notes.push_back("not with " + which + ": " + v.why);
      continue;
    }
    (groups[g].anchor ? anchored : plain).push_back({unsigned(i), unsigned(g), v.why});
  }

  // Prefer an epilogue, then the first operand's group; R5 may veto each.
  SmallVector<Candidate> candidates(anchored);
  llvm::append_range(candidates, plain);
  std::optional<Candidate> target;
  SmallVector<Candidate> others;
  for (Candidate &c : candidates) {
    if (target) {
      others.push_back(c);
      continue;
    }
    Verdict acyclic = ruleAcyclic({c.group}, x);
    if (acyclic.fuse)
      target = c;
    else
      notes.push_back("not with the producer of operand " + std::to_string(c.operand) +
                      ": " + acyclic.why);
  }

  std::string why;
  unsigned g;
  if (!target) {
    g = newGroup(x);
    why = candidates.empty() && notes.empty() ? "no operand comes from a kernel"
                                              : "";
  } else {
    g = target->group;
    addTo(g, x);
    why = target->why;
    // Other operand groups of x that fit merge in too.
    for (Candidate &c : others) {
      Verdict v = ruleSiblingMerge(x, c.operand, groups[g], groups[c.group]);
      if (v.fuse) {
        Verdict acyclic = ruleAcyclic({g, c.group}, x);
        if (!acyclic.fuse)
          v = Verdict::no("not with the producer of operand " +
                          std::to_string(c.operand) + ": " + acyclic.why);
      }
      if (v.fuse)
        merge(g, c.group);
      notes.push_back(v.why);
    }
  }
  for (std::string &n : notes)
    why += (why.empty() ? "" : "; ") + n;
  note(x, target ? Explanation::Joins : Explanation::Starts, g, why);
}

void Fuser::fuseReduction(Operation *r) {
  Operation *p = producer(r->getOperand(0));
  int g = p && !isSplatConstant(p) ? groupIdOf(p) : -1;
  std::string why;
  if (g >= 0) {
    Verdict v = ruleReductionPrologue(groups[g]);
    if (v.fuse) {
      Verdict acyclic = ruleAcyclic({unsigned(g)}, r);
      if (acyclic.fuse) {
        addTo(g, r);
        groups[g].anchor = r;
        note(r, Explanation::Anchors, g, v.why);
        return;
      }
      v = acyclic;
    }
    why = v.why;
  }
  unsigned ng = newGroup(r);
  groups[ng].anchor = r;
  note(r, Explanation::Starts, ng, why);
}

void Fuser::fuseContraction(Operation *c) {
  bool window = classify(c) == OpClass::Window;
  std::string why;
  auto add = [&](const std::string &n) { why += (why.empty() ? "" : "; ") + n; };
  std::optional<unsigned> g;
  if (!window) {
    for (auto [i, operand] : llvm::enumerate(c->getOperands())) {
      Operation *p = producer(operand);
      int pg = p && !isSplatConstant(p) ? groupIdOf(p) : -1;
      if (pg < 0 || (g && static_cast<unsigned>(pg) == *g))
        continue;
      std::string which = "operand " + std::to_string(i);
      Verdict v = ruleContractionPrologue(c, operand, groups[pg]);
      if (v.fuse) {
        SmallVector<unsigned> set{unsigned(pg)};
        if (g)
          set.push_back(*g);
        Verdict acyclic = ruleAcyclic(set, c);
        if (!acyclic.fuse)
          v = acyclic;
      }
      if (!v.fuse) {
        add("not with " + which + ": " + v.why);
        continue;
      }
      add("takes " + which + "'s " + v.why);
      if (!g) {
        g = pg;
        addTo(*g, c);
        groups[*g].anchor = c;
      } else {
        merge(*g, pg);
      }
    }
  }
  if (g) {
    note(c, Explanation::Anchors, *g, why);
    return;
  }
  unsigned ng = newGroup(c);
  groups[ng].anchor = c;
  note(c, Explanation::Starts, ng, why);
}

/// A splat constant is cloned into every kernel that reads it. Only when
/// something outside kernels (func.return, param_store, call, ...) reads it
/// does it become a kernel of its own, so that its value is materialised.
void Fuser::fuseSplatConstant(Operation *c) {
  for (OpOperand &use : c->getUses()) {
    Operation *user = topLevel(use.getOwner());
    if (classify(user) != OpClass::Outside)
      continue;
    auto loop = dyn_cast<LoopOp>(use.getOwner());
    if (loop && use.getOperandNumber() < 2)
      continue; // a loop bound, read by the host
    unsigned g = newGroup(c);
    note(c, Explanation::Starts, g, "splat constant read outside kernels (" + opName(user) + ")");
    return;
  }
}

void Fuser::formGroups() {
  for (Operation &op : block) {
    switch (classify(&op)) {
    case OpClass::Outside:
      break;
    case OpClass::SplatConstant:
      fuseSplatConstant(&op);
      break;
    case OpClass::Injective:
      fuseInjective(&op);
      break;
    case OpClass::Reduction:
      fuseReduction(&op);
      break;
    case OpClass::Contraction:
    case OpClass::Window:
      fuseContraction(&op);
      break;
    case OpClass::Opaque: {
      unsigned g = newGroup(&op);
      groups[g].single = true;
      note(&op, Explanation::Starts, g, "opaque, alone in its kernel");
      break;
    }
    }
  }
  // Kernel indices: surviving groups in creation order.
  for (Group &g : groups)
    if (g.alive())
      names[g.id] = nextKernel++;
}

void Fuser::explain() {
  for (Explanation &e : explanations) {
    unsigned g = resolve(e.group);
    InFlightDiagnostic d = e.op->emitRemark();
    switch (e.action) {
    case Explanation::Starts:
      if (g != e.group)
        d << "starts a group, later merged into kernel '" << kernelName(g) << "'";
      else
        d << "starts kernel '" << kernelName(g) << "' ("
          << stringifyKernelKind(groups[g].kind()) << ")";
      break;
    case Explanation::Joins:
      d << "joins kernel '" << kernelName(g) << "'";
      break;
    case Explanation::Anchors:
      d << "joins kernel '" << kernelName(g) << "' as its anchor";
      break;
    }
    if (!e.why.empty())
      d << ": " << e.why;
  }
}

//===----------------------------------------------------------------------===//
// Outlining
//===----------------------------------------------------------------------===//

LogicalResult Fuser::outline() {
  DenseMap<Operation *, unsigned> index;
  for (auto [i, op] : llvm::enumerate(block))
    index[&op] = i;
  OpBuilder builder(block.getParent()->getContext());
  for (Group &g : groups) {
    if (!g.alive())
      continue;
    llvm::sort(g.ops, [&](Operation *a, Operation *b) { return index[a] < index[b]; });
    auto inGroup = [&](Operation *op) { return groupIdOf(op) == static_cast<int>(g.id); };

    // Inputs in first-use order; splat constants are cloned instead.
    llvm::SetVector<Value> inputs;
    llvm::SetVector<Operation *> constants;
    for (Operation *op : g.ops)
      for (Value v : op->getOperands()) {
        Operation *p = producer(v);
        if (p && inGroup(p))
          continue;
        if (p && isSplatConstant(p))
          constants.insert(p);
        else
          inputs.insert(v);
      }
    // Results: values read outside the group, in op order.
    SmallVector<Value> results;
    for (Operation *op : g.ops)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(),
                         [&](Operation *u) { return !inGroup(topLevel(u)); }))
          results.push_back(r);

    Operation *last = g.ops.back();
    builder.setInsertionPoint(last);
    Location loc = g.anchor ? g.anchor->getLoc() : g.ops.front()->getLoc();
    auto kernel = builder.create<KernelOp>(
        loc, ValueRange(results).getTypes(), kernelName(g.id), g.kind(),
        inputs.getArrayRef());
    SmallVector<Location> argLocs;
    for (Value v : inputs)
      argLocs.push_back(v.getLoc());
    Block *body = builder.createBlock(&kernel.getBody(), {},
                                      ValueRange(inputs.getArrayRef()).getTypes(), argLocs);
    IRMapping map;
    map.map(inputs.getArrayRef(), body->getArguments());
    for (Operation *c : constants)
      builder.clone(*c, map);
    for (Operation *op : g.ops)
      builder.clone(*op, map);
    SmallVector<Value> yielded;
    for (Value r : results)
      yielded.push_back(map.lookup(r));
    builder.create<KernelYieldOp>(loc, yielded);

    // Outside readers now read the kernel. A splat constant's readers in
    // other kernels keep cloning it, so only non-kernel readers switch.
    for (auto [r, k] : llvm::zip(results, kernel.getResults())) {
      bool splat = isSplatConstant(r.getDefiningOp());
      r.replaceUsesWithIf(k, [&](OpOperand &use) {
        Operation *top = topLevel(use.getOwner());
        if (splat)
          return groupIdOf(top) < 0 && top != kernel;
        return !inGroup(top);
      });
    }
    for (Operation *op : llvm::reverse(g.ops)) {
      if (isSplatConstant(op))
        continue; // erased below once no kernel clones it any more
      groupOf.erase(op);
      op->erase();
    }
  }
  for (Operation &op : llvm::make_early_inc_range(block))
    if (isSplatConstant(&op) && op.use_empty()) {
      groupOf.erase(&op);
      op.erase();
    }
  groupOf.clear();
  predCache.clear();
  return restoreOrder();
}

/// Each kernel sits where its last member was, so readers of its earlier
/// members may now come before it. A stable list schedule puts every op
/// that waited right after the op that made it ready (mlir's
/// sortTopologically would move them all to the end of the block).
LogicalResult Fuser::restoreOrder() {
  SmallVector<Operation *> order, pending;
  DenseSet<Operation *> placed;
  auto ready = [&](Operation *op) {
    return llvm::all_of(predecessors(op),
                        [&](Operation *p) { return placed.contains(p); });
  };
  for (Operation &op : block.without_terminator()) {
    if (!ready(&op)) {
      pending.push_back(&op);
      continue;
    }
    order.push_back(&op);
    placed.insert(&op);
    // Place the waiting ops this one made ready, in their original order.
    for (bool progress = true; progress && !pending.empty();) {
      progress = false;
      for (auto *it = pending.begin(); it != pending.end();) {
        if (!ready(*it)) {
          ++it;
          continue;
        }
        order.push_back(*it);
        placed.insert(*it);
        it = pending.erase(it);
        progress = true;
      }
    }
  }
  if (!pending.empty())
    return pending.front()->emitError(
        "axon-fuse: kernels would depend on each other in a cycle");
  Operation *end = block.mightHaveTerminator() ? block.getTerminator() : nullptr;
  for (Operation *op : order) {
    if (end)
      op->moveBefore(end);
    else
      op->moveBefore(&block, block.end());
  }
  predCache.clear();
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// Erases ops whose results nobody reads and that have no effects.
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

/// Clones the splat constants that `loop`'s body (nested loops included)
/// reads from outside into the start of the body, so that the body's
/// kernels clone them in turn instead of reading a materialised tensor.
/// Loop bounds are left alone: the host reads them.
void sinkSplatConstants(LoopOp loop) {
  Block &body = loop.getBody().front();
  DenseMap<Operation *, Operation *> clones;
  OpBuilder b(loop.getContext());
  body.walk([&](Operation *op) {
    for (OpOperand &use : op->getOpOperands()) {
      if (isa<LoopOp>(op) && use.getOperandNumber() < 2)
        continue;
      Operation *def = use.get().getDefiningOp();
      if (!def || !isSplatConstant(def) || loop->isAncestor(def))
        continue;
      Operation *&clone = clones[def];
      if (!clone) {
        b.setInsertionPointToStart(&body);
        clone = b.clone(*def);
      }
      use.set(clone->getResult(0));
    }
  });
}

/// Gives each matmul reading a reshape that several matmuls read (and not
/// broadcast over the batch: R3) a copy of its own, so that each takes it
/// as its prologue (R3: nothing else may read it) instead of the reshape
/// being written out by a kernel of its own: a loop's stack of dz steps,
/// [T, N, 4H] merged to [T*N, 4H] for the two weight gradients of an LSTM
/// (axon-hoist-loop-sums), was a 2 MB copy per train step.
void cloneSharedReshapes(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    auto reshape = dyn_cast<ReshapeOp>(op);
    if (!reshape || reshape->hasOneUse() || reshape->use_empty())
      continue;
    bool matmulsOnly = llvm::all_of(reshape->getUses(), [&](OpOperand &use) {
      auto mm = dyn_cast<MatmulOp>(use.getOwner());
      return mm && mm->getBlock() == &block &&
             !broadcastOverBatch(reshape.getResult(), mm.getResult());
    });
    if (!matmulsOnly)
      continue;
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : reshape->getUses())
      uses.push_back(&use);
    for (OpOperand *use : llvm::drop_begin(uses)) {
      OpBuilder b(use->getOwner());
      use->set(b.clone(*reshape)->getResult(0));
    }
  }
}

/// Fuses `block`, then the bodies of its loops (kernels are numbered in
/// that order).
LogicalResult fuseBlock(Block &block, StringRef funcName, unsigned &nextKernel,
                        bool explain) {
  eraseDeadOps(block);
  cloneSharedReshapes(block);
  Fuser fuser(block, funcName, nextKernel);
  fuser.formGroups();
  if (explain)
    fuser.explain();
  if (failed(fuser.outline()))
    return failure();
  for (Operation &op : block)
    if (auto loop = dyn_cast<LoopOp>(op))
      if (failed(fuseBlock(loop.getBody().front(), funcName, nextKernel,
                           explain)))
        return failure();
  return success();
}

struct FusePass : public axon::impl::FuseBase<FusePass> {
  using FuseBase::FuseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    // Outer loops first: a constant sunk into one is sunk again into the
    // loops nested in it.
    func.walk<WalkOrder::PreOrder>([](LoopOp loop) { sinkSplatConstants(loop); });
    unsigned nextKernel = 0;
    for (Block &block : func.getBody())
      if (failed(fuseBlock(block, func.getSymName(), nextKernel, explain)))
        return signalPassFailure();
  }
};

} // namespace
