// The Halide algorithm of one kernel before scheduling: a Func per value
// and what the schedule needs to know about each. Algorithm (Lowering.cpp)
// and schedule (Schedule.cpp) meet here and nowhere else.
#ifndef AXON_BACKENDS_HALIDE_KERNELGRAPH_H
#define AXON_BACKENDS_HALIDE_KERNELGRAPH_H

#include "backends/halide/Contraction.h"
#include "runtime/core/Tensor.h"

#include "Halide.h"

#include <optional>
#include <vector>

namespace axon::halide {

/// A value of the kernel: its Func and static shape (dialect order).
struct ValueFunc {
  Halide::Func func;
  std::vector<int64_t> shape;
  Halide::Type type;
};

/// A stage the schedule must place explicitly (everything else is inlined).
struct KernelStage {
  enum class Kind {
    Reduction, ///< Has an update over an RDom (sum, max, argmax, ...).
    Matmul,    ///< From defineMatmul.
    Conv2D,    ///< From defineConv2D.
    Window,    ///< Pooling and other windowed gathers (RDom, small).
    RowWrite,  ///< dynamic_update_row: one row at a run-time index.
    /// A pure value computed whole (compute_root) rather than inlined: a
    /// piece an insert_slice or concat reads under a select (KernelLowering's
    /// materializePiece).
    Materialized,
  };
  Kind kind;
  Halide::Func func;
  std::vector<int64_t> shape;
  /// Matmul: the operand Funcs and extents; conv: operands and geometry.
  Halide::Func a, b;
  int64_t m = 0, n = 0, k = 0;
  int batchRank = 0;
  std::optional<Conv2DGeometry> conv;
  /// RowWrite: the pure definition is undef (the output buffer already
  /// holds the target, kernel::writesRowInPlace), else a copy of the target.
  bool inPlace = false;
};

struct KernelGraph {
  std::vector<Halide::ImageParam> inputs;
  std::vector<ValueFunc> values; ///< By KernelSpec value id.
  std::vector<KernelStage> stages;     ///< In definition order.
  /// The pipeline's outputs: one Func per kernel output, or a single Tuple
  /// Func holding all of them (same-shape injective kernels, so an output
  /// written in place over an input is computed in one loop nest).
  std::vector<Halide::Func> outputs;
  std::vector<std::vector<int64_t>> outputShapes;
  bool tupleOutput = false;

  /// Whether the Func named `name` is already a stage (placed by the
  /// schedule, not inlined).
  bool hasStage(const std::string &name) const {
    for (const KernelStage &s : stages)
      if (s.func.name() == name)
        return true;
    return false;
  }
};

/// Applies the hand-written schedule to `graph`.
void scheduleKernel(KernelGraph &graph, const Halide::Target &target);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_KERNELGRAPH_H
