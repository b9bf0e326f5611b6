// A function's arguments read from .npy files and its results printed or
// written as .npy: the I/O of `axonc run` and of a built binary's `infer`.
#ifndef AXON_RUNTIME_IO_FUNCTIONIO_H
#define AXON_RUNTIME_IO_FUNCTIONIO_H

#include "runtime/core/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace axon {

/// `name=path` flags (`--input`, `--param`) by name. Errors: "--input
/// expects name=path.npy, got 'x'" for one without a name, a path or '='.
llvm::Expected<std::map<std::string, std::string>>
parseAssignments(llvm::ArrayRef<std::string> flags, llvm::StringRef flag);

/// An argument of a function: its name and, when known (`dtype` set), the
/// element type and extents it takes (-1: any extent).
struct ArgumentSpec {
  std::string name;
  std::optional<DType> dtype;
  std::vector<int64_t> dims;
};

/// Reads each argument of `fn` from its file in `files` (argument name ->
/// .npy path), in `args`' order. Errors: an argument without a file
/// ("missing --input x=... for function 'f'"), a file that does not fit its
/// argument (named by file and argument, with both types), a file for no
/// argument.
llvm::Expected<std::vector<Tensor>>
readArguments(llvm::StringRef fn, llvm::ArrayRef<ArgumentSpec> args,
              const std::map<std::string, std::string> &files);

/// Where result `index` of `count` goes for `-o output`: `output` itself
/// for a single result, else `output` with `.<index>` before its `.npy`
/// (out.npy -> out.0.npy, out.1.npy).
std::string resultPath(llvm::StringRef output, size_t index, size_t count);

/// Prints `t`: its type, then its values, a row per line; integers without
/// decimals.
void printTensor(const Tensor &t, llvm::raw_ostream &os);

/// `output` "-": prints each result on `os`; else writes them as .npy at
/// resultPath.
llvm::Error writeResults(llvm::ArrayRef<Tensor> results,
                         llvm::StringRef output, llvm::raw_ostream &os);

} // namespace axon

#endif // AXON_RUNTIME_IO_FUNCTIONIO_H
