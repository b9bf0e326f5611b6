// Plain loops of the contractions (see NaiveContraction.h).
#include "backends/halide/NaiveContraction.h"

namespace axon::halide {

double elementAt(const Halide::Buffer<> &b, int64_t i, int64_t j, int64_t bi) {
  int64_t index = i + b.dim(0).extent() * (j + b.dim(1).extent() * bi);
  if (b.type() == Halide::Float(64))
    return static_cast<const double *>(b.data())[index];
  return static_cast<const float *>(b.data())[index];
}

double naiveMatmulAt(const Halide::Buffer<> &a, const Halide::Buffer<> &b,
                     bool transposeA, int64_t K, int64_t m, int64_t n,
                     int64_t bi) {
  double sum = 0;
  for (int64_t k = 0; k < K; ++k)
    sum += (transposeA ? elementAt(a, m, k, bi) : elementAt(a, k, m, bi)) *
           elementAt(b, n, k, bi);
  return sum;
}

double naiveConv2DAt(const Halide::Buffer<float> &in,
                     const Halide::Buffer<float> &w, const Conv2DGeometry &g,
                     int64_t n, int64_t o, int64_t y, int64_t x) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  double sum = 0;
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        int64_t ix = x * g.strideW + kx * g.dilationW - g.padW;
        int64_t iy = y * g.strideH + ky * g.dilationH - g.padH;
        if (ix < 0 || iy < 0 || ix >= g.w || iy >= g.h)
          continue;
        sum += double(in(int(ix), int(iy), int(o / og * cg + ci), int(n))) *
               double(w(int(kx), int(ky), int(ci), int(o)));
      }
  return sum;
}

} // namespace axon::halide
