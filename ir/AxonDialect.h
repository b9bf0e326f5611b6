// The axon dialect and its ops (generated from AxonDialect.td / AxonOps.td).
#ifndef AXON_IR_AXONDIALECT_H
#define AXON_IR_AXONDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/ShapeRules.h"

namespace axon {
/// The shape of a ranked tensor type, `?` extents as unknown dims.
shape::Shape shapeOf(mlir::Type type);

namespace OpTrait {
/// Marks ops through which autodiff propagates no gradient.
template <typename ConcreteType>
class NoGradient : public mlir::OpTrait::TraitBase<ConcreteType, NoGradient> {};
} // namespace OpTrait
} // namespace axon

#include "ir/AxonDialect.h.inc"
#include "ir/AxonEnums.h.inc"
#include "ir/AxonInterfaces.h.inc"

#define GET_OP_CLASSES
#include "ir/AxonOps.h.inc"

#endif // AXON_IR_AXONDIALECT_H
