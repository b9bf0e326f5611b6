// Winograd F(2x2, 3x3) filter gradient (see WinogradFilterGradient.h).
//
// With d the 4x4 input patch of a tile of the window (x along the first
// index), y the tile's 2x2 block of the output gradient and e = ex + 4 ey a
// position of the transform domain:
//
//   V = B^T d B,  Y = A y A^T,  M[e] = sum over images and tiles of
//   Y[e] V[e],  dW = G^T M G
//
//   B^T as in Winograd.cpp,  A = [1 0; 1 1; 1 -1; 0 -1],
//   G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]
//
// (the forward pass is out = A^T [(G g) . (B^T d)] per axis, so by the sum
// of dy . out over a tile, dg = G^T [(A dy) . (B^T d)]).
#include "backends/halide/WinogradFilterGradient.h"
#include "backends/halide/Parallelism.h"
#include "backends/halide/Winograd.h"

#include <algorithm>
#include <stdexcept>

using namespace Halide;

namespace axon::halide {
namespace {

/// Row `e` of A applied to a tile's column (or row) of the output
/// gradient (y0, y1).
Expr gradientRow(int e, Expr y0, Expr y1) {
  switch (e) {
  case 0: return y0;
  case 1: return y0 + y1;
  case 2: return y0 - y1;
  default: return -y1;
  }
}

/// Row `k` (0-2) of G^T applied to (m0, m1, m2, m3).
Expr inverseRow(Expr k, Expr m0, Expr m1, Expr m2, Expr m3) {
  Expr half = (m1 + m2) * 0.5f;
  return select(k == 0, m0 + half, k == 1, (m1 - m2) * 0.5f, half + m3);
}

/// The transform domain of one tile: 4x4 positions.
constexpr int kPositions = 16;

/// Output channels in a block of the gradient's copy, innermost: a 16x16
/// transpose of its rows (in shuffles), dense vectors of up to 16 channels.
constexpr int kChannelBlock = 16;

/// The most bytes one block's input transform (or gradient transform) may
/// take: they live on the task's stack, and in L2 with the chunk's sums
/// (kPositions x C x O floats: 256 KB at 64 x 64 channels).
constexpr int64_t kBlockBytes = 128 << 10;

/// Tiles a block's products sum in registers before adding into the
/// chunk's sums in memory (a load and a store of the register block).
constexpr int64_t kMinBlockTiles = 32;

/// Chunks of images at most: each chunk's sums are a task's, summed in
/// chunk order at the end; 8 tasks balance 2, 4 or 8 threads.
constexpr int64_t kMaxChunks = 8;

/// Tile rows per block: the fewest that give kMinBlockTiles tiles, within
/// kBlockBytes, dividing the window's tile rows.
int64_t tileRowsPerBlock(const Conv2DGeometry &g) {
  const int64_t tilesX = g.kw / 2, tilesY = g.kh / 2;
  const int64_t rowBytes =
      tilesX * kPositions * std::max(g.n, g.o) * int64_t(sizeof(float));
  int64_t best = 1;
  for (int64_t rows = 1; rows <= tilesY; ++rows) {
    if (tilesY % rows)
      continue;
    if (rows > 1 && rows * rowBytes > kBlockBytes)
      break;
    best = rows;
    if (rows * tilesX >= kMinBlockTiles)
      break;
  }
  return best;
}

/// Chunks of images: the most, up to kMaxChunks, dividing the batch (g.c).
/// From the geometry alone, so results do not depend on the threads.
int64_t imageChunks(const Conv2DGeometry &g) {
  int64_t best = 1;
  for (int64_t chunks = 1; chunks <= std::min(g.c, kMaxChunks); ++chunks)
    if (g.c % chunks == 0)
      best = chunks;
  return best;
}

} // namespace

bool useWinogradFilterGradient(const Conv2DGeometry &g, Type accType) {
  return accType == Float(32) && g.oh == 3 && g.ow == 3 && g.strideH == 1 &&
         g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 &&
         g.groups == 1 && g.kh % 2 == 0 && g.kw % 2 == 0 && g.kw >= 8 &&
         g.o % 16 == 0 && g.n >= 8;
}

Func defineConv2DWinogradFilterGradient(Func in, Func filter,
                                        const Conv2DGeometry &g,
                                        const std::string &name) {
  if (!useWinogradFilterGradient(g, Float(32)))
    throw std::invalid_argument(
        "defineConv2DWinogradFilterGradient: not a 3x3 stride-1 filter gradient");
  // ch: the layer's input channel (the conv's n), b: the image (the conv's
  // reduction channel), o: the layer's output channel.
  Var tx("tx"), ty("ty"), ch("ch"), b("b"), o("o"), e("e"), t("t"), u("u"),
      x("x"), y("y");
  const int tilesX = int(g.kw / 2), tilesY = int(g.kh / 2);
  const int rows = int(tileRowsPerBlock(g));
  const int chunks = int(imageChunks(g)), perChunk = int(g.c / chunks);

  // Input transform, per tile, input channel and image.
  auto d = [&](int i, int j) {
    return cast(Float(32), in(tx * 2 + (i - int(g.padW)),
                              ty * 2 + (j - int(g.padH)), b, ch));
  };
  Func v(name + "_wino_v");
  v(tx, ty, ch, b, e) = mux(e, winogradInputTransform(d));

  // Output gradient transform, per output channel, tile and image, from
  // the gradient copied output channels innermost (what the products
  // load as vectors).
  Var oi("oi"), oo("oo");
  Func gt(name + "_wino_g");
  gt(oi, x, oo, y, b) = cast(Float(32), filter(x, y, b, oo * kChannelBlock + oi));
  auto dy = [&](int i, int j) {
    return gt(o % kChannelBlock, tx * 2 + i, o / kChannelBlock, ty * 2 + j, b);
  };
  std::vector<Expr> ys;
  for (int ey = 0; ey < 4; ++ey)
    for (int ex = 0; ex < 4; ++ex) {
      Expr r[2];
      for (int j = 0; j < 2; ++j)
        r[j] = gradientRow(ex, dy(0, j), dy(1, j));
      ys.push_back(gradientRow(ey, r[0], r[1]));
    }
  Func yt(name + "_wino_y");
  yt(o, tx, ty, b, e) = mux(e, ys);

  // The 16 products over a block of tile rows t of image b.
  RDom k(0, tilesX, 0, rows, name + "_wino_k");
  Func blk(name + "_wino_blk");
  blk(o, ch, e, t, b) = 0.0f;
  blk(o, ch, e, t, b) += yt(o, k.x, t * rows + k.y, b, e) *
                         v(k.x, t * rows + k.y, ch, b, e);

  // Over the blocks of chunk u's images, then over the chunks in order.
  RDom r(0, tilesY / rows, 0, perChunk, name + "_wino_r");
  Func part(name + "_wino_part");
  part(o, ch, e, u) = 0.0f;
  part(o, ch, e, u) += blk(o, ch, e, r.x, u * perChunk + r.y);
  RDom rc(0, chunks, name + "_wino_rc");
  Func m(name + "_wino_m");
  m(o, ch, e) = 0.0f;
  m(o, ch, e) += part(o, ch, e, rc);

  // Inverse transform: tap (x, y) of the 3x3 filter.
  Expr s[4];
  for (int ey = 0; ey < 4; ++ey)
    s[ey] = inverseRow(x, m(o, ch, 4 * ey), m(o, ch, 4 * ey + 1),
                       m(o, ch, 4 * ey + 2), m(o, ch, 4 * ey + 3));
  Func dw(name + "_winograd_dw"), conv(name);
  dw(x, y, o, ch) = inverseRow(y, s[0], s[1], s[2], s[3]);
  conv(x, y, o, ch) = dw(x, y, o, ch);
  return conv;
}

void scheduleConv2DWinogradFilterGradient(Func conv, Func out,
                                          const Conv2DGeometry &g,
                                          const Target &target) {
  // The stages, by what calls what (Halide may have renamed them).
  auto notOurs = [](const Func &f) {
    return std::invalid_argument(
        "scheduleConv2DWinogradFilterGradient: '" + f.name() +
        "' does not come from defineConv2DWinogradFilterGradient");
  };
  auto only = [](const Func &f) {
    return onlyCallee(f, "scheduleConv2DWinogradFilterGradient",
                      "defineConv2DWinogradFilterGradient");
  };
  Func dw = only(conv), m = only(dw), part = only(m), blk = only(part), v, yt;
  for (const Func &f : directCallees(blk))
    (givenNameEndsWith(f.name(), "_wino_v") ? v : yt) = f;
  if (!v.defined() || !yt.defined() || !givenNameEndsWith(yt.name(), "_wino_y"))
    throw notOurs(blk);
  std::vector<Func> vSources = directCallees(v);
  if (out.name() != conv.name())
    conv.compute_inline();
  dw.compute_inline();

  const int vec = target.natural_vector_size(Float(32));
  const int regs = vectorRegisters(target);
  const int64_t tilesX = g.kw / 2;
  const int64_t rows = tileRowsPerBlock(g), chunks = imageChunks(g);

  // Register block of the products: ov vectors of output channels by cb
  // input channels, the accumulators plus ov vectors of the gradient's
  // transform and a broadcast of the input's in the registers, at most 3/4
  // of them accumulators; the most multiply-adds per load, dividing O and
  // C (a tail would add into the chunk's sums twice).
  int64_t ov = 1, cb = 1;
  double bestScore = 0;
  for (int64_t oc = 1; oc * vec <= g.o; ++oc) {
    if (g.o % (oc * vec))
      continue;
    for (int64_t cc = 1; cc <= g.n; ++cc) {
      const int64_t acc = oc * cc;
      if (acc + oc + 1 > regs || acc > regs * 3 / 4)
        break;
      if (g.n % cc)
        continue;
      const double score = double(acc) / double(oc + cc);
      if (score > bestScore + 1e-9) {
        bestScore = score;
        ov = oc, cb = cc;
      }
    }
  }

  // The output: tiny (9 taps per channel pair), vectors of output channels.
  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];
  out.bound(x, 0, 3).bound(y, 0, 3).bound(o, 0, int(g.o)).bound(n, 0, int(g.n));
  out.reorder(o, x, y, n).vectorize(o, vec).unroll(x).unroll(y);

