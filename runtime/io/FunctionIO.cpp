#include "runtime/io/FunctionIO.h"

#include "runtime/io/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"

using namespace axon;

llvm::Expected<std::map<std::string, std::string>>
axon::parseAssignments(llvm::ArrayRef<std::string> flags,
                       llvm::StringRef flag) {
  std::map<std::string, std::string> byName;
  for (const std::string &s : flags) {
    auto [name, path] = llvm::StringRef(s).split('=');
    if (name.empty() || path.empty() || !llvm::StringRef(s).contains('='))
      return llvm::createStringError("--" + flag +
                                     " expects name=path.npy, got '" + s +
                                     "'");
    byName[name.str()] = path.str();
  }
  return byName;
}

namespace {

/// "f32[?, 4]".
std::string typeOf(const ArgumentSpec &arg) {
  std::string s = arg.dtype ? dtypeName(*arg.dtype) : "?";
  s += "[";
  for (size_t d = 0; d < arg.dims.size(); ++d)
    s += (d ? ", " : "") +
         (arg.dims[d] < 0 ? std::string("?") : std::to_string(arg.dims[d]));
  return s + "]";
}

/// Why `value` cannot be `arg` (empty: it can, or `arg` is not known).
std::string mismatch(const ArgumentSpec &arg, const Tensor &value) {
  if (!arg.dtype)
    return "";
  if (*arg.dtype != value.dtype)
    return "element type differs";
  if (int64_t(arg.dims.size()) != value.rank())
    return "rank differs";
  for (size_t d = 0; d < arg.dims.size(); ++d)
    if (arg.dims[d] >= 0 && arg.dims[d] != value.shape[d])
      return "dim " + std::to_string(d) + " is " +
             std::to_string(value.shape[d]) + ", not " +
             std::to_string(arg.dims[d]);
  return "";
}

} // namespace

llvm::Expected<std::vector<Tensor>>
axon::readArguments(llvm::StringRef fn, llvm::ArrayRef<ArgumentSpec> args,
                    const std::map<std::string, std::string> &files) {
  std::vector<Tensor> values;
  for (size_t i = 0; i < args.size(); ++i) {
    const ArgumentSpec &arg = args[i];
    auto it = files.find(arg.name);
    if (it == files.end())
      return llvm::createStringError("missing --input " + arg.name +
                                     "=... for function '" + fn + "'");
    auto value = readNpy(it->second);
    if (!value)
      return value.takeError();
    std::string why = mismatch(arg, *value);
    if (!why.empty())
      return llvm::createStringError(
          it->second + ": argument '" + arg.name + "' (#" + std::to_string(i) +
          ") of '" + fn + "' takes " + typeOf(arg) + ", but the file holds " +
          value->typeString() + " (" + why + ")");
    values.push_back(std::move(*value));
  }
  for (const auto &[name, path] : files)
    if (llvm::none_of(args, [&](const ArgumentSpec &a) { return a.name == name; }))
      return llvm::createStringError("function '" + fn +
                                     "' has no argument '" + name + "'");
  return values;
}

std::string axon::resultPath(llvm::StringRef output, size_t index,
                             size_t count) {
  if (count == 1)
    return output.str();
  return (output.rsplit(".npy").first + "." + std::to_string(index) + ".npy")
      .str();
}

void axon::printTensor(const Tensor &t, llvm::raw_ostream &os) {
  os << t.typeString() << "\n";
  int64_t cols = t.rank() == 0 ? 1 : t.shape.back();
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = t.data[i];
    if (isFloat(t.dtype))
      os << llvm::format("%.6g", v);
    else
      os << static_cast<int64_t>(v);
    os << ((i + 1) % cols == 0 ? "\n" : " ");
  }
}

llvm::Error axon::writeResults(llvm::ArrayRef<Tensor> results,
                               llvm::StringRef output, llvm::raw_ostream &os) {
  for (size_t i = 0; i < results.size(); ++i) {
    if (output == "-") {
      printTensor(results[i], os);
      continue;
    }
    if (llvm::Error e = writeNpy(resultPath(output, i, results.size()),
                                 results[i]))
      return e;
  }
  return llvm::Error::success();
}
