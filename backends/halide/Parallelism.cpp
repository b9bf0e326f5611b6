#include "backends/halide/Parallelism.h"

#include <algorithm>

namespace axon::halide {

bool worthSharing(double ns) { return ns >= 2 * kMinTaskNs; }

ParallelLoop planParallelLoop(const std::vector<int64_t> &extents, double ns,
                              int threads) {
  ParallelLoop loop;
  if (threads < 2 || !worthSharing(ns) || extents.empty())
    return loop;
  const int64_t wanted = std::min<int64_t>(
      int64_t(ns / kMinTaskNs), int64_t(kTasksPerThread) * threads);
  int64_t fused = 1;
  int dims = 0;
  while (dims < int(extents.size()) && fused < wanted)
    fused *= std::max<int64_t>(extents[dims++], 1);
  const int64_t tasks = std::min(wanted, fused);
  if (tasks < 2)
    return loop;
  loop.fusedDims = dims;
  loop.iterations = fused;
  loop.perTask = (fused + tasks - 1) / tasks;
  loop.tasks = (fused + loop.perTask - 1) / loop.perTask;
  if (loop.tasks < 2)
    return ParallelLoop();
  return loop;
}

} // namespace axon::halide