  // The chunks' sums added in chunk order.
  std::vector<Var> ma = m.args(); // o, ch, e
  RVar rc(m.rvars(0)[0].name());
  m.compute_root().vectorize(ma[0], vec);
  m.update().reorder(ma[0], rc, ma[1], ma[2]).vectorize(ma[0], vec);

  // Each chunk of images is a task: its sums (kPositions x C x O) stay in
  // L2 while the task's blocks add into them.
  std::vector<Var> pa = part.args(); // o, ch, e, u
  std::vector<RVar> pr = part.rvars(0); // block of tile rows, image
  const double multiplyAdds =
      double(g.c) * g.kh / 2 * tilesX * kPositions * double(g.n) * g.o;
  const bool share =
      chunks > 1 && worthSharing(multiplyAdds * kNsPerMultiplyAdd);
  part.compute_root().vectorize(pa[0], vec);
  Var oo("oo"), oi("oi"), co("co"), ci("ci");
  part.update()
      .split(pa[0], oo, oi, int(ov * vec))
      .split(pa[1], co, ci, int(cb))
      .reorder(oi, ci, oo, co, pa[2], pr[0], pr[1], pa[3])
      .vectorize(oi, vec)
      .unroll(oi)
      .unroll(ci);
  if (share) {
    part.parallel(pa[3]);
    part.update().parallel(pa[3]);
  }

