// Replacing a file so that readers, and a crash at any moment, see either
// the old contents or the new, never a mix: write a temporary file next to
// it, sync it, rename it over the target.
#ifndef AXON_RUNTIME_ATOMICFILE_H
#define AXON_RUNTIME_ATOMICFILE_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace axon {

/// Calls `write` on a stream to a temporary file in `path`'s directory, then
/// makes it `path`. On any error the temporary file is removed and `path`
/// is untouched; the error starts with `path` and says `what` was being
/// written ("checkpoint", "plot").
llvm::Error writeAtomically(llvm::StringRef path, llvm::StringRef what,
                            llvm::function_ref<void(llvm::raw_fd_ostream &)> write);

} // namespace axon

#endif // AXON_RUNTIME_ATOMICFILE_H
