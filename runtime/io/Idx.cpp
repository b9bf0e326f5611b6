// Reader of IDX files (see Idx.h).
//
// Layout: two zero bytes, the element type (0x08 unsigned byte, 0x09 signed
// byte, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64), the rank, one big-endian
// u32 per dimension, then the elements in row-major order and nothing else.
//
// zlib's gzread reads gzip and plain files alike (gzdirect() says which it
// saw), so one reader serves both. The traps: a gzip stream cut short is not
// a read error for gzread (it returns what it could inflate and records
// Z_BUF_ERROR, which must be checked after the loop), and the dimensions are
// not trusted for allocation: the payload grows as bytes arrive. Before any
// of it is read the dimensions are checked against the file's size (exact
// for a raw file, deflate's 1032:1 bound for gzip) and the machine's
// memory, and reading stops at the promised size plus one byte, so a gzip
// bomb is refused early or read no further than its header says.
#include "runtime/io/Idx.h"

#include "runtime/io/AtomicFile.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>
#include <unistd.h>

using namespace axon;

namespace {

llvm::Error fail(llvm::StringRef path, const llvm::Twine &why) {
  return llvm::createStringError(path + ": " + why);
}

const char *elementTypeName(unsigned code) {
  switch (code) {
  case 0x09:
    return "signed byte";
  case 0x0B:
    return "i16";
  case 0x0C:
    return "i32";
  case 0x0D:
    return "f32";
  case 0x0E:
    return "f64";
  default:
    return "unknown";
  }
}

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

/// A gzip or plain file read through zlib, with errors that name the file.
class GzReader {
public:
  GzReader(llvm::StringRef path, gzFile file) : path(path), file(file) {}

  /// Reads up to `n` bytes into `out`; sets `got` to the count (short only at
  /// the end of the data).
  llvm::Error read(unsigned char *out, size_t n, size_t &got) {
    got = 0;
    while (got < n) {
      unsigned ask = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 20));
      int r = gzread(file.get(), out + got, ask);
      if (r < 0)
        return corrupt();
      if (r == 0)
        break;
      got += static_cast<size_t>(r);
    }
    if (got < n) {
      // End of the data: a gzip stream that ended early leaves Z_BUF_ERROR.
      int code = Z_OK;
      gzerror(file.get(), &code);
      if (code != Z_OK)
        return corrupt();
    }
    return llvm::Error::success();
  }

  /// Whether the file was read as-is (not gzip). Valid after the first read.
  bool isRaw() { return gzdirect(file.get()) != 0; }

private:
  llvm::Error corrupt() {
    int code = Z_OK;
    const char *msg = gzerror(file.get(), &code);
    if (code == Z_ERRNO)
      return fail(path, llvm::Twine("read error: ") + std::strerror(errno));
    if (code == Z_BUF_ERROR)
      return fail(path, "truncated gzip stream (" + llvm::Twine(msg) + ")");
    return fail(path, "corrupt gzip stream (" + llvm::Twine(msg) + ")");
  }

  llvm::StringRef path;
  std::unique_ptr<gzFile_s, GzCloser> file;
};

/// The gzip format's bound: deflate expands at most 1032:1 (a 258-byte
/// match in 2 bits), so a file of n bytes inflates to at most this.
uint64_t maxInflated(uint64_t n) {
  return n > (UINT64_MAX - 1024) / 1032 ? UINT64_MAX : 1032 * n + 1024;
}

/// The machine's memory in bytes (0 when unknown).
uint64_t physicalMemory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

std::string dimsText(const std::vector<int64_t> &shape) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i)
    dims += (i ? " x " : "") + std::to_string(shape[i]);
  return dims;
}

/// An IDX file opened, its header read and checked against the file's
/// size, positioned at the first element.
struct OpenIdx {
  GzReader in;
  IdxHeader header;
  int64_t count = 0;     ///< Elements the dimensions promise.
  uint64_t fileSize = 0; ///< Bytes on disk.
};

