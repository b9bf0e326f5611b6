// Matmul and 2-D convolution as Halide algorithms with hand-written CPU
// schedules (see Contraction.h).
//
// Both contractions are defined as a pure Func over an accumulator Func:
//
//   acc(n, m, ...) = 0;  acc(n, m, ...) += a(k, m, ...) * b(n, k, ...);
//   mm(n, m, ...) = acc(n, m, ...);
//
// The pure wrapper lets the schedules treat the kernel's output the same way
// whether an epilogue follows or not: the output (mm itself, or the epilogue
// Func with mm inlined into it) is tiled with ShiftInwards tails, which is
// only legal on pure definitions, and the accumulator is computed per tile,
// where all of its extents are compile-time constants.
#include "backends/halide/Contraction.h"
#include "backends/halide/ConvFilterGradient.h"
#include "backends/halide/Parallelism.h"
#include "backends/halide/Winograd.h"
#include "backends/halide/WinogradFilterGradient.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using namespace Halide;

namespace axon::halide {
namespace {

/// The accumulator behind `f(args) = acc(args)` (defineMatmul/defineConv2D).
Func accumulatorOf(const Func &f, const char *what) {
  const auto *call = f.defined() && !f.has_update_definition()
                         ? f.value().as<Internal::Call>()
                         : nullptr;
  if (!call || call->call_type != Internal::Call::Halide || !call->func.defined())
    throw std::invalid_argument(std::string(what) + ": '" + f.name() +
                                "' does not come from define" + what);
  return Func(Internal::Function(call->func));
}

/// How a contraction operand reads memory.
struct ReadInfo {
  /// Only loads, at its own coordinates permuted, dropped (broadcast) or
  /// fixed to constants, possibly through casts and other such Funcs: as
  /// cheap inlined as a load with other strides.
  bool cheap = false;
  /// Cheap, and its innermost coordinate is the innermost coordinate of
  /// the buffer it reads (consecutive elements are adjacent in memory).
  bool contiguous = false;
};

/// `tracked`: the name of the variable of `f` whose stride matters.
ReadInfo readInfo(const Func &f, const std::string &tracked) {
  ReadInfo info;
  if (!f.defined() || f.has_update_definition() || f.outputs() != 1)
    return info;
  Expr v = f.value();
  // Casts, and strict_float (which a kernel that observes NaN puts around
  // every value it defines: around a load it keeps nothing exact), wrap
  // the load without computing anything.
  for (;;) {
    if (const auto *c = v.as<Internal::Cast>())
      v = c->value;
    else if (const auto *s = Internal::Call::as_intrinsic(
                 v, {Internal::Call::strict_float}))
      v = s->args[0];
    else
      break;
  }
  const auto *call = v.as<Internal::Call>();
  if (!call || (call->call_type != Internal::Call::Image &&
                call->call_type != Internal::Call::Halide))
    return info;
  std::vector<Var> args = f.args();
  std::vector<bool> seen(args.size(), false);
  int trackedAt = -1;
  for (size_t i = 0; i < call->args.size(); ++i) {
    const Expr &arg = call->args[i];
    if (Internal::is_const(arg))
      continue;
    const auto *var = arg.as<Internal::Variable>();
    if (!var)
      return info;
    auto it = std::find_if(args.begin(), args.end(),
                           [&](const Var &a) { return a.name() == var->name; });
    if (it == args.end() || seen[it - args.begin()])
      return info;
    seen[it - args.begin()] = true;
    if (var->name == tracked)
      trackedAt = int(i);
  }
  if (call->call_type == Internal::Call::Image) {
    info.cheap = true;
    info.contiguous = trackedAt == 0;
    return info;
  }
  if (!call->func.defined())
    return info;
  Func callee{Internal::Function(call->func)};
  std::vector<Var> calleeArgs = callee.args();
  if (calleeArgs.size() != call->args.size())
    return info;
  info = readInfo(callee, trackedAt < 0 ? std::string() : calleeArgs[trackedAt].name());
  info.contiguous = info.contiguous && trackedAt >= 0;
  return info;
}

ReadInfo readInfo(const Func &f) {
  return readInfo(f, f.defined() ? f.args()[0].name() : std::string());
}

/// Computes a producer whole, before the contraction, walking it in blocks
/// (vectors of its innermost dim by rows of its next one) so that reading
/// through a transpose touches few cache lines at a time.
void computeWhole(Func f, const Target &target) {
  std::vector<Var> args = f.args();
  const int vec = target.natural_vector_size(f.output_types()[0]);
  f.compute_root();
  if (args.size() == 1) {
    f.vectorize(args[0], vec, TailStrategy::GuardWithIf);
    return;
  }
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
  f.tile(args[0], args[1], xo, yo, xi, yi, vec, 16, TailStrategy::GuardWithIf)
      .vectorize(xi)
      .reorder(xi, yi, xo, yo);
  Var outer = yo;
  for (size_t i = 2; i < args.size(); ++i)
    f.fuse(outer, args[i], outer);
  f.parallel(outer);
}

/// The largest buffer a schedule puts on a thread's stack.
constexpr int64_t kStackBytes = 128 << 10;

/// A multiple of `unit` in [unit, max(unit, target)], at most `extent`
/// (extent >= unit), for covering `extent` with tiles whose tail is shifted
/// inwards: the largest one whose recomputed overlap stays within ~3% of the
/// extent (or the least overlap of all, if none does).
int64_t pickTile(int64_t extent, int64_t unit, int64_t target) {
  auto waste = [&](int64_t t) { return (extent + t - 1) / t * t - extent; };
  int64_t least = -1;
  for (int64_t t = unit; t <= std::max(unit, target) && t <= extent; t += unit)
    least = least < 0 ? waste(t) : std::min(least, waste(t));
  int64_t best = unit;
  for (int64_t t = unit; t <= std::max(unit, target) && t <= extent; t += unit)
    if (waste(t) <= std::max(least, extent / 32))
      best = t;
  return best;
}

/// Whether `b`, a matmul's B over (n, k, batch...), is the same matrix
/// for every batch coordinate: a pure definition that reads none of its
/// batch args (a weight broadcast over a batch of sequences).
bool sameForEveryBatch(const Func &b, int batchRank) {
  if (batchRank == 0 || !b.defined() || b.has_update_definition() || b.outputs() != 1)
    return false;
  const std::vector<Var> args = b.args();
  for (int i = 0; i < batchRank; ++i)
    if (Internal::expr_uses_var(b.value(), args[2 + i].name()))
      return false;
  return true;
}

} // namespace

int vectorRegisters(const Target &t) {
  if (t.arch == Target::X86)
    return t.has_feature(Target::AVX512) ? 32 : 16;
  if (t.arch == Target::ARM && t.bits == 64)
    return 32;
  return 16;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

int64_t matmulBlockVectors(int64_t N, int vec, int regs) {
  if (N < vec)
    return 0;
  // Measured on Zen 4 (AVX-512 at 1 thread, blocks of 16-float vectors by
  // 8 rows, 256^3 / 1024^3 / [1024,256]x[256,128] GFLOP/s): 1x8 113 / 103
  // / 114, 2x8 111 / 109 / 112, 3x8 88 / 94 / 91 (also with its tail tile
  // computed twice), 4x6 94 / 98 / 110; AVX2 (8 floats, 16 registers): 2x6
  // 109 / 101 / 111, 3x4 104 / 101 / 97, 1x8 94 / 70 / 93. Two vectors
  // tile every N that is a multiple of 32 (AVX-512) exactly; one vector
  // where it covers N with fewer columns computed (N = 48: 48, not 64 with
  // a tail tile shifted inwards), on 16 registers only where that saves
  // more than its ~1/8 slower block costs.
  if (N < 2 * vec)
    return 1;
  auto columns = [&](int64_t nr) { return (N + nr - 1) / nr * nr; };
  const double oneVectorCost = regs >= 32 ? 1.0 : 9.0 / 8.0;
  return double(columns(vec)) * oneVectorCost < double(columns(2 * vec)) ? 1 : 2;
}

Func defineMatmul(Func a, Func b, int64_t M, int64_t N, int64_t K,
                  int batchRank, Type accType, const std::string &name) {
  if (M < 1 || N < 1 || K < 0 || batchRank < 0)
    throw std::invalid_argument("defineMatmul: bad extents");
  std::vector<Var> vars = {Var("n"), Var("m")};
  for (int i = 0; i < batchRank; ++i)
    vars.push_back(Var("b" + std::to_string(i)));
  Func acc(name + "_acc"), mm(name);
  acc(vars) = cast(accType, 0);
  if (K > 0) {
    RDom k(0, int(K), name + "_k");
    std::vector<Expr> aArgs = {k, vars[1]}, bArgs = {vars[0], k};
    // A B the same for every matrix is read at batch 0, so that a panel
    // packed from it serves all of them (scheduleMatmul).
    const bool sharedB = sameForEveryBatch(b, batchRank);
    for (int i = 0; i < batchRank; ++i) {
      aArgs.push_back(vars[2 + i]);
      bArgs.push_back(sharedB ? Expr(0) : Expr(vars[2 + i]));
    }
    acc(vars) += cast(accType, a(aArgs)) * cast(accType, b(bArgs));
  }
  mm(vars) = acc(vars);
  return mm;
}

void scheduleMatmul(Func mm, Func out, Func a, Func b, int64_t M, int64_t N,
                    int64_t K, int batchRank, const Target &target,
                    int64_t batches) {
  Func acc = accumulatorOf(mm, "Matmul");
  const Type type = mm.output_types()[0];
  const bool fused = out.name() != mm.name();
  if (fused)
    mm.compute_inline();

  std::vector<Var> args = out.args();
  Var n = args[0], m = args[1];

  // A is read in rows along k by the inner loop: a producer that computes
  // something, or reads through a transpose, is computed whole first. B is
  // packed per tile (below), so only computing producers are. Except a
  // transpose that makes m contiguous (x^T of a weight gradient x^T @ dy)
  // over a short K: each step along k broadcasts mr adjacent elements,
  // and the K cache lines a register block walks stay in L1 for the next
  // block, which reads their other elements.
  const bool mAdjacent = readInfo(a, a.args()[1].name()).contiguous;
  if (!readInfo(a).contiguous && !(mAdjacent && K <= 256))
    computeWhole(a, target);
  if (!readInfo(b).cheap)
    computeWhole(b, target);

  // Register block: nv vectors of n by mr rows of m (matmulBlockVectors),
  // mr as many as the accumulators, one row of B and one broadcast of A
  // leave registers for, at most 8: 2x8 floats by 6 rows with AVX2's 16
  // registers, 2x16 by 8 with AVX-512's 32. Narrower than a vector: one
  // vector of N lanes.
  const int vec = target.natural_vector_size(type);
  const int regs = vectorRegisters(target);
  const int64_t nv = matmulBlockVectors(N, vec, regs);
  const int64_t vw = nv ? vec : N;      // vector width
  const int64_t nr = nv ? nv * vec : N; // register block columns
  const int64_t nvRegs = std::max<int64_t>(nv, 1);
  const int64_t mr = std::max<int64_t>(
      1, std::min<int64_t>({M, 8, (regs - nvRegs - 1) / nvRegs}));

  // K blocks only for long reductions (then the B panel would leave L2).
  int64_t kc = 1024;
  if (K <= kc + kc / 2) {
    kc = K;
  } else {
    // Prefer a block size that divides K, so the inner loop has no tail.
    for (int64_t c = kc; c >= kc / 2; --c)
      if (K % c == 0) {
        kc = c;
        break;
      }
  }
  // Without K blocks, B's NR x K panel is packed once per column of tiles
  // and serves every row tile under it (and every matrix's, where B is the
  // same for the whole batch: a weight applied to a batch of sequences,
  // [16, 64, 128] x [128, 256]); the tiles run column by column. A row
  // tile then need not amortise a pack: it is one register block, so that
  // only the rows up to a multiple of mr are computed twice (1026 of 1024
  // with AVX2's 6 rows, where tiles of 348 computed 1044). Measured on
  // Zen 4 (1 thread, axon-bench-kernels --best, 256^3 / 512^3 / 1024^3
  // GFLOP/s), against one pack per tile of up to 512 rows: AVX2 107-108 /
  // 105-107 / 95-97 -> 115 / 108-110 / 98-105, AVX-512 111 / 105-107 /
  // 101-104 -> 116 / 110 / 104-110; 64^3 74 -> 107 (AVX2), 33x1000x257
  // 46 -> 91. K blocks pack their panels per tile and block (below).
  const bool columnPack =
      K > 0 && kc == K && (batchRank == 0 || sameForEveryBatch(b, batchRank));

  // Parallel tiles: one register column (NB = NR) by MB rows, MB up to 512.
  // Measured on Zen 3 (AVX2, 1 thread, 1024^3): single-column tiles of 256
  // to 1024 rows without K blocks (the packed B panel, NR x K, stays in L2
  // while A streams through in row order) ran at 85-90 GFLOP/s, ahead of
  // tiles 2-8 columns wide (~70), K blocks of 128-512 (~75-80) and
  // packing A per K block as well (~65). On Zen 4 with AVX2 (256^3), A
  // packed per register block (K x mr, the mr rows' values adjacent) and
  // reused by tiles 8-16 register columns wide ran at 86-92 GFLOP/s
  // against 107: B's wide panel comes from L2 for every register block,
  // where one column's panel stays in L1.
  const int64_t nb = pickTile(N, nr, nr);
  int64_t mbTarget = 512;
  // Keep some 16 tiles for the thread pool where the matrix allows it.
  const int64_t colTiles = (N + nb - 1) / nb;
  if (colTiles < 16)
    mbTarget = std::min(mbTarget, std::max<int64_t>(64, M * colTiles / 16));
  const int64_t mb = columnPack ? mr : pickTile(M, mr, mbTarget);

  // The output: parallel over tiles (and batch), vectorized within a tile.
  Var no("no"), mo("mo"), ni("ni"), mi("mi"), tile("tile");
  out.tile(n, m, no, mo, ni, mi, int(nb), int(mb), TailStrategy::ShiftInwards)
      .vectorize(ni, int(vw));
  // Tiles shifted inwards must stay inside the matrix.
  out.bound(n, 0, int(N)).bound(m, 0, int(M));
  // The work of the whole batch: a batch of small matrices (attention's
  // heads, [N, H, T, E] with 64 x 32 matrices) is worth sharing where one
  // matrix is not, in tasks of several tiles (Parallelism.h).
  const int64_t rowTiles = (M + mb - 1) / mb * std::max<int64_t>(batches, 1);
  const double flops =
      double(M) * N * std::max<int64_t>(K, 1) * std::max<int64_t>(batches, 1);
  Var packAt = no; // columnPack: the loop of out whose iterations pack B
  if (!columnPack) {
    out.fuse(no, mo, tile);
    for (int i = 0; i < batchRank; ++i)
      out.fuse(tile, args[2 + i], tile);
    ParallelLoop plan = planParallelLoop({colTiles * rowTiles}, flops * kNsPerMultiplyAdd,
                                         kPlannedThreads, kMinMatmulTaskNs);
    if (plan.parallel() && plan.perTask == 1) {
      out.parallel(tile);
    } else if (plan.parallel()) {
      Var task("task"), within("within");
      out.split(tile, task, within, int(plan.perTask), TailStrategy::GuardWithIf)
          .parallel(task);
      tile = within;
    }
  } else {
    std::vector<VarOrRVar> order = {ni, mi, mo};
    for (int i = 0; i < batchRank; ++i)
      order.push_back(args[2 + i]);
    order.push_back(no);
    out.reorder(order);
    Var rows = mo;
    if (batchRank > 0) {
      rows = Var("rows");
      out.fuse(mo, args[2], rows);
    }
    for (int i = 1; i < batchRank; ++i)
      out.fuse(rows, args[2 + i], rows);
    ParallelLoop plan = planParallelLoop({colTiles, rowTiles}, flops * kNsPerMultiplyAdd,
                                         kPlannedThreads, kMinMatmulTaskNs);
    tile = rows;
    Var task("task"), within("within");
    if (plan.parallel() && plan.fusedDims == 1) {
      // Tasks of whole columns.
      if (plan.perTask == 1) {
        out.parallel(no);
      } else {
        out.split(no, task, within, int(plan.perTask), TailStrategy::GuardWithIf)
            .parallel(task);
        packAt = within;
      }
    } else if (plan.parallel()) {
      // Tasks of some row tiles of one column: B is packed per task.
      Var rowsOuter("rows_outer");
      out.split(rows, rowsOuter, within, int(plan.perTask), TailStrategy::GuardWithIf)
          .fuse(rowsOuter, no, task)
          .parallel(task);
      packAt = task;
      tile = within;
    }
  }

  // The accumulator: one tile, computed where the output tile is.
  n = acc.args()[0];
  m = acc.args()[1];
  acc.compute_at(out, tile).vectorize(n, int(vw));
  if (K == 0)
    return;
  RVar k = acc.rvars(0)[0];
  RVar ko("ko"), ki("ki");
  Var z("z");
  acc.update().split(k, ko, ki, int(kc), TailStrategy::GuardWithIf);
  // intm(n, m, z) = sum over one K block: the register block.
  Func intm = acc.update().rfactor(ko, z);

  Var nro("nro"), nri("nri"), mro("mro"), mri("mri");
  acc.update()
      .split(n, nro, nri, int(nr))
      .split(m, mro, mri, int(mr))
      .reorder(nri, mri, mro, nro, ko)
      .vectorize(nri, int(vw))
      .unroll(nri)
      .unroll(mri);
  intm.compute_at(acc, mro)
      .vectorize(n, int(vw))
      .unroll(n)
      .unroll(m);
  intm.update()
      .reorder(n, m, ki)
      .vectorize(n, int(vw))
      .unroll(n)
      .unroll(m);

  // Pack the tile's NR x KC panel of B per K block: rows of NR contiguous
  // (whatever B's strides), read by every register block of the tile.
  Func bp = b.in(intm);
  std::vector<Var> ba = bp.args();
  if (columnPack)
    bp.compute_at(out, packAt);
  else
    bp.compute_at(acc, nro);
  if (nv > 1 && readInfo(b, b.args()[1].name()).contiguous) {
    // B read through a transpose (W^T of x @ W^T): each vector of n
    // gathers from lines a row of W apart, often a power of two of bytes
    // that all map to a few L1 sets. One vector of n at a time over the
    // whole K keeps only its vw lines live, where the vectors of a
    // row across k evicted each other's lines before reusing them.
    Var pno("pno"), pni("pni");
    bp.split(ba[0], pno, pni, int(vw)).reorder(pni, ba[1], pno).vectorize(pni);
  } else {
    bp.vectorize(ba[0], int(vw)).unroll(ba[0]);
  }
}

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

namespace {

/// The widest output row skipsPaddedColumns takes: one register block.
constexpr int64_t kMaxSkippingRow = 12;

/// Whether defineConv2D skips the window's columns that fall in the padding
/// (an RDom predicate on the input column): where they are a quarter or
/// more of the taps (the input gradient of an unpadded layer, a "full" conv
/// with padding k - 1), the output rows fit one register block of at most
/// kMaxSkippingRow pixels and a group's output channels fill whole vectors
/// at every width (16). The channel-vectorised schedule then unrolls the
/// block's pixels and the window's columns, so each test is a constant and
/// only the useful multiply-adds remain. CNN's conv2 input gradient (12x12
/// output, 16 channels, 5x5, 8x8 input), Zen 4: 2.64 -> 0.98 ms at 1
/// thread (PyTorch 1.23), 2.02 -> 0.52 ms at 2 (PyTorch 0.61), against
/// vectorising along x with the padded columns multiplied as zeros.
bool skipsPaddedColumns(const Conv2DGeometry &g) {
  int64_t paddedTaps = 0;
  for (int64_t ox = 0; ox < g.ow; ++ox)
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t col = ox * g.strideW + kx * g.dilationW - g.padW;
      paddedTaps += col < 0 || col >= g.w;
    }
  return 4 * paddedTaps >= g.ow * g.kw && g.ow <= kMaxSkippingRow &&
         (g.o / g.groups) % 16 == 0;
}

} // namespace

bool pairsOutputChannels(const Conv2DGeometry &g) {
  return g.ow % (2 * kPairedPixels) == kPairedPixels && g.ow > kPairedPixels &&
         g.o % 2 == 0 && g.groups == 1 && g.strideW == 1 &&
         g.kh * g.kw <= g.oh * g.ow;
}

Func defineConv2D(Func input, Func filter, const Conv2DGeometry &g,
                  Type accType, const std::string &name) {
  if (g.groups < 1 || g.c % g.groups || g.o % g.groups)
    throw std::invalid_argument("defineConv2D: channels not divisible by groups");
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  Var x("x"), y("y"), o("o"), n("n");

  // Zero padding, only where the window leaves the input.
  const bool padX = g.padW > 0 || (g.ow - 1) * g.strideW + (g.kw - 1) * g.dilationW - g.padW >= g.w;
  const bool padY = g.padH > 0 || (g.oh - 1) * g.strideH + (g.kh - 1) * g.dilationH - g.padH >= g.h;
  Func in = input;
  if (padX || padY) {
    Var px("x"), py("y"), pc("c"), pn("n");
    Expr inside = Internal::const_true();
    Expr cx = px, cy = py;
    if (padX) {
      inside = inside && px >= 0 && px < int(g.w);
      cx = clamp(px, 0, int(g.w) - 1);
    }
    if (padY) {
      inside = inside && py >= 0 && py < int(g.h);
      cy = clamp(py, 0, int(g.h) - 1);
    }
    in = Func(name + "_padded");
    in(px, py, pc, pn) = select(inside, input(cx, cy, pc, pn),
                                cast(input.output_types()[0], 0));
  }
  if (input.output_types()[0] == Float(32)) {
    if (useWinograd(g, accType))
      return defineConv2DWinograd(in, filter, g, name);
    if (useWinogradFilterGradient(g, accType) &&
        filter.output_types()[0] == Float(32))
      return defineConv2DWinogradFilterGradient(in, filter, g, name);
  }

  // Paired channels (pairsOutputChannels): the accumulator's first dim is
  // a lane of kPairedPixels pixels of a row by 2 output channels, the
  // filter replicated across each channel's pixels so that its lanes load
  // as one vector.
  const bool paired = pairsOutputChannels(g);
  Var l("l"), xg("xg"), op("op");
  Expr ox = x, oc = o;
  if (paired) {
    ox = xg * int(kPairedPixels) + l % int(kPairedPixels);
    oc = op * 2 + l / int(kPairedPixels);
  }
  RDom r(0, int(g.kw), 0, int(g.kh), 0, int(cg), name + "_r");
  Expr ix = ox * int(g.strideW) + r.x * int(g.dilationW) - int(g.padW);
  Expr iy = y * int(g.strideH) + r.y * int(g.dilationH) - int(g.padH);
  Expr ic = g.groups == 1 ? Expr(r.z) : (o / int(og)) * int(cg) + r.z;
  // Where a quarter or more of the window's rows fall in the padding (the
  // input gradient of an unpadded layer: a "full" conv, padding k - 1),
  // the reduction skips them rather than multiply-adding zeros: the
  // schedules keep a block of output rows per register block, so the
  // test is per row and tap row, outside the vectors along x.
  int64_t paddedTaps = 0;
  for (int64_t oy = 0; oy < g.oh; ++oy)
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t row = oy * g.strideH + ky * g.dilationH - g.padH;
      paddedTaps += row < 0 || row >= g.h;
    }
  if (4 * paddedTaps >= g.oh * g.kh)
    r.where(iy >= 0 && iy < int(g.h));
  if (skipsPaddedColumns(g))
    r.where(ix >= 0 && ix < int(g.w));
  Func conv(name);
  if (paired) {
    Var kx("kx"), ky("ky"), c("c");
    Func pairedFilter(name + "_paired_filter"), acc(name + "_paired_acc");
    pairedFilter(l, kx, ky, c, op) = filter(kx, ky, c, oc);
    acc(l, xg, y, op, n) = cast(accType, 0);
    acc(l, xg, y, op, n) +=
        cast(accType, in(ix, iy, ic, n)) *
        cast(accType, pairedFilter(l, r.x, r.y, r.z, op));
    conv(x, y, o, n) = acc((o % 2) * int(kPairedPixels) + x % int(kPairedPixels),
                           x / int(kPairedPixels), y, o / 2, n);
    return conv;
  }
  Func acc(name + "_acc");
  acc(x, y, o, n) = cast(accType, 0);
  acc(x, y, o, n) += cast(accType, in(ix, iy, ic, n)) *
                     cast(accType, filter(r.x, r.y, r.z, o));
  conv(x, y, o, n) = acc(x, y, o, n);
  return conv;
}

