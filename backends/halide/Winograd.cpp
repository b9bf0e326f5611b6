// Winograd F(2x2, 3x3) convolution (see Winograd.h).
//
// With d the 4x4 input patch of a tile (x along the first index), g the 3x3
// filter and e = ex + 4 ey a position of the transform domain:
//
//   V = B^T d B,  U = G g G^T,  M[e] = sum_c V[e] U[e],  out = A^T M A
//
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
#include "backends/halide/Winograd.h"
#include "backends/halide/Parallelism.h"

#include <algorithm>
#include <functional>
#include <stdexcept>

using namespace Halide;

namespace axon::halide {

namespace {

/// Row `e` of B^T applied to (d0, d1, d2, d3).
Expr inputRow(int e, Expr d0, Expr d1, Expr d2, Expr d3) {
  switch (e) {
  case 0: return d0 - d2;
  case 1: return d1 + d2;
  case 2: return d2 - d1;
  default: return d1 - d3;
  }
}

/// Row `e` of G applied to (g0, g1, g2).
Expr filterRow(int e, Expr g0, Expr g1, Expr g2) {
  switch (e) {
  case 0: return g0;
  case 1: return (g0 + g1 + g2) * 0.5f;
  case 2: return (g0 - g1 + g2) * 0.5f;
  default: return g2;
  }
}

/// Row `p` (0 or 1) of A^T applied to (m0, m1, m2, m3).
Expr outputRow(Expr p, Expr m0, Expr m1, Expr m2, Expr m3) {
  return select(p == 0, m0 + m1 + m2, m1 - m2 - m3);
}

/// The transform domain of one tile: 4x4 positions.
constexpr int kPositions = 16;

/// The most bytes one task's input transform (or products) may take: they
/// live on the task's stack, and in L2 with the filter transform.
constexpr int64_t kBlockBytes = 128 << 10;

} // namespace

std::vector<Expr>
winogradInputTransform(const std::function<Expr(int, int)> &d) {
  std::vector<Expr> vs;
  for (int ey = 0; ey < 4; ++ey)
    for (int ex = 0; ex < 4; ++ex) {
      Expr r[4];
      for (int j = 0; j < 4; ++j)
        r[j] = inputRow(ex, d(0, j), d(1, j), d(2, j), d(3, j));
      vs.push_back(inputRow(ey, r[0], r[1], r[2], r[3]));
    }
  return vs;
}

bool useWinograd(const Conv2DGeometry &g, Type accType) {
  // The 3x3 64->64 layer on 32x32 images at batch 64, Zen 4 (bench/run.py,
  // 1 / 2 threads): 124.8 / 55.6 ms direct (along x), 30.7 / 17.5 by F(2x2,
  // 3x3), PyTorch (oneDNN) 48.6 / 26.8; its input gradient 135.5 / 53.1
  // direct, 28.1 / 18.0, PyTorch 48.7 / 27.5.
  return accType == Float(32) && g.kh == 3 && g.kw == 3 && g.strideH == 1 &&
         g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 &&
         g.groups == 1 && g.oh % 2 == 0 && g.ow % 2 == 0 && g.ow >= 16 &&
         g.c >= 16 && g.o >= 16;
}

Func defineConv2DWinograd(Func in, Func filter, const Conv2DGeometry &g,
                          const std::string &name) {
  if (!useWinograd(g, Float(32)))
    throw std::invalid_argument("defineConv2DWinograd: not a 3x3 stride-1 conv");
  Var tx("tx"), ty("ty"), c("c"), o("o"), e("e"), n("n"), x("x"), y("y");

  // Input transform, per tile and input channel.
  auto d = [&](int i, int j) {
    return cast(Float(32), in(tx * 2 + (i - int(g.padW)),
                              ty * 2 + (j - int(g.padH)), c, n));
  };
  Func v(name + "_wino_v");
  v(tx, ty, c, e, n) = mux(e, winogradInputTransform(d));

  // Filter transform, per input and output channel.
  auto w = [&](int kx, int ky) { return cast(Float(32), filter(kx, ky, c, o)); };
  std::vector<Expr> us;
  for (int ey = 0; ey < 4; ++ey)
    for (int ex = 0; ex < 4; ++ex) {
      Expr r[3];
      for (int ky = 0; ky < 3; ++ky)
        r[ky] = filterRow(ex, w(0, ky), w(1, ky), w(2, ky));
      us.push_back(filterRow(ey, r[0], r[1], r[2]));
    }
  Func u(name + "_wino_u");
  u(o, c, e) = mux(e, us);

  // The 16 products over input channels.
  RDom r(0, int(g.c), name + "_wino_r");
  Func macc(name + "_wino_m_acc"), m(name + "_wino_m");
  macc(tx, ty, o, e, n) = 0.0f;
  macc(tx, ty, o, e, n) += v(tx, ty, r, e, n) * u(o, r, e);
  m(tx, ty, o, e, n) = macc(tx, ty, o, e, n);

  // Output transform: pixel (x % 2, y % 2) of tile (x / 2, y / 2).
  Expr px = x % 2, py = y % 2;
  auto mAt = [&](int ex, int ey) { return m(x / 2, y / 2, o, ex + 4 * ey, n); };
  Expr s[4];
  for (int ey = 0; ey < 4; ++ey)
    s[ey] = outputRow(px, mAt(0, ey), mAt(1, ey), mAt(2, ey), mAt(3, ey));
  Func wino(name + "_winograd"), conv(name);
  wino(x, y, o, n) = outputRow(py, s[0], s[1], s[2], s[3]);
  conv(x, y, o, n) = wino(x, y, o, n);
  return conv;
}

void scheduleConv2DWinograd(Func conv, Func out, const Conv2DGeometry &g,
                            const Target &target) {
  // The stages, by what calls what (Halide may have renamed them).
  auto only = [](const Func &f) {
    return onlyCallee(f, "scheduleConv2DWinograd", "defineConv2DWinograd");
  };
  Func wino = only(conv), m = only(wino), macc = only(m), v, u;
  for (const Func &f : directCallees(macc))
    (f.dimensions() == 5 ? v : u) = f;
  if (!v.defined() || !u.defined())
    throw std::invalid_argument("scheduleConv2DWinograd: '" + macc.name() +
                                "' does not come from defineConv2DWinograd");
  std::vector<Func> vSources = directCallees(v);
  wino.compute_inline();

  const int vec = target.natural_vector_size(Float(32));
  const int regs = vectorRegisters(target);
  const int64_t tilesX = g.ow / 2, tilesY = g.oh / 2;

  // Tile rows per task: the input transform and the products of a block
  // each within kBlockBytes (2 rows of 16 tiles at 64 channels).
  const int64_t rowBytes =
      tilesX * kPositions * std::max(g.c, g.o) * int64_t(sizeof(float));
  int64_t rowsPerTask = 1;
  for (int64_t b = 1; b <= tilesY; ++b)
    if (tilesY % b == 0 && b * rowBytes <= kBlockBytes)
      rowsPerTask = b;

  // Register block of the products: xv vectors of tiles along x by yb tile
  // rows by ob output channels, the accumulators plus the tile vectors of
  // one channel and a broadcast in the registers, at most 3/4 of them
  // accumulators (as in the direct schedules); most multiply-adds per
  // load, ob dividing O.
  const int64_t xv = tilesX >= vec ? std::min<int64_t>(3, tilesX / vec) : 0;
  const int64_t vw = xv ? vec : tilesX;
  const int64_t xr = xv ? xv * vec : tilesX;
  const int64_t xRegs = std::max<int64_t>(xv, 1);
  int64_t yb = 1, ob = 1;
  double bestScore = 0;
  for (int64_t yc = 1; yc <= rowsPerTask; ++yc) {
    if (rowsPerTask % yc)
      continue;
    for (int64_t oc = 1; oc <= g.o; ++oc) {
      const int64_t acc = xRegs * yc * oc;
      if (acc + xRegs * yc + 1 > regs || acc > regs * 3 / 4)
        break;
      // Blocks that do not divide O (their last one shifted inwards)
      // measured slower: at 64 channels, 2 rows by 11 or 12 channels 26.0
      // and 34.3 ms against 25.1 for 2 by 8 (1 by 16: 24.8; 4 by 6 over
      // blocks of 4 tile rows: 28.7) on the 3x3 64x32x32 input gradient,
      // Zen 4, 1 thread.
      if (g.o % oc)
        continue;
      const double score = double(acc) / double(xRegs * yc + oc);
      if (score > bestScore + 1e-9) {
        bestScore = score;
        yb = yc, ob = oc;
      }
    }
  }

  // The output: tasks of (image, block of tile rows); within one, per
  // output channel and tile row, vectors of tiles along x, each tile's
  // 2x2 pixels unrolled (the two strided stores of a row interleave into
  // dense ones).
  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];
  Var yo("yo"), yi("yi"), tx("tx"), px("px"), ty("ty"), py("py"), t("t");
  out.bound(x, 0, int(g.ow)).bound(y, 0, int(g.oh)).bound(o, 0, int(g.o));
  out.split(y, yo, yi, int(2 * rowsPerTask))
      .split(yi, ty, py, 2)
      .split(x, tx, px, 2)
      .reorder(px, py, tx, ty, o, yo, n)
      .vectorize(tx, int(vw))
      .unroll(px)
      .unroll(py)
      .fuse(yo, n, t);
  const double multiplyAdds =
      double(g.n) * g.o * g.c * tilesX * tilesY * kPositions;
  if (worthSharing(multiplyAdds * kNsPerMultiplyAdd))
    out.parallel(t);

