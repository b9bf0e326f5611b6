// Kernels compiled to a shared object at run time (the JIT path): loads it
// and resolves each kernel's argv entry point. A built binary links the
// same objects statically instead and needs none of this.
#ifndef AXON_RUNTIME_CORE_KERNELLIBRARY_H
#define AXON_RUNTIME_CORE_KERNELLIBRARY_H

#include "runtime/core/Executor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace axon {

class KernelLibrary {
public:
  /// dlopens `path` and resolves `<name>_argv` for each name, in order.
  static llvm::Expected<std::unique_ptr<KernelLibrary>>
  load(const std::string &path, const std::vector<std::string> &names);
  ~KernelLibrary();

  const std::vector<KernelEntry> &entries() const { return entries_; }

  /// Sets the size of the Halide thread pool of these kernels (0: one
  /// thread per core, Halide's default; HL_NUM_THREADS also works).
  void setThreads(int threads);

  /// The thread controls of these kernels' own Halide runtime (the library
  /// keeps it private), for Executor::setThreadControl; null where the
  /// library lacks one.
  Executor::ThreadControl threadControl() const;

private:
  void *handle = nullptr;
  std::vector<KernelEntry> entries_;
};

} // namespace axon

#endif // AXON_RUNTIME_CORE_KERNELLIBRARY_H
