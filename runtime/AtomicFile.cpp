// Atomic file replacement (see AtomicFile.h).
#include "runtime/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

using namespace axon;

llvm::Error
axon::writeAtomically(llvm::StringRef path, llvm::StringRef what,
                      llvm::function_ref<void(llvm::raw_fd_ostream &)> write) {
  // Same directory as the target, so that rename() is atomic.
  llvm::SmallString<256> tmp;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, tmp))
    return llvm::createStringError(path + ": cannot create a temporary file "
                                          "for the " + what + ": " +
                                   ec.message());
  auto fail = [&](const std::string &why) {
    llvm::sys::fs::remove(tmp);
    return llvm::createStringError(path + ": cannot write the " + what + ": " +
                                   why);
  };
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    write(os);
    os.flush();
    // The data must be on disk before the rename makes it the file.
    std::error_code synced;
    if (!os.has_error() && ::fsync(fd) != 0)
      synced = std::error_code(errno, std::generic_category());
    os.close();
    if (os.has_error()) {
      std::string why = os.error().message();
      os.clear_error();
      return fail(why);
    }
    if (synced)
      return fail(synced.message());
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path))
    return fail(ec.message());
  // And the rename itself: sync the directory entry.
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  int dirFd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return llvm::Error::success();
}
