// Replacing a file so that readers, and a crash at any moment, see either
// the old contents or the new, never a mix: write a temporary file next to
// it, sync it, rename it over the target. And the file checks the readers
// share: only regular files are read.
#ifndef AXON_RUNTIME_IO_ATOMICFILE_H
#define AXON_RUNTIME_IO_ATOMICFILE_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace axon {

/// Calls `write` on a stream to a temporary file in `path`'s directory, then
/// makes it `path`. On any error the temporary file is removed and `path`
/// is untouched; the error starts with `path` and says `what` was being
/// written ("checkpoint", "plot").
///
/// The temporary file is `path.tmp-PID-XXXXXX` (PID: the writing process),
/// locked (flock) while it is written. A process killed mid-write leaves it
/// behind; the next write to `path` removes it first (see
/// removeStaleTemporaries).
llvm::Error writeAtomically(llvm::StringRef path, llvm::StringRef what,
                            llvm::function_ref<void(llvm::raw_fd_ostream &)> write);

/// Removes the temporary files of `path` that writers killed mid-write left
/// behind: `path.tmp-PID-XXXXXX` whose process PID is not running and that
/// no process holds locked, and `path.tmp-XXXXXX` (the names of earlier
/// versions, without a PID) that are unlocked and were last written more
/// than an hour ago. A running writer's file, and every other path's, are
/// kept. Returns the paths removed.
std::vector<std::string> removeStaleTemporaries(llvm::StringRef path);

/// The size of `path` when it is a regular file (symbolic links followed);
/// otherwise an error that starts with `path`: it cannot be opened, or it is
/// a directory, a device (/dev/zero), a named pipe or a socket, which the
/// readers refuse rather than read without end.
llvm::Expected<uint64_t> regularFileSize(llvm::StringRef path);

} // namespace axon

#endif // AXON_RUNTIME_IO_ATOMICFILE_H
