#include "runtime/core/ExecutorModel.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace axon;

namespace {

/// The rows [begin, begin + n) of `t` along dim 0.
Tensor rows(const Tensor &t, int64_t begin, int64_t n) {
  int64_t row = t.shape[0] ? t.numElements() / t.shape[0] : 0;
  Tensor out = t;
  out.shape[0] = n;
  out.data.assign(t.data.begin() + begin * row,
                  t.data.begin() + (begin + n) * row);
  return out;
}

} // namespace

ExecutorModel::ExecutorModel(Executor &executor, const Plan &plan,
                             ScalarResults scalars)
    : executor(executor), plan(plan), scalars(scalars) {}

std::vector<int64_t> ExecutorModel::compiledRows(const std::string &fn) const {
  std::vector<int64_t> counts;
  for (const FunctionPlan &f : plan.functions) {
    if (f.name != fn || f.inputs.empty())
      continue;
    const std::vector<int64_t> &shape = f.buffers[f.inputs[0]].shape;
    if (!shape.empty() && !llvm::is_contained(counts, shape[0]))
      counts.push_back(shape[0]);
  }
  llvm::sort(counts, std::greater<int64_t>());
  return counts;
}

llvm::Expected<std::vector<Tensor>>
ExecutorModel::call(const std::string &fn, const std::vector<Tensor> &args) {
  // Compiled at these shapes (every train step and evaluation batch: no
  // plan scan on that path), or not at all (the executor says so).
  if (executor.hasPlan(fn, args))
    return executor.call(fn, args);
  std::vector<int64_t> counts = compiledRows(fn);
  if (counts.empty() || args.empty() || args[0].rank() == 0)
    return executor.call(fn, args);
  int64_t n = args[0].shape[0];
  std::string compiled;
  for (int64_t c : counts)
    compiled += (compiled.empty() ? "" : ", ") + std::to_string(c);
  std::vector<Tensor> joined;
  for (int64_t at = 0; at < n;) {
    auto fits = llvm::find_if(counts, [&](int64_t c) { return c <= n - at; });
    if (fits == counts.end())
      return llvm::createStringError(
          "'" + fn + "' was compiled for " + compiled + " rows, which do not " +
          "make up " + std::to_string(n));
    int64_t take = *fits;
    std::vector<Tensor> piece;
    for (const Tensor &a : args)
      piece.push_back(a.rank() > 0 && a.shape[0] == n ? rows(a, at, take) : a);
    auto out = executor.call(fn, piece);
    if (!out)
      return out.takeError();
    for (size_t i = 0; i < out->size(); ++i) {
      Tensor &o = (*out)[i];
      bool scalar = o.rank() == 0 && scalars == ScalarResults::BatchMean;
      if (!scalar && (o.rank() == 0 || o.shape[0] != take))
        return llvm::createStringError(
            "'" + fn + "' does not map rows to rows; call it with " +
            compiled + " rows");
      if (scalar)
        o.data[0] *= double(take); // a sum of rows until the end
      if (joined.size() <= i) {
        joined.push_back(std::move(o));
        continue;
      }
      if (scalar) {
        joined[i].data[0] += o.data[0];
        continue;
      }
      joined[i].shape[0] += take;
      joined[i].data.insert(joined[i].data.end(), o.data.begin(), o.data.end());
    }
    at += take;
  }
  for (Tensor &t : joined)
    if (t.rank() == 0)
      t.data[0] = roundTo(t.dtype, t.data[0] / double(n));
  return joined;
}

std::vector<std::string> ExecutorModel::paramNames() const {
  return executor.paramNames();
}

llvm::Expected<Tensor> ExecutorModel::getParam(const std::string &name) const {
  return executor.getParam(name);
}

llvm::Error ExecutorModel::setParam(const std::string &name,
                                    const Tensor &value) {
  return executor.setParam(name, value);
}
