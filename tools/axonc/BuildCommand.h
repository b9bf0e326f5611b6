// `axonc build`: a model compiled ahead of time into a standalone
// executable (train, infer, bench) linked from the kernels' objects, the
// plan (embedded as JSON) and the runtime library.
#ifndef AXON_TOOLS_AXONC_BUILDCOMMAND_H
#define AXON_TOOLS_AXONC_BUILDCOMMAND_H

#include "backends/halide/Backend.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <string>

namespace axon {

struct BuildFlags {
  std::string modelPath;
  std::string output; ///< The executable.
  int64_t batch = 0;  ///< 0: the train block's batch, else 32.
  halide::CompileOptions compile;
};

/// Returns the process exit code. Each phase (plans, kernels, link) is
/// timed in a scope nested in `timing` (`axonc build --timing`).
int runBuild(mlir::ModuleOp module, const BuildFlags &flags,
             mlir::TimingScope &timing);

} // namespace axon

#endif // AXON_TOOLS_AXONC_BUILDCOMMAND_H
