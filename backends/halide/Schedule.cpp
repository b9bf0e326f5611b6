// Hand-written schedules for kernels other than the contraction core (which
// Contraction.cpp schedules): elementwise outputs vectorised and shared
// among threads where their work is worth it (Parallelism.h), reductions
// computed once per kernel call (compute_root) with their pure dims
// vectorised where the reduced dims are not innermost, and shared.
#include "backends/halide/KernelGraph.h"
#include "backends/halide/Parallelism.h"

#include <algorithm>
#include <numeric>
#include <set>

using namespace Halide;

namespace axon::halide {
namespace {

/// The vector width for an innermost dim of `extent` elements of `types`:
/// the target's natural width, or for a narrower dim the widest power of
/// two (4 lanes or more) that fits (a row of 12 floats: 8 lanes and a
/// 4-lane tail instead of 12 scalars); 0 (scalar) below 4.
int vectorWidth(const std::vector<Type> &types, int64_t extent,
                const Target &target) {
  int width = target.natural_vector_size(types[0]);
  for (Type t : types)
    width = std::min(width, target.natural_vector_size(t));
  while (width > 4 && width > extent)
    width /= 2;
  return width <= extent ? width : 0;
}

/// Shares `stage` among threads as planParallelLoop decides: its loops
/// `outer` (pure dims, outermost first, of `extents`) fused as far as the
/// plan says, split into tasks (the last one guarded, never recomputing
/// an element: an output may be written in place over an input), the task
/// loop parallel. `ns`: the stage's estimated work at one thread.
void share(Stage stage, const std::vector<VarOrRVar> &outer,
           const std::vector<int64_t> &extents, double ns) {
  ParallelLoop plan = planParallelLoop(extents, ns);
  if (!plan.parallel())
    return;
  VarOrRVar fused = outer[0];
  for (int i = 1; i < plan.fusedDims; ++i) {
    Var next("shared" + std::to_string(i));
    stage.fuse(outer[i], fused, next);
    fused = next;
  }
  if (plan.perTask == 1) {
    stage.parallel(fused);
    return;
  }
  Var task("task"), within("within");
  stage.split(fused, task, within, int(plan.perTask), TailStrategy::GuardWithIf)
      .parallel(task);
}

/// Whether `f` is pure and reads no Func, input or buffer: a fill (its
/// value a constant) or a function of its coordinates, whose cost is its
/// stores alone (kNsPerElementStored).
bool storesOnly(const Func &f) {
  class FindsRead : public Internal::IRVisitor {
  public:
    bool found = false;

  private:
    using IRVisitor::visit;
    void visit(const Internal::Call *op) override {
      found = found || op->call_type == Internal::Call::Halide ||
              op->call_type == Internal::Call::Image ||
              op->call_type == Internal::Call::Extern ||
              op->call_type == Internal::Call::ExternCPlusPlus;
      IRVisitor::visit(op);
    }
    void visit(const Internal::Load *op) override {
      found = true;
      IRVisitor::visit(op);
    }
  };
  if (f.has_update_definition())
    return false;
  FindsRead reads;
  Tuple values = f.values(); // Kept: as_vector() refers into it.
  for (const Expr &e : values.as_vector())
    e.accept(&reads);
  return !reads.found;
}

/// The width of the pieces an output of `shape` may be assembled from
/// along its innermost dim: the gcd of the innermost extents of the
/// materialised pieces (KernelLowering's materializePiece: what an
/// insert_slice or concat reads under a select) of its shape but narrower
/// there; 0 where there is none.
int64_t pieceWidth(const KernelGraph &g, const std::vector<int64_t> &shape) {
  int64_t width = 0;
  for (const KernelStage &s : g.stages)
    if (s.kind == KernelStage::Kind::Materialized && !shape.empty() &&
        s.shape.size() == shape.size() && s.shape.back() > 0 &&
        s.shape.back() < shape.back() &&
        std::equal(s.shape.begin(), s.shape.end() - 1, shape.begin()))
      width = std::gcd(width, s.shape.back());
  return width;
}

/// Vectorises the innermost dim of a pure definition and shares its outer
/// dims among threads (a 1-D one: its vectors) when its work is worth it.
/// An output assembled from pieces `pieces` wide along its innermost dim
/// (pieceWidth) is computed piece by piece, the loop over the pieces
/// unrolled: in each copy the selects between pieces and the clamps of
/// their coordinates fold away, and every piece is read with plain vector
/// loads (an LSTM's gate gradient, four [32, 128] pieces of [32, 512],
/// read all four under masks at every element: 40-53 us per step).
void schedulePointwise(Func f, const std::vector<int64_t> &shape,
                       const Target &target, int64_t pieces = 0,
                       double nsPerElement = kNsPerElement) {
  std::vector<Var> args = f.args(); // Innermost first.
  if (args.empty())
    return;
  int width = vectorWidth(f.output_types(), shape.back(), target);
  if (width && args.size() > 1 && pieces > 0 && pieces % width == 0 &&
      shape.back() % pieces == 0 && shape.back() / pieces <= 16) {
    Var piece("piece"), within("within");
    f.split(args[0], piece, within, int(pieces)).unroll(piece).vectorize(within, width);
  } else if (width) {
    f.vectorize(args[0], width, TailStrategy::GuardWithIf);
  }
  std::vector<VarOrRVar> outer;
  std::vector<int64_t> extents;
  for (size_t i = args.size(); i-- > 1;) {
    outer.push_back(args[i]);
    extents.push_back(shape[args.size() - 1 - i]);
  }
  if (args.size() == 1) {
    // After vectorize, args[0] names the loop over vectors.
    outer.push_back(args[0]);
    extents.push_back((shape[0] + std::max(width, 1) - 1) / std::max(width, 1));
  }
  share(f, outer, extents,
        double(Tensor::numElements(shape)) *
            (storesOnly(f) ? kNsPerElementStored : nsPerElement));
}

/// How many values a pure Func reads per element it computes: its distinct
/// calls of Funcs and inputs (each Expr node once: a window's values are
/// read once however often its maximum compares them).
int loadsPerElement(const Func &f) {
  class CountsLoads : public Internal::IRGraphVisitor {
  public:
    int loads = 0;

  private:
    using IRGraphVisitor::visit;
    void visit(const Internal::Call *op) override {
      if (op->call_type == Internal::Call::Halide ||
          op->call_type == Internal::Call::Image)
        ++loads;
      IRGraphVisitor::visit(op);
    }
  };
  CountsLoads count;
  Tuple values = f.values(); // Kept: as_vector() refers into it.
  for (const Expr &e : values.as_vector())
    e.accept(&count);
  return count.loads;
}

/// Elements an update reads per element it writes: its RDom's size. From
/// the update's own reduction variables: the RVars Func::rvars returns
/// carry only names, and their extent() is a symbol (every reduction was
/// taken for one element per output and shared as if 4-64x smaller: cnn's
/// bias gradient, a sum over the batch, ran on one thread).
int64_t reductionExtent(const Func &f) {
  int64_t n = 1;
  for (const Internal::ReductionVariable &r :
       f.function().update(0).schedule().rvars()) {
    const int64_t *e = Internal::as_const_int(r.extent);
    n *= e ? std::max<int64_t>(*e, 1) : 1;
  }
  return n;
}

/// Whether `f`'s first update writes dim `i` at its own pure coordinate
/// (not scattered into through an index).
bool updateWritesPureDim(const Func &f, size_t i) {
  const auto *v = f.update_args(0)[i].as<Internal::Variable>();
  return v && v->name == f.args()[i].name();
}

/// Whether `f`'s first update reads some Func or input with its reduction
/// variable `r` in the innermost coordinate: it reduces along rows that
/// are its operand's innermost dim (softmax's sum: x(r, n)), not across
/// them (a bias gradient's sum over the batch: g(x, y, c, r)).
bool reducesAlongRows(const Func &f, const std::string &r) {
  class FindsRowRead : public Internal::IRVisitor {
  public:
    FindsRowRead(const std::string &self, const std::string &r)
        : self(self), r(r) {}
    bool found = false;

  private:
    using IRVisitor::visit;
    void visit(const Internal::Call *op) override {
      if ((op->call_type == Internal::Call::Halide ||
           op->call_type == Internal::Call::Image) &&
          op->name != self && !op->args.empty() &&
          Internal::expr_uses_var(op->args[0], r))
        found = true;
      IRVisitor::visit(op);
    }
    const std::string &self, &r;
  };
  FindsRowRead reads(f.name(), r);
  Tuple values = f.update_values(0); // Kept: as_vector() refers into it.
  for (const Expr &e : values.as_vector())
    e.accept(&reads);
  return reads.found;
}

/// A reduction of each row along its one reduced dim (softmax's max and
/// sum, layer norm's means, with keepdims) whose pure dims are too narrow
/// to vectorise (the innermost is 1): the row is split into vector lanes
/// that each reduce every vec-th element (rfactor; loads of vec adjacent
/// elements where the row is the input's innermost dim), then the lanes
/// are reduced. Only where Halide proves the update associative (a sum, a
/// plain max; not a NaN-keeping max) and the row is whole vectors. Before:
/// one scalar chain per row, softmax over [16, 4, 64, 64] 0.9 ms with its
/// exp computed a float at a time. Returns false where it does not apply.
bool scheduleRowReduction(Func f, const std::vector<int64_t> &shape,
                          const Target &target) {
  if (f.num_update_definitions() != 1 || f.outputs() != 1 || shape.empty())
    return false;
  const int vec = target.natural_vector_size(f.output_types()[0]);
  const auto &rvars = f.function().update(0).schedule().rvars();
  if (rvars.size() != 1 || shape.back() >= vec)
    return false;
  const int64_t *extent = Internal::as_const_int(rvars[0].extent);
  if (!extent || *extent < vec || *extent % vec ||
      !reducesAlongRows(f, rvars[0].var))
    return false;
  std::vector<Var> args = f.args();
  for (size_t i = 0; i < args.size(); ++i)
    if (!updateWritesPureDim(f, i))
      return false;
  if (!Internal::prove_associativity(f.name(), f.update_args(0),
                                     f.update_values(0).as_vector())
           .associative())
    return false;
  RVar r = f.rvars(0)[0], ro("ro"), ri("ri");
  Var lane("lane");
  Func lanes = f.update(0).split(r, ro, ri, vec).rfactor(ri, lane);
  lanes.compute_at(f, args[0]).vectorize(lane);
  lanes.update(0).reorder(lane, ro).vectorize(lane);
  std::vector<VarOrRVar> outer;
  std::vector<int64_t> extents;
  for (size_t i = args.size(); i-- > 1;) {
    outer.push_back(args[i]);
    extents.push_back(shape[args.size() - 1 - i]);
  }
  if (!outer.empty())
    share(f.update(0), outer, extents,
          double(Tensor::numElements(shape)) * double(*extent) * kNsPerElement);
  return true;
}

/// A reduction stage: computed whole, before its consumers; its update
/// walks the reduced dims outside the innermost pure dim, so that dim can
/// be vectorised (sum over rows of a [N, 256] tensor reads rows in order),
/// and is shared among threads over its outer pure dims (never over the
/// reduced ones: each element sums in the same order at any thread count).
void scheduleReduction(Func f, const std::vector<int64_t> &shape,
                       const Target &target, bool isOutput) {
  if (!isOutput)
    f.compute_root();
  // A stage computed whole (a pooling window's maximum or first maximum:
  // 4 reads per element at 2x2) costs its reads: at one read per element
  // cnn's [64, 32, 4, 4] pooling and its gradient's window winners (20-35
  // us at one thread) ran serial.
  schedulePointwise(f, shape, target, 0,
                    f.has_update_definition()
                        ? kNsPerElement
                        : kNsPerElement * std::max(1, loadsPerElement(f)));
  if (f.num_update_definitions() == 0 || shape.empty() ||
      scheduleRowReduction(f, shape, target))
    return;
  std::vector<Var> args = f.args();
  auto pureAt = [&](size_t i) { return updateWritesPureDim(f, i); };
  if (!pureAt(0)) {
    // The innermost dim is scattered into, not pure: the update runs in
    // its natural order (and Halide is told so, or it warns at every
    // compile that the update has no schedule).
    f.update(0).unscheduled();
    return;
  }
  // The innermost pure dims the update writes at their own coordinates,
  // up to a block of kInnerBlockElements and short of the outermost (kept
  // for the thread pool), are one loop inside the reduced dims: each step
  // of the reduction adds a whole block (a contiguous stretch of the
  // operand where it is read at the same coordinates) to accumulators that
  // stay in L1. cnn's bias gradients, sums over the batch of [64, 16, 24,
  // 24] and [64, 32, 8, 8], read 64 rows of 24 (or 8) floats scattered
  // 36 (8) KB apart per output row before. Each element still sums in the
  // reduced dims' order, at any thread count.
  constexpr int64_t kInnerBlockElements = 4096;
  size_t inner = 1;
  int64_t block = shape.back();
  while (inner + 1 < args.size() && pureAt(inner) &&
         block * shape[args.size() - 1 - inner] <= kInnerBlockElements)
    block *= shape[args.size() - 1 - inner++];
  std::vector<RVar> rvars = f.rvars(0);
  Halide::Stage update = f.update(0);
  VarOrRVar vectorDim = args[0];
  for (size_t i = 1; i < inner; ++i) {
    Var fused(args[i].name() + "_block");
    update.fuse(vectorDim, args[i], fused);
    vectorDim = fused;
  }
  std::vector<VarOrRVar> order{vectorDim};
  for (const RVar &r : rvars)
    order.push_back(r);
  if (!rvars.empty())
    update.reorder(order);
  int width = vectorWidth(f.output_types(), block, target);
  if (width)
    update.vectorize(vectorDim, width, TailStrategy::GuardWithIf);
  // The reduced dims sit inside the outer pure ones (reorder above): those,
  // down to the first one the update does not write at its own coordinate,
  // can be shared.
  std::vector<VarOrRVar> outer;
  std::vector<int64_t> extents;
  for (size_t i = args.size(); i-- > inner && pureAt(i);) {
    outer.push_back(args[i]);
    extents.push_back(shape[args.size() - 1 - i]);
  }
  if (!outer.empty())
    share(update, outer, extents,
          double(Tensor::numElements(shape)) * double(reductionExtent(f)) *
              kNsPerElement);
}

/// A row write (dynamic_update_row): the copy of the target, if any, as any
/// pointwise output; the row vectorised along its innermost dim, on one
/// thread (a row is a step's state, too small to share).
void scheduleRowWrite(Func f, const std::vector<int64_t> &shape, bool inPlace,
                      const Target &target, bool isOutput) {
  if (!isOutput)
    f.compute_root();
  if (!inPlace)
    schedulePointwise(f, shape, target);
  if (f.num_update_definitions() == 0)
    return;
  Halide::Stage update = f.update(0);
  std::vector<Var> args = f.args();
  int width = shape.size() > 1 ? vectorWidth(f.output_types(), shape.back(), target) : 0;
  if (width)
    update.vectorize(args[0], width, TailStrategy::GuardWithIf);
  else
    update.unscheduled();
}

/// Whether `out` reads `target` (through Funcs it calls) only at its own
/// coordinates, each call passing the caller's pure vars unchanged: then
/// computing `target` tile by tile where `out` is computed is exact. A
/// transpose or a shifted read of it is not.
class ReadsAtOwnCoords : public Internal::IRVisitor {
public:
  explicit ReadsAtOwnCoords(const std::string &target) : target(target) {}
  bool check(const Func &f) {
    if (!visited.insert(f.name()).second)
      return ok;
    std::vector<Var> saved = vars;
    vars = f.args();
    Tuple values = f.values();
    for (const Expr &e : values.as_vector())
      e.accept(this);
    vars = saved;
    return ok;
  }

private:
  using IRVisitor::visit;
  void visit(const Internal::Call *op) override {
    IRVisitor::visit(op);
    if (op->call_type != Internal::Call::Halide || !op->func.defined())
      return;
    Func callee{Internal::Function(op->func)};
    bool reaches = op->name == target ||
                   Internal::find_transitive_calls(callee.function()).count(target);
    if (!reaches)
      return;
    bool identity = op->args.size() == vars.size();
    for (size_t i = 0; identity && i < vars.size(); ++i) {
      const auto *v = op->args[i].as<Internal::Variable>();
      identity = v && v->name == vars[i].name();
    }
    if (!identity || callee.has_update_definition()) {
      ok = ok && op->name == target && identity;
      return;
    }
    if (op->name != target)
      check(callee);
  }

