// The runtime's element types (runtime/core/Tensor.h's DType) of MLIR element
// types, for everything that turns IR into data: the reference evaluator,
// the plan builder, the train-block reader.
#ifndef AXON_IR_ELEMENTTYPES_H
#define AXON_IR_ELEMENTTYPES_H

#include "runtime/core/Tensor.h"

#include "mlir/IR/Types.h"

#include <optional>

namespace axon {

/// f32, f64, i1, i32 and i64 (signless); nullopt for any other type.
std::optional<DType> dtypeOf(mlir::Type elementType);

} // namespace axon

#endif // AXON_IR_ELEMENTTYPES_H
