// A thread pool for the parallel loops of Halide kernels (installed with
// halide_set_custom_do_par_for) whose workers wait for the next loop by
// spinning a while before they sleep.
//
// Why: Halide's own pool puts its workers to sleep on a condition variable
// as soon as a loop's tasks run out, so every parallel kernel starts with a
// futex wake of each worker and, where the caller finishes its share
// first, ends with a wake of the caller: on the shared 2-core VM 5 us at
// the median and 65 us at the 99th percentile per wake, against 0.3 / 14
// us for a spinning thread (a condition variable against an atomic
// ping-pong, 2000 rounds). cnn's train step runs ~20 parallel kernels a
// step, some between serial ones, so a worker spinning through the short
// serial stretches joins each loop at once. Past kSpin without work it
// sleeps, so an idle process (a training loop reading data, the end of a
// bench) costs no CPU.
//
// The tasks of a loop are independent (Halide's parallel loops are over
// pure dims), so which thread runs which task never changes a result.
#ifndef AXON_RUNTIME_CORE_SPINNINGPOOL_H
#define AXON_RUNTIME_CORE_SPINNINGPOOL_H

#include <cstdint>

namespace axon {

/// Halide's task and do_par_for signatures (HalideRuntime.h's
/// halide_task_t and halide_do_par_for_t).
using ParForTask = int (*)(void *userContext, int index, uint8_t *closure);

/// Runs tasks min .. min + size - 1 of a parallel loop on the calling
/// thread and the pool's workers and returns when all are done: 0, or the
/// first non-zero result a task returned (the others still run, as in
/// Halide's pool). A loop started from inside a task (nested), or while
/// another thread's loop runs, runs on the calling thread alone.
int spinningDoParFor(void *userContext, ParForTask task, int min, int size,
                     uint8_t *closure);

/// Sets how many threads, the caller included, spinningDoParFor shares a
/// loop among (at least 1): starts or stops workers. Not while a loop runs.
void setSpinningPoolThreads(int threads);

/// The thread count a kernel thread option means: `requested` where
/// positive, else HL_NUM_THREADS where set to a positive number (as
/// Halide's pool reads it), else one per core.
int kernelThreadCount(int requested);

} // namespace axon

#endif // AXON_RUNTIME_CORE_SPINNINGPOOL_H
