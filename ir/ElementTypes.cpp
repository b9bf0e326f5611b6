// MLIR element types as runtime DTypes (see ElementTypes.h).
#include "ir/ElementTypes.h"

#include "mlir/IR/BuiltinTypes.h"

std::optional<axon::DType> axon::dtypeOf(mlir::Type t) {
  if (t.isF32())
    return DType::F32;
  if (t.isF64())
    return DType::F64;
  if (t.isSignlessInteger(1))
    return DType::I1;
  if (t.isSignlessInteger(32))
    return DType::I32;
  if (t.isSignlessInteger(64))
    return DType::I64;
  return std::nullopt;
}