  // The register block, over the block's tiles.
  std::vector<Var> ba = blk.args(); // o, ch, e, t, b
  std::vector<RVar> br = blk.rvars(0);
  blk.compute_at(part, oo)
      .vectorize(ba[0], vec)
      .unroll(ba[0])
      .unroll(ba[1]);
  blk.update()
      .reorder(ba[0], ba[1], br[0], br[1])
      .vectorize(ba[0], vec)
      .unroll(ba[0])
      .unroll(ba[1]);

  // The block's transforms, once per (image, block of tile rows), the 16
  // positions of a tile unrolled (they share its loads): the input's in
  // vectors of tiles along x (its rows are contiguous), the gradient's in
  // vectors of output channels (what the products load; its reads gather
  // along the channels, one load per element of the gradient).
  const int64_t vw = std::min<int64_t>(vec, tilesX);
  std::vector<Var> va = v.args(); // tx, ty, ch, b, e
  Var vxo("vxo"), vxi("vxi");
  v.compute_at(part, pr[0])
      .split(va[0], vxo, vxi, int(vw))
      .reorder(vxi, va[4], vxo, va[1], va[2], va[3])
      .vectorize(vxi)
      .unroll(va[4]);
  std::vector<Var> ya = yt.args(); // o, tx, ty, b, e
  Var yo("yo"), yi("yi");
  yt.compute_at(part, pr[0])
      .split(ya[0], yo, yi, kChannelBlock)
      .reorder(yi, ya[4], yo, ya[1], ya[2], ya[3])
      .vectorize(yi)
      .unroll(ya[4]);
  // The block's rows of the gradient, in blocks of kChannelBlock output
  // channels innermost: rows read as vectors along x, the block's 16
  // channels' stores interleaved into dense ones (gathering them along the
  // channels, a plane of 4 KB apart at 32x32, so in the same L1 sets, took
  // 9-20 of 33 ms on the 3x3 64->64 32x32 layer; scattering them 7.5).
  Func gt = only(yt);
  std::vector<Var> ga = gt.args(); // oi, x, oo, y, b
  Var gxo("gxo"), gxi("gxi");
  gt.compute_at(part, pr[0])
      .split(ga[1], gxo, gxi, int(std::min<int64_t>(kChannelBlock, g.kw)))
      .reorder(gxi, ga[0], gxo, ga[2], ga[3], ga[4])
      .vectorize(gxi)
      .unroll(ga[0]);
  const int64_t blockBytes =
      rows * tilesX * kPositions * std::max(g.n, g.o) * int64_t(sizeof(float));
  if (blockBytes <= kBlockBytes) {
    v.store_in(MemoryType::Stack);
    yt.store_in(MemoryType::Stack);
  }

  // The zero-padded (or computed) input rows of the block, once (not a
  // select per load). The gradient stays inlined into its transform, which
  // reads each of its elements once.
  if (vSources.size() == 1) {
    Func src = vSources[0];
    std::vector<Var> sa = src.args();
    src.compute_at(part, pr[0]).vectorize(sa[0], vec, TailStrategy::GuardWithIf);
    if ((g.w + 2 * g.padW) * (2 * rows + 2) * g.n * int64_t(sizeof(float)) <=
        kBlockBytes)
      src.store_in(MemoryType::Stack);
  }
}

} // namespace axon::halide
