// An execution plan: what the compiled runtime runs for each function of a
// model. Built from the fused, memory-planned IR (backends/halide/
// PlanBuilder), printed by `axonc --emit=plan`, executed by runtime/
// Executor, and embedded in binaries built by `axonc build` (PlanJson).
//
// A function is an ordered list of steps over buffers. Each buffer lives in
// one place: the function's arena (an offset the memory planner chose), a
// parameter (persistent, updated in place or by a copy at return), an input
// argument, or a constant of the plan. Shapes are static: the driver
// specialises a function to its argument shapes before planning.
#ifndef AXON_RUNTIME_CORE_PLAN_H
#define AXON_RUNTIME_CORE_PLAN_H

#include "runtime/core/Tensor.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace axon {

/// Bytes of one element of `dtype` in a compiled buffer (i1 is one byte).
int64_t dtypeBytes(DType dtype);

struct PlanBuffer {
  enum class Kind { Arena, Param, Input, Constant };
  Kind kind = Kind::Arena;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t offset = 0; ///< Arena: byte offset.
  int index = 0;      ///< Param, Input, Constant: index into their lists.

  int64_t bytes() const { return Tensor::numElements(shape) * dtypeBytes(dtype); }
};

/// A step: a kernel call, a copy between buffers, or a loop.
///
/// A loop runs its body for t = lower, ..., upper - 1, writing t into its
/// step buffer (a rank-0 i64 the body's kernels read) before each pass. Its
/// carried values live in arena buffers: Copy steps before the loop fill
/// them with the initial values, Copy steps at the end of the body with the
/// next step's (through staging buffers where one carried value becomes
/// another), and the loop's results are those buffers. The body is compiled
/// once, whatever the trip count, and a pass over it allocates nothing.
struct PlanStep {
  enum class Kind { Kernel, Copy, Loop };
  Kind kind = Kind::Kernel;
  int kernel = 0; ///< Kernel: index into Plan::kernels.
  /// Kernel: its input buffers then its output buffers. Copy: {src, dst}.
  /// Loop: {step buffer}.
  std::vector<int> buffers;
  int64_t lower = 0, upper = 0; ///< Loop: the steps t, lower <= t < upper.
  std::vector<PlanStep> body;   ///< Loop: run once per step.
};

/// Calls `f` on every step of `steps`, loop bodies included (a loop before
/// its body).
void forEachStep(std::vector<PlanStep> &steps,
                 const std::function<void(PlanStep &)> &f);
void forEachStep(const std::vector<PlanStep> &steps,
                 const std::function<void(const PlanStep &)> &f);

struct FunctionPlan {
  std::string name; ///< The model function this specialises, e.g. "loss".
  std::vector<std::string> argNames;
  std::vector<int> inputs;  ///< Buffer per argument.
  std::vector<int> outputs; ///< Buffer per result.
  std::vector<PlanBuffer> buffers;
  std::vector<PlanStep> steps;
  int64_t arenaBytes = 0;
  int64_t bufferBytes = 0; ///< Sum of arena buffers' sizes (before reuse).
};

/// A parameter and how it starts (runtime/core/Initializers.h).
struct PlanParam {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::string init; ///< Initialiser kind.
  double a = 0, b = 0;
  uint64_t seed = 0;
  bool optimizerState = false;
};

/// Starts a check's own text in the message a compiled kernel fails with
/// (the Halide lowering's kernelCheck writes it, Executor::call reports
/// what follows it as the function's error).
inline constexpr char kKernelCheckMarker[] = "@axon: ";

struct PlanKernel {
  std::string name;
  int numInputs = 0, numOutputs = 0;
  /// The model-file position of its main op ("model.axon:4:12"), named
  /// when the kernel fails at run time.
  std::string location;
};

struct Plan {
  /// The Halide target string the kernels were compiled for: a built
  /// binary checks at start-up that the CPU has what it needs.
  std::string target;
  std::vector<PlanParam> params;
  std::vector<PlanKernel> kernels;
  std::vector<Tensor> constants;
  std::vector<FunctionPlan> functions;

  const FunctionPlan *function(const std::string &name) const;
  int paramIndex(const std::string &name) const;
};

/// Memory checks before anything is allocated (sizes in bytes; every size
/// saturates at INT64_MAX instead of overflowing).
///
/// What this process can still allocate: MemAvailable (/proc/meminfo, else
/// free physical pages), less where a cgroup memory.max is lower.
int64_t availableMemoryBytes();
/// "37.3 GiB", "512 MiB", "12 bytes".
std::string formatBytes(int64_t bytes);
/// Parses a size: a number with an optional suffix K, M, G, T (powers of
/// 1024, with an optional i/B: 2G, 2GiB, 512M, 1.5G) or none (bytes).
/// Returns false with `error` set on anything else, zero or negative.
bool parseByteSize(const std::string &text, int64_t &bytes, std::string &error);
/// Bytes of `count` elements of `bytes` each, saturating.
int64_t saturatingBytes(const std::vector<int64_t> &shape, int64_t elementBytes);

/// One allocation a run needs: "parameter W (f32[4, 4])" and its size;
/// `where` (a model position, "model.axon:1:7") prefixes the error when it
/// is the largest.
struct MemoryItem {
  std::string what;
  int64_t bytes = 0;
  std::string where;
};

/// The items' sum, saturating.
int64_t totalBytes(const std::vector<MemoryItem> &items);

/// Empty when the items fit in `limit` (0: no limit, the --max-memory
/// option) and in `available` bytes (-1: availableMemoryBytes()); else the
/// error, naming the largest item: "parameter W (f32[100000, 100000]) needs
/// 37.3 GiB; <whole> need(s) 37.4 GiB, this machine has 22.1 GiB
/// available".
std::string checkMemory(const std::vector<MemoryItem> &items,
                        const std::string &whole, int64_t limit,
                        int64_t available = -1);

/// What a plan allocates: parameters and optimizer state, constants and the
/// arena (the largest function's).
std::vector<MemoryItem> planMemory(const Plan &plan);
/// checkMemory of planMemory(plan), as "the plan".
std::string checkPlanMemory(const Plan &plan, int64_t limit,
                            int64_t available = -1);

/// Empty when every buffer of the plan has at most 2^31 - 1 elements (what
/// compiled kernels address: Halide's extents and strides are 32-bit);
/// else the error, naming the first buffer over it.
std::string checkPlanExtents(const Plan &plan);

} // namespace axon

#endif // AXON_RUNTIME_CORE_PLAN_H
