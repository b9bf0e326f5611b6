#include "backends/halide/Parallelism.h"

#include <algorithm>

namespace axon::halide {

bool worthSharing(double ns, double minTaskNs) {
  return ns >= 2 * minTaskNs;
}

ParallelLoop planParallelLoop(const std::vector<int64_t> &extents, double ns,
                              int threads, double minTaskNs) {
  ParallelLoop loop;
  if (threads < 2 || !worthSharing(ns, minTaskNs) || extents.empty())
    return loop;
  const int64_t wanted = std::min<int64_t>(
      int64_t(ns / minTaskNs), int64_t(kTasksPerThread) * threads);
  int64_t fused = 1;
  int dims = 0;
  while (dims < int(extents.size()) && fused < wanted)
    fused *= std::max<int64_t>(extents[dims++], 1);
  const int64_t most = std::min(wanted, fused);
  if (most < 2)
    return loop;
  // The task count, from most down to half of it, whose tasks two threads
  // finish together (the pool deals tasks to threads as they free up:
  // 3 equal tasks keep one thread idle a third of the time, 8 do not);
  // the most tasks where that gains less than 1%.
  auto twoThreadEfficiency = [&](int64_t perTask) {
    const int64_t tasks = (fused + perTask - 1) / perTask;
    return double(fused) / double(2 * ((tasks + 1) / 2) * perTask);
  };
  int64_t perTask = (fused + most - 1) / most;
  for (int64_t t = most - 1; t >= std::max<int64_t>(2, (most + 1) / 2); --t) {
    const int64_t candidate = (fused + t - 1) / t;
    if (twoThreadEfficiency(candidate) > twoThreadEfficiency(perTask) + 0.01)
      perTask = candidate;
  }
  loop.fusedDims = dims;
  loop.iterations = fused;
  loop.perTask = perTask;
  loop.tasks = (fused + loop.perTask - 1) / loop.perTask;
  if (loop.tasks < 2)
    return ParallelLoop();
  return loop;
}

} // namespace axon::halide
