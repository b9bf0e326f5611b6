// Parameter initialisers: zeros, ones, constant, uniform, normal, Glorot, He.
//
// Element i of a random initialiser is drawn with Philox (Philox.h) from
// (seed, counter 0, index i), so every backend and every run starts from the
// same parameters.
#ifndef AXON_RUNTIME_CORE_INITIALIZERS_H
#define AXON_RUNTIME_CORE_INITIALIZERS_H

#include "runtime/core/Tensor.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace axon {

/// Fan-in and fan-out of a parameter shape, as Glorot and He use them:
///   rank 0:            1, 1
///   rank 1 [n]:        n, n
///   rank 2 [in, out]:  in, out
///   rank >= 3 [O, C, k...] (conv filters, OIHW): C * prod(k), O * prod(k)
struct Fans {
  double in = 1, out = 1;
};
Fans computeFans(const std::vector<int64_t> &shape);

/// Whether `kind` names an initialiser `initialize` knows.
bool isInitializerKind(const std::string &kind);

/// A tensor of `dtype` and `shape` filled by initialiser `kind`:
///   zeros, ones, constant (value a), uniform (U[a, b)), normal (mean a,
///   std b), glorot_uniform (U[-l, l), l = sqrt(6 / (fan_in + fan_out))),
///   glorot_normal (std sqrt(2 / (fan_in + fan_out))), he_uniform
///   (l = sqrt(6 / fan_in)), he_normal (std sqrt(2 / fan_in)).
/// The normal initialisers are not truncated. Values are rounded to `dtype`.
/// `kind` must satisfy isInitializerKind (the IR's InitKind enum guarantees
/// it); an unknown kind is a programming error and aborts with a message.
Tensor initialize(const std::string &kind, DType dtype,
                  std::vector<int64_t> shape, double a, double b,
                  uint64_t seed);

/// The same values, passed one at a time to `store(i, value)` without
/// building a tensor (the compiled runtime writes them straight into its
/// typed parameter buffers).
void initializeEach(const std::string &kind, DType dtype,
                    const std::vector<int64_t> &shape, double a, double b,
                    uint64_t seed,
                    const std::function<void(int64_t, double)> &store);

} // namespace axon

#endif // AXON_RUNTIME_CORE_INITIALIZERS_H
