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

Conv2DGeometry convRoleGeometry(const Conv2DGeometry &f, ConvRole role) {
  Conv2DGeometry g = f;
  if (role == ConvRole::InputGrad) {
    g.c = f.o, g.h = f.oh, g.w = f.ow, g.o = f.c, g.oh = f.h, g.ow = f.w;
    g.padH = f.kh - 1 - f.padH, g.padW = f.kw - 1 - f.padW;
  } else if (role == ConvRole::FilterGrad) {
    g.n = f.c, g.c = f.n, g.kh = f.oh, g.kw = f.ow, g.oh = f.kh, g.ow = f.kw;
  }
  return g;
}

void defineConvRoleOperands(ConvRole role, const Conv2DGeometry &g,
                            Halide::Func input, Halide::Func filter,
                            Halide::Func &in, Halide::Func &w,
                            std::vector<int> &inExt, std::vector<int> &wExt) {
  Halide::Var x("x"), y("y"), c("c"), n("n");
  auto i32 = [](int64_t v) { return int(v); };
  inExt = {i32(g.w), i32(g.h), i32(g.c), i32(g.n)};
  wExt = {i32(g.kw), i32(g.kh), i32(g.c / g.groups), i32(g.o)};
  if (role == ConvRole::InputGrad) {
    in(x, y, c, n) = input(x, y, c, n);
    w(x, y, c, n) = filter(i32(g.kw) - 1 - x, i32(g.kh) - 1 - y, n, c);
    wExt = {i32(g.kw), i32(g.kh), i32(g.o), i32(g.c)};
  } else if (role == ConvRole::FilterGrad) {
    in(x, y, c, n) = input(x, y, n, c);
    w(x, y, c, n) = filter(x, y, n, c);
    inExt = {i32(g.w), i32(g.h), i32(g.n), i32(g.c)};
    wExt = {i32(g.kw), i32(g.kh), i32(g.o), i32(g.c)};
  } else {
    in(x, y, c, n) = input(x, y, c, n);
    w(x, y, c, n) = filter(x, y, c, n);
  }
}

void convRoleBuffers(ConvRole role, const Conv2DGeometry &g,
                     const Halide::Buffer<float> &input,
                     const Halide::Buffer<float> &filter,
                     Halide::Buffer<float> &in, Halide::Buffer<float> &w) {
  in = Halide::Buffer<float>(int(g.w), int(g.h), int(g.c), int(g.n));
  w = Halide::Buffer<float>(int(g.kw), int(g.kh), int(g.c / g.groups), int(g.o));
  in.for_each_element([&](int x, int y, int c, int n) {
    in(x, y, c, n) = role == ConvRole::FilterGrad ? input(x, y, n, c) : input(x, y, c, n);
  });
  w.for_each_element([&](int x, int y, int c, int o) {
    w(x, y, c, o) = role == ConvRole::InputGrad
                        ? filter(int(g.kw) - 1 - x, int(g.kh) - 1 - y, o, c)
                    : role == ConvRole::FilterGrad ? filter(x, y, o, c)
                                                   : filter(x, y, c, o);
  });
}

} // namespace axon::halide
