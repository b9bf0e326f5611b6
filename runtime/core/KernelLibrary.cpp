#include "runtime/core/KernelLibrary.h"

#include <dlfcn.h>

using namespace axon;

llvm::Expected<std::unique_ptr<KernelLibrary>>
KernelLibrary::load(const std::string &path,
                    const std::vector<std::string> &names) {
  // RTLD_LOCAL: the kernels' Halide runtime stays private to them.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return llvm::createStringError("cannot load compiled kernels '" + path +
                                   "': " + dlerror());
  auto lib = std::unique_ptr<KernelLibrary>(new KernelLibrary());
  lib->handle = handle;
  for (const std::string &name : names) {
    void *entry = dlsym(handle, (name + "_argv").c_str());
    if (!entry)
      return llvm::createStringError("compiled kernels '" + path +
                                     "' lack kernel '" + name + "'");
    lib->entries_.push_back(reinterpret_cast<KernelEntry>(entry));
  }
  // Kernel errors come back to the executor, not through abort().
  using SetHandler = void *(*)(void (*)(void *, const char *));
  if (auto set = reinterpret_cast<SetHandler>(
          dlsym(lib->handle, "halide_set_error_handler")))
    set(recordKernelError);
  return lib;
}

KernelLibrary::~KernelLibrary() {
  if (handle)
    dlclose(handle);
}

Executor::ThreadControl KernelLibrary::threadControl() const {
  Executor::ThreadControl control;
  control.setNumThreads = reinterpret_cast<int (*)(int)>(
      dlsym(handle, "halide_set_num_threads"));
  control.setDoParFor =
      reinterpret_cast<Executor::DoParFor (*)(Executor::DoParFor)>(
          dlsym(handle, "halide_set_custom_do_par_for"));
  return control;
}

void KernelLibrary::setThreads(int threads) {
  if (auto set = threadControl().setNumThreads)
    set(threads);
}
