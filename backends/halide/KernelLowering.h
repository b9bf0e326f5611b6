// KernelSpec -> Halide pipeline: the algorithm (one Func per op) and the
// schedule (hand-written per kernel kind, or one of Halide's
// autoschedulers). Halide side only: includes Halide.h, never LLVM/MLIR.
#ifndef AXON_BACKENDS_HALIDE_KERNELLOWERING_H
#define AXON_BACKENDS_HALIDE_KERNELLOWERING_H

#include "backends/halide/Backend.h"
#include "backends/halide/KernelSpec.h"

#include "Halide.h"

#include <vector>

namespace axon::halide {

/// A kernel as a Halide pipeline, ready to compile. Inputs are in the
/// KernelSpec's input order; the compiled function takes them, then one
/// buffer per KernelSpec output, in order.
struct LoweredKernel {
  std::vector<Halide::ImageParam> inputs;
  Halide::Pipeline pipeline;
  std::vector<Halide::Argument> arguments() const;
};

/// Builds and schedules the pipeline of `spec`. Throws Halide::Error (or
/// std::runtime_error for an op the backend does not lower) on failure.
LoweredKernel lowerKernel(const kernel::KernelSpec &spec,
                          const CompileOptions &options,
                          const Halide::Target &target);

/// The Halide type of a dialect element type (i1 is Bool()).
Halide::Type halideType(DType dtype);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_KERNELLOWERING_H
