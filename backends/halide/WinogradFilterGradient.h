// The filter gradient of a 3x3 stride-1 convolution by Winograd's F(2x2,
// 3x3), transposed (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", section 4): with the forward pass out = A^T [(G g G^T) . (B^T
// d B)] A over a 4x4 input patch d per 2x2 block of output pixels, the
// gradient of the filter is
//
//   dW = G^T [ sum over images and tiles of (A dY A^T) . (B^T d B) ] G
//
// where dY is the tile's 2x2 block of the output gradient. The sum is 16
// matrix products (one per position e of the 4x4 transform domain) of the
// gradient's transform [O, tiles] by the input's [tiles, C], 16 multiply-
// adds per (tile, c, o) where the direct sum does 36.
//
// It works on the geometry the filter gradient has as a conv
// (ConvFilterGradient.h, NaiveContraction.h's convRoleGeometry): the batch
// is the reduction's channels (g.c), the layer's input channels the batch
// (g.n), the layer's output (the window, g.kh x g.kw) is tiled 2x2, and the
// 3x3 filter is the output.
//
// FP edges: results differ from the direct sum by rounding for finite
// operands (ContractionTest's WinogradFilterGradientFpTest pins the rest).
// With a NaN or infinite input or output gradient, a tap whose direct sum
// is NaN is NaN (not finite, where the cause is an infinity), one whose
// direct sum is +-inf is that infinity or NaN; other taps of the same
// (output channel, input channel) pair may also be non-finite (a tile's
// transform mixes its patch's 4 columns into every position, and the
// inverse transform's cancellation, inf - inf, is not exact), but never a
// wrong finite value. Taps of channel pairs no non-finite value reaches
// match the direct sum. In training such an input has made the loss
// non-finite already. Inputs near the largest float can overflow in a
// transform (a sum of up to 4 values): non-finite, never wrong and finite.
#ifndef AXON_BACKENDS_HALIDE_WINOGRADFILTERGRADIENT_H
#define AXON_BACKENDS_HALIDE_WINOGRADFILTERGRADIENT_H

#include "backends/halide/Contraction.h"

#include <string>

namespace axon::halide {

/// Whether the conv of geometry `g` accumulating in `accType` is the filter
/// gradient of a 3x3 stride-1 fp32 layer computed by F(2x2, 3x3): a 3x3
/// output, a window (the layer's output) of even extents and at least 8
/// wide, dilation 1, one group, output channels (the layer's) a multiple of
/// 16 (whole vectors at every target) and 8 or more input channels.
bool useWinogradFilterGradient(const Conv2DGeometry &g, Halide::Type accType);

/// conv(x, y, o, n) = `name`_winograd_dw(x, y, o, n), the inverse transform
/// G^T M G of the 16 products M, summed over the images and the window's
/// tiles: per block of tile rows of one image (`name`_wino_blk, in
/// registers), per chunk of images (`name`_wino_part, a fixed number of
/// chunks, so the order of the sums does not depend on the threads), then
/// over chunks. `in` is the layer's input as the conv reads it (already
/// zero-padded where the window leaves it), `filter` the output gradient.
Halide::Func defineConv2DWinogradFilterGradient(Halide::Func in,
                                                Halide::Func filter,
                                                const Conv2DGeometry &g,
                                                const std::string &name);

/// Schedules a conv from defineConv2DWinogradFilterGradient with its
/// epilogue `out`: the chunks of images are the tasks, shared among
/// threads; per task and block of tile rows of an image, the zero-padded
/// input rows, the input's transform (vectors of tiles) and the gradient's
/// (vectors of output channels) are computed into buffers on the stack,
/// then the 16 products in register blocks of output-channel vectors by
/// input channels added into the chunk's sums.
void scheduleConv2DWinogradFilterGradient(Halide::Func conv, Halide::Func out,
                                          const Conv2DGeometry &g,
                                          const Halide::Target &target);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_WINOGRADFILTERGRADIENT_H
