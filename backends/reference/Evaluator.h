// The reference evaluator: runs axon-dialect functions on host tensors.
//
// Plain, obviously-correct C++ and the oracle every other backend, every
// gradient rule and every fused kernel is checked against. Each op computes
// in double and rounds each result element to its declared element type
// (axon::roundTo), so f32 IR behaves like f32 and f64 IR keeps full double
// precision. Errors in the program's data (shapes that disagree at run time,
// an index out of range, wrong arguments) come back as llvm::Error naming the
// op and its source location; nothing the user supplies can crash it.
#ifndef AXON_BACKENDS_REFERENCE_EVALUATOR_H
#define AXON_BACKENDS_REFERENCE_EVALUATOR_H

#include "runtime/core/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
class Operation;
} // namespace mlir

namespace axon::reference {

class Evaluator {
public:
  /// Parameters start at their declared initialisers (the axon.param
  /// init/a/b/seed attributes). The module must outlive the evaluator.
  /// Before allocating them, the parameters' memory (8 bytes a value: the
  /// evaluator holds doubles) is checked against what this machine has
  /// available and `maxMemory` (bytes, 0: no limit); when they do not fit,
  /// or an allocation fails, none are allocated and allocationError() says
  /// why (every call returns it).
  explicit Evaluator(mlir::ModuleOp module, int64_t maxMemory = 0);

  /// Empty when the parameters were allocated; else the error.
  const std::string &allocationError() const { return allocError; }

  /// Replaces a parameter's value; an error if the name is unknown or the
  /// dtype or shape differs from the declaration.
  llvm::Error setParam(llvm::StringRef name, Tensor value);
  /// The current value of a parameter, or null if there is none by that name.
  const Tensor *getParam(llvm::StringRef name) const;
  /// Parameter names in declaration order.
  std::vector<std::string> paramNames() const;

  /// Runs func.func @fn on `args`. Checks the argument count, dtypes and
  /// shapes against the function type (a dynamic dim matches any extent; a
  /// symbolic dim used twice is not tracked at this level).
  llvm::Expected<std::vector<Tensor>> call(llvm::StringRef fn,
                                           llvm::ArrayRef<Tensor> args);

private:
  void initializeParams(mlir::ModuleOp module);
  mlir::Operation *module;
  std::vector<std::string> order;       ///< Parameter names, as declared.
  std::map<std::string, Tensor> params; ///< Current parameter values.
  std::string initError; ///< Why a parameter could not be initialised.
  std::string allocError; ///< Why the parameters were not allocated.
};

} // namespace axon::reference

#endif // AXON_BACKENDS_REFERENCE_EVALUATOR_H