  std::string target;
  std::vector<Var> vars;
  std::set<std::string> visited;
  bool ok = true;
};

} // namespace

void scheduleKernel(KernelGraph &g, const Target &target) {
  std::vector<bool> scheduled(g.outputs.size(), false);
  auto outputIndex = [&](const Func &f) {
    for (size_t i = 0; i < g.outputs.size(); ++i)
      if (g.outputs[i].name() == f.name())
        return int(i);
    return -1;
  };
  for (KernelStage &s : g.stages) {
    int asOutput = outputIndex(s.func);
    if (s.kind == KernelStage::Kind::Matmul ||
        s.kind == KernelStage::Kind::Conv2D) {
      // The epilogue: the output of the contraction's shape (the fusion
      // pass puts bias, activation and residual there); else the
      // contraction itself is the output, or is computed whole.
      Func out = s.func;
      int epilogue = asOutput;
      if (epilogue < 0 && g.tupleOutput && g.outputShapes[0] == s.shape)
        epilogue = 0;
      // With outputs in separate loop nests the contraction cannot live in
      // one of them: it is computed whole (compute_root) instead.
      bool oneNest = g.tupleOutput || g.outputs.size() == 1;
      if (epilogue < 0 && oneNest)
        for (size_t i = 0; i < g.outputs.size(); ++i)
          if (!scheduled[i] && g.outputShapes[i] == s.shape) {
            epilogue = int(i);
            break;
          }
      // An output that reads the contraction elsewhere than at its own
      // coordinates (axon-fuse forms none) cannot host its tiles.
      if (epilogue >= 0 &&
          !ReadsAtOwnCoords(s.func.name()).check(g.outputs[epilogue]))
        epilogue = -1;
      if (epilogue >= 0) {
        out = g.outputs[epilogue];
        scheduled[epilogue] = true;
      } else {
        s.func.compute_root();
      }
      if (s.kind == KernelStage::Kind::Matmul)
        scheduleMatmul(s.func, out, s.a, s.b, s.m, s.n, s.k, s.batchRank,
                       target,
                       Tensor::numElements(std::vector<int64_t>(
                           s.shape.begin(), s.shape.begin() + s.batchRank)));
      else
        scheduleConv2D(s.func, out, s.a, s.b, *s.conv, target);
      continue;
    }
    if (s.kind == KernelStage::Kind::RowWrite)
      scheduleRowWrite(s.func, s.shape, s.inPlace, target, asOutput >= 0);
    else
      scheduleReduction(s.func, s.shape, target, asOutput >= 0);
    if (asOutput >= 0)
      scheduled[asOutput] = true;
  }
  for (size_t i = 0; i < g.outputs.size(); ++i)
    if (!scheduled[i])
      schedulePointwise(g.outputs[i], g.outputShapes[i], target,
                        g.tupleOutput ? 0 : pieceWidth(g, g.outputShapes[i]));
}

} // namespace axon::halide
