// How Axon's programs end on a command-line error, axonc and the binaries
// `axonc build` makes alike: "<tool>: error: <msg>" on stderr (in colour on
// a terminal) and exit code 1. Header-only: the binaries link no tool
// library.
#ifndef AXON_TOOLS_TOOLERROR_H
#define AXON_TOOLS_TOOLERROR_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/WithColor.h"

namespace axon {

/// Prints `msg` as an error of `tool` (just "error: <msg>" when `tool` is
/// empty) and returns the exit code 1.
inline int failAs(llvm::StringRef tool, const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), tool) << msg << "\n";
  return 1;
}

} // namespace axon

#endif // AXON_TOOLS_TOOLERROR_H
