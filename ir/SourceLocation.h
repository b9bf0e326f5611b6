// The model-file position of an op, as "file:line:col", for runtime errors
// (the reference evaluator's, and compiled kernels' through the plan).
#ifndef AXON_IR_SOURCELOCATION_H
#define AXON_IR_SOURCELOCATION_H

#include "mlir/IR/Location.h"

#include <string>

namespace axon {

/// "file:line:col" of the first file position in `loc` (through names,
/// call sites and fusions); otherwise the location as MLIR prints it.
std::string sourceLocation(mlir::Location loc);

} // namespace axon

#endif // AXON_IR_SOURCELOCATION_H
