// A loop's row index as a function of its step: what axon-hoist-loop-sums,
// axon-hoist-loop-products and axon-plan-memory read to tell that a body
// visits every row of a [T, ...] tensor once (t - lower going up, or upper - 1 - t going
// down: autodiff's reverse loop reads its stored steps backwards).
#ifndef AXON_PASSES_STEPINDEX_H
#define AXON_PASSES_STEPINDEX_H

#include "ir/AxonDialect.h"

#include <optional>

namespace axon {

/// A row index as a function of the step t: sign * t + offset.
struct StepIndex {
  int64_t sign = 0, offset = 0;
  bool operator==(const StepIndex &o) const {
    return sign == o.sign && offset == o.offset;
  }
  /// Whether it takes every row of a [upper - lower, ...] tensor once over
  /// the steps lower..upper-1.
  bool coversRows(int64_t lower, int64_t upper) const {
    return (sign == 1 && offset == -lower) ||
           (sign == -1 && offset == upper - 1);
  }
};

/// `v` (a rank-0 i64) as sign * t + offset, through constants, adds and
/// subtractions, also across fused kernels (axon-plan-memory reads the
/// index of a kernel's row write computed in another kernel); none where
/// it is anything else.
std::optional<StepIndex> stepIndexOf(mlir::Value v, mlir::Value t);

} // namespace axon

#endif // AXON_PASSES_STEPINDEX_H
