// The axon dialect and its ops (generated from AxonDialect.td / AxonOps.td).
#ifndef AXON_IR_AXONDIALECT_H
#define AXON_IR_AXONDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/OpFamily.h"
#include "ir/ShapeRules.h"

#include <optional>

namespace axon {
/// The shape of a ranked tensor type, `?` extents as unknown dims.
shape::Shape shapeOf(mlir::Type type);
/// The tensor type of `shape` (unknown and symbolic dims as `?`) and `elem`.
mlir::RankedTensorType tensorTypeOf(const shape::Shape &shape, mlir::Type elem);
/// InferTypeOpInterface's check of the axon ops: a declared result may be
/// more or less refined than the inferred one where the shape rule allows
/// (shape::compatible), with the same element type.
bool compatibleResultTypes(mlir::TypeRange inferred, mlir::TypeRange declared);

namespace detail {
/// InferShapeOpInterface's verifier: the op's shape rule holds and the
/// declared result can hold the shape it infers.
mlir::LogicalResult verifyResultShape(mlir::Operation *op);
/// DynamicDimsOpInterface's verifier: one extent per `?` of the result.
mlir::LogicalResult verifyDynamicDims(mlir::Operation *op);
} // namespace detail

namespace OpTrait {
/// Marks ops through which autodiff propagates no gradient.
template <typename ConcreteType>
class NoGradient : public mlir::OpTrait::TraitBase<ConcreteType, NoGradient> {};

/// The op's family (ir/OpFamily.h), declared in ODS as Axon_*Family.
template <OpFamily F> struct Family {
  template <typename ConcreteType>
  class Impl : public mlir::OpTrait::TraitBase<ConcreteType, Impl> {
  public:
    static constexpr OpFamily family = F;
  };
};

/// All operands broadcast numpy-style to the result's shape.
template <typename ConcreteType>
class Broadcasting : public mlir::OpTrait::TraitBase<ConcreteType, Broadcasting> {};

/// Each result element is one element of operand 0, moved.
template <typename ConcreteType>
class View : public mlir::OpTrait::TraitBase<ConcreteType, View> {};

/// The op's result type is inferred by its shape rule, a static
/// `shapeRule(Adaptor)` (Axon_InferResultType in AxonOps.td).
template <typename ConcreteType>
class InferredResultType
    : public mlir::OpTrait::TraitBase<ConcreteType, InferredResultType> {};

/// The op's InferTypeOpInterface accepts declared results as refined as
/// the shape rule allows (compatibleResultTypes).
template <typename ConcreteType>
class CompatibleResultTypes
    : public mlir::OpTrait::TraitBase<ConcreteType, CompatibleResultTypes> {};
} // namespace OpTrait

/// The family an op declares, or nullopt for an op of another dialect.
std::optional<OpFamily> familyOf(mlir::OperationName name);
inline std::optional<OpFamily> familyOf(mlir::Operation *op) {
  return familyOf(op->getName());
}
} // namespace axon

#include "ir/AxonDialect.h.inc"
#include "ir/AxonEnums.h.inc"
#include "ir/AxonAttrs.h"
#include "ir/AxonInterfaces.h.inc"

#define GET_OP_CLASSES
#include "ir/AxonOps.h.inc"

#endif // AXON_IR_AXONDIALECT_H
