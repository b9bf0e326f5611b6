// Reader of IDX files (see Idx.h). zlib's gzread reads gzip and plain files
// alike, so one path serves both.
#include "runtime/Idx.h"

#include "llvm/ADT/StringExtras.h"

#include <zlib.h>

#include <memory>
#include <vector>

using namespace axon;

static llvm::Error fail(llvm::StringRef path, const llvm::Twine &why) {
  return llvm::createStringError(path + ": " + why);
}

llvm::Expected<Tensor> axon::readIdx(llvm::StringRef path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.str().c_str(), "rb"),
                                                  gzclose);
  if (!file)
    return fail(path, "cannot open file");
  std::vector<unsigned char> bytes;
  unsigned char chunk[1 << 16];
  while (true) {
    int n = gzread(file.get(), chunk, sizeof(chunk));
    if (n < 0) {
      int code = 0;
      return fail(path, llvm::Twine("cannot decompress: ") +
                            gzerror(file.get(), &code));
    }
    if (n == 0)
      break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  // Header: two zero bytes, the element type, the rank, then big-endian dims.
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    return fail(path, "not an IDX file (bad magic number)");
  if (bytes[2] != 0x08)
    return fail(path, "element type 0x" + llvm::utohexstr(bytes[2]) +
                          " is not supported (only unsigned bytes, 0x08)");
  size_t rank = bytes[3];
  if (rank == 0 || bytes.size() < 4 + 4 * rank)
    return fail(path, "truncated header");
  std::vector<int64_t> shape;
  size_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    const unsigned char *d = &bytes[4 + 4 * i];
    int64_t extent = (int64_t(d[0]) << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
    shape.push_back(extent);
    count *= static_cast<size_t>(extent);
  }
  size_t offset = 4 + 4 * rank;
  if (bytes.size() - offset < count)
    return fail(path, "truncated: the header promises " + llvm::Twine(count) +
                          " values but the file holds " +
                          llvm::Twine(bytes.size() - offset));
  std::vector<double> values(bytes.begin() + offset,
                             bytes.begin() + offset + count);
  return Tensor(DType::I32, std::move(shape), std::move(values));
}
