// Winograd's minimal filtering F(2x2, 3x3) for 3x3 stride-1 convolutions
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"): each
// 2x2 block of output pixels of one channel is A^T [sum_c (G g G^T) . (B^T
// d B)] A over the 4x4 input patch d of each input channel, 16 multiply-adds
// per (tile, c, o) where the direct conv does 36. The sum over channels is
// 16 independent matrix products (one per position e of the 4x4 transform
// domain), which the schedule runs as register-blocked GEMMs.
//
// Used by defineConv2D / scheduleConv2D (Contraction.cpp) where
// useWinograd says so; the results differ from the direct sum only by
// rounding (the transforms' coefficients are 0, +-1 and +-1/2), except at
// FP edges (ContractionTest's WinogradFpTest pins each):
// - NaN, and 0 x inf (an infinite weight on the padding's zeros), reach
//   exactly the outputs they reach in the direct sum over the zero-padded
//   input (each tile's patch is the union of its 2x2 pixels' windows, and
//   A^T drops the patch columns a pixel's window lacks).
// - An infinite input or weight gives, in an output whose direct sum is
//   +-inf, that infinity or NaN: NaN where its terms through the transforms
//   have both signs (inf - inf). With filter taps of one sign, an infinite
//   input keeps its infinity only in the pixel whose window it starts (patch
//   offset 0, pixel 0) or ends (offset 3, pixel 1) along both axes. Outputs
//   whose direct sum is finite stay finite.
// - Inputs near the largest float can overflow in the input transform (a sum
//   of up to 4 inputs): +-inf or NaN where the direct sum is finite, never a
//   wrong finite value.
// PyTorch 1.13's conv2d (oneDNN, and with it off) gives the direct sum's
// +-inf for an infinite input or weight, and NaN for 0 x inf at the padding.
// Matching it would need a direct conv wherever an operand is not finite:
// a scan of the input (a pass over memory as large as the layer's input) or
// a second pipeline, for results that are already not finite.
#ifndef AXON_BACKENDS_HALIDE_WINOGRAD_H
#define AXON_BACKENDS_HALIDE_WINOGRAD_H

#include "backends/halide/Contraction.h"

#include <functional>
#include <string>
#include <vector>

namespace axon::halide {

/// Whether a conv of geometry `g` accumulating in `accType` is computed by
/// F(2x2, 3x3): 3x3 window, stride and dilation 1, one group, fp32, even
/// output extents, and enough channels and tiles that the transforms are
/// a small share of the work.
bool useWinograd(const Conv2DGeometry &g, Halide::Type accType);

/// The input transform B^T d B of the 4x4 patch d(i, j) (i along x), its
/// 16 positions e = ex + 4 ey in order (shared with the filter gradient,
/// WinogradFilterGradient.cpp).
std::vector<Halide::Expr>
winogradInputTransform(const std::function<Halide::Expr(int, int)> &d);

/// conv(x, y, o, n) = `name`_winograd(x, y, o, n), the output transform of
/// `name`_wino_m (tile x, tile y, o, e, n), the 16 products of
/// `name`_wino_v (the input transform of `in`, already zero-padded) and
/// `name`_wino_u (the filter transform). Returns the pure Func `name`.
Halide::Func defineConv2DWinograd(Halide::Func in, Halide::Func filter,
                                  const Conv2DGeometry &g,
                                  const std::string &name);

/// Schedules a conv from defineConv2DWinograd with its epilogue `out`:
/// tasks of (image, block of tile rows), shared among threads; per task the
/// padded input rows, their transform and the 16 products (register blocks
/// of tile vectors by tile rows by output channels) are computed into
/// buffers on the stack, then the output transform writes the block's
/// rows; the filter transform is computed once per call.
void scheduleConv2DWinograd(Halide::Func conv, Halide::Func out,
                            const Conv2DGeometry &g,
                            const Halide::Target &target);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_WINOGRAD_H
