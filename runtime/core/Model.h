// What training, checkpoints and inference need from a model, however its
// functions run: the reference evaluator, JIT-compiled kernels (axonc) or
// kernels linked into a built binary.
#ifndef AXON_RUNTIME_CORE_MODEL_H
#define AXON_RUNTIME_CORE_MODEL_H

#include "runtime/core/Tensor.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace axon {

class Model {
public:
  virtual ~Model() = default;
  /// Runs function `fn` of the model on `args`.
  virtual llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) = 0;
  /// Every parameter, optimizer state included, in declaration order.
  virtual std::vector<std::string> paramNames() const = 0;
  virtual llvm::Expected<Tensor> getParam(const std::string &name) const = 0;
  /// Errors: unknown name, or a dtype or shape other than the parameter's.
  virtual llvm::Error setParam(const std::string &name,
                               const Tensor &value) = 0;
};

} // namespace axon

#endif // AXON_RUNTIME_CORE_MODEL_H
