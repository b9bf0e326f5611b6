// A Model over an Executor whose functions were compiled at a few row
// counts (a built binary's: the batch size, the leftover batches of its
// train block's data, and 1; tools/axonc/CompilePolicy.h), called at any
// row count: a call at a count that was not compiled runs in pieces that
// were, the largest first, and joins their results.
#ifndef AXON_RUNTIME_CORE_EXECUTORMODEL_H
#define AXON_RUNTIME_CORE_EXECUTORMODEL_H

#include "runtime/core/Executor.h"
#include "runtime/core/Model.h"
#include "runtime/core/Plan.h"

namespace axon {

/// How the pieces' rank-0 results join.
enum class ScalarResults {
  /// An error: a scalar of some rows says nothing of the rest (infer).
  Refuse,
  /// Batch means (a train block's loss and eval_fn, as the Trainer's
  /// evaluate takes them): their mean weighted by each piece's rows.
  BatchMean,
};

class ExecutorModel : public Model {
public:
  /// `plan` is the one `executor` runs.
  ExecutorModel(Executor &executor, const Plan &plan, ScalarResults scalars);

  /// Runs `fn` on `args`, whose rows are along dim 0 of the first (and of
  /// every other argument with as many). Pieces' results of rank >= 1 join
  /// along dim 0. Errors: no compiled row counts that make up the call's,
  /// a result that does not map rows to rows, any piece's error.
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &fn, const std::vector<Tensor> &args) override;
  std::vector<std::string> paramNames() const override;
  llvm::Expected<Tensor> getParam(const std::string &name) const override;
  llvm::Error setParam(const std::string &name, const Tensor &value) override;

private:
  Executor &executor;
  const Plan &plan;
  ScalarResults scalars;

  /// The row counts `fn` was compiled at (dim 0 of its first argument),
  /// largest first.
  std::vector<int64_t> compiledRows(const std::string &fn) const;
};

} // namespace axon

#endif // AXON_RUNTIME_CORE_EXECUTORMODEL_H