std::string givenName(const std::string &name) {
  return name.substr(0, name.find('$'));
}

bool givenNameEndsWith(const std::string &name, const std::string &suffix) {
  const std::string given = givenName(name);
  return given.size() > suffix.size() &&
         given.compare(given.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<Func> directCallees(const Func &f) {
  std::vector<Func> fs;
  for (const auto &[name, fn] : Internal::find_direct_calls(f.function()))
    if (name != f.name())
      fs.emplace_back(fn);
  return fs;
}

Func onlyCallee(const Func &f, const std::string &scheduler,
                const std::string &definer) {
  std::vector<Func> fs = directCallees(f);
  if (fs.size() != 1)
    throw std::invalid_argument(scheduler + ": '" + f.name() +
                                "' does not come from " + definer);
  return fs[0];
}

std::optional<Func> paddedInputOf(Func reader, Func conv) {
  // By the names defineConv2D gave (givenName): a second pipeline's padded
  // input is "conv_padded$1". Looking up conv.name() + "_padded" found no
  // padded input there, so it stayed inlined, a select in every step: the
  // 3x3 64->64 32x32 filter gradient ran in 192-230 ms after other
  // pipelines against 50-58 alone.
  const std::string padded = givenName(conv.name()) + "_padded";
  for (const Func &f : directCallees(reader))
    if (givenName(f.name()) == padded)
      return f;
  return std::nullopt;
}

namespace {

/// Bounds `out` to the output (tiles shifted inwards must stay inside it)
/// and makes its tasks the fused (output-channel block `oo`, image `n`)
/// pairs as `t`, run in parallel when the layer's work is worth sharing.
/// Multiply-adds of a conv layer.
double convMultiplyAdds(const Conv2DGeometry &g) {
  return double(g.n) * g.o * g.oh * g.ow * (g.c / g.groups) * g.kh * g.kw;
}

/// Bounds `out` to the output (tiles shifted inwards must stay inside it)
/// and makes its tasks the fused (output-channel block `oo`, image `n`)
/// pairs as `t`, run in parallel when the layer's work is worth sharing.
/// The partial sums of a split reduction (splitReduction) have a fifth
/// dim, their chunk, fused into the tasks as well.
void boundAndShareTasks(Func out, const Conv2DGeometry &g, Var x, Var y, Var o,
                        Var oo, Var n, Var t) {
  out.bound(x, 0, int(g.ow)).bound(y, 0, int(g.oh)).bound(o, 0, int(g.o));
  out.fuse(oo, n, t);
  std::vector<Var> args = out.args();
  if (args.size() > 4)
    out.fuse(t, args[4], t);
  if (worthSharing(convMultiplyAdds(g) * kNsPerMultiplyAdd))
    out.parallel(t);
}

/// The reduction variables of a conv accumulator, (kx, ky, c) innermost
/// first, by the unqualified names a schedule accepts: in the partial sums
/// of a split reduction, c is the split's inner part, which rvars() names
/// "<rdom>$z.ci".
std::vector<RVar> convReductionVars(const Func &acc) {
  std::vector<RVar> rv;
  for (const RVar &r : acc.rvars(0)) {
    const std::string &name = r.name();
    rv.emplace_back(name.substr(name.rfind('.') + 1));
  }
  return rv;
}

/// The largest partial sums a split reduction keeps (all chunks).
constexpr int64_t kPartialSumBytes = 1 << 20;

/// Chunks to split a conv's reduction over input channels into (1: none),
/// for a layer whose output gives too few tasks to share: a filter
/// gradient, which sums over the batch as its input channels (cnn's conv1:
/// one "image" of 16 output channels, one channel block, 64 images summed,
/// ran on one thread). The chunks divide the channels (no tail) and
/// depend on the shape only, so sums are the same at any thread count.
int64_t reductionChunks(const Conv2DGeometry &g, int vec) {
  const int64_t cg = g.c / g.groups;
  const double work = convMultiplyAdds(g) * kNsPerMultiplyAdd;
  // Tasks the output gives: images by (at least vector-wide) channel blocks.
  const int64_t outputTasks =
      g.n * std::max<int64_t>(1, g.o / std::max(vec, 1));
  if (!worthSharing(work) || outputTasks >= 2 * kTasksPerThread)
    return 1;
  const int64_t wanted =
      std::min<int64_t>(int64_t(work / kMinTaskNs),
                        int64_t(kTasksPerThread) * kPlannedThreads) /
      outputTasks;
  const int64_t partialBytes =
      g.n * g.o * g.oh * g.ow * int64_t(sizeof(float));
  int64_t chunks = 1;
  for (int64_t c = 2; c <= std::min(wanted, cg); ++c)
    if (cg % c == 0 && c * partialBytes <= kPartialSumBytes)
      chunks = c;
  return chunks;
}

/// The (padded or computed) input of one image, once per task of `out`
/// (its fused parallel var `t`), rather than a select (or a computed
/// producer) in the inner loop; a filter that computes something is
/// computed whole first.
void scheduleConvOperands(Func conv, Func acc, Func out, Var t, Func input,
                          Func filter, const Conv2DGeometry &g,
                          const Target &target) {
  // The input of one image, padded: its size where computed once per task.
  const int64_t bytesPerTask = (g.w + 2 * g.padW) * (g.h + 2 * g.padH) * g.c *
                               conv.output_types()[0].bytes();
  const int vec = target.natural_vector_size(conv.output_types()[0]);
  // Not where the reduction skips the taps in the padding
  // (skipsPaddedColumns): there the zero boundary stays inlined, its select
  // folded in the unrolled register block. cnn's conv2 input gradient, 1
  // thread, Zen 4: 0.940 ms inlined, 0.964 computed per task.
  std::optional<Func> padded = skipsPaddedColumns(g)
                                   ? std::nullopt
                                   : paddedInputOf(acc, conv);
  Func src = padded.value_or(input);
  const bool computeSrc = padded || !readInfo(input).cheap;
  if (computeSrc) {
    std::vector<Var> sa = src.args();
    src.compute_at(out, t).vectorize(sa[0], vec, TailStrategy::GuardWithIf);
    // On the stack where it is small: a heap block per task measured up to
    // 4x slower on the CNN's input gradient, depending on what the process
    // allocated before (malloc trimming and regrowing the heap, each task
    // faulting its pages in again).
    if (bytesPerTask <= kStackBytes)
      src.store_in(MemoryType::Stack);
  }
  if (!readInfo(filter).cheap)
    computeWhole(filter, target);
}

/// Whether to vectorise a conv over output channels instead of output x:
/// when the output rows are narrower than a vector (8x8 and 5x5 outputs of
/// the CNN's second layer and of filter gradients, whose "output" is the
/// filter window) and a group's channels fill whole vectors. Measured on
/// Zen 5 (AVX-512, 1 thread), CNN conv2 forward 0.89 -> 0.48 ms, its filter
/// gradient 1.47 -> 0.49 ms, conv1's 0.40 -> 0.24 ms. Not for a "full"
/// convolution (padding k - 1 on both sides, the input gradient of an
/// unpadded layer): there the CNN's conv2 input gradient ran at 1.2 to
/// 4.5 ms (depending on the kernels run before it) against 1.45 ms
/// vectorised along x (before skipsPaddedColumns, which makes the full
/// conv take this schedule). Nor, measured, for outputs a vector wide or
/// wider
/// (the 3x3 64->64 32x32 layer: 66 against 60 ms).
bool vectorizeChannels(const Conv2DGeometry &g, int vec) {
  const int64_t og = g.o / g.groups;
  const bool full = g.padW >= g.kw - 1 && g.kw > 1;
  return skipsPaddedColumns(g) || (g.ow < vec && og % vec == 0 && !full);
}

/// The channel-vectorised schedule (see vectorizeChannels). Register block:
/// ov vectors of output channels by xb x yb output pixels, accumulated over
/// the whole reduction (ci, ky, kx): each step loads ov filter vectors and
/// broadcasts xb * yb input values for ov * xb * yb multiply-adds. The
/// filter is repacked once per call with output channels innermost (its
/// natural layout has them outermost), in parallel over its outer dim.
void scheduleConv2DChannels(Func conv, Func acc, Func out, Func input,
                            Func filter, const Conv2DGeometry &g,
                            const Target &target) {
  const int vec = target.natural_vector_size(conv.output_types()[0]);
  const int regs = vectorRegisters(target);
  const int64_t og = g.o / g.groups;
  int64_t ov = 1, xb = 1, yb = 1;
  double bestScore = 0;
  // Skipping padded columns: whole output rows, so that the column tests
  // fold to constants (skipsPaddedColumns).
  const bool wholeRows = skipsPaddedColumns(g);
  for (int64_t v = 1; v <= std::min<int64_t>(4, og / vec); ++v) {
    if ((og / vec) % v)
      continue;
    if (wholeRows) {
      if (v * g.ow <= regs - v - 2 && v * g.ow <= regs * 3 / 4)
        ov = v, xb = g.ow, yb = 1;
      continue;
    }
    // Accumulators, the filter vectors and one broadcast, one spare.
    const int64_t maxAcc = regs - v - 2;
    for (int64_t xc = 1; xc <= g.ow; ++xc)
      for (int64_t yc = 1; yc <= g.oh && v * xc * yc <= maxAcc; ++yc) {
        double perLoad = double(v * xc * yc) / double(v + xc * yc);
        double recomputed = double((g.ow + xc - 1) / xc * xc) / double(g.ow) *
                            double((g.oh + yc - 1) / yc * yc) / double(g.oh);
        double score = perLoad / recomputed;
        if (score > bestScore + 1e-9) {
          bestScore = score;
          ov = v, xb = xc, yb = yc;
        }
      }
  }
  const int64_t ob = ov * vec;

  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), t("t");
  out.split(o, oo, oi, int(ob), TailStrategy::ShiftInwards)
      .tile(x, y, xo, yo, xi, yi, int(xb), int(yb), TailStrategy::ShiftInwards)
      .reorder(oi, xi, yi, xo, yo, oo, n)
      .vectorize(oi, vec)
      .unroll(oi)
      .unroll(xi)
      .unroll(yi);
  boundAndShareTasks(out, g, x, y, o, oo, n, t);

  std::vector<Var> aa = acc.args();
  acc.compute_at(out, xo)
      .reorder_storage(aa[2], aa[0], aa[1], aa[3])
      .reorder(aa[2], aa[0], aa[1])
      .vectorize(aa[2], vec)
      .unroll(aa[2])
      .unroll(aa[0])
      .unroll(aa[1]);
  std::vector<RVar> rv = convReductionVars(acc);
  acc.update()
      .reorder(aa[2], aa[0], aa[1], rv[0], rv[1], rv[2])
      .vectorize(aa[2], vec)
      .unroll(aa[2])
      .unroll(aa[0])
      .unroll(aa[1]);
  if (wholeRows)
    acc.update().unroll(rv[0]);

  scheduleConvOperands(conv, acc, out, t, input, filter, g, target);
  // The filter with output channels innermost, for vector loads.
  Func packed = filter.in(acc);
  std::vector<Var> fa = packed.args();
  packed.compute_root()
      .reorder_storage(fa[3], fa[0], fa[1], fa[2])
      .reorder(fa[3], fa[0], fa[1], fa[2])
      .vectorize(fa[3], vec, TailStrategy::GuardWithIf);
  if (double(g.kw) * g.kh * (g.c / g.groups) * g.o >= 1 << 16)
    packed.parallel(fa[2]);
}

/// The original schedule: vectorised along output x (see scheduleConv2D).
void scheduleConv2DRows(Func conv, Func acc, Func out, Func input,
                        Func filter, const Conv2DGeometry &g,
                        const Target &target) {
  const int vec = target.natural_vector_size(conv.output_types()[0]);
  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];

  const int regs = vectorRegisters(target);
  // Register block: xv vectors along x by ob output channels by yb rows.
  const int64_t xv = g.ow >= vec ? std::min<int64_t>(3, g.ow / vec) : 0;
  const int64_t vw = xv ? vec : g.ow;
  const int64_t xr = xv ? xv * vec : g.ow;
  const int64_t xRegs = std::max<int64_t>(xv, 1);
  const int64_t og = g.o / g.groups;
  const int64_t budget = std::max<int64_t>(1, (regs - xRegs - 1) / xRegs);
  // Each reduction step loads xv*yb input vectors and broadcasts ob filter
  // taps for xv*yb*ob multiply-adds: pick the block with the most work per
  // load, discounted by the rows recomputed where yb does not divide OH,
  // with a quarter of the registers left spare (blocks that filled them all
  // measured slower on cnn's layers) and wider ob winning ties. ob divides
  // the channels of a group, so a block never spans two groups.
  const int64_t maxAcc = std::max<int64_t>(1, budget * xRegs * 3 / 4);
  int64_t ob = 1, yb = 1;
  double bestScore = 0;
  for (int64_t oc = std::min(maxAcc, og); oc >= 1; --oc) {
    if (og % oc)
      continue;
    for (int64_t yc = 1; yc <= g.oh && xRegs * yc * oc <= maxAcc; ++yc) {
      double perLoad = double(xRegs * yc * oc) / double(xRegs * yc + oc);
      double rows = double((g.oh + yc - 1) / yc * yc) / double(g.oh);
      double score = perLoad / rows;
      if (score > bestScore + 1e-9) {
        bestScore = score;
        ob = oc;
        yb = yc;
      }
    }
  }

  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), t("t");
  out.tile(x, y, xo, yo, xi, yi, int(xr), int(yb), TailStrategy::ShiftInwards)
      .split(o, oo, oi, int(ob), TailStrategy::ShiftInwards)
      .reorder(xi, yi, oi, xo, yo, oo, n)
      .vectorize(xi, int(vw))
      .unroll(yi)
      .unroll(oi);
  boundAndShareTasks(out, g, x, y, o, oo, n, t);

  std::vector<Var> accArgs = acc.args();
  x = accArgs[0], y = accArgs[1], o = accArgs[2];
  acc.compute_at(out, xo).vectorize(x, int(vw)).unroll(x).unroll(y).unroll(o);
  std::vector<RVar> rv = convReductionVars(acc);
  acc.update()
      .reorder(x, o, y, rv[0], rv[1], rv[2])
      .vectorize(x, int(vw))
      .unroll(x)
      .unroll(o)
      .unroll(y);
  if (g.kw <= 7)
    acc.update().unroll(rv[0]);

  scheduleConvOperands(conv, acc, out, t, input, filter, g, target);
}

