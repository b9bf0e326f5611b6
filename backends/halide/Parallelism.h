// How a kernel's loops are shared among threads: one decision, from the
// work of the loop, for every schedule (Schedule.cpp for pointwise,
// reduction and window stages; Contraction.cpp for matmul and conv2d).
//
// Why it matters: every parallel loop of a Halide kernel goes through the
// runtime's thread pool, which takes a lock per task and wakes sleeping
// workers per loop. A loop of thousands of tiny tasks (a row of 12 floats
// each: cnn's pooling gradient) spends more in the pool than in the work,
// and with two threads the lock is contended: such kernels ran 2-4x
// slower with 2 threads than with 1. So a loop is shared only when its work
// covers the pool's cost, in tasks of at least kMinTaskNs each.
//
// Plain C++ (no Halide, no LLVM), so its tests need neither.
#ifndef AXON_BACKENDS_HALIDE_PARALLELISM_H
#define AXON_BACKENDS_HALIDE_PARALLELISM_H

#include <cstdint>
#include <vector>

namespace axon::halide {

/// Estimated one-core cost of a kernel's work, in nanoseconds: rough, only
/// to compare with the thread pool's cost (measured on cnn's kernels, AMD
/// EPYC with AVX-512: a sum over 590k elements 0.49 ns per element read,
/// pointwise kernels 0.2-0.6 ns per element written).
constexpr double kNsPerElement = 0.5;
/// The same for a kernel that reads nothing, only stores (a fill: zeros
/// for a loop's stacks or accumulators): memset speed, [32, 32, 128]
/// zeros in 11.7 us at one thread (0.09 ns per element). At kNsPerElement
/// such a fill was shared in 3 tasks and took 36 us at two threads.
constexpr double kNsPerElementStored = 0.1;
/// A contraction's multiply-add (2 flops) at ~100 GFLOP/s per core.
constexpr double kNsPerMultiplyAdd = 0.02;

/// Least work per parallel task. Waking a sleeping worker and joining it
/// takes some 5-20 us (a futex wake and a context switch, more on a busy
/// machine); tasks of this size keep that a small share.
constexpr double kMinTaskNs = 20000;
/// Least work per task of a matmul's tiles: 35 us. An LSTM step's gate
/// matmul ([32,192]x[192,512], 3.1M multiply-adds, ~50 us measured), run
/// once per time step, was slower at 2 threads than at 1 split in 2-3
/// tasks of 20 us (parallel efficiency 30-40%): it stays serial (63 us
/// estimated, below two tasks). cnn's dense layer ([64,512]x[512,120]),
/// its input gradient and its weight gradient with the momentum update
/// (3.9M multiply-adds each, 79 us estimated, 80-150 us measured at one
/// thread) ran serial at 40 us (2 x kMinTaskNs), below two tasks by 1%:
/// 250-300 us of cnn's step at 2 threads on one thread. Pointwise
/// kernels keep kMinTaskNs: at 40 us for them too, MLP's Adam update of
/// W1 (100k elements) ran serial and its step at 2 threads got 5-10%
/// slower.
constexpr double kMinMatmulTaskNs = 35000;

/// The most threads a parallel loop is split for: the code is compiled
/// once and runs at whatever thread count the runtime is given (--threads,
/// HL_NUM_THREADS), so the task count is not the thread count but enough
/// tasks (kTasksPerThread per thread, work allowing) to balance up to
/// this many.
constexpr int kPlannedThreads = 16;
constexpr int kTasksPerThread = 4;

/// A parallel loop over the fusion of a loop nest's outermost dims, split
/// into tasks.
struct ParallelLoop {
  int fusedDims = 0;      ///< Outermost dims fused into the parallel loop.
  int64_t iterations = 0; ///< Extent of the fused loop.
  int64_t perTask = 0;    ///< Fused iterations per task (a split factor).
  int64_t tasks = 0;      ///< ceil(iterations / perTask); 0: serial.

  bool parallel() const { return tasks >= 2; }
};

/// Decides the parallel loop of a nest whose shareable dims (pure dims: no
/// two iterations write the same element) have `extents`, outermost first,
/// and whose whole work is `ns` (estimated, as above) at one thread:
///  - serial when the work is below two tasks' worth (2 x kMinTaskNs), or
///    `threads` < 2, or there is only one iteration to share;
///  - else at most min(work / kMinTaskNs, kTasksPerThread x threads)
///    tasks, over the fewest outermost dims whose fused extent reaches that
///    many (outermost: each task writes one contiguous block), with
///    iterations dealt out evenly, ceil(iterations / tasks) per task; of
///    the counts from that most down to half of it, the one whose tasks two
///    threads finish together (3 tasks leave one of two threads idle a
///    third of the time: 64 images in 8 tasks, not 13 of 5).
/// The result depends on the shape and work only, never on the thread
/// count the code later runs at, and parallel loops over pure dims never
/// change what an element sums: results are the same at any thread count.
/// `minTaskNs`: the least work per task (kMinTaskNs; kMinMatmulTaskNs for
/// a matmul's tiles).
ParallelLoop planParallelLoop(const std::vector<int64_t> &extents, double ns,
                              int threads = kPlannedThreads,
                              double minTaskNs = kMinTaskNs);

/// Whether work of `ns` is worth a thread-pool dispatch at all (the same
/// threshold as planParallelLoop): for loops whose tasks are fixed
/// otherwise (a contraction's tiles).
bool worthSharing(double ns, double minTaskNs = kMinTaskNs);

} // namespace axon::halide

#endif // AXON_BACKENDS_HALIDE_PARALLELISM_H
