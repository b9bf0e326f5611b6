// Registration of the axon dialect, and what ODS cannot generate for it.
#include "ir/AxonDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace axon;

#include "ir/AxonDialect.cpp.inc"

namespace {
/// Lets MLIR's inliner inline calls whose callees hold axon ops, and calls
/// inside axon.loop bodies: no axon op depends on the function it is in
/// (parameters are module symbols, random draws carry their own seed and
/// counter).
struct AxonInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void AxonDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/AxonOps.cpp.inc"
      >();
  addInterfaces<AxonInlinerInterface>();
  registerAttributes();
}

// Lets the canonicalizer turn folded attributes back into axon.constant.
Operation *AxonDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}

// `axon.constant dense<...> : tensor<...>`: the type is the value's own.
ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  Attribute value;
  if (parser.parseAttribute(value) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return parser.emitError(parser.getCurrentLocation(),
                            "expected a dense elements attribute");
  result.addAttribute("value", elements);
  result.addTypes(elements.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &printer) {
  printer << ' ';
  printer.printAttribute(getValue());
  printer.printOptionalAttrDict((*this)->getAttrs(), {"value"});
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type does not match the result type");
  return success();
}
