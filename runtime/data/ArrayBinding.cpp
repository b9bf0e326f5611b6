// Binding a data source's arrays to a loss's arguments (see ArrayBinding.h).
#include "runtime/data/ArrayBinding.h"

#include "llvm/Support/FormatVariadic.h"

using namespace axon;

namespace {

/// "i32[N, 64]": a per-sample shape with the batch dim in front, -1 as "?".
std::string typeText(DType dtype, llvm::ArrayRef<int64_t> perSample) {
  std::string s = std::string(dtypeName(dtype)) + "[N";
  for (int64_t d : perSample)
    s += ", " + (d < 0 ? std::string("?") : std::to_string(d));
  return s + "]";
}

/// "tokens: i32[N, 64], targets: i32[N, 64]".
std::string arrayList(llvm::ArrayRef<ArraySpec> arrays) {
  std::string s;
  for (const ArraySpec &a : arrays)
    s += (s.empty() ? "" : ", ") + a.name + ": " + typeText(a.dtype, a.shape);
  return s.empty() ? "none" : s;
}

} // namespace

llvm::Expected<ArrayBinding>
axon::bindArrays(llvm::ArrayRef<LossArgument> args,
                 llvm::ArrayRef<ArraySpec> arrays, bool byName,
                 llvm::StringRef loss, llvm::StringRef source) {
  std::string gives = llvm::formatv("{0} gives {1}", source, arrayList(arrays));
  ArrayBinding b;
  for (size_t i = 0; i < args.size(); ++i) {
    const LossArgument &arg = args[i];
    size_t index = arrays.size();
    if (byName) {
      for (size_t j = 0; j < arrays.size(); ++j)
        if (arrays[j].name == arg.name)
          index = j;
      if (index == arrays.size())
        return llvm::createStringError(llvm::formatv(
            "the loss '{0}' takes an argument '{1}' but its data has no "
            "array of that name (arrays bind to the loss's arguments by "
            "name): {2}",
            loss, arg.name, gives));
    } else {
      index = i;
      if (index >= arrays.size())
        return llvm::createStringError(llvm::formatv(
            "the loss '{0}' takes {1} arguments but its data gives {2} "
            "arrays, which bind in order ({3}): {4}",
            loss, args.size(), arrays.size(), "inputs, labels", gives));
    }
    const ArraySpec &a = arrays[index];
    bool fits = a.dtype == arg.dtype && a.shape.size() == arg.shape.size();
    for (size_t d = 0; fits && d < a.shape.size(); ++d)
      fits = arg.shape[d] < 0 || arg.shape[d] == a.shape[d];
    if (!fits)
      return llvm::createStringError(llvm::formatv(
          "the loss '{0}' takes {1}: {2} but its data's array '{3}' is {4}: "
          "{5}",
          loss, arg.name, typeText(arg.dtype, arg.shape), a.name,
          typeText(a.dtype, a.shape), gives));
    b.arrays.push_back(index);
    b.bound.push_back({arg.name, arg.dtype, a.shape});
  }
  return b;
}

BoundSource::BoundSource(std::unique_ptr<SampleSource> source,
                         ArrayBinding binding)
    : source_(std::move(source)), binding_(std::move(binding)) {
  inOrder_ = binding_.arrays.size() == source_->specs().size();
  for (size_t i = 0; inOrder_ && i < binding_.arrays.size(); ++i)
    inOrder_ = binding_.arrays[i] == i;
}

std::vector<ArraySpec> BoundSource::specs() const {
  std::vector<ArraySpec> specs;
  for (const LossArgument &a : binding_.bound)
    specs.push_back({a.name, a.dtype, a.shape});
  return specs;
}

NamedArrays BoundSource::gather(llvm::ArrayRef<int64_t> rows,
                                int64_t epoch) const {
  NamedArrays all = source_->gather(rows, epoch);
  NamedArrays out;
  // Each array fills one argument at most (names, positions are distinct).
  for (size_t i = 0; i < binding_.arrays.size(); ++i)
    out.arrays.push_back({binding_.bound[i].name,
                          std::move(all.arrays[binding_.arrays[i]].second)});
  return out;
}

void BoundSource::gatherInto(llvm::ArrayRef<int64_t> rows, int64_t epoch,
                             std::vector<Tensor> &out) const {
  // Idx, npy and csv data bind in order: the source's own, in place.
  if (inOrder_)
    return source_->gatherInto(rows, epoch, out);
  SampleSource::gatherInto(rows, epoch, out);
}
