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

#include <algorithm>
#include <cstdlib>
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

/// True when `f` only reads a buffer (or another plain read) at its own
/// coordinates, possibly through a cast: inlining it costs nothing.
bool isPlainRead(const Func &f) {
  if (!f.defined() || f.has_update_definition() || f.outputs() != 1)
    return false;
  Expr v = f.value();
  if (const auto *c = v.as<Internal::Cast>())
    v = c->value;
  const auto *call = v.as<Internal::Call>();
  if (!call)
    return false;
  std::vector<Var> args = f.args();
  if (call->args.size() != args.size())
    return false;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto *var = call->args[i].as<Internal::Variable>();
    if (!var || var->name != args[i].name())
      return false;
  }
  if (call->call_type == Internal::Call::Image)
    return true;
  if (call->call_type == Internal::Call::Halide && call->func.defined())
    return isPlainRead(Func(Internal::Function(call->func)));
  return false;
}

/// Vector registers of the target's widest kind.
int vectorRegisters(const Target &t) {
  if (t.arch == Target::X86)
    return t.has_feature(Target::AVX512) ? 32 : 16;
  if (t.arch == Target::ARM && t.bits == 64)
    return 32;
  return 16;
}

/// A multiple of `unit` in [unit, max(unit, target)], at most `extent`
/// (extent >= unit), that wastes the least work when `extent` is covered by
/// tiles of that size with shifted-in tails; larger wins ties.
int64_t pickTile(int64_t extent, int64_t unit, int64_t target) {
  int64_t best = unit, bestWaste = -1;
  for (int64_t t = unit; t <= std::max(unit, target) && t <= extent; t += unit) {
    int64_t waste = (extent + t - 1) / t * t - extent;
    // Prefer fewer, larger tiles unless they waste noticeably more.
    if (bestWaste < 0 || waste <= bestWaste || waste * 64 <= extent) {
      if (bestWaste < 0 || waste <= bestWaste + extent / 64) {
        best = t;
        bestWaste = std::min(bestWaste < 0 ? waste : bestWaste, waste);
      }
    }
  }
  return best;
}

/// Tuning knobs, overridable for experiments through AXON_MM_TUNE
/// ("nv,mr,NB,MB,KC,packA,order").
struct MatmulKnobs {
  int nv = 3;         ///< Vectors per register block in n.
  int mr = 0;         ///< Rows per register block (0: from the registers).
  int64_t nb = 0;     ///< Columns per parallel tile (0: default).
  int64_t mb = 0;     ///< Rows per parallel tile (0: default).
  int64_t kc = 0;     ///< K block (0: default).
  int packA = 0;      ///< Pack the A block per K block.
};

MatmulKnobs knobsFromEnv() {
  MatmulKnobs k;
  if (const char *s = std::getenv("AXON_MM_TUNE")) {
    long v[6] = {k.nv, k.mr, k.nb, k.mb, k.kc, k.packA};
    std::string str(s);
    size_t pos = 0;
    for (int i = 0; i < 6 && pos <= str.size(); ++i) {
      size_t comma = str.find(',', pos);
      std::string item = str.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!item.empty())
        v[i] = std::stol(item);
      if (comma == std::string::npos)
        break;
      pos = comma + 1;
    }
    k.nv = int(v[0]); k.mr = int(v[1]); k.nb = v[2]; k.mb = v[3];
    k.kc = v[4]; k.packA = int(v[5]);
  }
  return k;
}

} // namespace

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

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
    for (int i = 0; i < batchRank; ++i) {
      aArgs.push_back(vars[2 + i]);
      bArgs.push_back(vars[2 + i]);
    }
    acc(vars) += cast(accType, a(aArgs)) * cast(accType, b(bArgs));
  }
  mm(vars) = acc(vars);
  return mm;
}

