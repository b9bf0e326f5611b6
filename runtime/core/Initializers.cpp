// Parameter initialisers (see Initializers.h).
#include "runtime/core/Initializers.h"
#include "runtime/core/Philox.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"

#include <cmath>

namespace axon {

Fans computeFans(const std::vector<int64_t> &shape) {
  Fans f;
  if (shape.size() == 1) {
    f.in = f.out = static_cast<double>(shape[0]);
  } else if (shape.size() == 2) {
    f.in = static_cast<double>(shape[0]);
    f.out = static_cast<double>(shape[1]);
  } else if (shape.size() >= 3) {
    double receptive = 1;
    for (size_t i = 2; i < shape.size(); ++i)
      receptive *= static_cast<double>(shape[i]);
    f.in = static_cast<double>(shape[1]) * receptive;
    f.out = static_cast<double>(shape[0]) * receptive;
  }
  return f;
}

bool isInitializerKind(const std::string &kind) {
  for (const char *k :
       {"zeros", "ones", "constant", "uniform", "normal", "glorot_uniform",
        "glorot_normal", "he_uniform", "he_normal"})
    if (kind == k)
      return true;
  return false;
}

Tensor initialize(const std::string &kind, DType dtype,
                  std::vector<int64_t> shape, double a, double b,
                  uint64_t seed) {
  Tensor t(dtype, std::move(shape));
  initializeEach(kind, dtype, t.shape, a, b, seed,
                 [&](int64_t i, double v) { t.data[i] = v; });
  return t;
}

void initializeEach(const std::string &kind, DType dtype,
                    const std::vector<int64_t> &shape, double a, double b,
                    uint64_t seed,
                    const std::function<void(int64_t, double)> &store) {
  if (!isInitializerKind(kind))
    llvm::report_fatal_error(llvm::Twine("unknown initialiser '") + kind + "'");
  Fans fans = computeFans(shape);

  // Every kind is one of: a constant, low + (high - low) * U, or
  // mean + std * N; reduce each to that form.
  enum { Constant, Uniform, Normal } form = Constant;
  double constant = 0, low = 0, high = 0, mean = 0, stddev = 0;
  if (kind == "zeros") {
    constant = 0;
  } else if (kind == "ones") {
    constant = 1;
  } else if (kind == "constant") {
    constant = a;
  } else if (kind == "uniform") {
    form = Uniform, low = a, high = b;
  } else if (kind == "normal") {
    form = Normal, mean = a, stddev = b;
  } else if (kind == "glorot_uniform") {
    double limit = std::sqrt(6.0 / (fans.in + fans.out));
    form = Uniform, low = -limit, high = limit;
  } else if (kind == "glorot_normal") {
    form = Normal, stddev = std::sqrt(2.0 / (fans.in + fans.out));
  } else if (kind == "he_uniform") {
    double limit = std::sqrt(6.0 / fans.in);
    form = Uniform, low = -limit, high = limit;
  } else if (kind == "he_normal") {
    form = Normal, stddev = std::sqrt(2.0 / fans.in);
  }

  for (int64_t i = 0, n = Tensor::numElements(shape); i < n; ++i) {
    uint64_t index = static_cast<uint64_t>(i);
    double v = constant;
    if (form == Uniform)
      v = low + (high - low) * philox::uniform(seed, 0, index);
    else if (form == Normal)
      v = mean + stddev * philox::normal(seed, 0, index);
    store(i, roundTo(dtype, v));
  }
}

} // namespace axon
