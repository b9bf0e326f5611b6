// The oracle of the contraction schedules (Contraction.h): the plain loops
// of a matmul and a conv2d element, in double, over the dense Halide
// buffers the pipelines read. Used by the Halide-side tests
// (tests/halide) and `axon-bench-kernels --check`.
#ifndef AXON_BACKENDS_HALIDE_NAIVECONTRACTION_H
#define AXON_BACKENDS_HALIDE_NAIVECONTRACTION_H

#include "backends/halide/Contraction.h"

#include "Halide.h"

#include <cstdint>

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

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_NAIVECONTRACTION_H
