// The schedule of a convolution whose window is larger than its output: a
// filter gradient (ir/AxonGradients.cpp), dW[o, c, ky, kx] = sum over n, y,
// x of g[n, o, y, x] * x[n, c, y + ky, x + kx], which Contraction.h's
// defineConv2D computes as a conv of x^T by g^T: the batch becomes the
// reduction's channels, the output's spatial extent the window, and the
// small filter the output.
//
// Why its own schedule: the general ones keep a register block's
// accumulators over the whole reduction, and here that reduction is the
// whole batch of g and x (16 MB each for a 64x64x32x32 layer), streamed
// from memory again for every block (the 3x3 64->64 32x32 layer's
// gradient ran at half the FMA peak). Here the window's x is the vector
// axis: g's and x's rows are read as contiguous vectors (no repacking),
// each register block accumulates lanes of partial sums over a few images
// at a time, and the lanes are summed once at the end of each task.
#ifndef AXON_BACKENDS_HALIDE_CONVFILTERGRADIENT_H
#define AXON_BACKENDS_HALIDE_CONVFILTERGRADIENT_H

#include "backends/halide/Contraction.h"

#include "Halide.h"

#include <cstdint>
#include <vector>

namespace axon::halide {

/// The vector width (lanes of partial sums along the window's x) the
/// filter-gradient schedule uses for `g`, or 0 where it does not apply:
/// it needs a window larger than the output, read at consecutive input
/// columns (dilation 1 along x), whose width is two or more of the
/// target's vectors (`vec` lanes) or of half vectors (at least 4 lanes).
/// Measured (Zen 4, AVX-512, 1 thread): cnn's conv1 filter gradient (24
/// wide, 8 lanes) 0.35 -> 0.28 ms; its conv2's (8 wide: one vector) 0.93
/// against 0.98, so the channel-vectorised schedule keeps those. Padded
/// layers too (their zero-padded input computed per block of images and
/// channel): the 3x3 64->64 32x32 layer's gradient 77-90 -> 53-58 ms.
int filterGradientLanes(const Conv2DGeometry &g, int vec);

/// What the filter-gradient schedule needs to know of the conv from the
/// general conv scheduling (Contraction.cpp).
struct FilterGradientOperands {
  /// The accumulator's reduction variables (window x, window y, channel:
  /// for a split reduction its chunk's inner part), as a schedule names them.
  std::vector<Halide::RVar> reduction;
  /// Extent of the channel reduction variable (the batch, or a chunk of it).
  int64_t reductionExtent = 0;
  /// Whether the input computes something (then it is computed per image
  /// and channel, like the zero-padded input).
  bool inputComputes = false;
  /// Vector registers of the target.
  int vectorRegisters = 16;
};

/// Schedules the accumulator `acc` of the conv `conv` from defineConv2D (or
/// the partial sums of its split reduction) for the output stage `out`, with
/// filterGradientLanes(g, vec) lanes. Tasks: blocks of the output's last
/// dims (channels of x, and the split reduction's chunk), shared among
/// threads when worth it; each output element is summed by one task in a
/// fixed order, so results do not depend on the thread count. The filter
/// must be cheap to read (the caller computes one that is not whole first).
void scheduleConv2DFilterGradient(Halide::Func conv, Halide::Func acc,
                                  Halide::Func out,
                                  Halide::Func input, const Conv2DGeometry &g,
                                  const FilterGradientOperands &ops,
                                  const Halide::Target &target);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_CONVFILTERGRADIENT_H
