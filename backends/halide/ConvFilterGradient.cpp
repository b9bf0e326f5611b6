// The filter-gradient conv schedule (ConvFilterGradient.h).
#include "backends/halide/ConvFilterGradient.h"
#include "backends/halide/Parallelism.h"

#include <algorithm>
#include <stdexcept>

using namespace Halide;

namespace axon::halide {

int filterGradientLanes(const Conv2DGeometry &g, int vec) {
  if (g.kh * g.kw <= g.oh * g.ow || g.dilationW != 1)
    return 0;
  for (int lanes : {vec, vec / 2})
    if (lanes >= 4 && g.kw % lanes == 0 && g.kw / lanes >= 2)
      return lanes;
  return 0;
}

namespace {

/// Register block of the lanes' accumulators: ob output channels by xb x yb
/// output pixels, ob * xb * yb vectors. Each step over the reduction loads
/// ob filter vectors (g's rows) and xb * yb input vectors (x's rows, shifted
/// by the pixel) for ob * xb * yb multiply-adds: the block with the most
/// multiply-adds per load that fits the registers (with the operands the
/// block keeps live and one to spare), larger blocks winning ties. The
/// extents divide the output's (a tail would put a test into every step).
/// At most kMaxFilterRows output channels: their rows of g are a plane
/// apart (4 KB for a 32x32 output), so they share L1 sets, and the 3x3
/// 64->64 32x32 layer's gradient measured 54 ms with 4 channels by 3
/// pixels against 62-64 with 8 by 3 (1 thread, Zen 4, same code). Tried
/// and not kept (same layer, 1 thread, best of runs, against 51-56 ms):
/// 8 by 3 from g packed channels-innermost, whole (its 16 MB faulted in
/// per call: 53-60 ms) or per task of 16 output channels (51.2-51.5: LLVM
/// spills two of the 24 accumulators per step, and each task pads every
/// channel of x again); rows of x copied once per pixel so that every
/// vector read is aligned (52.6); 2 images per block and its rows of x
/// at aligned columns (53-55).
constexpr int64_t kMaxFilterRows = 4;

struct Block {
  int64_t ob = 1, xb = 1, yb = 1;
};

Block pickBlock(const Conv2DGeometry &g, int regs) {
  const int64_t og = g.o / g.groups;
  Block best;
  double bestScore = 0;
  for (int64_t ob = 1; ob <= std::min(og, kMaxFilterRows); ++ob) {
    if (og % ob)
      continue;
    for (int64_t xb = 1; xb <= g.ow; ++xb) {
      if (g.ow % xb)
        continue;
      for (int64_t yb = 1; yb <= g.oh; ++yb) {
        if (g.oh % yb)
          continue;
        const int64_t accs = ob * xb * yb;
        if (accs + std::min(ob, xb * yb) + 1 > regs)
          continue;
        const double score = double(accs) / double(ob + xb * yb);
        const int64_t bestAccs = best.ob * best.xb * best.yb;
        if (score > bestScore + 1e-9 ||
            (score > bestScore - 1e-9 &&
             (accs > bestAccs || (accs == bestAccs && xb > best.xb)))) {
          bestScore = score;
          best = {ob, xb, yb};
        }
      }
    }
  }
  return best;
}

/// The most bytes of g's rows a register block reads over its images: 3/4
/// of a 32 KB L1, which also holds the input's rows.
constexpr int64_t kBlockRowsBytes = 24 << 10;

/// Images (the channel reduction) a register block sums before its lanes go
/// back to memory: the fewest that give it ~128 steps, so that loading and
/// storing the block is a small share, and no more than keep its rows of g
/// (b.ob planes per image, reread for each block of output pixels) within
/// kBlockRowsBytes. The 3x3 64->64 32x32 layer's gradient (planes of 4 KB,
/// a plane apart, so in the same L1 sets), 1 thread, Zen 4: 2 images per
/// block 54.6-61 ms, 1 image 52.9-58, 4 images 56.3.
int64_t imagesPerBlock(const Conv2DGeometry &g, const Block &b, int lanes,
                       int64_t images, int64_t bytes) {
  const int64_t steps = g.kh * (g.kw / lanes);
  const int64_t rowsBytes = b.ob * g.kh * g.kw * bytes;
  int64_t best = 1;
  for (int64_t d = 1; d <= images; ++d) {
    if (images % d)
      continue;
    if (d > 1 && d * rowsBytes > kBlockRowsBytes)
      break;
    best = d;
    if (d * steps >= 128)
      break;
  }
  return best;
}

} // namespace

void scheduleConv2DFilterGradient(Func conv, Func acc, Func out, Func input,
                                  const Conv2DGeometry &g,
                                  const FilterGradientOperands &ops,
                                  const Target &target) {
  const int vec = target.natural_vector_size(acc.output_types()[0]);
  const int lanes = filterGradientLanes(g, vec);
  if (!lanes)
    throw std::invalid_argument(
        "scheduleConv2DFilterGradient: the conv does not fit the schedule");
  const Block b = pickBlock(g, ops.vectorRegisters);
  const int64_t images = ops.reductionExtent;
  const int64_t chunks = (g.c / g.groups) / images; // of a split reduction

  // Tasks: blocks of channels of x (the output's last pure dim, n), fused
  // with the split reduction's chunk. Every task reads all of g, so few
  // tasks (8 in all, enough to balance 2, 4 or 8 threads) rather than one
  // per channel: the 3x3 64->64 layer's g is 16 MB.
  std::vector<Var> args = out.args();
  Var x = args[0], y = args[1], o = args[2], n = args[3];
  Var no("no"), ni("ni"), t("t");
  const double work =
      double(g.n) * g.o * g.oh * g.ow * (g.c / g.groups) * g.kh * g.kw *
      kNsPerMultiplyAdd;
  const bool share = worthSharing(work);
  int64_t nTasks = 1;
  if (share)
    nTasks = std::min<int64_t>(
        g.n, std::max<int64_t>(1, (2 * kTasksPerThread + chunks - 1) / chunks));
  const int64_t perTask = (g.n + nTasks - 1) / nTasks;
  out.bound(x, 0, int(g.ow)).bound(y, 0, int(g.oh)).bound(o, 0, int(g.o));
  out.split(n, no, ni, int(perTask), TailStrategy::GuardWithIf)
      .reorder(x, y, o, ni, no);
  if (args.size() > 4)
    out.fuse(no, args[4], t);
  else
    out.rename(no, t);
  if (share)
    out.parallel(t);

  // Three stages of sums, innermost first:
  //  - blockF(x, y, o, n[, u], v, w): one register block's lanes over a
  //    few images (chunk w of the channel reduction), columns v, v +
  //    lanes, ... of the window, computed per block into registers;
  //  - lanesF(x, y, o, n[, u], v): the lanes over all images, in memory
  //    per task, each block adding its chunk in turn (images outermost, so
  //    that a chunk's rows of g and x stay in cache for all blocks);
  //  - acc: the sum of the lanes, once per task.
  RVar rx = ops.reduction[0], ry = ops.reduction[1], rz = ops.reduction[2];
  RVar rxo("rxo"), rxi("rxi"), rzo("rzo"), rzi("rzi");
  Var v("v"), w("w");
  acc.update().split(rx, rxo, rxi, lanes);
  Func lanesF = acc.update().rfactor(rxi, v);
  const int64_t perBlock = imagesPerBlock(g, b, lanes, images,
                                         acc.output_types()[0].bytes());
  lanesF.update().split(rz, rzo, rzi, int(perBlock));
  Func blockF = lanesF.update().rfactor(rzo, w);

  std::vector<Var> la = lanesF.args();
  Var lx = la[0], ly = la[1], lo = la[2], ln = la[3];
  std::vector<Var> storage = {v};
  storage.insert(storage.end(), la.begin(), la.end() - 1);
  std::vector<VarOrRVar> order(storage.begin(), storage.end());
  lanesF.compute_at(out, t)
      .reorder_storage(storage)
      .reorder(order)
      .vectorize(v);
  const int64_t lanesBytes = int64_t(perTask) * g.o * g.oh * g.ow * lanes *
                             acc.output_types()[0].bytes();
  if (lanesBytes <= (128 << 10))
    lanesF.store_in(MemoryType::Stack);
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi");
  std::vector<VarOrRVar> blockOrder = {v, oi, xi, yi, xo, yo, oo, ln};
  if (la.size() > 5)
    blockOrder.push_back(la[4]); // the split reduction's chunk
  blockOrder.push_back(rzo);
  lanesF.update()
      .split(lo, oo, oi, int(b.ob))
      .split(lx, xo, xi, int(b.xb))
      .split(ly, yo, yi, int(b.yb))
      .reorder(blockOrder)
      .vectorize(v)
      .unroll(oi)
      .unroll(xi)
      .unroll(yi);

  std::vector<Var> ba = blockF.args();
  Var bx = ba[0], by = ba[1], bo = ba[2];
  std::vector<Var> blockStorage = {v};
  for (const Var &a : ba)
    if (a.name() != v.name())
      blockStorage.push_back(a);
  blockF.compute_at(lanesF, xo)
      .reorder_storage(blockStorage)
      .reorder(v, bo, bx, by)
      .vectorize(v)
      .unroll(bo)
      .unroll(bx)
      .unroll(by);
  blockF.update()
      .reorder(v, bo, bx, by, rxo, ry, rzi)
      .vectorize(v)
      .unroll(bo)
      .unroll(bx)
      .unroll(by);

  // The sum of each accumulator's lanes, once per task.
  acc.compute_at(out, t);

  // The zero-padded (or computed) input: the block's images of one channel
  // of x, once per (block of images, channel), rather than a select in
  // every step.
  std::optional<Func> padded = paddedInputOf(blockF, conv);
  Func src = padded.value_or(input);
  const bool computeSrc = padded || ops.inputComputes;
  if (computeSrc) {
    std::vector<Var> sa = src.args();
    src.compute_at(lanesF, ln)
        .vectorize(sa[0], vec, TailStrategy::GuardWithIf);
    const int64_t srcBytes = perBlock * (g.w + 2 * g.padW) *
                             (g.h + 2 * g.padH) * src.output_types()[0].bytes();
    if (srcBytes <= (128 << 10))
      src.store_in(MemoryType::Stack);
  }
}

} // namespace axon::halide
