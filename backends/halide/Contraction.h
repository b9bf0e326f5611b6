// Matmul and 2-D convolution as Halide algorithms, and their hand-written
// schedules. Shared by the kernel lowering (KernelLowering.cpp) and bench/.
//
// Coordinates: a dialect tensor of shape [d0, ..., d{r-1}] is a Halide Func
// whose first argument is the innermost dim d{r-1} (Halide's order), so a
// row-major [M, K] matrix A is A(k, m).
#ifndef AXON_BACKENDS_HALIDE_CONTRACTION_H
#define AXON_BACKENDS_HALIDE_CONTRACTION_H

#include "Halide.h"

#include <cstdint>
#include <string>

namespace axon::halide {

/// C(n, m, b...) = sum_k A(k, m, b...) * B(n, k, b...): [.., M, K] x
/// [.., K, N] -> [.., M, N] with `batchRank` leading batch dims (A and B
/// already broadcast to the same batch extents). All extents static.
/// Accumulates in `accType` and returns a Func of that type.
Halide::Func defineMatmul(Halide::Func a, Halide::Func b, int64_t M, int64_t N,
                          int64_t K, int batchRank, Halide::Type accType,
                          const std::string &name);

/// Schedules `mm` (from defineMatmul) together with `out`, the kernel's
/// output Func reading mm at the same coordinates through an elementwise
/// epilogue (out == mm without one). `a` and `b` are the Funcs given to
/// defineMatmul: wrappers of inputs or computed producers (a fused
/// transpose, say). Tiles for cache and registers, vectorises for the
/// target's widest vectors, parallelises over the outer tiles.
void scheduleMatmul(Halide::Func mm, Halide::Func out, Halide::Func a,
                    Halide::Func b, int64_t M, int64_t N, int64_t K,
                    int batchRank, const Halide::Target &target);

/// Geometry of axon.conv2d (NCHW input, OIHW filter with I = C / groups).
struct Conv2DGeometry {
  int64_t n, c, h, w;      ///< Input extents.
  int64_t o, kh, kw;       ///< Output channels, kernel window.
  int64_t oh, ow;          ///< Output extents.
  int64_t strideH = 1, strideW = 1, padH = 0, padW = 0;
  int64_t dilationH = 1, dilationW = 1, groups = 1;
};

/// out(x, y, o, n) = sum_{ci, ky, kx} in(x*sw + kx*dw - pw, y*sh + ky*dh - ph,
/// g*C/groups + ci, n) * filter(kx, ky, ci, o), reading zeros outside the
/// input (padding). `input` must be defined everywhere the window reads
/// (the caller bounds it; defineConv2D adds the zero boundary itself).
Halide::Func defineConv2D(Halide::Func input, Halide::Func filter,
                          const Conv2DGeometry &g, Halide::Type accType,
                          const std::string &name);

/// Schedules a conv from defineConv2D with its epilogue `out` (as for
/// scheduleMatmul).
void scheduleConv2D(Halide::Func conv, Halide::Func out, Halide::Func input,
                    Halide::Func filter, const Conv2DGeometry &g,
                    const Halide::Target &target);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_CONTRACTION_H
