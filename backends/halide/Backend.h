// The Halide backend's interface to the rest of Axon: compile kernels
// (KernelSpec.h) to object files, or print their loop nests. Plain C++:
// callers include neither Halide nor LLVM through this header.
#ifndef AXON_BACKENDS_HALIDE_BACKEND_H
#define AXON_BACKENDS_HALIDE_BACKEND_H

#include "backends/halide/KernelSpec.h"

#include <string>
#include <vector>

namespace axon::halide {

struct CompileOptions {
  /// "manual" (the hand-written schedules of Schedule.cpp and
  /// Contraction.cpp) or "auto:adams2019", "auto:mullapudi2016",
  /// "auto:li2018" (Halide's autoschedulers, loaded as plugins).
  std::string schedule = "manual";
  /// A `--target` value (runtime/core/CpuTarget.h: host, x86-64-avx2,
  /// x86-64-avx512 or a Halide target string). The MLIR-side drivers
  /// (Jit.h: resolveOptions) turn it into a Halide target string before
  /// compiling; empty means host.
  std::string target;
  /// Cores the autoschedulers may assume; 0: this machine's.
  int parallelism = 0;
  /// Kernels compiled at once, each in its own process (Halide compiles
  /// one pipeline at a time per process); 0: one per core.
  int jobs = 0;
};

/// Whether `schedule` names a schedule CompileOptions accepts; `error` says
/// what the valid ones are when not.
bool isValidSchedule(const std::string &schedule, std::string &error);

/// Compiles each kernel into `dir`/<name>.o (exported symbols <name> and
/// <name>_argv, taking the kernel's input buffers then its output buffers)
/// and the Halide runtime into `dir`/halide_runtime.o. `objects` receives
/// the paths. Kernels are split over `options.jobs` forked workers. Returns
/// false with `error` set on failure.
bool compileToObjects(const std::vector<kernel::KernelSpec> &kernels,
                      const CompileOptions &options, const std::string &dir,
                      std::vector<std::string> &objects, std::string &error);

/// The kernel's lowered Halide statement (its loop nest after scheduling),
/// as Pipeline::compile_to_lowered_stmt writes it.
bool loweredStatement(const kernel::KernelSpec &kernel,
                      const CompileOptions &options, std::string &stmt,
                      std::string &error);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_BACKEND_H
