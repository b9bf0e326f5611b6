// The axon dialect: tensor-valued neural-network ops on builtin ranked tensors.
#ifndef AXON_DIALECT_TD
#define AXON_DIALECT_TD

include "mlir/IR/OpBase.td"

def Axon_Dialect : Dialect {
  let name = "axon";
  let cppNamespace = "::axon";
  let summary = "Tensor-level ops for neural-network models";
  let description = [{
    Every value is a builtin ranked tensor (static or dynamic dims); scalars
    are rank-0 tensors. Parameters are module-level symbols (`axon.param`)
    read inside functions with `axon.param_ref`. Binary and select ops
    broadcast numpy-style, so the IR reads like the model file.
  }];
  let hasConstantMaterializer = 1;
  // The attributes of ir/AxonAttrs.td, registered by registerAttributes().
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

class Axon_Op<string mnemonic, list<Trait> traits = []>
    : Op<Axon_Dialect, mnemonic, traits>;

#endif // AXON_DIALECT_TD
