// Hand-written schedules for kernels other than the contraction core (which
// Contraction.cpp schedules): elementwise outputs vectorised and split
// across cores, reductions computed once per kernel call (compute_root)
// with their pure dims vectorised where the reduced dims are not innermost.
#include "backends/halide/KernelGraph.h"

#include <set>

using namespace Halide;

namespace axon::halide {
namespace {

/// Below this many elements a loop is not worth a thread-pool dispatch.
constexpr int64_t kParallelThreshold = 1 << 14;

/// Vectorises the innermost dim of a pure definition and parallelises its
/// outermost dim (or the fusion of all outer dims) when large enough.
void schedulePointwise(Func f, const std::vector<int64_t> &shape,
                       const Target &target) {
  std::vector<Var> args = f.args(); // Innermost first.
  if (args.empty())
    return;
  int width = target.natural_vector_size(f.output_types()[0]);
  for (Type t : f.output_types())
    width = std::min(width, target.natural_vector_size(t));
  if (shape.back() >= width)
    f.vectorize(args[0], width, TailStrategy::GuardWithIf);
  if (Tensor::numElements(shape) < kParallelThreshold)
    return;
  if (args.size() == 1) {
    Var outer("outer"), inner("inner");
    int chunk = int(std::max<int64_t>(width * 64, shape.back() / 16));
    f.split(args[0], outer, inner, chunk, TailStrategy::GuardWithIf)
        .parallel(outer);
    return;
  }
  Var fused = args.back();
  for (size_t i = args.size() - 1; i-- > 1;) {
    Var next("fused" + std::to_string(i));
    f.fuse(args[i], fused, next);
    fused = next;
  }
  f.parallel(fused);
}

/// A reduction stage: computed whole, before its consumers; its update
/// walks the reduced dims outside the innermost pure dim, so that dim can
/// be vectorised (sum over rows of a [N, 256] tensor reads rows in order).
void scheduleReduction(Func f, const std::vector<int64_t> &shape,
                       const Target &target, bool isOutput) {
  if (!isOutput)
    f.compute_root();
  schedulePointwise(f, shape, target);
  if (f.num_update_definitions() == 0 || shape.empty())
    return;
  std::vector<Var> args = f.args();
  std::vector<Expr> lhs = f.update_args(0);
  const Internal::Variable *inner = lhs[0].as<Internal::Variable>();
  if (!inner || inner->name != args[0].name()) {
    // The innermost dim is scattered into, not pure: the update runs in
    // its natural order (and Halide is told so, or it warns at every
    // compile that the update has no schedule).
    f.update(0).unscheduled();
    return;
  }
  std::vector<RVar> rvars = f.rvars(0);
  std::vector<VarOrRVar> order{args[0]};
  for (const RVar &r : rvars)
    order.push_back(r);
  Halide::Stage update = f.update(0);
  if (!rvars.empty())
    update.reorder(order);
  int width = target.natural_vector_size(f.output_types()[0]);
  if (shape.back() >= width)
    update.vectorize(args[0], width, TailStrategy::GuardWithIf);
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
                       target);
      else
        scheduleConv2D(s.func, out, s.a, s.b, *s.conv, target);
      continue;
    }
    scheduleReduction(s.func, s.shape, target, asOutput >= 0);
    if (asOutput >= 0)
      scheduled[asOutput] = true;
  }
  for (size_t i = 0; i < g.outputs.size(); ++i)
    if (!scheduled[i])
      schedulePointwise(g.outputs[i], g.outputShapes[i], target);
}

} // namespace axon::halide