/// The paired-channels schedule (pairsOutputChannels). Register block: xb
/// groups of kPairedPixels pixels along x by pb channel pairs by yb rows,
/// one 16-lane vector each (2 on AVX2), accumulated over the whole
/// reduction: each step loads xb * yb input rows of 8 pixels (into both
/// halves of a vector) and pb replicated filter vectors for xb * yb * pb
/// multiply-adds, chosen as scheduleConv2DRows chooses its blocks. Tasks
/// are (block of output channels, image). cnn's conv1 (64x1x28x28 -> 16
/// channels, 5x5), Zen 4, 1 thread, best of 2000 in a standalone JIT
/// sweep: 3 x 4 x 2 blocks (the ones chosen) 0.268 ms (110 GFLOP/s; the
/// probe's peak is 107-117), 3 x 2 x 1 to 3 x 2 x 4 0.271-0.279; in
/// axon-bench-kernels --best 0.263 ms. Against: along x in vectors of 16
/// (the last one shifted inwards, 8 columns twice) 0.358-0.39 ms, in
/// vectors of 8 (ymm) 0.257 ms on this 256-bit datapath but half the
/// multiply-adds per instruction where FMA units are 512 bits wide (Zen 5,
/// Intel servers); vectorised over the 16 channels with blocks of pixels
/// 0.46 ms (the output transposed on its way out).
void scheduleConv2DPaired(Func conv, Func acc, Func out, Func input,
                          Func filter, const Conv2DGeometry &g,
                          const Target &target) {
  const int vec = target.natural_vector_size(conv.output_types()[0]);
  const int lanes = int(2 * kPairedPixels);
  const int64_t regsPerVector = std::max(1, lanes / vec);
  const int regs = vectorRegisters(target);
  const int64_t groups = g.ow / kPairedPixels, pairs = g.o / 2;
  int64_t xb = 1, pb = 1, yb = 1;
  double bestScore = 0;
  // Wider blocks along x first: they win ties (contiguous input rows).
  for (int64_t xc = std::min<int64_t>(groups, 6); xc >= 1; --xc)
    for (int64_t pc = 1; pc <= pairs; ++pc) {
      if (pairs % pc)
        continue;
      for (int64_t yc = 1; yc <= g.oh; ++yc) {
        const int64_t accRegs = xc * pc * yc * regsPerVector;
        if (accRegs + pc * regsPerVector + 1 > regs || accRegs > regs * 3 / 4)
          break;
        const double perLoad = double(xc * pc * yc) / double(xc * yc + pc);
        const double recomputed =
            double((groups + xc - 1) / xc * xc) / double(groups) *
            double((g.oh + yc - 1) / yc * yc) / double(g.oh);
        const double score = perLoad / recomputed;
        if (score > bestScore + 1e-9) {
          bestScore = score;
          xb = xc, pb = pc, yb = yc;
        }
      }
    }

  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), t("t");
  // Block starts stay multiples of kPairedPixels (x) and 2 (o): the
  // extents are, and so are the blocks shifted inwards.
  out.split(x, xo, xi, int(xb * kPairedPixels), TailStrategy::ShiftInwards)
      .split(y, yo, yi, int(yb), TailStrategy::ShiftInwards)
      .split(o, oo, oi, int(2 * pb), TailStrategy::ShiftInwards)
      .reorder(xi, oi, yi, xo, yo, oo, n)
      .vectorize(xi, std::min<int>(vec, int(kPairedPixels)))
      .unroll(xi)
      .unroll(oi)
      .unroll(yi);
  boundAndShareTasks(out, g, x, y, o, oo, n, t);

  std::vector<Var> aa = acc.args(); // l, xg, y, op, n
  acc.compute_at(out, xo)
      .vectorize(aa[0], lanes)
      .unroll(aa[1])
      .unroll(aa[2])
      .unroll(aa[3]);
  std::vector<RVar> rv = convReductionVars(acc);
  acc.update()
      .reorder(aa[0], aa[1], aa[3], aa[2], rv[0], rv[1], rv[2])
      .vectorize(aa[0], lanes)
      .unroll(aa[1])
      .unroll(aa[3])
      .unroll(aa[2]);
  if (g.kw <= 7)
    acc.update().unroll(rv[0]);

  scheduleConvOperands(conv, acc, out, t, input, filter, g, target);
  // The replicated filter, once per call.
  const std::string pairedFilter = givenName(conv.name()) + "_paired_filter";
  for (Func packed : directCallees(acc))
    if (givenName(packed.name()) == pairedFilter) {
      std::vector<Var> pa = packed.args(); // l, kx, ky, c, op
      packed.compute_root().vectorize(pa[0], lanes);
      if (double(lanes) * g.kw * g.kh * g.c * pairs >= 1 << 16)
        packed.parallel(pa[4]);
    }
}

