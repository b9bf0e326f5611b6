#include "tools/axonc/EmitCompiled.h"

#include "ir/AxonDialect.h"
#include "passes/Passes.h"
#include "tools/axonc/Fail.h"
#include "tools/axonc/TrainBlock.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace axon;

llvm::Expected<std::vector<FunctionRequest>>
axon::requestsAtBatch(ModuleOp module, const std::string &fn, int64_t batch) {
  if (batch <= 0)
    batch = trainBlockBatch(module).value_or(1);
  std::vector<FunctionRequest> requests;
  for (func::FuncOp f : module.getOps<func::FuncOp>()) {
    // A helper (private) is printed when asked for by name.
    if (f.isExternal() || (fn.empty() ? f.isPrivate() : f.getName() != fn))
      continue;
    requests.push_back(requestAtRows(f, batch));
  }
  if (requests.empty())
    return llvm::createStringError(fn.empty() ? "the model has no functions"
                                              : "no function '" + fn + "'");
  return requests;
}

int axon::emitCompiled(ModuleOp module, EmitStage stage, const std::string &fn,
                       int64_t batch, const halide::CompileOptions &options,
                       llvm::raw_ostream &os) {
  auto requests = requestsAtBatch(module, fn, batch);
  if (!requests)
    return fail(llvm::toString(requests.takeError()));
  Plan plan;
  std::vector<kernel::KernelSpec> kernels;
  if (failed(buildPlan(module, *requests, plan, kernels)))
    return 1;
  for (size_t i = 0; i < requests->size(); ++i) {
    auto spec = module.lookupSymbol<func::FuncOp>(
        specializedName((*requests)[i], i));
    if (stage == EmitStage::Fused)
      os << spec << "\n";
    else if (stage == EmitStage::Plan)
      printMemoryPlan(spec, os);
  }
  if (stage != EmitStage::Halide)
    return 0;
  auto resolved = resolveOptions(options);
  if (!resolved)
    return fail(llvm::toString(resolved.takeError()));
  for (const kernel::KernelSpec &k : kernels) {
    std::string stmt, error;
    if (!halide::loweredStatement(k, *resolved, stmt, error))
      return fail(error);
    os << "// kernel " << k.name << " ("
       << stringifyKernelKind(KernelKind(k.kind)) << ")\n" << stmt << "\n";
  }
  return 0;
}
