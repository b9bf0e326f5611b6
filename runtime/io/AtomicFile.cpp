// Atomic file replacement and the readers' file checks (see AtomicFile.h).
#include "runtime/io/AtomicFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Chrono.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace axon;
namespace fs = llvm::sys::fs;

namespace {

/// Whether process `pid` exists (EPERM: it does, owned by someone else).
bool processRuns(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

/// Whether some process holds `file` locked (a writer still writing it).
/// Runs `then` while holding the lock when nobody else does.
bool lockedElsewhere(const std::string &file,
                     llvm::function_ref<void()> then) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return true; // gone already, or not ours to judge
  bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  if (!locked)
    then();
  ::close(fd);
  return locked;
}

/// Whether `suffix` is the "%%%%%%" part of a temporary file's name.
bool isUniqueSuffix(llvm::StringRef suffix) {
  return suffix.size() == 6 && llvm::all_of(suffix, llvm::isAlnum);
}

} // namespace

std::vector<std::string> axon::removeStaleTemporaries(llvm::StringRef path) {
  std::vector<std::string> removed;
  llvm::SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  std::string prefix = (llvm::sys::path::filename(path) + ".tmp-").str();
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.consume_front(prefix))
      continue;
    // "PID-XXXXXX", or "XXXXXX" from before the PID was in the name.
    auto [pidText, suffix] = name.split('-');
    long pid = 0;
    bool withPid = !suffix.empty() && isUniqueSuffix(suffix) &&
                   !pidText.getAsInteger(10, pid) && pid > 0;
    if (withPid) {
      if (processRuns(pid))
        continue;
    } else {
      if (!isUniqueSuffix(name))
        continue; // some other file
      fs::file_status st;
      if (fs::status(it->path(), st, /*follow=*/false) ||
          std::chrono::system_clock::now() - st.getLastModificationTime() <
              std::chrono::hours(1))
        continue;
    }
    fs::file_status st;
    if (fs::status(it->path(), st, /*follow=*/false) ||
        st.type() != fs::file_type::regular_file)
      continue;
    std::string file = it->path();
    lockedElsewhere(file, [&] {
      if (!fs::remove(file, /*IgnoreNonExisting=*/false))
        removed.push_back(file);
    });
  }
  return removed;
}

llvm::Expected<uint64_t> axon::regularFileSize(llvm::StringRef path) {
  fs::file_status st;
  if (std::error_code ec = fs::status(path, st))
    return llvm::createStringError(path + ": cannot open: " + ec.message());
  const char *kind = nullptr;
  switch (st.type()) {
  case fs::file_type::regular_file:
    return st.getSize();
  case fs::file_type::directory_file:
    kind = "a directory";
    break;
  case fs::file_type::block_file:
  case fs::file_type::character_file:
    kind = "a device";
    break;
  case fs::file_type::fifo_file:
    kind = "a named pipe";
    break;
  case fs::file_type::socket_file:
    kind = "a socket";
    break;
  default:
    kind = "not a file";
    break;
  }
  return llvm::createStringError(path + ": not a regular file (" + kind +
                                 "); only regular files are read");
}

llvm::Error
axon::writeAtomically(llvm::StringRef path, llvm::StringRef what,
                      llvm::function_ref<void(llvm::raw_fd_ostream &)> write) {
  // What writers killed mid-write left behind, before adding one more.
  removeStaleTemporaries(path);
  // Same directory as the target, so that rename() is atomic. The PID in
  // the name and the lock tell a later writer whether this one still runs.
  llvm::SmallString<256> tmp;
  int fd;
  if (std::error_code ec = fs::createUniqueFile(
          path + ".tmp-" + llvm::Twine(static_cast<long>(::getpid())) +
              "-%%%%%%",
          fd, tmp))
    return llvm::createStringError(path + ": cannot create a temporary file "
                                          "for the " + what + ": " +
                                   ec.message());
  // A second descriptor holds the lock until the rename, after the stream
  // has closed its own.
  int lockFd = ::dup(fd);
  if (lockFd >= 0)
    ::flock(lockFd, LOCK_EX | LOCK_NB);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0)
        ::close(fd);
    }
  } unlock{lockFd};
  auto fail = [&](const std::string &why) {
    fs::remove(tmp);
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
  if (std::error_code ec = fs::rename(tmp, path))
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