void scheduleMatmul(Func mm, Func out, Func a, Func b, int64_t M, int64_t N,
                    int64_t K, int batchRank, const Target &target) {
  Func acc = accumulatorOf(mm, "Matmul");
  const Type type = mm.output_types()[0];
  const MatmulKnobs knobs = knobsFromEnv();
  const bool fused = out.name() != mm.name();
  if (fused)
    mm.compute_inline();

  std::vector<Var> args = out.args();
  Var n = args[0], m = args[1];

  // Producers that compute something are computed once, up front, rather
  // than once per tile that reads them.
  for (Func f : {a, b})
    if (f.name() != out.name() && !isPlainRead(f)) {
      std::vector<Var> fa = f.args();
      f.compute_root().vectorize(fa[0], target.natural_vector_size(f.output_types()[0]),
                                 TailStrategy::GuardWithIf);
      if (fa.size() > 1)
        f.parallel(fa.back());
    }

  // Register block: nv vectors of n by mr rows of m, sized so that the
  // accumulators, one row of B and one broadcast of A fill the registers.
  const int vec = target.natural_vector_size(type);
  const int regs = vectorRegisters(target);
  int64_t nv = N >= vec ? std::min<int64_t>(knobs.nv, N / vec) : 0;
  const int64_t vw = nv ? vec : N;            // vector width
  const int64_t nr = nv ? nv * vec : N;       // register block columns
  const int64_t nvRegs = std::max<int64_t>(nv, 1);
  int64_t mr = knobs.mr ? knobs.mr : std::min<int64_t>(8, (regs - nvRegs - 1) / nvRegs);
  mr = std::max<int64_t>(1, std::min(mr, M));

  // Parallel tiles: NB x MB outputs, accumulated over K blocks of KC.
  const int64_t nb = pickTile(N, nr, knobs.nb ? knobs.nb : 4 * nr);
  const int64_t mb = pickTile(M, mr, knobs.mb ? knobs.mb : 128);
  int64_t kc = knobs.kc ? knobs.kc : 256;
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

  // The output: parallel over tiles (and batch), vectorized within a tile.
  Var no("no"), mo("mo"), ni("ni"), mi("mi"), tile("tile");
  out.tile(n, m, no, mo, ni, mi, int(nb), int(mb), TailStrategy::ShiftInwards)
      .vectorize(ni, int(vw));
  out.fuse(no, mo, tile);
  for (int i = 0; i < batchRank; ++i)
    out.fuse(tile, args[2 + i], tile);
  const double flops = double(M) * N * std::max<int64_t>(K, 1);
  if (flops >= 1 << 18)
    out.parallel(tile);

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

  // Pack a KC x NR panel of B per register column: contiguous rows of NR,
  // read once per register block.
  Func bp = b.in(intm);
  std::vector<Var> ba = bp.args();
  bp.compute_at(acc, nro).vectorize(ba[0], int(vw)).unroll(ba[0]);
  if (knobs.packA) {
    Func ap = a.in(intm);
    std::vector<Var> aa = ap.args();
    ap.compute_at(acc, ko).vectorize(aa[0], vec, TailStrategy::GuardWithIf);
  }
}

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

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

  RDom r(0, int(g.kw), 0, int(g.kh), 0, int(cg), name + "_r");
  Expr ix = x * int(g.strideW) + r.x * int(g.dilationW) - int(g.padW);
  Expr iy = y * int(g.strideH) + r.y * int(g.dilationH) - int(g.padH);
  Expr ic = g.groups == 1 ? Expr(r.z) : (o / int(og)) * int(cg) + r.z;
  Func acc(name + "_acc"), conv(name);
  acc(x, y, o, n) = cast(accType, 0);
  acc(x, y, o, n) += cast(accType, in(ix, iy, ic, n)) *
                     cast(accType, filter(r.x, r.y, r.z, o));
  conv(x, y, o, n) = acc(x, y, o, n);
  return conv;
}

void scheduleConv2D(Func conv, Func out, Func input, Func filter,
                    const Conv2DGeometry &g, const Target &target) {
  Func acc = accumulatorOf(conv, "Conv2D");
  const Type type = conv.output_types()[0];
  if (out.name() != conv.name())
    conv.compute_inline();
  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];

  const int vec = target.natural_vector_size(type);
  const int regs = vectorRegisters(target);
  // Register block: xv vectors along x by ob output channels by yb rows.
  const int64_t xv = g.ow >= vec ? std::min<int64_t>(3, g.ow / vec) : 0;
  const int64_t vw = xv ? vec : g.ow;
  const int64_t xr = xv ? xv * vec : g.ow;
  const int64_t xRegs = std::max<int64_t>(xv, 1);
  const int64_t og = g.o / g.groups;
  const int64_t budget = std::max<int64_t>(1, (regs - xRegs - 1) / xRegs);
  int64_t ob = 1;
  for (int64_t c = std::min(budget, og); c >= 1; --c)
    if (og % c == 0) {
      ob = c;
      break;
    }
  int64_t yb = std::max<int64_t>(1, std::min<int64_t>(g.oh, budget / ob));

  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), t("t");
  out.tile(x, y, xo, yo, xi, yi, int(xr), int(yb), TailStrategy::ShiftInwards)
      .split(o, oo, oi, int(ob), TailStrategy::ShiftInwards)
      .reorder(xi, yi, oi, xo, yo, oo, n)
      .vectorize(xi, int(vw))
      .unroll(yi)
      .unroll(oi);
  out.fuse(oo, n, t);
  const double flops = double(g.n) * g.o * g.oh * g.ow * (g.c / g.groups) * g.kh * g.kw;
  if (flops >= 1 << 18)
    out.parallel(t);

  std::vector<Var> accArgs = acc.args();
  x = accArgs[0], y = accArgs[1], o = accArgs[2];
  acc.compute_at(out, xo).vectorize(x, int(vw)).unroll(x).unroll(y).unroll(o);
  std::vector<RVar> rv = acc.rvars(0);
  acc.update()
      .reorder(x, o, y, rv[0], rv[1], rv[2])
      .vectorize(x, int(vw))
      .unroll(x)
      .unroll(o)
      .unroll(y);
  if (g.kw <= 7)
    acc.update().unroll(rv[0]);

  // The (padded) input of one image, once per task, rather than a select
  // (or a computed producer) in the inner loop.
  Func src = input;
  bool computeSrc = !isPlainRead(input);
  auto calls = Internal::find_direct_calls(acc.function());
  auto padded = calls.find(conv.name() + "_padded");
  if (padded != calls.end()) {
    src = Func(padded->second);
    computeSrc = true;
  }
  if (computeSrc) {
    std::vector<Var> sa = src.args();
    src.compute_at(out, t).vectorize(sa[0], vec, TailStrategy::GuardWithIf);
  }
  if (!isPlainRead(filter))
    filter.compute_root();
}

} // namespace axon::halide
