// Runs the function plans of a Plan (runtime/core/Plan.h): parameters live in
// persistent buffers, temporaries in one arena allocated once and reused
// by every call (so memory does not grow with the number of steps), and
// kernels are called through Halide's argv convention, whether they were
// JIT-loaded (KernelLibrary) or linked into a binary.
#ifndef AXON_RUNTIME_CORE_EXECUTOR_H
#define AXON_RUNTIME_CORE_EXECUTOR_H

#include "runtime/core/Model.h"
#include "runtime/core/Plan.h"
#include "runtime/core/Profiler.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct halide_buffer_t;
struct halide_dimension_t;

namespace axon {

/// A compiled kernel: `args` holds one halide_buffer_t* per kernel input,
/// then per output (Halide's <name>_argv entry point). Returns 0 on
/// success, a Halide error code otherwise.
using KernelEntry = int (*)(void **args);

class Executor : public Model {
public:
  /// `kernels[i]` runs plan.kernels[i]. Parameters start at their
  /// initialisers. The plan must outlive the executor. Before allocating
  /// anything, the memory the plan needs is checked against what this
  /// machine has available and `maxMemory` (bytes, 0: no limit), and every
  /// buffer against the 2^31 - 1 elements kernels address; when it does
  /// not fit, or an allocation fails, nothing stays allocated and
  /// allocationError() says why (every call returns it).
  Executor(const Plan &plan, std::vector<KernelEntry> kernels,
           int64_t maxMemory = 0);
  ~Executor();

  /// Runs the plan of function `name` whose input shapes match `args`.
  /// Errors: no such function, no plan for these shapes (the message lists
  /// the shapes there are plans for), wrong dtypes, a kernel failure.
  llvm::Expected<std::vector<Tensor>>
  call(const std::string &name, const std::vector<Tensor> &args) override;

  /// Whether there is a plan of `name` for arguments of these shapes.
  bool hasPlan(const std::string &name, const std::vector<Tensor> &args) const;

  /// Parameters, by index in plan.params.
  Tensor getParam(int index) const;
  std::vector<std::string> paramNames() const override;
  llvm::Expected<Tensor> getParam(const std::string &name) const override;
  llvm::Error setParam(const std::string &name, const Tensor &value) override;

  /// Per-kernel timing (off until enabled).
  Profiler &profiler() { return profiler_; }

  /// The thread controls of the Halide runtime the kernels call (a
  /// binary's own, or the JIT library's): halide_set_num_threads (returns
  /// the previous count) and halide_set_custom_do_par_for (returns the
  /// previous handler; the types are Halide's).
  using DoParFor = int (*)(void *, int (*)(void *, int, uint8_t *), int, int,
                           uint8_t *);
  struct ThreadControl {
    int (*setNumThreads)(int) = nullptr;
    DoParFor (*setDoParFor)(DoParFor) = nullptr;
  };
  /// With thread controls, a profiled call at more than one thread is
  /// re-run at one thread, kernel by kernel on the same data, for the
  /// profile's parallel-efficiency column: every function's profiled calls
  /// 2 to 1 + kReferenceCalls (the first warms caches and the thread pool
  /// up). One thread: every parallel loop's tasks run in order on the
  /// calling thread (a do_par_for of Halide's that never enters the
  /// thread pool; lowering the pool's thread count would not stop workers
  /// already awake from taking tasks). The parameters are saved before the
  /// re-run and restored after it, so the state a call leaves (a train
  /// step's update) is the profiled run's alone; the call's results are
  /// taken before it.
  void setThreadControl(ThreadControl control) { threadControl = control; }
  static constexpr int kReferenceCalls = 20;

  int64_t arenaBytes() const { return arenaBytes_; }

  /// Empty when the parameters, constants and arena were allocated; else
  /// the error (checkPlanMemory's, or an allocation that failed).
  const std::string &allocationError() const { return allocationError_; }

private:
  struct Bound; // A function plan with its halide_buffer_t descriptors.
  const Plan &plan;
  std::vector<KernelEntry> kernels;
  std::vector<std::vector<unsigned char>> params; ///< Typed bytes.
  std::vector<std::vector<unsigned char>> constants;
  unsigned char *arena = nullptr;
  int64_t arenaBytes_ = 0;
  std::string allocationError_;
  std::vector<std::unique_ptr<Bound>> bound;
  Profiler profiler_;
  ThreadControl threadControl;

  const FunctionPlan *find(const std::string &name,
                           const std::vector<Tensor> &args) const;
  Bound &bind(const FunctionPlan &fn);
  struct KernelTime {
    int kernel;     ///< Index in plan.kernels.
    double seconds;
  };
  /// Runs b's program: records each kernel call in the profiler when
  /// `profile`, and its duration in `times` (in program order) if given.
  llvm::Error run(Bound &b, const std::string &name, bool profile,
                  std::vector<KernelTime> *times);
  /// The 1-thread re-run of the call b just made (setThreadControl);
  /// `threaded`: the kernel times of that call.
  llvm::Error runOneThreadReference(Bound &b, const std::string &name,
                                    const std::vector<KernelTime> &threaded);
};

/// Halide's error handler for compiled kernels (halide_set_error_handler):
/// keeps the message for Executor::call to report, instead of the Halide
/// runtime's default, which prints it and aborts the process.
void recordKernelError(void *userContext, const char *message);

/// Typed bytes <-> Tensor (values as doubles).
std::vector<unsigned char> toBytes(const Tensor &t);
/// toBytes into `out`, reusing its storage.
void toBytes(const Tensor &t, std::vector<unsigned char> &out);
Tensor fromBytes(DType dtype, const std::vector<int64_t> &shape,
                 const unsigned char *data);

} // namespace axon

#endif // AXON_RUNTIME_CORE_EXECUTOR_H