/// The filter-gradient schedule (ConvFilterGradient.h), given what it needs
/// of the operands; a filter that computes something is computed whole.
void scheduleConv2DFilterGradientBlocks(Func conv, Func acc, Func out,
                                        Func input, Func filter,
                                        const Conv2DGeometry &g,
                                        const Target &target) {
  FilterGradientOperands ops;
  ops.reduction = convReductionVars(acc);
  ops.reductionExtent =
      g.c / g.groups /
      reductionChunks(g, target.natural_vector_size(acc.output_types()[0]));
  ops.inputComputes = !readInfo(input).cheap;
  ops.vectorRegisters = vectorRegisters(target);
  if (!readInfo(filter).cheap)
    computeWhole(filter, target);
  scheduleConv2DFilterGradient(conv, acc, out, input, g, ops, target);
}

} // namespace

void scheduleConv2D(Func conv, Func out, Func input, Func filter,
                    const Conv2DGeometry &g, const Target &target) {
  Func acc = accumulatorOf(conv, "Conv2D");
  const Type type = conv.output_types()[0];
  if (out.name() != conv.name())
    conv.compute_inline();
  // The stage behind conv, by the name its define function gave it.
  if (givenNameEndsWith(acc.name(), "_winograd")) {
    scheduleConv2DWinograd(conv, out, g, target);
    return;
  }
  if (givenNameEndsWith(acc.name(), "_winograd_dw")) {
    // Its per-block copy of the gradient inlines the gradient (each element
    // read once): one that computes a reduction is computed first.
    if (filter.has_update_definition())
      computeWhole(filter, target);
    scheduleConv2DWinogradFilterGradient(conv, out, g, target);
    return;
  }
  if (givenNameEndsWith(acc.name(), "_paired_acc")) {
    scheduleConv2DPaired(conv, acc, out, input, filter, g, target);
    return;
  }
  const int vec = target.natural_vector_size(type);
  auto scheduleBlocks = filterGradientLanes(g, vec)
                            ? scheduleConv2DFilterGradientBlocks
                        : vectorizeChannels(g, vec) ? scheduleConv2DChannels
                                                    : scheduleConv2DRows;
  const int64_t chunks = reductionChunks(g, vec);
  if (chunks == 1) {
    scheduleBlocks(conv, acc, out, input, filter, g, target);
    return;
  }
  // Split reduction: partial(x, y, o, n, u) sums chunk u of the input
  // channels; the partial sums are computed whole, their (chunk, channel
  // block, image) tasks in parallel with the usual register blocks, and
  // acc adds them up in chunk order, per image of the output.
  std::vector<RVar> rv = acc.rvars(0);
  RVar co("co"), ci("ci");
  Var u("u");
  acc.update().split(rv[2], co, ci, int(g.c / g.groups / chunks));
  Func partial = acc.update().rfactor(co, u);
  Func partials = partial.in(acc);
  partials.compute_root();
  scheduleBlocks(conv, partial, partials, input, filter, g, target);

  std::vector<Var> oa = out.args(), aa = acc.args();
  out.vectorize(oa[0], vec, TailStrategy::GuardWithIf);
  acc.compute_at(out, oa[3]).vectorize(aa[0], vec, TailStrategy::GuardWithIf);
  acc.update()
      .reorder(aa[0], aa[1], aa[2], co)
      .vectorize(aa[0], vec, TailStrategy::GuardWithIf);
}

} // namespace axon::halide