  // The products of the task's tiles, in register blocks.
  std::vector<Var> ma = m.args(); // tx, ty, o, e, n
  Var mxo("mxo"), mxi("mxi"), myo("myo"), myi("myi"), moo("moo"), moi("moi");
  const int64_t blockBytes = rowsPerTask * rowBytes;
  m.compute_at(out, t)
      .split(ma[0], mxo, mxi, int(xr))
      .split(ma[1], myo, myi, int(yb))
      .split(ma[2], moo, moi, int(ob))
      .reorder(mxi, myi, moi, mxo, myo, moo, ma[3])
      .vectorize(mxi, int(vw))
      .unroll(mxi)
      .unroll(myi)
      .unroll(moi);
  std::vector<Var> aa = macc.args();
  macc.compute_at(m, mxo)
      .vectorize(aa[0], int(vw))
      .unroll(aa[0])
      .unroll(aa[1])
      .unroll(aa[2]);
  RVar rc(macc.rvars(0)[0].name());
  macc.update()
      .reorder(aa[0], aa[2], aa[1], rc)
      .vectorize(aa[0], int(vw))
      .unroll(aa[0])
      .unroll(aa[2])
      .unroll(aa[1]);

  // The input transform of the task's tiles, vectors of tiles along x with
  // the 16 positions unrolled (they share the patch's loads).
  std::vector<Var> va = v.args(); // tx, ty, c, e, n
  Var vxo("vxo"), vxi("vxi");
  v.compute_at(out, t)
      .split(va[0], vxo, vxi, int(vw))
      .reorder(vxi, va[3], vxo, va[1], va[2])
      .vectorize(vxi)
      .unroll(va[3]);
  if (blockBytes <= kBlockBytes) {
    m.store_in(MemoryType::Stack);
    v.store_in(MemoryType::Stack);
  }

  // The zero-padded input rows of the task, once (not a select per load).
  // (or the computed input's rows: they are read 4 times each).
  if (vSources.size() == 1) {
    Func src = vSources[0];
    std::vector<Var> sa = src.args();
    src.compute_at(out, t).vectorize(sa[0], vec, TailStrategy::GuardWithIf);
    if ((g.ow + 2) * (2 * rowsPerTask + 2) * g.c * int64_t(sizeof(float)) <=
        kBlockBytes)
      src.store_in(MemoryType::Stack);
  }

  // The filter transform, once per call, output channels innermost.
  std::vector<Var> ua = u.args(); // o, c, e
  u.compute_root()
      .reorder(ua[0], ua[2], ua[1])
      .vectorize(ua[0], vec, TailStrategy::GuardWithIf)
      .unroll(ua[2]);
  if (double(g.c) * g.o * kPositions >= 1 << 16)
    u.parallel(ua[1]);
}

} // namespace axon::halide