llvm::Expected<OpenIdx> openIdx(llvm::StringRef path) {
  // Devices (/dev/zero) and pipes would be read without end.
  auto fileSize = regularFileSize(path);
  if (!fileSize)
    return fileSize.takeError();
  errno = 0;
  gzFile raw = gzopen(path.str().c_str(), "rb");
  if (!raw)
    return fail(path, llvm::Twine("cannot open: ") +
                          (errno ? std::strerror(errno) : "out of memory"));
  // zlib's default 8 KiB input buffer costs a read() per 8 KiB.
  gzbuffer(raw, 1 << 17);
  OpenIdx f{GzReader(path, raw), {}, 0, *fileSize};
  GzReader &in = f.in;

  unsigned char head[4];
  size_t got;
  if (auto err = in.read(head, 4, got))
    return std::move(err);
  f.header.gzip = !in.isRaw();
  if (path.ends_with(".gz") && !f.header.gzip)
    return fail(path, "not a gzip file (the name ends in .gz)");
  if (got < 4 || head[0] != 0 || head[1] != 0)
    return fail(path, "not an IDX file (bad magic number)");
  if (head[2] != 0x08)
    return fail(path, "unsupported element type 0x" +
                          llvm::utohexstr(head[2], /*LowerCase=*/true, 2) +
                          " (" + elementTypeName(head[2]) +
                          "); only unsigned bytes (0x08) are supported");
  unsigned rank = head[3];
  if (rank == 0)
    return fail(path, "rank 0 (an IDX file has at least one dimension)");

  std::vector<unsigned char> dimBytes(4 * rank);
  if (auto err = in.read(dimBytes.data(), dimBytes.size(), got))
    return std::move(err);
  if (got < dimBytes.size())
    return fail(path, "truncated header: " + llvm::Twine(rank) +
                          " dimensions announced, " + llvm::Twine(got / 4) +
                          " present");
  std::vector<int64_t> &shape = f.header.shape;
  int64_t count = 1;
  for (unsigned i = 0; i < rank; ++i) {
    const unsigned char *d = &dimBytes[4 * i];
    int64_t extent = (int64_t(d[0]) << 24) | (int64_t(d[1]) << 16) |
                     (int64_t(d[2]) << 8) | int64_t(d[3]);
    shape.push_back(extent);
    if (llvm::MulOverflow<int64_t>(count, extent, count))
      return fail(path, "the dimensions overflow a 64-bit element count");
  }
  f.count = count;

  // The promise against what the file can hold, before decompressing any
  // of it: a raw file holds exactly its bytes after the header, a gzip file
  // at most 1032 times its size.
  uint64_t headerBytes = 4 + 4 * uint64_t(rank);
  std::string dims = dimsText(shape);
  if (!f.header.gzip) {
    uint64_t held = *fileSize - std::min(*fileSize, headerBytes);
    if (held < uint64_t(count))
      return fail(path, "truncated: the header promises " + llvm::Twine(count) +
                            " values but the file holds " + llvm::Twine(held) +
                            " (dimensions " + dims + ")");
    if (held > uint64_t(count))
      return fail(path, "the file holds more than the " + llvm::Twine(count) +
                            " values its dimensions " + dims + " promise");
  } else if (uint64_t(count) > maxInflated(*fileSize)) {
    return fail(path, "truncated: the header promises " + llvm::Twine(count) +
                          " values (dimensions " + dims + ") but a gzip file "
                          "of " + llvm::Twine(*fileSize) +
                          " bytes holds at most " +
                          llvm::Twine(maxInflated(*fileSize)));
  }
  // Held as doubles, plus the bytes read.
  uint64_t memory = physicalMemory();
  if (memory && uint64_t(count) > memory / (sizeof(double) + 1))
    return fail(path, "the header promises " + llvm::Twine(count) +
                          " values (dimensions " + dims + "), " +
                          llvm::Twine(uint64_t(count) * (sizeof(double) + 1) >> 20) +
                          " MiB to load, more than this machine's " +
                          llvm::Twine(memory >> 20) + " MiB of memory");
  return std::move(f);
}

} // namespace

llvm::Expected<IdxHeader> axon::readIdxHeader(llvm::StringRef path) {
  auto f = openIdx(path);
  if (!f)
    return f.takeError();
  return f->header;
}

llvm::Error axon::checkIdxPair(llvm::StringRef inputs, llvm::StringRef labels) {
  auto x = readIdxHeader(inputs);
  if (!x)
    return x.takeError();
  auto t = readIdxHeader(labels);
  if (!t)
    return t.takeError();
  if (x->shape[0] != t->shape[0])
    return llvm::createStringError(
        inputs + " holds " + llvm::Twine(x->shape[0]) + " samples but " +
        labels + " holds " + llvm::Twine(t->shape[0]) + " labels");
  return llvm::Error::success();
}

llvm::Expected<IdxBytes> axon::readIdxBytes(llvm::StringRef path) {
  auto f = openIdx(path);
  if (!f)
    return f.takeError();
  GzReader &in = f->in;
  std::vector<int64_t> shape = f->header.shape;
  int64_t count = f->count;
  size_t got;

  // The payload, read in chunks so a lying header cannot force a huge
  // allocation, up to the promised size and then one more byte to catch
  // trailing data: never more is decompressed. Room for all of it is
  // reserved up front when that is within kPlausibleRatio times the file
  // (images deflate 2-5:1), so the chunks append without reallocating.
  std::vector<unsigned char> payload;
  constexpr size_t kChunk = 1 << 20;
  constexpr uint64_t kPlausibleRatio = 16;
  const size_t total = static_cast<size_t>(count);
  if (uint64_t(total) <= kPlausibleRatio * f->fileSize + kChunk)
    payload.reserve(total);
  while (payload.size() < total) {
    size_t want = std::min(kChunk, total - payload.size());
    size_t at = payload.size();
    payload.resize(at + want);
    if (auto err = in.read(payload.data() + at, want, got))
      return std::move(err);
    payload.resize(at + got);
    if (got < want)
      break;
  }
  std::string dims = dimsText(shape);
  if (payload.size() < total)
    return fail(path, "truncated: the header promises " + llvm::Twine(count) +
                          " values but the file holds " +
                          llvm::Twine(payload.size()) + " (dimensions " + dims +
                          ")");
  unsigned char extra;
  if (auto err = in.read(&extra, 1, got))
    return std::move(err);
  if (got != 0)
    return fail(path, "the file holds more than the " + llvm::Twine(count) +
                          " values its dimensions " + dims + " promise");

  return IdxBytes{std::move(shape), std::move(payload)};
}

llvm::Expected<Tensor> axon::readIdx(llvm::StringRef path) {
  auto bytes = readIdxBytes(path);
  if (!bytes)
    return bytes.takeError();
  return Tensor(DType::I32, std::move(bytes->shape),
                std::vector<double>(bytes->values.begin(), bytes->values.end()));
}
