// The oracle of the contraction schedules (Contraction.h): the plain loops
// of a matmul and a conv2d element, in double, over the dense Halide
// buffers the pipelines read. Used by the Halide-side tests
// (tests/halide) and `axon-bench-kernels --check`.
#ifndef AXON_BACKENDS_HALIDE_NAIVECONTRACTION_H
#define AXON_BACKENDS_HALIDE_NAIVECONTRACTION_H

#include "backends/halide/Contraction.h"

#include "Halide.h"

#include <cstdint>
#include <vector>

namespace axon::halide {

/// Element (i, j, flattened batch index `bi`) of a dense f32 or f64 buffer
/// of dims (i, j, batch...).
double elementAt(const Halide::Buffer<> &b, int64_t i, int64_t j, int64_t bi);

/// sum_k A(m, k) B(k, n) of batch `bi`, with `a` laid out (k, m), or (m, k)
/// when `transposeA`, and `b` laid out (n, k), as defineMatmul reads them.
double naiveMatmulAt(const Halide::Buffer<> &a, const Halide::Buffer<> &b,
                     bool transposeA, int64_t K, int64_t m, int64_t n,
                     int64_t bi);

/// defineConv2D's out(x, y, o, n): the window sum with zero padding, for
/// `in` (x, y, c, n) and `w` (kx, ky, c / groups, o).
double naiveConv2DAt(const Halide::Buffer<float> &in,
                     const Halide::Buffer<float> &w, const Conv2DGeometry &g,
                     int64_t n, int64_t o, int64_t y, int64_t x);

/// Which of a conv layer's three contractions a pipeline computes, each as
/// the kernel lowering builds it from the ops autodiff emits
/// (ir/AxonGradients.cpp, KernelLowering.cpp): the input gradient is
/// conv_transpose2d, at stride 1 a conv2d over the output gradient padded
/// by k - 1 - p with the filter flipped and its channel dims swapped; the
/// filter gradient is a conv2d of the batch-transposed input by the
/// batch-transposed output gradient (its [C, O, KH, KW] result is put back
/// in filter order by another kernel).
enum class ConvRole { Forward, InputGrad, FilterGrad };

/// The conv2d that `role` of the forward layer `layer` runs (the layer at
/// stride 1, no dilation, one group for the gradients).
Conv2DGeometry convRoleGeometry(const Conv2DGeometry &layer, ConvRole role);

/// The Funcs `in` and `w` that `role`'s conv2d (geometry `g`, from
/// convRoleGeometry) reads, defined over the two tensors the role gets
/// (forward: input and filter; input gradient: output gradient and filter;
/// filter gradient: input and output gradient) in their natural layouts;
/// `inExt` and `wExt` are those tensors' extents.
void defineConvRoleOperands(ConvRole role, const Conv2DGeometry &g,
                            Halide::Func input, Halide::Func filter,
                            Halide::Func &in, Halide::Func &w,
                            std::vector<int> &inExt, std::vector<int> &wExt);

/// The role's conv2d operands (as defineConvRoleOperands reads them) copied
/// out of the role's tensors `input` and `filter`, for naiveConv2DAt.
void convRoleBuffers(ConvRole role, const Conv2DGeometry &g,
                     const Halide::Buffer<float> &input,
                     const Halide::Buffer<float> &filter,
                     Halide::Buffer<float> &in, Halide::Buffer<float> &w);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_NAIVECONTRACTION_H
